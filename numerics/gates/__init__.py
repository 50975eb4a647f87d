"""Monte Carlo of h_{t+1} = λ_t h_t + γ x_t with a random or selective gate λ_t
(docs/theory.md §10).

Map:

- ``burnin`` — burn-in length and relative-bias bound of stationary estimates from the gate
  moments (a gate independent of the input).
- ``simulate`` — the chunked simulator: u_t drawn per step, λ_t and ∂_pλ_t by forward-mode
  autograd of a torch-callable gate, standard errors from independent chains.
"""
