"""The benchmarks' rule bases through the public estimator API give what the pre-merge cascades gave.

``fixtures/cascades_before_merge.npz`` holds the predictions, possibilities, learned (s, r), thresholds
and kept-sample counts of the second engine copy that the benchmarks ran before the merge
(``make_cascade_fixture.py`` regenerates it from git); the inputs are regenerated from its seeds.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from symbolic.possibilistic.rulebases import AdditionCascade, SudokuCascade

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("make_cascade_fixture", HERE / "make_cascade_fixture.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

REF = np.load(gen.OUT)
META = json.loads(str(REF["meta"]))["cases"]


def _close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=0, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("name", list(gen.ADDITION))
def test_addition_cascade_matches_pre_merge(name: str) -> None:
    k, transform, learn, search, *_ = gen.ADDITION[name]
    parts = gen.addition_case(name)
    (dt, pt), (dv, pv), (_, pe) = parts["train"], parts["valid"], parts["test"]
    est = clone(AdditionCascade(k, transform=transform, learn=learn, search=search)).fit(pt, dt, pv, dv)
    meta = META[name]
    pred, amb = est.predict(pe, return_ambiguous=True)
    np.testing.assert_array_equal(pred, REF[f"{name}/pred"])
    np.testing.assert_array_equal(amb, REF[f"{name}/ambiguous"])
    poss, lead = est.predict_possibility(pe)
    _close(poss, REF[f"{name}/poss_digits"], "digit possibilities")
    _close(lead, REF[f"{name}/poss_lead"], "leading digit possibilities")
    for attr, rs in est.rule_sets_.items():
        _close(rs.s, REF[f"{name}/s/{attr}"], f"s of {attr}")
        _close(rs.r, REF[f"{name}/r/{attr}"], f"r of {attr}")
    assert est.thresholds_ == pytest.approx(meta["thresholds"] if learn else {}, abs=0)
    if learn:
        assert est.min_thresholds_ == pytest.approx(meta["min_thresholds"], abs=0)
        assert est.n_kept_ == meta["kept"]
    # The old cascade averaged accuracies in float32: equal up to its rounding.
    got = [[*t.values(), a] for t, a in est.search_history_]
    want = [[*t, a] for t, a in meta["search"]] if learn and search else []
    assert len(got) == len(want) and all(g == pytest.approx(w, abs=1e-6) for g, w in zip(got, want, strict=True))
    assert est.valid_accuracy_ == pytest.approx(meta["valid_accuracy"], abs=1e-6, nan_ok=True)


@pytest.mark.parametrize("name", list(gen.SUDOKU))
def test_sudoku_cascade_matches_pre_merge(name: str) -> None:
    size, transform, *_ = gen.SUDOKU[name]
    parts = gen.sudoku_case(name)
    (ct, lt, pt), (_, lv, pv), (_, _, pe) = parts["train"], parts["valid"], parts["test"]
    est = SudokuCascade(size, transform=transform).fit(pt, lt, pv, lv, cells=ct)
    meta = META[name]
    pred, amb = est.predict(pe, return_ambiguous=True)
    np.testing.assert_array_equal(pred, REF[f"{name}/pred"])
    np.testing.assert_array_equal(amb, REF[f"{name}/ambiguous"])
    _close(est.decision_function(pe), REF[f"{name}/scores"], "decision scores")
    pairs = [st.rule_set.output for st in est.stages_[:-1]]
    _close(np.stack([est.rule_sets_[p].s for p in pairs]), REF[f"{name}/pair_s"], "pair s")
    _close(np.stack([est.rule_sets_[p].r for p in pairs]), REF[f"{name}/pair_r"], "pair r")
    _close(est.rule_sets_["c"].s, REF[f"{name}/validity_s"], "validity s")
    _close(est.rule_sets_["c"].r, REF[f"{name}/validity_r"], "validity r")
    assert est.thresholds_ == pytest.approx(meta["thresholds"], abs=0)
    assert est.min_thresholds_ == pytest.approx(meta["min_thresholds"], abs=0)
    kept = [est.n_kept_[p] for p in pairs]
    assert (min(kept), max(kept), est.n_kept_["c"]) == (meta["kept_pairs_min"], meta["kept_pairs_max"],
                                                         meta["kept_validity"])
    assert est.valid_accuracy_ == pytest.approx(meta["valid_accuracy"], abs=1e-6)
    got = [[*t.values(), a] for t, a in est.search_history_]
    assert len(got) == len(meta["search"])
    assert all(g == pytest.approx([*t, a], abs=1e-6) for g, (t, a) in zip(got, meta["search"], strict=True))
