"""Estimators: rule set and cascade, fed with concept probabilities (synthetic noisy classifiers)."""

from __future__ import annotations

import numpy as np
import pytest

from symbolic.possibilistic import (
    CascadeEstimator,
    Condition,
    DomainError,
    NotFittedError,
    Rule,
    RuleSet,
    RuleSetEstimator,
    ShapeError,
    Stage,
)


def noisy_probs(labels: np.ndarray, rng: np.random.Generator, sharpness: float = 3.0, classes: int = 10) -> np.ndarray:
    """Softmax outputs of an imperfect classifier: right most of the time, confident and wrong sometimes."""
    logits = rng.normal(0, 1, (len(labels), classes))
    logits[np.arange(len(labels)), labels] += sharpness
    p = np.exp(logits)
    return (p / p.sum(1, keepdims=True)).astype(np.float32)


def mod3_rules() -> RuleSet:
    """Π-NeSy style "iff" rules: one rule per output value, premise = every digit mapping to it."""
    return RuleSet("m", {"a": range(10), "m": [0, 1, 2]},
                   [Rule(Condition("a", {d for d in range(10) if d % 3 == v}), v, name=f"a≡{v} (mod 3)")
                    for v in range(3)])


def test_rule_set_estimator_end_to_end() -> None:
    rng = np.random.default_rng(0)
    tr, va, te = (rng.integers(0, 10, n) for n in (3000, 600, 1000))
    Xtr, Xva, Xte = ({"a": noisy_probs(y, rng)} for y in (tr, va, te))
    est = RuleSetEstimator(mod3_rules()).fit(Xtr, tr % 3, Xva, va % 3)
    assert est.n_kept_ > 0 and est.threshold_ > 0
    assert est.s_.shape == (3,) and ((0 <= est.s_) & (est.s_ <= 1)).all()
    pred = est.predict(Xte)
    assert pred.dtype.kind == "i" and set(np.unique(pred)) <= {0, 1, 2}
    pos = est.predict_possibility(Xte)
    assert pos.shape == (1000, 3) and np.all(pos <= 1)
    acc = est.score(Xte, te % 3)
    # The rules are exact, so the system is about as good as the classifier read through them.
    reference = float(((Xte["a"].argmax(1) % 3) == te % 3).mean())
    assert acc >= reference - 0.03, (acc, reference)
    assert len(est.search_history_) >= 2
    expl = est.explain(Xte, 0)[0]
    assert expl.prediction == pred[0] and expl.attribute == "m"
    text = expl.text()
    assert "m = " in text and ("for:" in text or "against:" in text)
    assert isinstance(expl.to_dict()["supporting"], list)
    assert est.get_params()["transform"] == "antipignistic"
    est2 = RuleSetEstimator(mod3_rules(), learn=False).fit(Xtr, tr % 3)
    assert (est2.s_ == 0).all() and (est2.r_ == 0).all()
    # With certain rules and argmax inputs the prediction is the rule image of the top digit.
    np.testing.assert_array_equal(est2.predict(Xte), Xte["a"].argmax(1) % 3)


def test_fixed_threshold_and_min_specificity() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 10, 500)
    X = {"a": noisy_probs(y, rng)}
    est = RuleSetEstimator(mod3_rules(), transform="minimum_specificity", threshold=0.5, dtype="float64").fit(X, y % 3)
    assert est.threshold_ >= 0.5
    assert 0.5 <= est.score(X, y % 3) <= 1.0


def sum_cascade() -> CascadeEstimator:
    pairs = [(i, j) for i in range(10) for j in range(10)]
    rules = [Rule(Condition("a", d), {p for p in pairs if p[0] == d}, name=f"a={d}") for d in range(10)]
    rules += [Rule(Condition("b", d), {p for p in pairs if p[1] == d}, name=f"b={d}") for d in range(10)]
    pair_set = RuleSet("c", {"a": range(10), "b": range(10), "c": pairs}, rules, name="pairs")
    carry = RuleSet("w", {"c": pairs, "w": [0, 1]},
                    [Rule(Condition("c", {p for p in pairs if p[0] + p[1] >= 10}), 1, name="carry")], name="carry")
    digit = RuleSet("y", {"c": pairs, "y": range(10)},
                    [Rule(Condition("c", {p for p in pairs if (p[0] + p[1]) % 10 == v}), v, name=f"sum≡{v}")
                     for v in range(10)], name="digit")
    return CascadeEstimator([Stage(pair_set), Stage(carry), Stage(digit)], targets=["w", "y"])


