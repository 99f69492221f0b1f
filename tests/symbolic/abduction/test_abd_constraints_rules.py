"""Domain constraints and DetRuleLearn."""

import numpy as np
import pytest

from symbolic.abduction import (
    AbductionInputError,
    ConditionSet,
    DetRuleLearner,
    DomainConstraints,
    RuleSet,
    UnknownLabelError,
    band_conditions,
    prediction_conditions,
)


def test_hierarchy_conflicts_follow_implications():
    dc = DomainConstraints.hierarchy({"cat": "animal", "dog": "animal", "car": "vehicle"})
    assert dc.conflicts("cat", "dog")            # exclusive fine labels
    assert dc.conflicts("cat", "vehicle")        # cat implies animal, which excludes vehicle
    assert dc.conflicts("car", "animal")
    assert not dc.conflicts("cat", "animal")
    assert not dc.conflicts("dog", "dog")
    assert dc.unsatisfiable() == []
    m = dc.conflict_matrix
    assert (m == m.T).all()


def test_nogoods_and_unsatisfiable_labels():
    dc = DomainConstraints(labels=("a", "b", "x", "y"), exclusive=(("x", "y"),),
                           implies=(("a", "x"), ("a", "y")), nogoods=(("b", "x"),))
    assert dc.unsatisfiable() == ["a"]
    assert dc.conflicts("b", "x") and dc.conflicts("b", "a")
    assert not dc.conflicts("b", "y")


@pytest.mark.parametrize("kwargs, match", [
    ({"labels": ("a", "b"), "exclusive": (("a", "z"),)}, "exclusive group 0 names unknown label 'z'"),
    ({"labels": ("a", "b"), "implies": (("a", "q"),)}, "implication 0 names unknown label 'q'"),
    ({"labels": ("a", "b"), "nogoods": (("w", "a"),)}, "nogood 0 names unknown label 'w'"),
])
def test_unknown_labels_in_constraints_are_named(kwargs, match):
    with pytest.raises(UnknownLabelError, match=match):
        DomainConstraints(**kwargs)


def test_duplicate_and_empty_labels_refused():
    with pytest.raises(AbductionInputError, match="duplicates"):
        DomainConstraints(labels=("a", "a"))
    with pytest.raises(AbductionInputError, match="fine and coarse"):
        DomainConstraints.hierarchy({"a": "a"})


def test_detrulelearn_respects_recall_budget_and_catches_errors():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 3, n)
    noisy = rng.random(n) < 0.5                       # a condition that makes the model wrong
    pred = np.where(noisy & (rng.random(n) < 0.8), (y + 1) % 3, y)
    other = rng.integers(0, 3, n)
    conds = ConditionSet.concat([ConditionSet.from_columns({"noisy": noisy, "never": np.zeros(n, bool)}),
                                 prediction_conditions("other", other, ["a", "b", "c"])])
    for eps in (0.0, 0.1, 0.5):
        learner = DetRuleLearner(epsilon=eps).fit(pred, y, conds, labels=["a", "b", "c"], source="m")
        flagged = learner.flag(pred, conds)
        for li, lab in enumerate("abc"):
            wrongly = int((flagged & (pred == li) & (pred == y)).sum())
            assert wrongly <= eps * int((y == li).sum()) + 1e-9, (eps, lab)
            assert "never" not in learner.rule_set_.rules[lab]   # zero-gain conditions are not added
    learner = DetRuleLearner(epsilon=0.5).fit(pred, y, conds, labels=["a", "b", "c"], source="m")
    assert all("noisy" in learner.rule_set_.rules[lab] for lab in "abc")
    rep = learner.train_report_
    assert rep["recall"] > 0.9 and rep["precision"] > 0.6
    strict = DetRuleLearner(epsilon=0.0).fit(pred, y, conds, labels=["a", "b", "c"]).train_report_
    assert strict["recall_loss"] == 0.0


def test_rules_bad_input():
    conds = ConditionSet.from_columns({"c": [True, False]})
    with pytest.raises(AbductionInputError, match="epsilon"):
        DetRuleLearner(epsilon=1.5).fit(np.array([0, 1]), np.array([0, 1]), conds, labels=["a", "b"])
    with pytest.raises(AbductionInputError, match="all must be equal"):
        DetRuleLearner().fit(np.array([0, 1, 1]), np.array([0, 1, 0]), conds, labels=["a", "b"])
    with pytest.raises(UnknownLabelError, match="outside the label indices"):
        DetRuleLearner().fit(np.array([0, 2]), np.array([0, 1]), conds, labels=["a", "b"])
    with pytest.raises(UnknownLabelError, match="unknown label 'z'"):
        RuleSet("m", ("a", "b"), {"z": ("c",)})
    rs = RuleSet("m", ("a", "b"), {"a": ("missing",)})
    with pytest.raises(AbductionInputError, match="condition 'missing'"):
        rs.flag(np.array([0, 1]), conds)
    with pytest.raises(AbductionInputError, match="differ in length"):
        ConditionSet.from_columns({"a": [True], "b": [True, False]})


def test_band_conditions_partition_the_range():
    v = np.array([0.0, 0.2, 0.5, 0.99, 1.0])
    bands = band_conditions("conf", v, [0.0, 0.5, 1.0])
    assert bands.values.sum(1).tolist() == [1, 1, 1, 1, 1]
    assert bands.names == ("conf in [0,0.5)", "conf in [0.5,1]")
