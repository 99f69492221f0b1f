"""FIND generators and the black box: counts, determinism, annotations that agree with the served function."""

from __future__ import annotations

import numpy as np
import pytest

from agents.world import ToolError, ToolSet
from evaluation.worlds.find import FunctionBox, generate_numeric, generate_strings, variant_counts
from evaluation.worlds.find.mlp import mlp_code, mlp_outputs, mlp_weights
from evaluation.worlds.find.numeric import ATOMIC_FAMILIES, make_atomic

XS = np.arange(-127.5, 128.0, 1.0)


@pytest.fixture(scope="module")
def numeric():
    return generate_numeric()


@pytest.fixture(scope="module")
def strings():
    return generate_strings()


def test_numeric_counts_match_the_released_set(numeric):
    assert len(numeric) == 1000
    assert variant_counts(numeric) == {"clean": 483, "noisy": 176, "corrupted": 191, "mlp": 150}
    assert sum(f.family in ("sum", "product") for f in numeric) == 150
    assert {f.family for f in numeric} >= set(ATOMIC_FAMILIES)
    assert [f.id for f in numeric[:2]] == ["f00000", "f00001"]


def test_numeric_is_deterministic_and_seeded(numeric):
    again = generate_numeric(n=50)
    assert [f.to_dict() for f in again[:50]] == [f.to_dict() for f in numeric[:50]]
    other = generate_numeric(seed=1)
    assert [f.expr for f in other[:20]] != [f.expr for f in numeric[:20]]


def test_parameters_are_on_the_tenth_grid():
    rng = np.random.default_rng(3)
    for fam in ATOMIC_FAMILIES:
        at = make_atomic(fam, rng)
        for k, v in at.params.items():
            if k != "base":
                assert round(v, 1) == v, (fam, k, v)


def test_code_annotation_computes_the_clean_formula(numeric):
    rng = np.random.default_rng(0)
    for f in [g for g in numeric if g.variant == "clean"][:120]:
        ns: dict = {}
        exec(f.code(), ns)
        xs = rng.uniform(-120, 120, size=5)
        want = f.formula(xs)
        with np.errstate(all="ignore"):
            got = np.array([ns["f"](float(x)) for x in xs])
        np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-9, atol=1e-9)


def test_noise_and_corruption_are_where_the_annotation_says(numeric):
    noisy = next(f for f in numeric if f.variant == "noisy" and f.noise == "gaussian")
    resid = noisy(XS, np.random.default_rng(0)) - noisy.formula(XS)
    assert 0.7 < np.nanstd(resid) < 1.3
    corr = next(f for f in numeric if f.variant == "corrupted" and f.corruption.kind == "inside")
    y = corr(XS, np.random.default_rng(0))
    m = corr.corruption.mask(XS)
    assert m.any() and np.allclose(y[m], corr.corruption.mean, atol=0.6)
    assert np.allclose(y[~m], corr.formula(XS)[~m], equal_nan=True)
    assert "replaced by noise" in corr.description and "replaced by noise" in corr.domain_annotation()


def test_mlp_weights_are_trained_once_and_cached(numeric, tmp_path):
    fns = [f for f in numeric if f.variant == "mlp" and f.family == "linear"][:2]
    w = mlp_weights(fns, cache_dir=tmp_path, steps=400, points=200)
    assert set(w) == {f.id for f in fns} and len(list(tmp_path.glob("*.npz"))) == 2
    for f in fns:
        gt = f.formula(XS)
        pred = mlp_outputs(w[f.id], XS)
        assert np.sum((gt - pred) ** 2) / np.sum(gt ** 2) < 0.05
        ns: dict = {}
        exec(mlp_code(w[f.id]), ns)
        assert ns["f"](3.0) == pytest.approx(float(mlp_outputs(w[f.id], 3.0)))
    again = mlp_weights(fns, cache_dir=tmp_path, steps=400, points=200)
    np.testing.assert_array_equal(again[fns[0].id]["w1"], w[fns[0].id]["w1"])


def test_strings_counts_uniqueness_and_code(strings):
    assert len(strings) == 1000
    assert len({f.ops for f in strings}) == 1000
    assert sum(len(f.ops) == 2 for f in strings) >= 700
    probes = ["apple", "Hello", "code42", "hello world", "racecar"]
    assert len({tuple(f(w) for w in probes) for f in strings}) > 900
    for f in strings[:100]:
        ns: dict = {}
        exec(f.code(), ns)
        assert [ns["f"](x) for x in f.test_inputs] == [f(x) for x in f.test_inputs]
        assert len(f.test_inputs) == 10 and len(f.unit_tests) == 10
    assert [f.to_dict() for f in generate_strings(n=30)] == [f.to_dict() for f in strings[:30]]


def test_unit_tests_have_one_right_pair(strings):
    for f in strings[:50]:
        for t in f.unit_tests:
            outs = [y for _, y in t["candidates"]]
            assert len(set(outs)) == 3
            x, y = t["candidates"][t["answer"]]
            assert f(x) == y


def test_box_is_a_toolset_and_refuses_bad_input(numeric, strings):
    f = next(g for g in numeric if g.variant == "clean" and g.family == "linear")
    box = FunctionBox("numeric", f)
    assert isinstance(box, ToolSet)
    pairs = box.call("run", {"inputs": [0, 1.5]})
    assert pairs[0][0] == 0 and pairs[1][1] == pytest.approx(float(f.formula(1.5)), abs=1e-4)
    assert box.calls == 1 and box.inputs_seen == [0, 1.5]
    with pytest.raises(ToolError) as e:
        box.call("run", {"inputs": ["a"]})
    assert e.value.kind == "bad_arguments"
    with pytest.raises(ToolError):
        box.call("run", {"inputs": [True]})
    with pytest.raises(ToolError):
        box.call("exec", {"inputs": [1]})
    sbox = FunctionBox("strings", strings[0])
    assert sbox.call("run", {"inputs": ["apple"]}) == [["apple", strings[0]("apple")]]
    log = next(g for g in numeric if g.family == "log" and g.variant == "clean")
    assert FunctionBox("numeric", log).call("run", {"inputs": [-5]})[0][1] == "nan"
