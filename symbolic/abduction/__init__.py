"""Consistency-based abduction over the predictions of several perception models (Leiva et al. 2025).

Pipeline: learn error-detection rules per model (:class:`DetRuleLearner`, EDCR with an ε recall
budget) → state domain constraints as data (:class:`DomainConstraints`) → build an
:class:`AbductionProblem` (predictions, rule flags, constraints, θ) → :func:`solve` it exactly
(``ip-cbc``, ``ip-highs``, ``asp``) or heuristically (``heuristic``) → :class:`AbductionResult`.
The formulation is documented in :mod:`symbolic.abduction.problem` and docs/abduction.md.
"""

from symbolic.abduction.asp import ASPSolver, to_asp_program
from symbolic.abduction.brute import BruteForceSolver
from symbolic.abduction.constraints import DomainConstraints
from symbolic.abduction.errors import AbductionInputError, SolverUnavailableError, UnknownLabelError
from symbolic.abduction.heuristic import HeuristicSolver
from symbolic.abduction.ip import IPSolver, to_lp_text
from symbolic.abduction.problem import AbductionProblem, Evaluation, theta_fraction
from symbolic.abduction.result import AbductionResult
from symbolic.abduction.rules import ConditionSet, DetRuleLearner, RuleSet, band_conditions, prediction_conditions
from symbolic.abduction.solve import SOLVERS, make_solver, solve

__all__ = [
    "ASPSolver", "AbductionInputError", "AbductionProblem", "AbductionResult", "BruteForceSolver", "ConditionSet",
    "DetRuleLearner", "DomainConstraints", "Evaluation", "HeuristicSolver", "IPSolver", "RuleSet", "SOLVERS",
    "SolverUnavailableError", "UnknownLabelError", "band_conditions", "make_solver", "prediction_conditions",
    "solve", "theta_fraction", "to_asp_program", "to_lp_text",
]
