"""symbolic.asp: one clingo session with grounding and solving limits and plain, picklable results."""

import pickle
import time

import pytest

from symbolic.asp import AspResult, AspSession, solve_program, syntax_errors

GROUND_BOMB = "p(X) :- X = 1..100000000."
SOLVE_HARD = "{p(1..60)}. :- #count{X: p(X)} = 30."  # 2^60 models minus some: enumeration never ends


def test_grounding_limit_returns_a_timeout_within_about_the_limit():
    t0 = time.perf_counter()
    res = solve_program(GROUND_BOMB, ground_limit=1.0)
    assert time.perf_counter() - t0 < 3.0
    assert res.status == "timeout" and res.timed_out == "ground" and res.isolated
    assert res.models == () and res.satisfiable is None


def test_total_limit_covers_grounding_too():
    res = solve_program(GROUND_BOMB, time_limit=0.5)
    assert res.status == "timeout" and res.timed_out == "ground"


@pytest.mark.parametrize("isolate", [False, True])
def test_solve_limit_keeps_the_models_found(isolate):
    t0 = time.perf_counter()
    res = solve_program(SOLVE_HARD, models=0, solve_limit=0.5, isolate=isolate)
    assert time.perf_counter() - t0 < 3.0
    assert res.status == "timeout" and res.timed_out == "solve" and res.isolated is isolate
    assert res.n_models > 0 and len(res.models) == 1  # keep="last"
    assert not res.optimality_proven


def test_in_process_refuses_a_grounding_limit():
    with pytest.raises(ValueError, match="grounding"):
        AspSession(ground_limit=1.0, isolate=False)


@pytest.mark.parametrize("limit", [None, 5.0])
def test_syntax_error_comes_back_with_clingos_message(limit):
    res = solve_program("p(1. q :- ", time_limit=limit)
    assert res.status == "error"
    assert "syntax error" in res.error and "<block>:1:4" in res.error
    assert syntax_errors("p(1. q :- ")[0].endswith("syntax error, unexpected ., expecting ) or ;")
    assert syntax_errors("p(1).") == []


@pytest.mark.parametrize("limit", [None, 5.0])
def test_unsat(limit):
    res = solve_program("a. :- a.", time_limit=limit)
    assert res.status == "unsat" and res.satisfiable is False and res.exhausted and res.models == ()


@pytest.mark.parametrize("limit", [None, 5.0])
def test_optimization_reports_cost_and_proof(limit):
    program = "{a; b; c}. :- not a, not b. :- not c. #minimize{3,a: a; 2,b: b; 1,c: c}. #maximize{1@2,c: c}."
    res = solve_program(program, ["--opt-mode=opt"], time_limit=limit)
    assert res.status == "optimal" and res.optimality_proven
    assert res.best.symbols == ("b", "c") and res.cost == (-1, 3)  # priority 2 first (a maximize is negated)
    assert res.ground_seconds >= 0 and res.total_seconds >= res.ground_seconds
    assert "summary.times.total" in res.stats


def test_plain_satisfiable_program_without_optimization():
    res = solve_program("a. b :- a. #show b/0.")
    assert res.status == "sat" and res.best.symbols == ("b",) and res.cost == () and res.optimality_proven


def test_watch_and_on_model_stop():
    session = AspSession(["--project"], models=0, keep="watched", watch=("q",), shown=False)
    session.add("{q}. {r(1..10)}.")
    seen = set()

    def enough(model):
        seen.add(model.watched[0])
        return len(seen) < 2

    res = session.solve(on_model=enough)
    assert res.status == "sat" and sorted(m.watched[0] for m in res.models) == [False, True]
    assert all(m.symbols == () for m in res.models)


def test_program_parts_with_parameters():
    session = AspSession().add("p(n).", name="step", params=["n"]).add("base_atom.")
    res = session.solve([("base", []), ("step", [3])])
    assert res.best.symbols == ("base_atom", "p(3)")


@pytest.mark.parametrize("kw", [{}, {"time_limit": 5.0}, {"ground_limit": 0.3}])
def test_results_are_picklable(kw):
    for program in ("a. b :- a.", "a. :- a.", GROUND_BOMB if kw else "p(.", "{a}. #minimize{1: a}."):
        res = solve_program(program, ["--opt-mode=opt"], **kw)
        back = pickle.loads(pickle.dumps(res))
        assert isinstance(back, AspResult) and back == res
        assert back.to_dict()["status"] == res.status


def test_bad_arguments():
    with pytest.raises(ValueError):
        AspSession(solve_limit=0)
    with pytest.raises(ValueError):
        AspSession(keep="best")
