"""Π-NeSy rule bases (MNIST-Add, Sudoku) and their batched learning/inference."""

from __future__ import annotations

import pytest
import torch

from symbolic.possibilistic import kernels, transforms
from symbolic.possibilistic.rulebases import AdditionCascade, Rule, RuleSetSpec, mnist_add_rule_base, sum_digits
from symbolic.possibilistic.rulebases.learning import (
    chebyshev_approximations,
    example_distances,
    infer,
    learning_matrix,
    premise_degrees,
)
from symbolic.possibilistic.rulebases.mnist_add import _structures
from symbolic.possibilistic.rulebases.sudoku import SudokuCascade, sudoku_constraints


def _noisy_digits(n: int, k: int, acc: float, seed: int):
    g = torch.Generator().manual_seed(seed)
    d = torch.randint(0, 10, (n, k), generator=g)
    pred = torch.where(torch.rand(n, k, generator=g) < acc, d, torch.randint(0, 10, (n, k), generator=g))
    logits = torch.randn(n, k, 10, generator=g)
    logits.scatter_add_(2, pred.unsqueeze(-1), torch.full((n, k, 1), 6.0))
    return d, torch.softmax(logits, -1), pred


def _premises(n: int, k_rules: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    lam, rho = torch.rand(n, k_rules, generator=g), torch.rand(n, k_rules, generator=g)
    top = torch.rand(n, k_rules, generator=g) < 0.5           # max(λ, ρ) = 1, as for normalized inputs
    return torch.where(top, 1.0, lam), torch.where(top, rho, 1.0)


def test_rule_base_structure():
    sets = mnist_add_rule_base(3)
    names = [s.name for s in sets]
    assert names == ["c_3", "w_3", "c_2", "w_2", "c_1", "w_1", "y_3", "y_2", "y_1", "y_0"]
    by = {s.name: s for s in sets}
    assert len(by["c_3"].rules) == 20 and len(by["c_2"].rules) == 21
    assert len(by["c_3"].partition().blocks) == 100 and len(by["c_2"].partition().blocks) == 200
    assert all(len(b) == 1 for b in by["c_2"].partition().blocks)       # one block per (a, b, w)
    assert len(by["y_2"].partition().blocks) == 10 and len(by["w_1"].partition().blocks) == 2
    # carry rule premise: exactly the tuples whose sum is >= 10
    assert set(by["w_2"].rules[0].premise) == {t for t in by["c_2"].output_domain if sum(t) >= 10}


def test_rule_set_rejects_bad_rules():
    with pytest.raises(ValueError, match="outside the domain"):
        RuleSetSpec("y", "f", (0, 1), {"x": (0, 1)}, (Rule("x", (2,), "y", (1,)),))
    with pytest.raises(ValueError, match="outside the domain of 'y'"):
        RuleSetSpec("y", "f", (0, 1), {"x": (0, 1)}, (Rule("x", (1,), "y", (5,)),))
    with pytest.raises(ValueError, match="empty premise"):
        RuleSetSpec("y", "f", (0, 1), {"x": (0, 1)}, (Rule("x", (), "y", (1,)),))
    with pytest.raises(ValueError, match="unknown premise attribute"):
        RuleSetSpec("y", "f", (0, 1), {"x": (0, 1)}, (Rule("z", (0,), "y", (1,)),))
    with pytest.raises(ValueError, match="k must be a positive integer"):
        mnist_add_rule_base(0)


@pytest.mark.parametrize("which", ["c_first", "c_next", "y_next", "w_next", "y_lead"])
def test_closed_forms_match_engine_kernels(which):
    comp = getattr(_structures(), which)
    k, n = comp.inside.shape
    b = 8
    lam, rho = _premises(b, n, seed=k + n)
    t = torch.randint(0, k, (b,), generator=torch.Generator().manual_seed(3))
    A = learning_matrix(lam, rho, comp.inside)
    y = torch.nn.functional.one_hot(t, k).float()
    want = kernels.chebyshev_distance(A, y, method="literal")
    got = example_distances(lam, rho, comp.inside, t, comp.groups)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
    approx = kernels.lowest_chebyshev_approximation(A, y, want, tol=1e-3)
    torch.testing.assert_close(chebyshev_approximations(lam, rho, comp.inside, t, want, comp.groups), approx,
                               rtol=0, atol=1e-6)
    s, r = torch.rand(n) * 0.2, torch.rand(n) * 0.2
    x = torch.stack([s, r], -1).flatten()
    gamma = torch.where(comp.inside.repeat_interleave(2, 1) ^ torch.tensor([False, True]).repeat(n), 1.0, 0.0)
    # Γ rows: (s_i, 1) inside, (1, r_i) outside; inference = min–max product of Γ with (λ1, ρ1, ...).
    gamma = torch.where(gamma.bool(), x.expand_as(gamma), 1.0)
    dense = kernels.minmax_product(gamma.expand(b, -1, -1), torch.stack([lam, rho], -1).flatten(-2))
    torch.testing.assert_close(infer(lam, rho, s, r, comp.inside, comp.groups), dense, rtol=0, atol=0)


def test_premise_degrees_match_definition():
    st = _structures()
    pi = transforms.to_possibility(torch.softmax(torch.randn(30, 200) * 3, -1))
    for mask in (st.y_next.masks["c"], st.w_next.masks["c"]):
        lam, rho = premise_degrees(pi, mask)
        x = pi.unsqueeze(-2)
        torch.testing.assert_close(lam, torch.where(mask, x, 0.0).amax(-1))
        torch.testing.assert_close(rho, torch.where(~mask, x, 0.0).amax(-1))


def test_sum_digits():
    a = torch.tensor([[9, 9, 1], [0, 0, 0]])   # units first: 199 and 0
    b = torch.tensor([[1, 0, 0], [5, 0, 0]])   # 1 and 5
    digits, carries = sum_digits(a, b)
    assert digits.tolist() == [[0, 0, 2, 0], [5, 0, 0, 0]]
    assert carries.tolist() == [[1, 1, 0], [0, 0, 0]]


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 3])
def test_cascade_matches_all_digits_right(k):
    """The cascade predicts exactly the sum of the classifier's arg-max digits (never ambiguous).

    So it is right on every example whose digits are all right, and wrong on the others except where
    two digit errors happen to give the right sum anyway.
    """
    n = 300 // k
    da, pa, _ = _noisy_digits(n, k, 0.9, seed=k)
    db, pb, _ = _noisy_digits(n, k, 0.9, seed=k + 10)
    ta, qa, ra = _noisy_digits(150, k, 0.9, seed=k + 20)
    tb, qb, rb = _noisy_digits(150, k, 0.9, seed=k + 30)
    va = _noisy_digits(60, k, 0.9, seed=k + 40)
    vb = _noisy_digits(60, k, 0.9, seed=k + 50)
    model = AdditionCascade(k).fit(pa, pb, da, db, valid=(va[1], vb[1], va[0], vb[0]))
    pred, amb = model.predict(qa, qb)
    truth, _ = sum_digits(ta, tb)
    correct = (pred == truth).all(1) & ~amb
    argmax_sum, _ = sum_digits(ra, rb)
    assert not bool(amb.any())
    assert torch.equal(pred, argmax_sum)
    cnn_right = (ra == ta).all(1) & (rb == tb).all(1)
    assert bool(correct[cnn_right].all())
    assert set(model.report_.kept) == {f"c_{j}" for j in range(1, k + 1)} | {f"w_{j}" for j in range(1, k + 1)} | {
        f"y_{j}" for j in range(0, k + 1)}
    assert model.report_.seconds > 0 and model.report_.search
    # seeded and deterministic
    again = AdditionCascade(k).fit(pa, pb, da, db, valid=(va[1], vb[1], va[0], vb[0]))
    assert all(torch.equal(x.s, y.s) and torch.equal(x.r, y.r) for x, y in zip(model.c_, again.c_, strict=True))


