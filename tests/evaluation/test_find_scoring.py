"""FIND scorers with hand-written right and wrong interpretations (the sandbox runs every candidate)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from agents.llm import FakeModel
from agents.sandbox import Sandbox
from evaluation.worlds.find import generate_numeric, generate_strings
from evaluation.worlds.find.scoring import (
    SCORE_XS,
    interval_iou,
    last_function_name,
    nmse_score,
    parse_interval,
    score_numeric_code,
    score_string_code,
    unit_test_accuracy,
)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=1, timeout=5.0) as sb:
        yield sb


@pytest.fixture(scope="module")
def numeric():
    return generate_numeric(n=200)


def _first(fns, **attrs):
    return next(f for f in fns if all(getattr(f, k) == v for k, v in attrs.items()))


def test_right_and_wrong_numeric_code(numeric, sandbox):
    f = _first(numeric, family="linear", variant="clean")
    a, b = f.parts[0].params["a"], f.parts[0].params["b"]
    right = f"def f(x):\n    return {a} * x + {b}\n"
    assert score_numeric_code(right, f, sandbox)["pass"] == 1
    close = f"def f(x):\n    return {a * 1.05} * x + {b}\n"  # 5% off the slope: NMSE 0.0025
    assert score_numeric_code(close, f, sandbox)["pass"] == 1
    wrong = f"def f(x):\n    return {-a} * x\n"
    res = score_numeric_code(wrong, f, sandbox)
    assert res["pass"] == 0 and res["nmse"] > 1 and "NMSE" in res["reason"]
    # The scored function is the last def (helpers before it are fine).
    two = f"def helper(x):\n    return x\n\ndef g(x):\n    return {a} * helper(x) + {b}\n"
    assert score_numeric_code(two, f, sandbox)["pass"] == 1


def test_nmse_is_normalised_by_the_mean_square_not_the_variance():
    gt = 100.0 + 0.5 * SCORE_XS / 128  # an offset line
    res = nmse_score(gt, [100.0] * len(gt))  # a constant passes under the reference rule
    assert res["pass"] == 1 and res["nmse"] < 1e-3 and res["nmse_variance"] > 0.9


def test_noisy_functions_are_scored_against_the_served_noise(numeric, sandbox):
    f = _first(numeric, variant="noisy")
    clean_code = "import numpy as np\n\ndef f(x):\n    return " + f.expr + "\n"
    served = lambda xs: f(xs, np.random.default_rng(1))  # noqa: E731
    res = score_numeric_code(clean_code, served, sandbox)
    assert res["nmse"] is not None and res["nmse"] < 0.1 or f.family == "constant"


def test_bad_code_fails_with_a_reason_never_a_crash(numeric, sandbox):
    f = _first(numeric, family="linear", variant="clean")
    cases = {
        None: "no code",
        "": "no code",
        "def f(x) return x": "syntax error",
        "x = 3": "no function",
        "def f(x):\n    raise ValueError('nope')\n": "ValueError",
        "def f(x):\n    while True:\n        pass\n": "timeout",
        "def f(x):\n    return 'seven'\n": "not a number",
        "def f(x):\n    return float('nan')\n": "nan",
        "def f(x):\n    return complex(x, 1)\n": "complex",
        "def f(x):\n    return [x]\n": "not a number",
        "import os\ndef f(x):\n    os.system('true')\n    return x\n": "",
    }
    for code, why in cases.items():
        res = score_numeric_code(code, f, sandbox, timeout=1.0)
        assert res["pass"] == 0, code
        assert why.lower() in (res["reason"] or "").lower(), (code, res["reason"])


def test_ground_truth_nan_points_are_skipped(numeric, sandbox):
    f = _first(numeric, family="log", variant="clean")
    code = "import math\n\ndef f(x):\n    return 0.0 if x <= 0 else " + \
        f.expr.replace("np.log2", "math.log2").replace("np.log10", "math.log10").replace("np.log", "math.log") + "\n"
    res = score_numeric_code(code, f, sandbox)
    assert res["pass"] == 1 and res["points"] == 128


def test_string_code_exact_match(sandbox):
    fns = generate_strings(n=40)
    f = next(g for g in fns if g.ops == ("reverse",) or len(g.ops) == 2)
    res = score_string_code(f.code(), f, f.test_inputs, sandbox)
    assert res["exact_match"] == 1.0 and res["reason"] is None
    res = score_string_code("def f(s):\n    return s\n", f, f.test_inputs, sandbox)
    assert res["exact_match"] < 1.0
    half = "def f(s):\n    if len(s) % 2:\n        raise KeyError(s)\n    return REF(s)\n"
    res = score_string_code(f.code().replace("def f(s):", "def REF(s):") + "\n" + half, f, f.test_inputs, sandbox)
    odd = sum(len(x) % 2 == 1 for x in f.test_inputs)
    assert res["exact_match"] == pytest.approx(1 - odd / 10) and (odd == 0 or "KeyError" in res["reason"])
    assert score_string_code(None, f, f.test_inputs, sandbox)["exact_match"] == 0.0


def test_interval_parsing_and_iou():
    assert parse_interval("defined everywhere; between 10 and 30 the outputs are noise") == (10.0, 30.0)
    assert parse_interval("odd for x < -20.5") == (-128.0, -20.5)
    assert parse_interval("strange for inputs greater than 40") == (40.0, 128.0)
    assert parse_interval("all real numbers") is None
    assert interval_iou((10.0, 30.0), (10.0, 30.0)) == 1.0
    assert interval_iou((10.0, 20.0), (15.0, 25.0)) == pytest.approx(1 / 3)
    assert interval_iou((-128.0, -20.0), (-np.inf, -20.0)) == 1.0
    assert interval_iou(None, (0.0, 5.0)) == 0.0


def test_description_unit_tests_with_a_scripted_evaluator():
    f = generate_strings(n=5)[0]
    right = FakeModel(lambda req, i: "123"[[t for t in f.unit_tests if repr(t["candidates"][0][1]) in
                                           req.messages[0]["content"]][0]["answer"]])
    res = asyncio.run(unit_test_accuracy(right, f.description, f.unit_tests))
    assert res["unit_test_accuracy"] == 1.0 and len(res["answers"]) == 10
    always1 = FakeModel(lambda req, i: "1")
    res = asyncio.run(unit_test_accuracy(always1, f.description, f.unit_tests))
    assert res["unit_test_accuracy"] == sum(t["answer"] == 0 for t in f.unit_tests) / 10
    assert asyncio.run(unit_test_accuracy(always1, "", f.unit_tests))["unit_test_accuracy"] == 0.0
    assert last_function_name("def a(x):\n    pass\ndef b(x):\n    pass\n") == "b"
