"""The Π-NeSy rule bases (MNIST-Add, Sudoku) as engine data, and their cascades as scikit-learn estimators."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone

from symbolic.possibilistic import DistributionError, NotFittedError, ShapeError, kernels, learn_parameters
from symbolic.possibilistic.rulebases import AdditionCascade, SudokuCascade, mnist_add_rule_base, sum_digits
from symbolic.possibilistic.rulebases.mnist_add import pair_tuple_rules
from symbolic.possibilistic.rulebases.sudoku import sudoku_constraints, sudoku_rule_base


def _noisy(n: int, k: int, acc: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digits (n, 2, k), fake CNN probabilities (n, 2, k, 10) and the CNN's arg-max digits."""
    g = torch.Generator().manual_seed(seed)
    d = torch.randint(0, 10, (n, 2, k), generator=g)
    pred = torch.where(torch.rand(n, 2, k, generator=g) < acc, d, torch.randint(0, 10, (n, 2, k), generator=g))
    logits = torch.randn(n, 2, k, 10, generator=g)
    logits.scatter_add_(-1, pred.unsqueeze(-1), torch.full((n, 2, k, 1), 6.0))
    return d.numpy(), torch.softmax(logits, -1).numpy(), pred.numpy()


def test_rule_base_structure() -> None:
    stages = mnist_add_rule_base(3)
    names = [st.rule_set.output for st in stages]
    assert names == ["c_3", "w_3", "c_2", "w_2", "c_1", "w_1", "y_3", "y_2", "y_1", "y_0"]
    assert [st.group for st in stages[:2]] == ["pair_tuples", "carry"] and stages[-1].group == "output_digits"
    by = {st.rule_set.output: st.rule_set for st in stages}
    assert by["c_3"].n_rules == 20 and by["c_2"].n_rules == 21
    assert len(by["c_3"].partition) == 100 and len(by["c_2"].partition) == 200
    assert all(len(b) == 1 for b in by["c_2"].partition.blocks)        # one block per (a, b, w)
    assert len(by["y_2"].partition) == 10 and len(by["w_1"].partition) == 2
    (cond,) = by["w_2"].rules[0].premise                               # carry: the tuples summing to >= 10
    assert cond.values == {t for t in by["c_2"].output_domain if sum(t) >= 10}
    # positions share their structure, so the output digits y_2, y_1 form one batch
    assert by["y_2"].structure == by["y_1"].structure != by["y_3"].structure
    with pytest.raises(ValueError, match="k must be a positive integer"):
        mnist_add_rule_base(0)
    assert len(sudoku_constraints(4)) == 56 and len(sudoku_constraints(9)) == 810
    with pytest.raises(ValueError, match="4 or 9"):
        sudoku_constraints(5)
    sud = sudoku_rule_base(4)
    assert len(sud) == 57 and len({st.rule_set.structure for st in sud[:-1]}) == 1
    assert len(sud[-1].rule_set.rules[0].premise) == 56                 # one conjunctive validity rule


def test_grouped_inference_equals_dense() -> None:
    rs = pair_tuple_rules(2, 1)                                          # 21 rules about 3 attributes
    assert rs._min_plan                                                  # the grouped path is used
    g = torch.Generator().manual_seed(0)
    t_in, t_out = torch.rand(50, rs.n_rules, generator=g), torch.rand(50, rs.n_rules, generator=g)
    inside = torch.as_tensor(rs.partition.inside)
    dense = torch.where(inside, t_in.unsqueeze(1), t_out.unsqueeze(1)).amin(-1)
    assert torch.equal(rs._min_terms(t_in, t_out), dense)