def test_cascade_certain_rules_and_errors():
    da, pa, _ = _noisy_digits(50, 2, 0.9, seed=1)
    db, pb, _ = _noisy_digits(50, 2, 0.9, seed=2)
    model = AdditionCascade(2, "minimum_specificity", learn=False).fit(pa, pb, da, db)
    assert all(float(c.s.abs().sum()) == 0 for c in model.c_)
    with pytest.raises(ValueError, match="shape"):
        model.predict(pa[:, :1], pb)
    with pytest.raises(ValueError, match="sum to 1|sums? to"):
        model.predict(pa * 2, pb)
    with pytest.raises(ValueError, match="needs validation data"):
        AdditionCascade(2).fit(pa, pb, da, db)
    with pytest.raises(ValueError, match="unknown transform"):
        AdditionCascade(2, "bogus")
    with pytest.raises(AttributeError, match="not fitted"):
        AdditionCascade(2).predict(pa, pb)
    with pytest.raises(ValueError, match="0..9"):
        AdditionCascade(2, learn=False).fit(pa, pb, da + 10, db)


@pytest.mark.slow
def test_sudoku_constraints_and_cascade():
    assert len(sudoku_constraints(4)) == 56
    assert len(sudoku_constraints(9)) == 810
    with pytest.raises(ValueError, match="4 or 9"):
        sudoku_constraints(5)
    from evaluation.worlds.sudoku.puzzles import make_puzzles

    labels = torch.arange(4).repeat(2000).numpy()
    g = torch.Generator().manual_seed(0)

    def probs(puzzles, acc=0.97):
        cells = torch.as_tensor(puzzles.cells)
        noisy = torch.where(torch.rand(cells.shape, generator=g) < acc, cells, torch.randint(0, 4, cells.shape,
                                                                                            generator=g))
        logits = torch.randn(*cells.shape, 4, generator=g)
        logits.scatter_add_(-1, noisy.unsqueeze(-1), torch.full((*cells.shape, 1), 6.0))
        return torch.softmax(logits, -1)

    train = make_puzzles(labels, 4, 20, 20, seed=1)
    valid = make_puzzles(labels, 4, 10, 10, seed=2)
    test = make_puzzles(labels, 4, 20, 20, seed=3)
    model = SudokuCascade(4).fit(probs(train), train.cells, train.valid, valid=(probs(valid), valid.valid))
    acc = model.score(probs(test, acc=1.0), test.valid)
    assert acc == 1.0                       # perfect perception → perfect classification
    assert model.decision_scores(probs(test)).shape == (40,)
    with pytest.raises(ValueError, match="shape"):
        model.predict(probs(test)[:, :3])
