"""Numerics layer: PyTorch simulations, on CUDA when there is one (no sympy, no mpmath).

Map:

- ``memory/`` — Monte Carlo of the linear recurrence: inputs, simulators, burn-in, the
  chunked engine and its distributed driver.
- ``gates/`` — Monte Carlo of random and selective gates λ_t: burn-in bound, the simulator.
- ``dizzy/`` — the DizzyRNN layer, its rotations, baselines, gradient norms, the copy problem.
- ``networks/`` — network experiments: Gauss–Newton Monte Carlo, teacher–student training,
  GRU gates, signal propagation at initialization.
- ``device`` — device and dtype choice (``--device auto|cpu|cuda``).
- ``seeding`` — seed blocks: sample indices → ``torch.Generator`` streams.
- ``estimators`` — streaming mean and standard error, mergeable across chunks and ranks.
"""
