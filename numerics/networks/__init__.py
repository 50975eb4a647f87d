"""Network experiments of Zucchet & Orvieto (2024), §4–5 (docs/networks.md).

Map:

- ``linear_network`` — Monte Carlo Gauss–Newton matrix at the optimum (torch.func).
- ``teacher_student`` — teacher–student training of linear recurrent networks (Fig. 3A).
- ``teacher_student_grid`` — the students and learning-rate grids of that comparison.
- ``ablation`` — the Fig. 3B ablation, dense RNN to LRU one ingredient at a time.
- ``gru_gates`` — a GRU unit's update gate simulated: E h², E(d_b h)².
- ``signal_propagation`` — signal propagation in a deep recurrent network at initialization.
"""
