import math

import numpy as np
import pytest

from symbolic.gp.activation_search import NetworkActivationTask, search_activation
from symbolic.gp.engine import GPConfig
from symbolic.gp.fitness import INVALID
from symbolic.gp.primitives import parse_program


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X[:200], y[:200], X[200:], y[200:]


def test_network_task_scores_and_rejects():
    task = NetworkActivationTask(*_data(), hidden=(8,), epochs=2, batch_size=64)
    good = task(parse_program("mul(cos(x), x)"))
    assert math.isfinite(good) and 0 < good < 2
    assert task(parse_program("sub(x, x)")) == INVALID  # constant: refused before training
    assert task(parse_program("mul(cos(x), x)")) == good  # same seed, same score


@pytest.mark.slow
def test_search_activation_returns_a_finite_formula():
    cfg = GPConfig(population_size=6, generations=2, tournament_size=2, init_depth=(1, 2),
                   function_set=("add", "mul", "sin", "tanh"), seed=0)
    res = search_activation(*_data(), config=cfg, hidden=(8,), epochs=2, batch_size=64)
    assert math.isfinite(res.valid_loss) and "x" in res.formula
    assert len(res.result.history) == 2
