"""DizzyRNN in PyTorch (Dorobantu et al. 2016, §4; docs/theory.md §6).

Map:

- ``rotations`` — packed Givens rotations.
- ``layer`` — the DizzyRNN layer (rotations, abs non-linearity, exposed singular values).
- ``orthogonal_maps`` — orthogonal parametrizations to put under the norm checks.
- ``gradnorm`` — norm of the back-propagated signal versus lag (Theorems 3–4).
- ``baselines`` — baseline recurrent models with the DizzyRNN interface.
- ``copy_config`` — the copy problem's data layout (no torch: the CLI checks it first).
- ``copy_task`` — the copy problem.
"""
