"""Π-NeSy possibilistic rule systems: transforms, rules, min–max kernels, learning, explanations.

Quick start::

    from symbolic.possibilistic import Condition, Rule, RuleSet, RuleSetEstimator
    rules = [Rule(Condition("a", {0, 2, 4, 6, 8}), 0, name="even"),
             Rule(Condition("a", {1, 3, 5, 7, 9}), 1, name="odd")]
    rs = RuleSet("parity", {"a": range(10), "parity": [0, 1]}, rules)
    est = RuleSetEstimator(rs).fit({"a": train_probs}, train_labels % 2)
    est.predict({"a": test_probs}); est.explain({"a": test_probs}, 0)[0].text()

The README's "Possibilistic rule systems" section has a worked example and the kernels' complexity.
"""

from symbolic.possibilistic._tensor import torch_threads
from symbolic.possibilistic.errors import (
                                           DistributionError,
                                           DomainError,
                                           NotFittedError,
                                           PossibilisticError,
                                           RangeError,
                                           RuleError,
                                           ShapeError,
)
from symbolic.possibilistic.estimators import CascadeEstimator, RuleSetEstimator, Stage
from symbolic.possibilistic.explain import Explanation, RuleEvidence
from symbolic.possibilistic.kernels import (
                                           chebyshev_distance,
                                           chebyshev_rows,
                                           epsilon_product,
                                           is_consistent,
                                           lowest_approximate_solution,
                                           lowest_chebyshev_approximation,
                                           lowest_solution,
                                           minmax_product,
)
from symbolic.possibilistic.learning import (
                                           LearnedParameters,
                                           greedy_threshold_search,
                                           learn_parameters,
                                           minimal_threshold,
                                           sample_distances,
                                           threshold_grid,
)
from symbolic.possibilistic.rules import Condition, Partition, Rule, RuleSet
from symbolic.possibilistic.transforms import (
                                           antipignistic,
                                           check_possibilities,
                                           check_probabilities,
                                           minimum_specificity,
                                           to_possibility,
)

__all__ = [
    "CascadeEstimator", "Condition", "DistributionError", "DomainError", "Explanation", "LearnedParameters",
    "NotFittedError", "Partition", "PossibilisticError", "RangeError", "Rule", "RuleError", "RuleEvidence", "RuleSet",
    "RuleSetEstimator", "ShapeError", "Stage", "antipignistic", "chebyshev_distance", "chebyshev_rows",
    "check_possibilities", "check_probabilities", "epsilon_product", "greedy_threshold_search", "is_consistent",
    "learn_parameters",
    "lowest_approximate_solution", "lowest_chebyshev_approximation", "lowest_solution", "minimal_threshold",
    "minimum_specificity", "minmax_product", "sample_distances", "threshold_grid", "to_possibility", "torch_threads",
]
