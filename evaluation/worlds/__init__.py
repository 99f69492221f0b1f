"""Worlds: the data, generators and simulators benchmarks run agents and engines on.

One folder per world family; worlds import nothing of ``agents`` except :mod:`agents.world`.

- :mod:`evaluation.worlds.induction`: rule induction from examples (ACRE, MiniSCAN, List Functions, ARC).
- :mod:`evaluation.worlds.mnist_addition`: k-digit addition over MNIST images; learning from sums.
- :mod:`evaluation.worlds.sudoku`: visual Sudoku puzzles (valid / corrupted) over MNIST images.
- :mod:`evaluation.worlds.shift`: shifted test sets and the six condition-specific classifiers.
- :mod:`evaluation.worlds.digits`: the digit CNN shared by both, trained once and cached.
"""
