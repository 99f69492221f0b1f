"""Rules, partitions, Γ(n), premise degrees and min–max inference."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.possibilistic import (
    Condition,
    DistributionError,
    DomainError,
    Rule,
    RuleError,
    RuleSet,
    ShapeError,
    minmax_product,
)


def pair_rules() -> RuleSet:
    """The pair-tuple rule set of MNIST-Add at one position (20 rules, 100 blocks)."""
    pairs = [(i, j) for i in range(10) for j in range(10)]
    rules = [Rule(Condition("a", d), {p for p in pairs if p[0] == d}, name=f"a={d}") for d in range(10)]
    rules += [Rule(Condition("b", d), {p for p in pairs if p[1] == d}, name=f"b={d}") for d in range(10)]
    return RuleSet("c", {"a": range(10), "b": range(10), "c": pairs}, rules)


def test_partition_and_signs() -> None:
    rs = RuleSet("b", {"a": [0, 1, 2], "b": ["x", "y", "z"]},
                 [Rule(Condition("a", 0), {"x", "y"}), Rule(Condition("a", {1, 2}), {"y", "z"})])
    part = rs.partition
    assert part.blocks == (("y",), ("x",), ("z",))
    assert part.signs == [(1, 2), (1, -2), (-1, 2)]
    np.testing.assert_array_equal(part.value_block, [1, 0, 2])
    gamma = rs.with_parameters([0.1, 0.2], [0.3, 0.4]).gamma().numpy()
    np.testing.assert_allclose(gamma, [[0.1, 1, 0.2, 1], [0.1, 1, 1, 0.4], [1, 0.3, 0.2, 1]])


def test_pair_partition_has_one_block_per_pair() -> None:
    rs = pair_rules()
    assert len(rs.partition) == 100
    assert all(len(b) == 1 for b in rs.partition.blocks)


def test_premise_degrees_single_and_conjunction() -> None:
    rs = RuleSet("o", {"a": [0, 1, 2], "b": [0, 1], "o": [0, 1]},
                 [Rule(Condition("a", {0, 1}), 1), Rule([Condition("a", 2), Condition("b", 1)], 0)])
    pa = np.array([[1.0, 0.3, 0.6]])
    pb = np.array([[0.2, 1.0]])
    lam, rho = rs.premise_degrees({"a": pa, "b": pb})
    # Rule 0: λ = max(1, .3) = 1, ρ = .6. Rule 1: λ = min(.6, 1) = .6, ρ = max(max(1,.3), .2) = 1.
    np.testing.assert_allclose(lam.numpy(), [[1.0, 0.6]])
    np.testing.assert_allclose(rho.numpy(), [[0.6, 1.0]])


@st.composite
def rule_sets(draw):
    da = draw(st.integers(2, 5))
    db = draw(st.integers(2, 5))
    n = draw(st.integers(1, 5))
    rules = []
    for i in range(n):
        p = draw(st.sets(st.integers(0, da - 1), min_size=1, max_size=da))
        q = draw(st.sets(st.integers(0, db - 1), min_size=1, max_size=db))
        s = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))
        r = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))
        rules.append(Rule(Condition("a", p), q, s=s, r=r, name=f"R{i}"))
    return RuleSet("b", {"a": range(da), "b": range(db)}, rules)


def possibility_rows(draw, width: int, rows: int) -> np.ndarray:
    vals = np.array(draw(st.lists(st.sampled_from([0.0, 0.125, 0.5, 0.75, 1.0]), min_size=width * rows,
                                  max_size=width * rows))).reshape(rows, width)
    vals[np.arange(rows), draw(st.lists(st.integers(0, width - 1), min_size=rows, max_size=rows))] = 1.0
    return vals


@settings(max_examples=150, deadline=None)
@given(rule_sets(), st.data())
def test_inference_matches_formula_and_matrix(rs: RuleSet, data) -> None:
    pa = possibility_rows(data.draw, len(rs.domains["a"]), 3)
    out = rs.infer({"a": pa}).numpy()
    lam, rho = rs.premise_degrees({"a": pa})
    for n in range(3):
        for u in rs.output_domain:
            expected = min(max(rule.s, lam[n, i].item()) if u in rule.conclusion else max(rule.r, rho[n, i].item())
                           for i, rule in enumerate(rs.rules))
            assert out[n, u] == expected
        # Γ □ X, with X = [λ1, ρ1, ...], gives the block possibilities.
        X = torch.stack([lam[n], rho[n]], dim=-1).reshape(-1)
        blocks = minmax_product(rs.gamma().to(X.dtype), X)
        np.testing.assert_array_equal(blocks.numpy()[rs.partition.value_block], out[n])


@st.composite
def functional_rule_sets(draw):
    """Rules "if a ∈ g⁻¹(v) then b = v" for a map g: the paper's setting where outputs are normalized."""
    da = draw(st.integers(2, 6))
    db = draw(st.integers(2, 4))
    g = draw(st.lists(st.integers(0, db - 1), min_size=da, max_size=da))
    rules = []
    for v in sorted(set(g)):
        s = draw(st.sampled_from([0.0, 0.3, 1.0]))
        r = draw(st.sampled_from([0.0, 0.3, 1.0]))
        rules.append(Rule(Condition("a", {u for u in range(da) if g[u] == v}), v, s=s, r=r))
    return RuleSet("b", {"a": range(da), "b": range(db)}, rules)


