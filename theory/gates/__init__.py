"""Random and selective gates λ_t = f(p, u_t[, x_t]), real or complex (docs/theory.md §10).

Map:

- ``gate`` — a gate expression in the noise symbol ``u`` (and ``x`` for selective gates),
  its parameters, the point ``at`` and the parameter ``wrt``.
- ``gate_moments`` — E λ, E λ², E ∂_pλ, E λ∂_pλ, E (∂_pλ)² over u ~ N(0, 1): exact where the
  integrand is a sum of u^n e^{bu} terms, otherwise mpmath quadrature with an error estimate.
- ``second_moments`` — E h² and E (d_p h)² from the gate moments (stationary and finite t),
  derived from the products Π λ_t, for R = ρ^|k| or any R(k) through its generating function.
- ``oracle`` — the same moments by the covariance recursion of (x, h, d) with random
  coefficients, or for any R(k) the moment recursion driven by lag sums of R (no closed
  form), with its own quadrature and numerical ∂_p.
"""
