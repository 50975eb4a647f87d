"""DizzyRNN (Dorobantu, Stromhaug & Renteria 2016, arXiv:1612.04035; docs/theory.md §6).

Map:

- ``givens`` — Givens rotations and the angle derivative from the output alone.
- ``packed`` — packed rotations: the round-robin schedule and O(kn) application.
- ``theorems`` — Theorems 3 and 4: the back-propagated signal keeps its norm.
- ``singular_values`` — exposed singular values W = UΣV and their regulariser (§2, §5).
"""
