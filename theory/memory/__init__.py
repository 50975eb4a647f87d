"""The curse of memory (Zucchet & Orvieto 2024, §2–3; docs/theory.md §1–§3).

Map:

- ``autocorr`` — input autocorrelations R(k) and their generating functions.
- ``lemmas`` — Lemmas 1 and 2 with checked proof steps, stationary and finite horizon.
- ``moments`` — E|h|², E|d_λh|², E|d_θh|² of h_{t+1} = λh_t + γx_t from the lemmas.
- ``finite_horizon`` — finite-t brackets in O(log t) for inputs with a rational spectrum.
- ``oracle`` — the same moments by high-precision lag sums that never use the closed form.
- ``loss1d`` — the one-dimensional teacher–student loss (§4.1, Fig. 1B/C).
"""
