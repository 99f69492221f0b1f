"""Abduction problem and solvers: bad input, brute-force agreement, exported texts."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbolic.abduction import (
    AbductionInputError,
    AbductionProblem,
    ASPSolver,
    BruteForceSolver,
    DomainConstraints,
    HeuristicSolver,
    IPSolver,
    UnknownLabelError,
    solve,
)

DC = DomainConstraints.hierarchy({"a": "X", "b": "X", "c": "Y"})
DC_HARD = DomainConstraints.hierarchy({"a": "X", "b": "X", "c": "Y"}, hard=True)
DC_USER = DomainConstraints(labels=("a", "b", "c", "X", "Y", "bad"), exclusive=(("a", "b", "c"), ("X", "Y")),
                            implies=(("a", "X"), ("b", "X"), ("c", "Y"), ("bad", "X"), ("bad", "Y")),
                            nogoods=(("b", "c"),))


def random_problem(seed: int, n: int, m: int, theta: float, dc=DC, tie_break=True, min_coverage=0):
    rng = np.random.default_rng(seed)
    fine = [x for x in ("a", "b", "c", "bad") if x in dc.labels]
    preds, flags, conf = {}, {}, {}
    for j in range(m):
        preds[f"m{j}"] = rng.choice(fine, n).tolist()
        flags[f"m{j}"] = rng.random(n) < 0.35
        conf[f"m{j}"] = rng.random(n)
    preds["coarse"] = rng.choice(["X", "Y"], n).tolist()
    flags["coarse"] = rng.random(n) < 0.25
    conf["coarse"] = rng.random(n)
    return AbductionProblem.from_predictions(preds, dc, theta, flags=flags, confidences=conf,
                                             covering_labels=fine, weight_scale=10, tie_break=tie_break,
                                             min_coverage=min_coverage)


EXACT = [IPSolver("cbc"), IPSolver("highs"), ASPSolver(), IPSolver("cbc", reduced=False),
         IPSolver("highs", reduced=False), ASPSolver(reduced=False)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 4), m=st.integers(1, 2),
       theta=st.sampled_from([0.0, 0.1, 0.25, 1 / 3, 0.5, 1.0]), which=st.sampled_from(["soft", "hard", "user"]),
       tie_break=st.booleans())
def test_exact_solvers_match_brute_force(seed, n, m, theta, which, tie_break):
    dc = {"soft": DC, "hard": DC_HARD, "user": DC_USER}[which]
    problem = random_problem(seed, n, m, theta, dc, tie_break)
    if problem.n_atoms > 12:
        problem = random_problem(seed, 2, 1, theta, dc, tie_break)
    ref = BruteForceSolver().solve(problem)
    assert ref.status == "optimal"
    for solver in EXACT:
        res = solver.solve(problem)
        assert res.status == "optimal" and res.optimal, (solver.name, res.stats)
        assert res.objective == ref.objective, solver.name
        assert res.secondary == ref.secondary, solver.name
        ev = problem.evaluate(res.chosen)
        assert ev.feasible and ev.coverage == res.objective
    heur = HeuristicSolver().solve(problem)
    assert heur.status == "feasible" and not heur.optimal
    assert problem.evaluate(heur.chosen).feasible and heur.objective <= ref.objective


@pytest.mark.slow
def test_exact_solvers_agree_on_medium_instances():
    for seed in range(3):
        problem = random_problem(seed, 150, 4, 0.1)
        results = [s.solve(problem) for s in (IPSolver("cbc"), IPSolver("highs"), ASPSolver())]
        assert all(r.optimal for r in results)
        assert len({(r.objective, r.secondary) for r in results}) == 1
        heur = HeuristicSolver().solve(problem)
        assert heur.objective >= 0.98 * results[0].objective


def test_infeasible_min_coverage_is_reported():
    problem = AbductionProblem.from_predictions({"m": ["a", "b"]}, DC, 0.0, flags={"m": np.array([True, True])},
                                                min_coverage=1)
    for solver in ("ip-cbc", "ip-highs", "asp", "brute"):
        res = solve(problem, solver)
        assert res.status == "infeasible" and res.objective is None and res.chosen == (), solver
    assert solve(problem, "heuristic").status == "unknown"
    for solver in (IPSolver("highs", reduced=False), ASPSolver(reduced=False)):
        assert solver.solve(problem).status == "infeasible"


def test_theta_one_accepts_flagged_and_zero_refuses():
    preds = {"m": ["a", "c"], "n": ["b", "c"]}
    flags = {"m": np.array([True, False]), "n": np.array([True, False])}
    p0 = AbductionProblem.from_predictions(preds, DC, 0.0, flags=flags)
    r0 = solve(p0, "ip-highs")
    assert r0.objective == 1 and r0.n_inconsistent == 0
    assert p0.decide(r0.chosen).tolist() == [-1, DC.index("c")]
    r1 = solve(p0.with_theta(0.5), "asp")
    assert r1.objective == 2 and r1.n_inconsistent == 1


def test_decide_uses_heaviest_label():
    preds = {"m": ["a"], "n": ["a"], "o": ["b"]}
    p = AbductionProblem.from_predictions(preds, DC, 0.0, confidences={"m": [0.2], "n": [0.3], "o": [0.9]})
    res = solve(p, "ip-cbc")
    assert p.decide(res.chosen).tolist() == [DC.index("b")]  # weight 90 beats 20 + 30 under the tie-break


@pytest.mark.parametrize("kwargs, err, match", [
    ({"predictions": {"m": ["a", "b"], "n": ["a"]}}, AbductionInputError, "predictions\\['n'\\] has 1 entries"),
    ({"predictions": {"m": ["a", "zz"]}}, UnknownLabelError, "'zz' is not a known label"),
    ({"predictions": {"m": ["a"]}, "theta": 1.5}, AbductionInputError, "theta must be in \\[0, 1\\]"),
    ({"predictions": {"m": ["a"]}, "theta": float("nan")}, AbductionInputError, "theta must be a finite"),
    ({"predictions": {"m": ["a"]}, "theta": -0.1}, AbductionInputError, "theta must be in"),
    ({"predictions": {"m": ["a"]}, "flags": {"q": [True]}}, AbductionInputError, "flags names sources"),
    ({"predictions": {"m": ["a"]}, "flags": {"m": np.array([True, False])}}, AbductionInputError, "flags\\['m'\\]"),
    ({"predictions": {"m": ["a"]}, "confidences": {"m": [1.5]}}, AbductionInputError, "must lie in \\[0, 1\\]"),
    ({"predictions": {"m": ["a"]}, "covering_labels": ["q"]}, UnknownLabelError, "covering_labels"),
    ({"predictions": {}}, AbductionInputError, "at least one source"),
])
def test_bad_input_is_refused(kwargs, err, match):
    kwargs = {"theta": 0.1, **kwargs}
    with pytest.raises(err, match=match):
        AbductionProblem.from_predictions(constraints=DC, **kwargs)


def test_unknown_solver_and_brute_limit():
    p = random_problem(0, 3, 1, 0.1)
    with pytest.raises(Exception, match="unknown solver 'gurobi'"):
        solve(p, "gurobi")
    with pytest.raises(AbductionInputError, match="at most 16 atoms"):
        BruteForceSolver().solve(random_problem(0, 10, 2, 0.1))


def test_exported_texts_rerun_to_the_same_optimum(tmp_path):
    import clingo
    import highspy

    from symbolic.abduction.asp import to_asp_program
    from symbolic.abduction.ip import to_lp_text

    problem = random_problem(3, 30, 3, 0.2)
    ref = solve(problem, "ip-highs")
    direct = to_asp_program(problem, reduced=False)
    ctl = clingo.Control(["--opt-strategy=usc"])
    ctl.add("base", [], direct)
    ctl.ground([("base", [])])
    costs: list[list[int]] = []
    assert ctl.solve(on_model=lambda m: costs.append(list(m.cost))).exhausted
    assert -costs[-1][0] == ref.objective and -costs[-1][1] == ref.secondary
    assert "option(" in to_asp_program(problem) and "#maximize" in to_asp_program(problem)
    for reduced in (True, False):
        text = to_lp_text(problem, reduced=reduced)
        assert "Maximize" in text and "rate" in text
        path = tmp_path / f"p{reduced}.lp"
        path.write_text(text)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(path))
        h.run()
        assert round(h.getInfo().objective_function_value) == ref.objective, reduced
    assert "incons_" in to_lp_text(problem, reduced=False)


def test_result_is_plain_and_serializable():
    import json
    import pickle

    p = random_problem(1, 5, 2, 0.2)
    for name in ("ip-cbc", "ip-highs", "asp", "heuristic"):
        res = solve(p, name)
        json.dumps(res.to_dict(with_chosen=True))
        assert pickle.loads(pickle.dumps(res)) == res


def test_time_limited_asp_runs_in_a_child_and_agrees():
    problem = random_problem(7, 40, 3, 0.1)
    ref = solve(problem, "ip-highs")
    for strategy in ("auto", "bb", "usc"):
        res = ASPSolver(time_limit=30, opt_strategy=strategy).solve(problem)
        assert res.optimal and (res.objective, res.secondary) == (ref.objective, ref.secondary), strategy
    with pytest.raises(AbductionInputError, match="opt_strategy"):
        ASPSolver(opt_strategy="magic")
    with pytest.raises(AbductionInputError, match="time_limit"):
        IPSolver(time_limit=0)
