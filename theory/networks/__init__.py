"""Network-level results of Zucchet & Orvieto (2024), §4–5 (docs/networks.md).

Map:

- ``teacher`` — the linear recurrent teacher networks (dense, diagonal, LRU, heads).
- ``hessian`` — the Hessian at the optimum derived from Lemmas 1–2 (symbolic route).
- ``hessian_oracle`` — the same Hessian by the Lyapunov equation of the joint system.
- ``gru`` — a GRU with a constant update gate as a diagonal linear recurrence.
"""
