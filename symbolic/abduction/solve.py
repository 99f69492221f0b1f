"""One entry point for every solver: ``solve(problem, "ip-cbc" | "ip-highs" | "asp" | "heuristic" | "brute")``."""

from __future__ import annotations

from typing import Any

from symbolic.abduction.asp import ASPSolver
from symbolic.abduction.brute import BruteForceSolver
from symbolic.abduction.errors import SolverUnavailableError
from symbolic.abduction.heuristic import HeuristicSolver
from symbolic.abduction.ip import IPSolver
from symbolic.abduction.problem import AbductionProblem
from symbolic.abduction.result import AbductionResult

SOLVERS = ("ip-cbc", "ip-highs", "asp", "heuristic", "brute")


def make_solver(name: str, **options: Any):
    """Build a solver by name.

    Args:
        name: ``ip`` (= ``ip-cbc``), ``ip-cbc``, ``ip-highs``, ``asp``, ``heuristic`` or ``brute``.
        **options: Constructor options (``time_limit``, ``threads`` for the exact solvers).

    Raises:
        SolverUnavailableError: unknown name (the message lists the valid ones).
    """
    if name in ("ip", "ip-cbc"):
        return IPSolver("cbc", **options)
    if name == "ip-highs":
        return IPSolver("highs", **options)
    if name == "asp":
        return ASPSolver(**options)
    if name == "heuristic":
        return HeuristicSolver(**options)
    if name == "brute":
        return BruteForceSolver(**options)
    raise SolverUnavailableError(f"unknown solver {name!r}; valid solvers: ip, {', '.join(SOLVERS)}")


def solve(problem: AbductionProblem, solver: str = "ip-highs", **options: Any) -> AbductionResult:
    """Solve ``problem`` with the named solver and return a plain :class:`AbductionResult`."""
    return make_solver(solver, **options).solve(problem)