def test_cascade_sum_of_two_digits() -> None:
    rng = np.random.default_rng(2)
    def data(n):
        a, b = rng.integers(0, 10, n), rng.integers(0, 10, n)
        X = {"a": noisy_probs(a, rng, 4.0), "b": noisy_probs(b, rng, 4.0)}
        y = {"c": list(zip(a.tolist(), b.tolist(), strict=True)), "w": (a + b >= 10).astype(int), "y": (a + b) % 10}
        return X, y, a, b
    Xtr, ytr, _, _ = data(1500)
    Xva, yva, _, _ = data(300)
    Xte, yte, a, b = data(600)
    cas = sum_cascade().fit(Xtr, ytr, Xva, {"w": yva["w"], "y": yva["y"]})
    assert set(cas.thresholds_) == {"pairs", "carry", "digit"}
    assert set(cas.n_kept_) == {"c", "w", "y"}
    acc = cas.score(Xte, {"w": yte["w"], "y": yte["y"]})
    both_right = float(((Xte["a"].argmax(1) == a) & (Xte["b"].argmax(1) == b)).mean())
    assert acc >= both_right - 0.03, (acc, both_right)
    pred = cas.predict(Xte)
    assert set(pred) == {"c", "w", "y"} and pred["y"].shape == (600,)
    assert isinstance(pred["c"][0], tuple)
    ex = cas.explain(Xte, [0, 1])
    assert len(ex) == 2 and set(ex[0]) == {"c", "w", "y"}
    assert "sum≡" in ex[0]["y"].text()
    fixed = sum_cascade().set_params(threshold={"pairs": 0.1, "carry": 0.1, "digit": 0.1}).fit(Xtr, ytr)
    assert all(t >= 0.1 for t in fixed.stage_thresholds_.values())


def test_estimator_errors() -> None:
    est = RuleSetEstimator(mod3_rules())
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict({"a": np.eye(10)})
    with pytest.raises(ShapeError, match="X lacks input attribute 'a'"):
        est.fit({"b": np.eye(10)}, np.zeros(10, dtype=int))
    with pytest.raises(ShapeError, match=r"X\['a'\] has shape \(10, 9\)"):
        est.fit({"a": np.ones((10, 9)) / 9}, np.zeros(10, dtype=int))
    with pytest.raises(DomainError, match="label 7 at position 2"):
        est.fit({"a": np.eye(10)[:3]}, np.array([0, 1, 7]))
    with pytest.raises(ShapeError, match="3 labels for 10 samples"):
        est.fit({"a": np.eye(10)}, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="no parameter 'alpha'"):
        est.set_params(alpha=1)
    with pytest.raises(ShapeError, match="y lacks labels for 'w'"):
        sum_cascade().fit({"a": np.eye(10), "b": np.eye(10)}, {"c": [(i, i) for i in range(10)]})


def test_possibility_inputs_and_json_explanations() -> None:
    import json

    from symbolic.possibilistic import DistributionError, antipignistic

    rng = np.random.default_rng(3)
    y = rng.integers(0, 10, 400)
    p = noisy_probs(y, rng, 5.0)
    a = RuleSetEstimator(mod3_rules(), inputs="possibilities", threshold=0.2).fit({"a": antipignistic(p)}, y % 3)
    b = RuleSetEstimator(mod3_rules(), threshold=0.2).fit({"a": p}, y % 3)
    np.testing.assert_array_equal(a.predict({"a": antipignistic(p)}), b.predict({"a": p}))
    with pytest.raises(DistributionError, match="maximum"):
        a.predict({"a": p})  # probabilities given where possibilities are expected
    ex = b.explain({"a": p}, [0, 1])
    assert len(ex) == 2
    json.dumps(ex[0].to_dict())
    assert ex[0].ranking[0][0] == ex[0].prediction and ex[0].necessity <= 1.0


def test_cascade_structure_errors() -> None:
    from symbolic.possibilistic import RuleError

    first = RuleSet("b", {"a": [0, 1], "b": [0, 1]}, [Rule(Condition("a", 0), 0)])
    second = RuleSet("c", {"b": [0, 1], "c": [0, 1]}, [Rule(Condition("b", 0), 0)])
    with pytest.raises(RuleError, match="reads 'b' before the stage producing it"):
        CascadeEstimator([second, first]).fit({"a": np.eye(2)}, {"b": [0, 1], "c": [0, 1]})
    with pytest.raises(RuleError, match="produced by two stages"):
        CascadeEstimator([first, first]).fit({"a": np.eye(2)}, {"b": [0, 1]})
    with pytest.raises(ShapeError, match="lacks family"):
        CascadeEstimator([first, second], threshold={"rules→b": 0.5}).fit({"a": np.eye(2)}, {"b": [0, 1], "c": [0, 1]})