def test_premise_degrees_fast_paths_equal_definition() -> None:
    g = torch.Generator().manual_seed(1)
    for rs in (pair_tuple_rules(2, 1), mnist_add_rule_base(2)[-2].rule_set, sudoku_rule_base(4)[-1].rule_set):
        poss = {}
        for a in rs.input_attributes:
            p = torch.rand(7, len(rs.domains[a]), generator=g)
            poss[a] = p / p.amax(1, keepdim=True)
        lam, rho = rs.premise_degrees(poss)
        want_l = torch.ones(7, rs.n_rules)
        want_r = torch.zeros(7, rs.n_rules)
        for i, rule in enumerate(rs.rules):
            for c in rule.premise:
                m = torch.zeros(len(rs.domains[c.attribute]), dtype=torch.bool)
                m[rs.value_index(c.attribute, c.values)] = True
                pi = poss[c.attribute]
                want_l[:, i] = torch.minimum(want_l[:, i], torch.where(m, pi, 0.0).amax(1))
                want_r[:, i] = torch.maximum(want_r[:, i], torch.where(~m, pi, 0.0).amax(1))
        assert torch.equal(lam, want_l) and torch.equal(rho, want_r), rs.name


def test_batched_learning_equals_one_by_one() -> None:
    """learn_parameters on F systems at once (dropped samples as neutral rows) = one system at a time."""
    rs = pair_tuple_rules(1, 1)
    g = torch.Generator().manual_seed(2)
    f_count, n = 4, 30
    lam = torch.rand(f_count, n, rs.n_rules, generator=g)
    rho = torch.rand(f_count, n, rs.n_rules, generator=g)
    top = torch.rand(f_count, n, rs.n_rules, generator=g) < 0.5           # max(λ, ρ) = 1
    lam, rho = torch.where(top, 1.0, lam), torch.where(top, rho, 1.0)
    labels = torch.randint(0, 100, (f_count, n), generator=g)
    A = rs.learning_matrix(lam.reshape(-1, rs.n_rules), rho.reshape(-1, rs.n_rules)).reshape(f_count, n, 100, -1)
    Y = torch.nn.functional.one_hot(torch.as_tensor(rs.partition.value_block)[labels], 100).float()
    d = kernels.chebyshev_distance(A, Y)
    thr = torch.quantile(d, 0.6, dim=1) + 1e-6
    batched = learn_parameters(A, Y, thr, distances=d)
    assert isinstance(batched, list) and len(batched) == f_count
    for f in range(f_count):
        one = learn_parameters(A[f], Y[f], float(thr[f]))
        np.testing.assert_allclose(batched[f].s, one.s, atol=1e-6)
        np.testing.assert_allclose(batched[f].r, one.r, atol=1e-6)
        assert np.array_equal(batched[f].kept, one.kept)


def test_sum_digits() -> None:
    a = torch.tensor([[9, 9, 1], [0, 0, 0]])   # units first: 199 and 0
    b = torch.tensor([[1, 0, 0], [5, 0, 0]])   # 1 and 5
    digits, carries = sum_digits(a, b)
    assert digits.tolist() == [[0, 0, 2, 0], [5, 0, 0, 0]]
    assert carries.tolist() == [[1, 1, 0], [0, 0, 0]]


