"""Data and perception for the Π-NeSy benchmarks (MNIST addition, visual Sudoku).

- :mod:`evaluation.pinesy.cnn`: the digit CNN, trained once on digit labels and cached with its
  class probabilities for every MNIST split.
- :mod:`evaluation.pinesy.addition`: k-digit addition examples built from the MNIST splits.
- :mod:`evaluation.pinesy.sudoku`: ViSudo-PC-style puzzles (valid / corrupted).
- :mod:`evaluation.pinesy.weak`: learning the digits from sums alone (possibilistic abduction).
"""
