"""The rule bases of the Π-NeSy paper, as data, with batched learned cascades.

- :mod:`.spec`: rules, rule sets and output partitions as plain data.
- :mod:`.learning`: premise degrees, min–max inference and rule-parameter learning, batched.
- :mod:`.mnist_add`: MNIST-Add-k (pair tuples, carries, output digits) and :class:`AdditionCascade`.
- :mod:`.sudoku`: visual Sudoku (pairwise-difference rules) and :class:`SudokuCascade`.
"""

from symbolic.possibilistic.rulebases.mnist_add import AdditionCascade, mnist_add_rule_base, sum_digits
from symbolic.possibilistic.rulebases.spec import Partition, Rule, RuleSetSpec, build_partition

__all__ = ["AdditionCascade", "Partition", "Rule", "RuleSetSpec", "build_partition", "mnist_add_rule_base",
           "sum_digits"]