@pytest.mark.parametrize("k", [1, 3])
def test_cascade_predicts_the_sum_of_the_argmax_digits(k: int) -> None:
    """The cascade predicts exactly the sum of the classifier's arg-max digits (never ambiguous).

    So it is right on every example whose digits are all right, and wrong on the others except where
    two digit errors happen to give the right sum anyway.
    """
    d, p, _ = _noisy(300 // k, k, 0.9, seed=k)
    dv, pv, _ = _noisy(60, k, 0.9, seed=k + 40)
    dt, pt, at = _noisy(150, k, 0.9, seed=k + 20)
    model = AdditionCascade(k).fit(p, d, pv, dv)
    pred, amb = model.predict(pt, return_ambiguous=True)
    assert not amb.any()
    assert np.array_equal(pred, sum_digits(at[:, 0], at[:, 1])[0].numpy())
    cnn_right = (at == dt).reshape(len(dt), -1).all(1)
    truth = sum_digits(dt[:, 0], dt[:, 1])[0].numpy()
    assert ((pred == truth).all(1) | ~cnn_right).all()
    assert model.score(pt, dt) == pytest.approx(float((pred == truth).all(1).mean()))
    assert set(model.n_kept_) == {f"c_{j}" for j in range(1, k + 1)} | {f"w_{j}" for j in range(1, k + 1)} | {
        f"y_{j}" for j in range(0, k + 1)}
    assert model.learn_seconds_ > 0 and model.search_history_ and set(model.thresholds_) == {
        "pair_tuples", "carry", "output_digits"}
    digits, lead = model.predict_possibility(pt)
    assert digits.shape == (150, k, 10) and lead.shape == (150, 2)
    again = clone(model).fit(p, d, pv, dv)                                # seeded and deterministic
    assert all(np.array_equal(again.rule_sets_[o].s, rs.s) for o, rs in model.rule_sets_.items())


def test_cascade_is_a_scikit_learn_estimator() -> None:
    est = AdditionCascade(2, transform="minimum_specificity", learn=False)
    params = est.get_params()
    assert params["k"] == 2 and params["transform"] == "minimum_specificity" and "stages" not in params
    twin = clone(est)
    assert twin is not est and twin.get_params() == params
    assert est.set_params(k=1) is est and est.k == 1
    with pytest.raises(ValueError, match="no parameter"):
        est.set_params(bogus=1)
    assert not [a for a in vars(AdditionCascade(2)) if a.endswith("_")]   # unfitted: no fitted state
    sud = clone(SudokuCascade(9, search=False))
    assert sud.get_params()["size"] == 9 and not sud.get_params()["search"]


def test_cascade_certain_rules_and_errors() -> None:
    d, p, _ = _noisy(50, 2, 0.9, seed=1)
    model = AdditionCascade(2, transform="minimum_specificity", learn=False).fit(p, d)
    assert all(float(np.abs(rs.s).sum()) == 0 for rs in model.rule_sets_.values())
    with pytest.raises(ShapeError, match="shape"):
        model.predict(p[:, :, :1])
    with pytest.raises(DistributionError, match="sum to 1|sums? to"):
        model.predict(p * 2)
    with pytest.raises(ValueError, match="transform must be one of"):
        AdditionCascade(2, transform="bogus").fit(p, d)
    with pytest.raises(NotFittedError, match="not fitted"):
        AdditionCascade(2).predict(p)
    with pytest.raises(ShapeError, match="0..9"):
        AdditionCascade(2).fit(p, d + 10)
    with pytest.raises(ShapeError, match="operands' digits"):
        AdditionCascade(2).fit(p, d[:, 0])


@pytest.mark.slow
def test_sudoku_cascade() -> None:
    from evaluation.worlds.sudoku.puzzles import make_puzzles

    labels = torch.arange(4).repeat(2000).numpy()
    g = torch.Generator().manual_seed(0)

    def probs(puzzles, acc=0.97):
        cells = torch.as_tensor(puzzles.cells)
        noisy = torch.where(torch.rand(cells.shape, generator=g) < acc, cells,
                            torch.randint(0, 4, cells.shape, generator=g))
        logits = torch.randn(*cells.shape, 4, generator=g)
        logits.scatter_add_(-1, noisy.unsqueeze(-1), torch.full((*cells.shape, 1), 6.0))
        return torch.softmax(logits, -1).numpy()

    train = make_puzzles(labels, 4, 20, 20, seed=1)
    valid = make_puzzles(labels, 4, 10, 10, seed=2)
    test = make_puzzles(labels, 4, 20, 20, seed=3)
    model = SudokuCascade(4).fit(probs(train), train.valid, probs(valid), valid.valid, cells=train.cells)
    assert model.score(probs(test, acc=1.0), test.valid) == 1.0       # perfect perception → perfect classification
    assert model.decision_function(probs(test)).shape == (40,)
    with pytest.raises(ShapeError, match="shape"):
        model.predict(probs(test)[:, :3])
