"""Monte Carlo of h_{t+1} = λh_t + γx_t and its sensitivities (Zucchet & Orvieto 2024, §2–3).

Map:

- ``inputs`` — stationary Gaussian inputs with a prescribed R(k) (AR(1), circulant embedding).
- ``linear`` — the recurrence, tangent and autograd sensitivities.
- ``burnin`` — burn-in lengths with a proven bound on the relative bias.
- ``engine`` — the chunked Monte Carlo driver on a λ-grid.
- ``distributed`` — the same across processes, GPUs and hosts (torchrun).
- ``world`` — which rank of a torchrun launch this process is.
- ``montecarlo`` — the front door: ``simulate_moments`` on one process or many.
"""
