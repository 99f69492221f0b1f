"""Reference solver ``brute``: enumerates every subset of atoms (tiny instances only, for tests)."""

from __future__ import annotations

import time

import numpy as np

from symbolic.abduction.errors import AbductionInputError
from symbolic.abduction.problem import AbductionProblem
from symbolic.abduction.result import AbductionResult

MAX_ATOMS = 16


class BruteForceSolver:
    """Exhaustive search over all 2^A acceptances; refuses instances with more than 16 atoms."""

    name = "brute"

    def solve(self, problem: AbductionProblem) -> AbductionResult:
        t0 = time.perf_counter()
        if problem.n_atoms > MAX_ATOMS:
            raise AbductionInputError(f"brute force handles at most {MAX_ATOMS} atoms, got {problem.n_atoms}")
        best_key, best_mask, best_ev = None, None, None
        for code in range(1 << problem.n_atoms):
            mask = np.array([(code >> a) & 1 for a in range(problem.n_atoms)], dtype=bool)
            ev = problem.evaluate(mask)
            if not ev.feasible:
                continue
            key = (ev.coverage, ev.secondary if problem.tie_break else 0)
            if best_key is None or key > best_key:
                best_key, best_mask, best_ev = key, mask, ev
        elapsed = time.perf_counter() - t0
        if best_ev is None:
            return AbductionResult(self.name, "infeasible", None, None, (), 0, True, elapsed, {})
        return AbductionResult(self.name, "optimal", best_ev.coverage,
                               best_ev.secondary if problem.tie_break else None,
                               tuple(np.flatnonzero(best_mask).tolist()), best_ev.n_inconsistent, True, elapsed,
                               {"subsets": 1 << problem.n_atoms})
