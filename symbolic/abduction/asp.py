"""Exact solver ``asp``: the abduction problem as an answer set program, solved by clingo's Python API.

The program (see :data:`ENCODING`) has one choice per atom; ``incons/1`` derives the inconsistent
accepted atoms from the rule flags and the conflict relation; a ``#sum`` constraint enforces
``q·I <= p·|E|``; ``#maximize`` ranks coverage at priority 2 and the tie-break objective
``sum w - P·I`` at priority 1 (lexicographic, as in the ``ip`` solver). Grounding and solving go
through :class:`symbolic.asp.AspSession` (time limits, plain results: clingo ``Model`` objects die
with their callback).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from symbolic.abduction.errors import AbductionInputError, SolverUnavailableError
from symbolic.abduction.options import OptionModel, build_options
from symbolic.abduction.problem import AbductionProblem
from symbolic.abduction.result import AbductionResult
from symbolic.asp import AspResult, AspSession

ENCODING_COMMON = """\
#defined flagged/1. #defined covers/1. #defined weight/2. #defined min_coverage/1.
#defined conflict/2. #defined atom/3.
{ choose(A) } :- atom(A,_,_).
asserted(X,L) :- choose(A), atom(A,X,L).
covered(X) :- choose(A), atom(A,X,_), covers(A).
incons(A) :- choose(A), flagged(A).
:- #sum{ Q,i,A : incons(A), q(Q) ; -P,c,A : choose(A), p(P) } > 0.
#maximize{ 1@2,X : covered(X) }.
#show choose/1.
"""
ENCODING_SOFT = """\
conflicted(X,L) :- asserted(X,L2), conflict(L,L2), atom(_,X,L).
incons(A) :- choose(A), atom(A,X,L), conflicted(X,L).
"""
ENCODING_HARD = """\
:- asserted(X,L1), asserted(X,L2), conflict(L1,L2).
"""
ENCODING_TIE_BREAK = """\
#maximize{ W@1,w,A : choose(A), weight(A,W) ; -Pen@1,i,A : incons(A), penalty(Pen) }.
"""
ENCODING_MIN_COVERAGE = """\
:- #count{ X : covered(X) } < K, min_coverage(K).
"""
ENCODING = ENCODING_COMMON + ENCODING_SOFT + ENCODING_TIE_BREAK


OPTION_ENCODING = """\
#defined option/5. #defined min_coverage/1. #defined decide/1.
1 { pick(O) : option(O,X,_,_,_) } 1 :- decide(X).
:- #sum{ S,O : pick(O), option(O,_,_,S,_) } < K, slack_needed(K).
:- #count{ O : pick(O), option(O,_,1,_,_) } < K, cover_needed(K).
#maximize{ 1@2,O : pick(O), option(O,_,1,_,_) }.
#show pick/1.
"""
OPTION_TIE_BREAK = """\
#maximize{ W@1,O : pick(O), option(O,_,_,_,W) }.
"""


def _option_program(problem: AbductionProblem, om: OptionModel) -> str:
    c0, s0, sec0 = om.fixed_totals()
    dec = np.flatnonzero(~om.fixed)
    lines = [f"% abduction instance (presolved options): {problem.n_samples} samples, {problem.n_atoms} atoms, "
             f"theta = {problem.theta_fraction}",
             f"% {om.n_options} options, {int(om.fixed.sum())} fixed samples with coverage {c0}, slack {s0}, "
             f"tie-break value {sec0}; option(O, Sample, Cover, Slack, TieBreak) for the rest",
             f"slack_needed({-s0}).", f"cover_needed({max(problem.min_coverage - c0, 0)})."]
    lines.append(" ".join(f"decide({x})." for x in om.decision_samples.tolist()))
    lines.append("\n".join(f"option({o},{om.sample[o]},{om.cover[o]},{om.slack[o]},"
                           f"{om.secondary[o] if problem.tie_break else 0})." for o in dec.tolist()))
    lines.append(OPTION_ENCODING + (OPTION_TIE_BREAK if problem.tie_break else ""))
    return "\n".join(lines) + "\n"


def to_asp_program(problem: AbductionProblem, reduced: bool = True) -> str:
    """The whole instance as clingo source text (facts, encoding, optimisation), runnable with ``clingo``.

    Args:
        problem: The instance.
        reduced: The presolved option program (what the solver runs by default; see
            :mod:`symbolic.abduction.options`) or the direct atom-level program.

    Labels are numbered by their position in ``constraints.labels``; a comment lists the names.
    """
    if reduced:
        return _option_program(problem, build_options(problem))
    p = problem
    frac = p.theta_fraction
    lines = [f"% abduction instance: {p.n_samples} samples, {p.n_atoms} atoms, theta = {frac} ({p.theta})",
             "% labels: " + ", ".join(f"{i}={name}" for i, name in enumerate(p.constraints.labels)),
             "% sources: " + ", ".join(f"{i}={name}" for i, name in enumerate(p.sources)),
             f"q({frac.denominator}). p({frac.numerator}). penalty({p.penalty})."]
    if p.min_coverage:
        lines.append(f"min_coverage({p.min_coverage}).")
    conflict = p.constraints.conflict_matrix
    a_idx, b_idx = np.nonzero(conflict)
    lines.append(" ".join(f"conflict({a},{b})." for a, b in zip(a_idx.tolist(), b_idx.tolist(), strict=True)))
    chunks = []
    for a, (x, lab, fl, cov, w) in enumerate(zip(p.sample.tolist(), p.label.tolist(), p.flagged.tolist(),
                                                  p.covers.tolist(), p.weight.tolist(), strict=True)):
        s = f"atom({a},{x},{lab})."
        if fl:
            s += f" flagged({a})."
        if cov:
            s += f" covers({a})."
        if w and p.tie_break:
            s += f" weight({a},{w})."
        chunks.append(s)
    lines.append("\n".join(chunks))
    lines.append(ENCODING_COMMON + (ENCODING_HARD if p.constraints.hard else ENCODING_SOFT)
                 + (ENCODING_TIE_BREAK if p.tie_break else "") + (ENCODING_MIN_COVERAGE if p.min_coverage else ""))
    return "\n".join(lines) + "\n"


def _clingo_available() -> None:
    try:
        import clingo  # noqa: F401
    except ImportError as exc:  # pragma: no cover - clingo is a declared dependency
        raise SolverUnavailableError("the asp solver needs clingo: pip install clingo") from exc


def _atom_ids(symbols: tuple[str, ...]) -> list[int]:
    """Option or atom numbers of the shown ``pick(O)`` / ``choose(A)`` atoms."""
    return sorted(int(s[s.index("(") + 1:-1]) for s in symbols if s.startswith(("pick(", "choose(")))


#: clingo statistics copied into ``AbductionResult.stats`` under the names earlier releases used.
_STAT_NAMES = {"summary.times.total": "clingo_times_total", "summary.times.solve": "clingo_times_solve",
               "summary.times.cpu": "clingo_times_cpu", "solvers.choices": "choices",
               "solvers.conflicts": "conflicts", "solvers.restarts": "restarts"}


class ASPSolver:
    """Exact answer-set-programming solver (clingo).

    Args:
        time_limit: Seconds for grounding and solving (None: no limit).
        threads: Parallel solver threads (clingo ``-t``).
        opt_strategy: clingo ``--opt-strategy``: ``"usc"`` (core-guided; proves most instances at once),
            ``"bb"`` (branch-and-bound; good anytime solutions) or ``"auto"`` (default: usc for a quarter of
            the time limit, at most 10 s, then bb for the rest, keeping the best model of both).
        reduced: Solve the exact option presolve (default) instead of the direct atom-level program.
    """

    name = "asp"

    def __init__(self, time_limit: float | None = None, threads: int = 1, opt_strategy: str = "auto",
                 reduced: bool = True) -> None:
        if time_limit is not None and time_limit <= 0:
            raise AbductionInputError(f"time_limit must be positive, got {time_limit!r}")
        if opt_strategy not in ("bb", "usc", "auto"):
            raise AbductionInputError(f"opt_strategy must be 'auto', 'bb' or 'usc', got {opt_strategy!r}")
        self.time_limit = time_limit
        self.threads = threads
        self.opt_strategy = opt_strategy
        self.reduced = reduced

    def _run(self, program: str, strategy: str, limit: float | None, best: dict[str, Any],
             stats: dict[str, Any]) -> AspResult:
        """One clingo run; updates ``best`` with its model if better (costs compare lexicographically).

        With a time limit the session grounds and solves in a child process killed at the deadline
        (clingo's ``cancel`` can block for many seconds inside branch-and-bound on large aggregates),
        keeping the last model it reported.
        """
        session = AspSession([f"-t{self.threads}", f"--opt-strategy={strategy}", "--opt-mode=opt"],
                             time_limit=limit)
        res = session.add(program).solve()
        stats["models"] += res.n_models
        stats["ground_seconds"] = stats.get("ground_seconds", 0.0) + res.ground_seconds
        for key, name in _STAT_NAMES.items():
            if key in res.stats:
                stats[name] = stats.get(name, 0.0) + res.stats[key]
        if res.status == "error":
            stats["error"] = res.error
        if res.best is not None and ("cost" not in best or list(res.best.cost) < best["cost"]):
            best["cost"], best["chosen"] = list(res.best.cost), _atom_ids(res.best.symbols)
        return res

    def solve(self, problem: AbductionProblem) -> AbductionResult:
        """Ground and solve; returns the best model found, proven optimal if a search finished."""
        _clingo_available()
        t_start = time.perf_counter()
        om = build_options(problem) if self.reduced else None
        if om is not None and om.decision_samples.size == 0:  # the presolve fixed every sample
            mask = om.atoms(problem, om.fixed)
            ev = problem.evaluate(mask)
            stats0 = {"options": om.n_options, "decision_samples": 0}
            elapsed = time.perf_counter() - t_start
            if not ev.feasible:
                return AbductionResult(self.name, "infeasible", None, None, (), 0, True, elapsed, stats0)
            return AbductionResult(self.name, "optimal", ev.coverage, ev.secondary if problem.tie_break else None,
                                   tuple(np.flatnonzero(mask).tolist()), ev.n_inconsistent, True, elapsed, stats0)
        program = _option_program(problem, om) if om is not None else to_asp_program(problem, False)
        if self.opt_strategy == "auto" and self.time_limit is not None:
            first = min(0.25 * self.time_limit, 10.0)
            plan = [("usc", first), ("bb", None)]
        else:
            plan = [("usc" if self.opt_strategy == "auto" else self.opt_strategy, None)]
        best: dict[str, Any] = {}
        stats: dict[str, Any] = {"models": 0, "strategies": []}
        last: AspResult | None = None
        for strategy, share in plan:
            left = None if self.time_limit is None else self.time_limit - (time.perf_counter() - t_start)
            if left is not None and left <= 0.01:
                break
            limit = left if share is None else min(share, left)
            last = self._run(program, strategy, limit, best, stats)
            stats["strategies"].append(strategy)
            if last.exhausted or last.status == "unsat":
                break
        res_unsat = last is not None and last.status == "unsat"
        timed_out = last is None or last.status == "timeout"
        exhausted = last is not None and last.exhausted
        stats["timed_out"] = timed_out
        stats["exhausted"] = exhausted
        elapsed = time.perf_counter() - t_start
        if res_unsat:
            return AbductionResult(self.name, "infeasible", None, None, (), 0, True, elapsed, stats)
        if "chosen" not in best:
            return AbductionResult(self.name, "unknown", None, None, (), 0, False, elapsed, stats)
        # without optimisation literals (nothing covers, no tie-break) every model is optimal
        proven = (exhausted or not best["cost"]) and not timed_out
        if om is not None:
            picked = om.fixed.copy()
            picked[np.asarray(best["chosen"], dtype=np.int64)] = True
            mask = om.atoms(problem, picked)
            best["chosen"] = np.flatnonzero(mask).tolist()
            stats["options"] = om.n_options
            stats["decision_samples"] = int(om.decision_samples.size)
        ev = problem.evaluate(np.asarray(best["chosen"], dtype=np.int64))
        if not ev.feasible:
            stats["error"] = "model violates the constraints"
            return AbductionResult(self.name, "unknown", None, None, (), 0, False, elapsed, stats)
        stats["cost"] = best["cost"]
        return AbductionResult(self.name, "optimal" if proven else "feasible", ev.coverage,
                               ev.secondary if problem.tie_break else None, tuple(best["chosen"]),
                               ev.n_inconsistent, proven, elapsed, stats)
