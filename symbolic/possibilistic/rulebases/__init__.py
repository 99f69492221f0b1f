"""The rule bases of the Π-NeSy paper, written as data for the engine's classes, and their cascades.

- :mod:`.mnist_add`: MNIST-Add-k (pair tuples, carries, output digits) and :class:`AdditionCascade`.
- :mod:`.sudoku`: visual Sudoku (pairwise-difference rules, one validity rule) and :class:`SudokuCascade`.

Both cascades are :class:`~symbolic.possibilistic.CascadeEstimator` on these rule sets, with array inputs.
"""

from symbolic.possibilistic.rulebases.mnist_add import AdditionCascade, mnist_add_rule_base, sum_digits
from symbolic.possibilistic.rulebases.sudoku import SudokuCascade, sudoku_rule_base

__all__ = ["AdditionCascade", "SudokuCascade", "mnist_add_rule_base", "sudoku_rule_base", "sum_digits"]
