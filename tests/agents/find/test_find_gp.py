"""The GP regressor of FIND (agents.find.gp): query design, Python export, scaled fitness, fits."""

from __future__ import annotations

import numpy as np
import pytest

from agents.find.gp import (
    EXEMPLARS,
    GPSettings,
    ScaledRegressionTask,
    code_to_python,
    fit_pairs,
    probe_design,
)
from symbolic.gp.primitives import evaluate_code

SMALL = GPSettings(population_size=120, generations=8)


def _compile(src: str):
    ns: dict = {}
    exec(src, ns)  # our own generated source, not model text
    return ns["f"]


def test_probe_design_is_the_interpreters_budget_of_distinct_integers():
    plan = probe_design(20, 10)
    assert len(plan) == 20 and plan[0] == [float(v) for v in EXEMPLARS]
    later = [x for row in plan[1:] for x in row]
    assert all(len(row) == 10 for row in plan[1:]) and len(later) == 190
    assert all(x == int(x) and -128 <= x <= 128 for x in later)
    every = [x for row in plan for x in row]
    assert len(set(every)) == len(every)  # no integer asked twice
    # one probe per bin of width 25.6 in every round: the design covers the whole range each time
    for row in plan[1:]:
        assert sorted(int((x + 128) // 25.6) for x in row) == list(range(10))
    assert probe_design(20, 10) == plan and probe_design(1, 5) == [plan[0]]
    with pytest.raises(ValueError):
        probe_design(0, 10)


def test_python_export_computes_what_the_engine_computes_guards_included():
    code = ("add", "mul", "X0", "X0", "add", "div", 2.0, "sub", "X0", "X0",
            "add", "log", "sub", "X0", "X0", "add", "exp", "X0", "max", "sqrt", "X0", "tanh", "sin", "X0")
    xs = np.array([-3.0, -0.0005, 0.0, 0.5, 2.0, 30.0])
    with np.errstate(all="ignore"):
        want = 1.5 - 2.0 * evaluate_code(code, {"X0": xs}, len(xs))
    f = _compile(code_to_python(code, 1.5, -2.0))
    assert [f(float(x)) for x in xs] == pytest.approx(want.tolist(), rel=1e-12)
    src = code_to_python(("X0",), 4.0, 0.0)
    assert _compile(src)(123.0) == 4.0 and "_div" not in src  # only the helpers a program uses


def test_scaled_fitness_ignores_scale_and_offset_and_lies_in_zero_one():
    x = np.linspace(-10, 10, 50)
    task = ScaledRegressionTask(x[:, None], 7.0 * np.sin(x) - 3.0)
    assert task(("sin", "X0")) == pytest.approx(0.0, abs=1e-12)
    assert task.scale(np.sin(x)) == pytest.approx((-3.0, 7.0))
    assert 0.0 < task(("X0",)) <= 1.0 and task((0.5,)) == pytest.approx(1.0)  # a constant explains nothing
    assert ScaledRegressionTask(x[:, None], np.full(50, 2.0))(("X0",)) == 0.0


def test_fit_recovers_a_line_and_drops_undefined_outputs():
    xs = [float(v) for row in probe_design(5, 10) for v in row]
    ys: list = [3.0 * x + 1.0 for x in xs]
    ys[0], ys[1], ys[2] = "nan", "inf", None  # what the box answers where the function is undefined
    fit = fit_pairs(xs, ys, SMALL, seed=1)
    assert fit.error is None and fit.pairs == len(xs) - 3 and fit.pairs_given == len(xs)
    assert fit.train_nmse is not None and fit.train_nmse < 1e-6
    f = _compile(fit.code)
    assert f(0.5) == pytest.approx(2.5, rel=1e-4) and f(-100.25) == pytest.approx(-299.75, rel=1e-4)
    again = fit_pairs(xs, ys, SMALL, seed=1)
    assert again.code == fit.code  # seeded


def test_fit_of_a_parabola_with_a_kink_passes_the_nmse_rule():
    def g(x):
        return 0.3 * x * x - 2.0 * abs(x) + 7.0

    xs = [float(v) for row in probe_design(20, 10) for v in row]
    fit = fit_pairs(xs, [g(x) for x in xs], SMALL, seed=0)
    f = _compile(fit.code)
    grid = np.arange(-127.5, 128.0, 1.0)
    gt = np.array([g(float(v)) for v in grid])
    nmse = float(np.sum((gt - np.array([f(float(v)) for v in grid])) ** 2) / np.sum(gt ** 2))
    assert nmse < 0.1, fit.expression


def test_fit_with_too_few_pairs_says_why():
    fit = fit_pairs([1.0, 2.0], [float("nan"), 3.0], SMALL)
    assert fit.code is None and fit.error is not None and "need 2" in fit.error
