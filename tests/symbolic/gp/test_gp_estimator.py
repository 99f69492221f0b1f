import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from symbolic.gp import SymbolicClassifier, SymbolicRegressor
from symbolic.gp.primitives import PAPER_FUNCTIONS


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_classifier_fit_predict_and_exports(cancer):
    X, y = cancer
    labels = np.where(y == 1, "benign", "malignant")
    clf = SymbolicClassifier(population_size=150, generations=4, function_set=PAPER_FUNCTIONS, random_state=0)
    clf.fit(X, labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(1), 1) and np.isfinite(proba).all()
    assert set(clf.predict(X)) <= {"benign", "malignant"}
    assert clf.score(X, labels) > 0.85
    assert isinstance(clf.formula_, str) and clf.latex_ and clf.program_.count("(") >= 1
    assert clf.best_fitness_ == clf.hall_of_fame_[0]["fitness"]
    assert len(clf.history_) == 4
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X[:5]), proba[:5])


def test_estimator_follows_sklearn_conventions(cancer):
    X, y = cancer
    clf = SymbolicClassifier(population_size=50, generations=2, random_state=1)
    assert clone(clf).get_params() == clf.get_params()
    reg = SymbolicRegressor(metric="mae", population_size=50, generations=2, random_state=1)
    assert clone(reg).get_params()["population_size"] == 50
    with pytest.raises(ValueError, match="binary"):
        clf.fit(X, np.arange(len(X)) % 3)
    bad = X.copy()
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match="row 7, column 2"):
        clf.fit(bad, y)
    clf.fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:5, :3])


def test_regressor_and_univariate_activation():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 2))
    y = X[:, 0] * X[:, 1] + X[:, 0]
    reg = SymbolicRegressor(population_size=300, generations=10, function_set=("add", "sub", "mul"),
                            const_range=None, random_state=0).fit(X, y)
    assert reg.best_fitness_ < 1e-10
    assert np.allclose(reg.predict(X), y)
    import sympy as sp
    x = sp.Symbol("x", real=True)
    assert sp.simplify(reg.univariate_formula() - (x**2 + x)) == 0
    import torch
    act = reg.activation()
    assert torch.allclose(act(torch.tensor([3.0])), torch.tensor([12.0]))
