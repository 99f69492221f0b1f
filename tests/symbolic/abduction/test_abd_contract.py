"""The written contract of symbolic.abduction: edge cases, validation, ties, exports, no import circles."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbolic.abduction import (
    AbductionInputError,
    AbductionProblem,
    DomainConstraints,
    make_solver,
    solve,
    to_asp_program,
    to_lp_text,
)

PKG = Path(__file__).resolve().parents[3] / "symbolic" / "abduction"
SOLVER_VARIANTS = [("ip-cbc", {}), ("ip-highs", {}), ("asp", {}), ("ip-cbc", {"reduced": False}),
                   ("ip-highs", {"reduced": False}), ("asp", {"reduced": False}), ("asp", {"time_limit": 5.0}),
                   ("heuristic", {}), ("brute", {})]


@pytest.mark.parametrize("name,opts", SOLVER_VARIANTS)
def test_samples_without_atoms(name, opts):
    problem = AbductionProblem.from_predictions({"m0": [None, None]}, DomainConstraints(labels=("a",)), 0.5)
    assert problem.n_atoms == 0 and problem.n_samples == 2
    res = make_solver(name, **opts).solve(problem)
    assert res.feasible and res.objective == 0 and res.chosen == ()
    assert res.optimal is (name != "heuristic")
    assert problem.decide(res.chosen).tolist() == [-1, -1]


@pytest.mark.parametrize("name,opts", SOLVER_VARIANTS[:-2])
def test_samples_without_atoms_and_a_coverage_floor_are_infeasible(name, opts):
    problem = AbductionProblem.from_predictions({"m0": [None, None]}, DomainConstraints(labels=("a",)), 0.5,
                                                min_coverage=1)
    assert make_solver(name, **opts).solve(problem).status == "infeasible"


def test_exports_of_an_empty_instance():
    problem = AbductionProblem.from_predictions({"m0": [None]}, DomainConstraints(labels=("a",)), 0.5)
    assert "Maximize" in to_lp_text(problem) and "#show" in to_asp_program(problem, reduced=False)


def test_one_label_per_source_and_sample_is_validated():
    dc = DomainConstraints(labels=("a", "b"))
    ok = dict(flagged=np.zeros(2, bool), covers=np.ones(2, bool), weight=np.ones(2, int), constraints=dc, theta=0.1)
    AbductionProblem(3, np.array([0, 0]), np.array([0, 1]), np.array([0, 1]), ("m0", "m1"), **ok)
    with pytest.raises(AbductionInputError, match=r"source 'm1' asserts 2 labels for sample 2"):
        AbductionProblem(3, np.array([2, 2]), np.array([0, 1]), np.array([1, 1]), ("m0", "m1"), **ok)


def test_decide_breaks_ties_by_count_then_vocabulary_order_not_source_order():
    dc = DomainConstraints(labels=("a", "b", "c"))  # no conflicts: a, b and c can all be accepted together
    for preds in ({"m0": ["b"], "m1": ["a"]}, {"m0": ["a"], "m1": ["b"]}):
        problem = AbductionProblem.from_predictions(preds, dc, 0.0)
        res = solve(problem, "ip-highs")
        assert res.n_chosen == 2
        assert problem.decide(res.chosen).tolist() == [0]  # equal weight, equal count: "a" comes first
    problem = AbductionProblem.from_predictions({"m0": ["c"], "m1": ["b"], "m2": ["b"]}, dc, 0.0,
                                                confidences={"m0": [1.0], "m1": [0.5], "m2": [0.5]})
    assert problem.decide(solve(problem, "ip-highs").chosen).tolist() == [1]  # weight 100 each; b has 2 atoms


def test_hard_mode_never_accepts_a_self_conflicting_label_even_alone():
    dc = DomainConstraints(labels=("bad", "X", "Y"), exclusive=(("X", "Y"),), implies=(("bad", "X"), ("bad", "Y")),
                           hard=True)
    assert dc.unsatisfiable() == ["bad"]
    problem = AbductionProblem.from_predictions({"m0": ["bad"]}, dc, 1.0)
    ev = problem.evaluate([0])
    assert ev.violates_hard and not ev.feasible
    for name, opts in SOLVER_VARIANTS:
        res = make_solver(name, **opts).solve(problem)
        assert res.chosen == () and res.objective == 0, name
    soft = AbductionProblem.from_predictions({"m0": ["bad"]}, DomainConstraints(
        labels=dc.labels, exclusive=dc.exclusive, implies=dc.implies), 1.0)
    assert solve(soft, "ip-highs").chosen == (0,) and soft.evaluate([0]).n_inconsistent == 1


def test_problem_has_no_exports_and_no_import_circles():
    assert not hasattr(AbductionProblem, "to_lp") and not hasattr(AbductionProblem, "to_asp")
    imports = {}
    for path in PKG.glob("*.py"):
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("symbolic.abduction."):
                targets.add(node.module.rsplit(".", 1)[1])
            elif isinstance(node, ast.Import):
                targets |= {a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("symbolic.abduction.")}
        imports[path.stem] = targets - {path.stem}

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for t in imports.get(todo.pop(), ()):
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen

    circles = sorted(m for m in imports if m != "__init__" and m in reach(m))
    assert circles == [], {m: sorted(imports[m]) for m in circles}


def test_ip_solver_prints_nothing_not_even_the_highs_banner():
    code = ("from symbolic.abduction import AbductionProblem, DomainConstraints, solve\n"
            "dc = DomainConstraints(labels=('a', 'b'), exclusive=(('a', 'b'),))\n"
            "p = AbductionProblem.from_predictions({'m0': ['a', 'b'], 'm1': ['b', 'b']}, dc, 0.5)\n"
            "for s in ('ip-highs', 'ip-cbc'):\n"
            "    for reduced in (True, False):\n"
            "        assert solve(p, s, reduced=reduced).optimal\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=PKG.parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout == "", out.stdout


def test_cbc_log_goes_to_the_logger(caplog):
    dc = DomainConstraints(labels=("a", "b"), exclusive=(("a", "b"),))
    problem = AbductionProblem.from_predictions({"m0": ["a", "b"], "m1": ["b", "b"]}, dc, 0.5)
    with caplog.at_level("INFO", logger="symbolic.abduction.ip"):
        make_solver("ip-cbc", msg=True, reduced=False).solve(problem)
    assert any("CBC log" in r.getMessage() for r in caplog.records)
