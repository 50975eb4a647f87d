"""The public model of the recurrence and the one bridge from a request to each route.

Map:

- ``recurrence`` — ``Model``: one recurrence, three independent routes to its moments.
- ``bridge`` — a model request → the numbers each route needs (γ, ∂λ/∂p, the input source).
- ``quantities`` — the quantities every route returns and the Monte Carlo defaults.
- ``simulate`` — the Monte Carlo route, for one λ or a λ-grid (``rnnverify simulate``).
- ``gates`` — ``GateModel``: a random or selective gate λ_t, its three routes.
- ``gate_torch`` — a gate expression as a torch callable (p, u, x) -> λ for the Monte Carlo.
"""
