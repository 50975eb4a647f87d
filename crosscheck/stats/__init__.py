"""Statistics of the Monte Carlo routes: every assertion states its error rate and power.

Map:

- ``ztests`` — two-sided z-tests with a bias allowance, their power, binomial bounds.
- ``calibration`` — calibration tests with power for Monte Carlo standard errors.
"""
