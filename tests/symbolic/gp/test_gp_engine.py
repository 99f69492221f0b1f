import pickle
import random
import warnings

import numpy as np
import pytest

from symbolic.gp.engine import GPConfig, Individual, make_toolbox, run_gp
from symbolic.gp.fitness import LogLossTask, RegressionTask
from symbolic.gp.primitives import PAPER_FUNCTIONS, build_pset, code_height


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] * np.cos(X[:, 1]) > 0).astype(int)
    return X, y


def _config(**kw):
    base = dict(population_size=120, generations=5, function_set=PAPER_FUNCTIONS, seed=3)
    base.update(kw)
    return GPConfig(**base)


def test_same_seed_reproduces_the_run_exactly_and_restores_random_state():
    X, y = _data()
    random.seed(123)
    before = random.random()
    random.seed(123)
    a = run_gp(LogLossTask(X, y), _config(), 4)
    assert random.random() == before  # the caller's random stream is untouched
    b = run_gp(LogLossTask(X, y), _config(), 4)
    assert a.best.code == b.best.code
    assert [h["min"] for h in a.history] == [h["min"] for h in b.history]
    c = run_gp(LogLossTask(X, y), _config(seed=4), 4)
    assert [h["median"] for h in c.history] != [h["median"] for h in a.history]


def test_search_improves_and_records_statistics():
    X, y = _data()
    res = run_gp(LogLossTask(X, y), _config(), 4)
    assert len(res.history) == 5
    assert {"gen", "min", "median", "mean", "invalid", "length_mean", "height_mean", "evaluated", "cache_hits",
            "best_so_far", "time_s"} <= set(res.history[0])
    best = [h["best_so_far"] for h in res.history]
    assert best == sorted(best, reverse=True)  # the hall of fame never gets worse
    assert res.best.fitness < res.history[0]["median"]
    assert res.best.fitness <= res.final_best.fitness
    assert len(res.hall_of_fame) == len({p.code for p in res.hall_of_fame})
    assert res.best.fitness < 0.6  # the label is a simple function of X0, X1


def test_regression_recovers_a_polynomial():
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(200, 1))
    y = X[:, 0] ** 2 + X[:, 0]
    res = run_gp(RegressionTask(X, y), GPConfig(population_size=300, generations=15, function_set=("add", "mul"),
                                                const_range=None, seed=0), 1)
    assert res.best.fitness < 1e-10, res.best.text


def test_static_height_limit_holds():
    X, y = _data()
    res = run_gp(LogLossTask(X, y), _config(max_height=4, init_depth=(1, 3), generations=6), 4)
    assert all(code_height(p.code) <= 4 for p in res.hall_of_fame)


def test_no_creator_globals_individuals_pickle_and_runs_repeat_silently():
    pset = build_pset(3, PAPER_FUNCTIONS, (-1.0, 1.0))
    tb = make_toolbox(pset, _config())
    random.seed(0)
    ind = tb.individual()
    ind.fitness.values = (0.5,)
    back = pickle.loads(pickle.dumps(ind))
    assert isinstance(back, Individual) and str(back) == str(ind) and back.fitness.values == (0.5,)
    X, y = _data(100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # DEAP's creator would warn "already created" here
        for _ in range(2):
            run_gp(LogLossTask(X, y), _config(population_size=20, generations=2), 4)


@pytest.mark.parametrize("bad", [dict(population_size=1), dict(tournament_size=500), dict(p_crossover=0.995),
                                 dict(init_depth=(3, 2)), dict(backend="dask"), dict(function_set=("pow",))])
def test_config_validation(bad):
    with pytest.raises(ValueError):
        _config(**bad).validate()


@pytest.mark.slow
def test_process_pool_gives_the_serial_result():
    X, y = _data(300)
    serial = run_gp(LogLossTask(X, y), _config(generations=3), 4)
    pooled = run_gp(LogLossTask(X, y), _config(generations=3, n_jobs=2, backend="process"), 4)
    assert pooled.best.code == serial.best.code
    assert [h["min"] for h in pooled.history] == [h["min"] for h in serial.history]


@pytest.mark.slow
def test_ray_backend_gives_the_serial_result():
    pytest.importorskip("ray", reason="Ray is the optional 'dist' extra")
    import ray

    X, y = _data(200)
    serial = run_gp(LogLossTask(X, y), _config(generations=2, population_size=40), 4)
    try:
        pooled = run_gp(LogLossTask(X, y), _config(generations=2, population_size=40, n_jobs=2, backend="ray"), 4)
    finally:
        ray.shutdown()
    assert pooled.best.code == serial.best.code
