"""Genetic programming on DEAP: vectorized fitness, parallel evaluation, sympy/LaTeX/torch export.

Main entry points:

- :class:`SymbolicClassifier`, :class:`SymbolicRegressor`: scikit-learn style estimators.
- :func:`run_gp` with a :class:`GPConfig` and a fitness task (:class:`LogLossTask`,
  :class:`RegressionTask`, or :class:`NetworkActivationTask` for activation search).
- :func:`to_sympy`, :func:`to_latex`, :func:`collapse_univariate`, :func:`torch_activation`.
- :func:`search_activation`: univariate activation search scored by a small network.
"""

from symbolic.gp.activation_search import NetworkActivationTask, search_activation
from symbolic.gp.engine import GPConfig, GPResult, Program, run_gp
from symbolic.gp.estimator import SymbolicClassifier, SymbolicRegressor
from symbolic.gp.export import (
    DegenerateProgramError,
    check_activation,
    collapse_univariate,
    to_latex,
    to_sympy,
    torch_activation,
)
from symbolic.gp.fitness import LogLossTask, RegressionTask
from symbolic.gp.primitives import DEFAULT_FUNCTIONS, PAPER_FUNCTIONS, PRIMITIVES, code_to_string, parse_program

__all__ = [
    "DEFAULT_FUNCTIONS", "PAPER_FUNCTIONS", "PRIMITIVES", "DegenerateProgramError", "GPConfig", "GPResult",
    "LogLossTask", "NetworkActivationTask", "Program", "RegressionTask", "SymbolicClassifier",
    "SymbolicRegressor", "check_activation", "code_to_string", "collapse_univariate", "parse_program",
    "run_gp", "search_activation", "to_latex", "to_sympy", "torch_activation",
]
