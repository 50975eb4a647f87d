"""Theory layer: SymPy derivations and mpmath high-precision numbers (no torch, no numpy).

Map:

- ``memory/`` — the curse of memory (Zucchet & Orvieto 2024, §2–3): Lemmas 1–2, second
  moments of h_t and d_λh_t, the mpmath oracle, input autocorrelations.
- ``params/`` — parametrizations λ(p): the chain rule for E|d_p h|², where |λ| → 1 and the
  order and coefficient of the blow-up along each path.
- ``gates/`` — random and selective gates λ_t = f(p, u_t[, x_t]): gate moments, E h² and
  E (d_p h)² from first principles, the covariance-recursion oracle.
- ``dizzy/`` — DizzyRNN (Dorobantu et al. 2016): Givens and packed rotations, Theorems 3–4,
  exposed singular values.
- ``networks/`` — network-level results (Zucchet & Orvieto 2024, §4–5): teacher networks,
  the Hessian at the optimum, the GRU as a diagonal linear recurrence.
- ``classical`` — Pascanu et al. (2013): vanishing/exploding conditions, gradient clipping.
- ``parser`` — the whitelist parser of user expressions (never ``eval``).
- ``symbols`` — the SymPy symbols every module shares.
- ``precise`` — a SymPy expression evaluated to a requested number of correct digits.
- ``budget`` — work budgets (operation counts, digits, terms), not clocks.
- ``proof`` — checked proof steps (simplification and random complex points).
"""
