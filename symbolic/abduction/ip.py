"""Exact solver ``ip``: the abduction problem as a mixed-integer program, solved by PuLP (CBC or HiGHS).

Variables (only ``z`` is integer; the others take integral values at any optimum):

- ``z_a`` in {0, 1}: atom ``a`` is accepted;
- ``y_g`` in [0, 1] for each (sample, label) group ``g`` that has a conflicting partner: ``y_g >= z_a``
  for every atom ``a`` of ``g`` (the label is asserted for the sample);
- soft constraints: ``c_g >= y_h`` for every conflicting partner ``h`` of ``g`` (a conflicting label is
  asserted), and ``u_a >= z_a + c_g - 1`` (atom ``a`` is inconsistent through a conflict);
  hard constraints: ``y_g + y_h <= 1`` instead, and atoms of self-conflicting labels are fixed to 0;
- ``v_x`` in [0, 1]: ``v_x <= sum of z_a`` over the covering atoms of sample ``x``.

With ``I = sum_{a flagged or self-conflicting} z_a + sum_a u_a``, the rate constraint is
``q · I <= p · sum_a z_a`` (θ = p/q). Phase 1 maximises ``sum_x v_x`` (coverage). If tie-breaking is
on, phase 2 fixes ``sum_x v_x >= coverage*`` and maximises ``sum_a w_a z_a - P · I``. Both phases
run with a zero relative gap and an absolute gap below 1 (all objective coefficients are integers),
so a reported optimum is exact.

By default (``reduced=True``) the solver works on the exact presolve of
:mod:`symbolic.abduction.options`: one binary ``x_o`` per remaining option of each undecided sample,
``sum_o x_o = 1`` per sample, one budget row ``sum_o slack_o x_o >= -slack_fixed`` and the same two
objective phases over ``cover_o`` and ``secondary_o`` (a multiple-choice knapsack).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import time
from typing import Any

import numpy as np

from symbolic.abduction.errors import AbductionInputError, SolverUnavailableError
from symbolic.abduction.options import OptionModel, build_options
from symbolic.abduction.problem import AbductionProblem
from symbolic.abduction.result import AbductionResult

BACKENDS = ("cbc", "highs")

logger = logging.getLogger(__name__)
_highs_banner_done = False


def _silence_highs_banner() -> None:
    """Construct the process's first ``highspy.Highs`` with stdout closed at the descriptor level.

    HiGHS prints its banner ("Running HiGHS ...") from C++ in the first constructor of a process,
    before PuLP can set ``output_flag``; later constructions print nothing. The banner is noise in
    benchmark output, so it goes to /dev/null once; ``msg=True`` keeps it.
    """
    global _highs_banner_done
    if _highs_banner_done:
        return
    _highs_banner_done = True
    try:
        import highspy
    except ImportError:  # PuLP reports the missing backend itself
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def _pulp():
    try:
        import pulp
    except ImportError as exc:  # pragma: no cover - pulp is a declared dependency
        raise SolverUnavailableError("the ip solver needs PuLP: pip install pulp") from exc
    return pulp


class _Model:
    """A PuLP model of the problem, kept so phase 2 can reuse phase 1's variables."""

    def __init__(self, problem: AbductionProblem) -> None:
        pulp = _pulp()
        self.pulp = pulp
        p = problem
        g = p.groups()
        n_atoms = p.n_atoms
        ag, pairs, selfc = g["atom_group"], g["pairs"], g["self_conflict"]
        hard = p.constraints.hard
        prob = pulp.LpProblem("abduction", pulp.LpMaximize)
        z = [pulp.LpVariable(f"z_{a}", cat=pulp.LpBinary) for a in range(n_atoms)]
        order = np.argsort(ag, kind="stable")
        bounds = np.searchsorted(ag[order], np.arange(len(g["g_label"]) + 1))
        members = [order[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
        always_bad = p.flagged | selfc[ag]
        if hard:
            for a in np.flatnonzero(selfc[ag]):
                z[a].upBound = 0
        partners: dict[int, list[int]] = {}
        for gg, hh in pairs.tolist():
            partners.setdefault(gg, []).append(hh)
        y: dict[int, Any] = {}
        for h in sorted(partners):  # the pair list is symmetric: partners are exactly its keys
            var = pulp.LpVariable(f"y_{h}", 0, 1)
            y[h] = var
            for a in members[h].tolist():
                prob += var - z[a] >= 0, f"assert_{h}_{a}"
        incons_terms = [(z[a], 1) for a in np.flatnonzero(always_bad).tolist()]
        if hard:
            for gg, hh in pairs.tolist():
                if gg < hh:
                    prob += y[gg] + y[hh] <= 1, f"hard_{gg}_{hh}"
        else:
            for gg, hs in partners.items():
                c = pulp.LpVariable(f"c_{gg}", 0, 1)
                for hh in hs:
                    prob += c - y[hh] >= 0, f"conf_{gg}_{hh}"
                for a in members[gg].tolist():
                    if always_bad[a]:
                        continue
                    u = pulp.LpVariable(f"u_{a}", 0, 1)
                    prob += u - z[a] - c >= -1, f"incons_{a}"
                    incons_terms.append((u, 1))
        self.incons = pulp.LpAffineExpression(incons_terms)
        frac = p.theta_fraction
        total = pulp.LpAffineExpression([(v, 1) for v in z])
        prob += frac.denominator * self.incons - frac.numerator * total <= 0, "rate"
        cov_atoms = np.flatnonzero(p.covers)
        cov_samples = p.sample[cov_atoms]
        v_terms = []
        sort = np.argsort(cov_samples, kind="stable")
        cov_atoms, cov_samples = cov_atoms[sort], cov_samples[sort]
        if cov_atoms.size:
            cuts = np.flatnonzero(np.diff(cov_samples)) + 1
            for chunk in np.split(cov_atoms, cuts):
                x = int(p.sample[chunk[0]])
                v = pulp.LpVariable(f"v_{x}", 0, 1)
                prob += pulp.LpAffineExpression([(v, 1)] + [(z[a], -1) for a in chunk.tolist()]) <= 0, f"cover_{x}"
                v_terms.append((v, 1))
        self.coverage = pulp.LpAffineExpression(v_terms)
        if p.min_coverage:
            prob += self.coverage >= p.min_coverage, "min_coverage"
        self.secondary = pulp.LpAffineExpression(
            [(z[a], int(w)) for a, w in enumerate(p.weight.tolist()) if w]) - p.penalty * self.incons
        prob.setObjective(self.coverage)
        self.prob, self.z = prob, z

    def values(self) -> np.ndarray:
        return np.array([(v.varValue or 0.0) > 0.5 for v in self.z], dtype=bool)



class _OptionIP:
    """The multiple-choice knapsack over the presolved options (see :mod:`symbolic.abduction.options`)."""

    def __init__(self, problem: AbductionProblem, options: OptionModel | None = None) -> None:
        pulp = _pulp()
        self.pulp = pulp
        om = build_options(problem) if options is None else options
        self.options = om
        c0, s0, sec0 = om.fixed_totals()
        dec = np.flatnonzero(~om.fixed)
        self.decision = dec
        prob = pulp.LpProblem("abduction_options", pulp.LpMaximize)
        x = [pulp.LpVariable(f"x_{o}", cat=pulp.LpBinary) for o in dec.tolist()]
        if dec.size:
            cuts = np.flatnonzero(np.diff(om.sample[dec])) + 1
            start = 0
            for stop in [*cuts.tolist(), dec.size]:
                prob += pulp.LpAffineExpression([(x[i], 1) for i in range(start, stop)]) == 1, \
                    f"one_{int(om.sample[dec[start]])}"
                start = stop
        rate = [(v, int(om.slack[o])) for v, o in zip(x, dec.tolist(), strict=True) if om.slack[o]]
        if rate:
            prob += pulp.LpAffineExpression(rate) >= -s0, "rate"
        # the fixed samples' totals enter through a variable fixed to 1 (LP files drop objective constants)
        one = pulp.LpVariable("fixed_samples", 1, 1)
        self.coverage = pulp.LpAffineExpression([(v, 1) for v, o in zip(x, dec.tolist(), strict=True)
                                                 if om.cover[o]] + [(one, c0)])
        if problem.min_coverage:
            prob += self.coverage >= problem.min_coverage, "min_coverage"
        self.secondary = pulp.LpAffineExpression([(v, int(om.secondary[o])) for v, o in
                                                  zip(x, dec.tolist(), strict=True) if om.secondary[o]]
                                                 + [(one, sec0)])
        prob.setObjective(self.coverage)
        self.prob, self.x, self.problem = prob, x, problem
        self.z = x

    def values(self) -> np.ndarray:
        picked = self.options.fixed.copy()
        picked[self.decision] = np.array([(v.varValue or 0.0) > 0.5 for v in self.x], dtype=bool)
        return self.options.atoms(self.problem, picked)



def to_lp_text(problem: AbductionProblem, phase: int = 1, coverage_floor: int | None = None,
               reduced: bool = True) -> str:
    """The integer program as CPLEX LP text.

    Args:
        problem: The instance.
        phase: 1 (maximise coverage) or 2 (tie-break objective, needs ``coverage_floor``).
        coverage_floor: The optimal coverage of phase 1 (phase 2 keeps at least that much).
        reduced: The presolved option model (what the solver runs by default) or the direct atom model.
    """
    model = _OptionIP(problem) if reduced else _Model(problem)
    if phase == 2:
        if coverage_floor is None:
            raise AbductionInputError("phase 2 needs coverage_floor (the optimal coverage of phase 1)")
        model.prob += model.coverage >= int(coverage_floor), "coverage_floor"
        model.prob.setObjective(model.secondary)
    elif phase != 1:
        raise AbductionInputError(f"phase must be 1 or 2, got {phase!r}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "abduction.lp")
        model.prob.writeLP(path)
        with open(path) as fh:
            return fh.read()


def _parse_cbc_log(text: str) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for key, pat in (("nodes", r"Enumerated nodes:\s+(\d+)"), ("iterations", r"Total iterations:\s+(\d+)"),
                     ("cbc_seconds", r"Time \(Wallclock seconds\):\s+([\d.]+)")):
        m = re.search(pat, text)
        if m:
            stats[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    m = re.search(r"Result - (.+)", text)
    if m:
        stats["result"] = m.group(1).strip()
    return stats


class IPSolver:
    """Exact integer-programming solver through PuLP.

    Args:
        backend: ``"cbc"`` (PuLP's bundled CBC) or ``"highs"`` (highspy).
        time_limit: Seconds for both phases together (None: no limit).
        threads: Solver threads.
        msg: Show the solver log: CBC's log goes to this module's logger (INFO), HiGHS prints its
            own (and its banner). Off by default: no solver output at all.
        reduced: Solve the exact option presolve (default) instead of the direct atom-level model.
    """

    def __init__(self, backend: str = "cbc", time_limit: float | None = None, threads: int = 1,
                 msg: bool = False, reduced: bool = True) -> None:
        if backend not in BACKENDS:
            raise SolverUnavailableError(f"unknown ip backend {backend!r}; choose one of {BACKENDS}")
        if time_limit is not None and time_limit <= 0:
            raise AbductionInputError(f"time_limit must be positive, got {time_limit!r}")
        self.backend = backend
        self.time_limit = time_limit
        self.threads = threads
        self.msg = msg
        self.reduced = reduced

    @property
    def name(self) -> str:
        return f"ip-{self.backend}"

    def _run(self, model: _Model | _OptionIP, limit: float | None) -> dict[str, Any]:
        pulp = model.pulp
        stats: dict[str, Any] = {}
        t0 = time.perf_counter()
        if self.backend == "cbc":
            with tempfile.TemporaryDirectory() as tmp:
                log = os.path.join(tmp, "cbc.log")
                solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, gapRel=0.0, gapAbs=0.99,
                                           threads=self.threads, logPath=log)
                model.prob.solve(solver)
                with open(log) as fh:
                    text = fh.read()
            if self.msg:
                logger.info("CBC log:\n%s", text)
            stats.update(_parse_cbc_log(text))
        else:
            if not self.msg:
                _silence_highs_banner()
            solver = pulp.HiGHS(msg=self.msg, timeLimit=limit, gapRel=0.0, gapAbs=0.99, threads=self.threads)
            model.prob.solve(solver)
            try:
                info = model.prob.solverModel.getInfo()
                stats.update({"nodes": int(info.mip_node_count), "iterations": int(info.simplex_iteration_count),
                              "mip_gap": float(info.mip_gap)})
                stats["result"] = model.prob.solverModel.modelStatusToString(model.prob.solverModel.getModelStatus())
            except Exception:  # statistics are best effort; the solution does not depend on them
                pass
        stats["seconds"] = time.perf_counter() - t0
        stats["status"] = pulp.LpStatus[model.prob.status]
        stats["sol_status"] = int(model.prob.sol_status)
        return stats

    def solve(self, problem: AbductionProblem) -> AbductionResult:
        """Solve to proven optimality (or the best solution found within the time limit)."""
        pulp = _pulp()
        t_start = time.perf_counter()
        model = _OptionIP(problem) if self.reduced else _Model(problem)
        build = time.perf_counter() - t_start
        stats: dict[str, Any] = {"backend": self.backend, "build_seconds": build, "reduced": self.reduced,
                                 "variables": len(model.prob.variables()),
                                 "constraints": len(model.prob.constraints)}
        if self.reduced:
            stats["options"] = model.options.n_options
            stats["decision_samples"] = int(model.options.decision_samples.size)
        if self.reduced and not model.x:  # the presolve fixed every sample: nothing left to search
            mask = model.values()
            ev = problem.evaluate(mask)
            status = "optimal" if ev.feasible else "infeasible"
            return AbductionResult(self.name, status, ev.coverage if ev.feasible else None,
                                   ev.secondary if ev.feasible and problem.tie_break else None,
                                   tuple(np.flatnonzero(mask).tolist()) if ev.feasible else (),
                                   ev.n_inconsistent if ev.feasible else 0, True, time.perf_counter() - t_start,
                                   stats)
        s1 = self._run(model, self.time_limit)
        stats["phase1"] = s1
        if model.prob.status == pulp.LpStatusInfeasible:
            return AbductionResult(self.name, "infeasible", None, None, (), 0, True,
                                   time.perf_counter() - t_start, stats)
        if s1["sol_status"] not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return AbductionResult(self.name, "unknown", None, None, (), 0, False,
                                   time.perf_counter() - t_start, stats)
        mask = model.values()
        proven = s1["sol_status"] == pulp.LpSolutionOptimal
        ev = problem.evaluate(mask)
        if problem.tie_break and proven:
            remaining = None
            if self.time_limit is not None:
                remaining = self.time_limit - (time.perf_counter() - t_start)
            if remaining is None or remaining > 0.5:
                model.prob += model.coverage >= ev.coverage, "coverage_floor"
                model.prob.setObjective(model.secondary)
                s2 = self._run(model, remaining)
                stats["phase2"] = s2
                if s2["sol_status"] in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
                    cand = model.values()
                    ev2 = problem.evaluate(cand)
                    if ev2.feasible and ev2.coverage >= ev.coverage and ev2.secondary >= ev.secondary:
                        mask, ev = cand, ev2
                    proven = s2["sol_status"] == pulp.LpSolutionOptimal
                else:
                    proven = False
            else:
                proven = False
        if not ev.feasible:  # a numerical slip of the backend: never report an infeasible set as a solution
            stats["error"] = "backend returned a set violating the constraints"
            return AbductionResult(self.name, "unknown", None, None, (), 0, False,
                                   time.perf_counter() - t_start, stats)
        return AbductionResult(
            solver=self.name, status="optimal" if proven else "feasible", objective=ev.coverage,
            secondary=ev.secondary if problem.tie_break else None,
            chosen=tuple(np.flatnonzero(mask).tolist()), n_inconsistent=ev.n_inconsistent, optimal=proven,
            solve_time=time.perf_counter() - t_start, stats=stats)