@settings(max_examples=150, deadline=None)
@given(functional_rule_sets(), st.data())
def test_output_normalized_when_conditions_hold(rs: RuleSet, data) -> None:
    pa = possibility_rows(data.draw, len(rs.domains["a"]), 4)
    assert rs.guarantees_normalization({"a": pa}).all()
    out = rs.infer({"a": pa}).numpy()
    np.testing.assert_array_equal(out.max(axis=1), 1.0)


def test_learning_matrix_layout() -> None:
    rs = RuleSet("b", {"a": [0, 1], "b": [0, 1]}, [Rule(Condition("a", 0), 0), Rule(Condition("a", 1), 1)])
    A = rs.learning_matrix(torch.tensor([[0.9, 0.2]]), torch.tensor([[0.2, 0.9]]))
    # Block (b=0) is in Q_1, not in Q_2: (λ1, 1, 1, ρ2); block (b=1): (1, ρ1, λ2, 1).
    np.testing.assert_allclose(A.numpy(), [[[0.9, 1, 1, 0.9], [1, 0.2, 0.2, 1]]])
    np.testing.assert_array_equal(rs.block_targets([1, 0]).numpy(), [[0, 1], [1, 0]])


def test_rule_errors_name_the_rule() -> None:
    doms = {"a": [0, 1], "b": [0, 1]}
    with pytest.raises(RuleError, match="rule 0 .*empty premise"):
        RuleSet("b", doms, [Rule([], 0, name="r0")])
    with pytest.raises(RuleError, match="no values"):
        RuleSet("b", doms, [Rule(Condition("a", set()), 0)])
    with pytest.raises(DomainError, match="rule 1 \\(bad\\): value 7 is not in the domain of 'a'"):
        RuleSet("b", doms, [Rule(Condition("a", 0), 0), Rule(Condition("a", 7), 1, name="bad")])
    with pytest.raises(DomainError, match="conclusion value 3"):
        RuleSet("b", doms, [Rule(Condition("a", 0), 3)])
    with pytest.raises(DomainError, match="'z' has no declared domain"):
        RuleSet("b", doms, [Rule(Condition("z", 0), 0)])
    with pytest.raises(RuleError, match="parameter s=1.5"):
        RuleSet("b", doms, [Rule(Condition("a", 0), 0, s=1.5)])
    with pytest.raises(RuleError, match="empty conclusion"):
        RuleSet("b", doms, [Rule(Condition("a", 0), set())])
    with pytest.raises(RuleError, match="no rules"):
        RuleSet("b", doms, [])


def test_input_errors_name_the_attribute() -> None:
    rs = RuleSet("b", {"a": [0, 1, 2], "c": [0, 1], "b": [0, 1]},
                 [Rule([Condition("a", 0), Condition("c", 1)], 0)])
    with pytest.raises(ShapeError, match="missing input attribute 'c'"):
        rs.premise_degrees({"a": np.eye(3)})
    with pytest.raises(ShapeError, match="input 'a' has shape \\(3, 2\\); expected \\(batch, 3\\)"):
        rs.premise_degrees({"a": np.ones((3, 2)), "c": np.ones((3, 2))})
    with pytest.raises(ShapeError, match="'c' has 2 rows"):
        rs.premise_degrees({"a": np.eye(3), "c": np.ones((2, 2))})
    with pytest.raises(DistributionError, match="c: .* row 1 has maximum 0.5"):
        rs.premise_degrees({"a": np.eye(3), "c": np.array([[1, 0], [0.5, 0.5], [1, 1]])})
    with pytest.raises(DomainError, match="label 5 at position 1"):
        rs.value_index("b", [0, 5])


@settings(max_examples=100, deadline=None)
@given(rule_sets(), st.data())
def test_one_hot_distances_equal_generic_kernel(rs: RuleSet, data) -> None:
    from symbolic.possibilistic import sample_distances

    pa = possibility_rows(data.draw, len(rs.domains["a"]), 6)
    labels = data.draw(st.lists(st.sampled_from(list(rs.output_domain)), min_size=6, max_size=6))
    lam, rho = rs.premise_degrees({"a": pa})
    generic = sample_distances(rs.learning_matrix(lam, rho), rs.block_targets(labels), method="literal")
    fast = rs.one_hot_distances(lam, rho, rs.value_index("b", labels))
    np.testing.assert_array_equal(fast.numpy(), generic.numpy())
