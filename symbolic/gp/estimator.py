"""scikit-learn style estimators over the DEAP search: SymbolicClassifier and SymbolicRegressor.

Example:
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = SymbolicClassifier(population_size=300, generations=5, random_state=0).fit(X, y)
    >>> clf.formula_                       # doctest: +SKIP
    '-X20 - X27 + ...'
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from symbolic.gp.engine import GPConfig, GPResult, run_gp
from symbolic.gp.export import formula_string, to_latex, to_sympy, torch_activation
from symbolic.gp.fitness import LogLossTask, RegressionTask, check_xy, sigmoid
from symbolic.gp.primitives import DEFAULT_FUNCTIONS, Code, argument_names, code_to_string, evaluate_code


class _SymbolicBase(BaseEstimator):
    """Shared constructor arguments, fitting and export (configured by arguments only)."""

    def __init__(self, *, population_size: int = 500, generations: int = 20, tournament_size: int = 20,
                 function_set: tuple[str, ...] = DEFAULT_FUNCTIONS, init_depth: tuple[int, int] = (2, 6),
                 const_range: tuple[float, float] | None = (-1.0, 1.0), parsimony_coefficient: float = 0.001,
                 p_crossover: float = 0.9, p_subtree_mutation: float = 0.01, p_hoist_mutation: float = 0.01,
                 p_point_mutation: float = 0.01, p_point_replace: float = 0.05, max_height: int = 17,
                 hall_of_fame: int = 10, n_jobs: int | None = 1, backend: str = "process",
                 random_state: int | None = None) -> None:
        self.population_size = population_size
        self.generations = generations
        self.tournament_size = tournament_size
        self.function_set = function_set
        self.init_depth = init_depth
        self.const_range = const_range
        self.parsimony_coefficient = parsimony_coefficient
        self.p_crossover = p_crossover
        self.p_subtree_mutation = p_subtree_mutation
        self.p_hoist_mutation = p_hoist_mutation
        self.p_point_mutation = p_point_mutation
        self.p_point_replace = p_point_replace
        self.max_height = max_height
        self.hall_of_fame = hall_of_fame
        self.n_jobs = n_jobs
        self.backend = backend
        self.random_state = random_state

    def _config(self) -> GPConfig:
        seed = self.random_state
        if seed is not None and not isinstance(seed, int | np.integer):
            raise TypeError(f"random_state must be an int or None, got {type(seed).__name__}")
        return GPConfig(
            population_size=self.population_size, generations=self.generations,
            tournament_size=self.tournament_size, function_set=tuple(self.function_set),
            init_depth=tuple(self.init_depth), const_range=self.const_range,
            parsimony_coefficient=self.parsimony_coefficient, p_crossover=self.p_crossover,
            p_subtree_mutation=self.p_subtree_mutation, p_hoist_mutation=self.p_hoist_mutation,
            p_point_mutation=self.p_point_mutation, p_point_replace=self.p_point_replace,
            max_height=self.max_height, hall_of_fame=self.hall_of_fame, n_jobs=self.n_jobs,
            backend=self.backend, seed=None if seed is None else int(seed)).validate()

    def _search(self, task: Any, n_features: int) -> None:
        result: GPResult = run_gp(task, self._config(), n_features)
        self.result_ = result
        self.code_: Code = result.best.code
        self.program_ = code_to_string(self.code_)
        self.best_fitness_ = result.best.fitness
        self.hall_of_fame_ = [p.to_dict() for p in result.hall_of_fame]
        self.history_ = result.history
        self.fit_time_s_ = result.time_s
        self.n_features_in_ = n_features
        self.sympy_ = to_sympy(self.code_)
        self.formula_ = formula_string(self.sympy_)
        self.latex_ = to_latex(self.sympy_)

    def _raw(self, X) -> np.ndarray:
        check_is_fitted(self, "code_")
        X, _ = check_xy(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but this estimator was fitted with {self.n_features_in_}")
        cols = {n: X[:, i] for i, n in enumerate(argument_names(X.shape[1]))}
        with np.errstate(all="ignore"):
            return evaluate_code(self.code_, cols, len(X))

    def univariate_formula(self) -> sp.Expr:
        """The paper's collapse of the best program: every ``X_i`` replaced by one ``x``, simplified."""
        check_is_fitted(self, "code_")
        return to_sympy(self.code_, univariate=True)

    def activation(self):
        """The collapsed best program as a differentiable torch activation module.

        Raises:
            DegenerateProgramError: when the collapse is constant or not finite.
        """
        check_is_fitted(self, "code_")
        return torch_activation(self.code_, name=formula_string(self.univariate_formula()))


class SymbolicClassifier(ClassifierMixin, _SymbolicBase):
    """Binary classification by a program ``f``: P(y = classes_[1] | x) = sigmoid(f(x)).

    Fitness is the mean log loss of the sigmoid output, as in gplearn's SymbolicClassifier
    (probabilities clipped at 1e-15). Fitted attributes: ``program_`` (nested-call text),
    ``formula_`` (simplified, rounded), ``sympy_``, ``latex_``, ``best_fitness_``,
    ``hall_of_fame_``, ``history_`` (per-generation statistics), ``fit_time_s_``, ``classes_``.
    """

    def fit(self, X, y) -> SymbolicClassifier:
        """Search a program on (X, y). ``y`` must hold exactly two classes.

        Raises:
            ValueError: NaN/infinite values in X, mismatched lengths, not exactly two classes.
        """
        X, y = check_xy(X, y)
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"SymbolicClassifier is binary; y has {len(classes)} class(es): {classes[:10].tolist()}")
        self.classes_ = classes
        self._search(LogLossTask(X, (y == classes[1]).astype(np.int64)), X.shape[1])
        return self

    def decision_function(self, X) -> np.ndarray:
        """The raw program output (the logit)."""
        return self._raw(X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, 2); a non-finite program output counts as its sign's limit."""
        z = np.nan_to_num(self._raw(X), nan=0.0, posinf=745.0, neginf=-745.0)
        p = sigmoid(z)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """The more probable class of each row."""
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


class SymbolicRegressor(RegressorMixin, _SymbolicBase):
    """Symbolic regression: the program minimises ``metric`` (mse, rmse or mae) on (X, y)."""

    def __init__(self, *, metric: str = "mse", population_size: int = 500, generations: int = 20,
                 tournament_size: int = 20, function_set: tuple[str, ...] = DEFAULT_FUNCTIONS,
                 init_depth: tuple[int, int] = (2, 6), const_range: tuple[float, float] | None = (-1.0, 1.0),
                 parsimony_coefficient: float = 0.001, p_crossover: float = 0.9,
                 p_subtree_mutation: float = 0.01, p_hoist_mutation: float = 0.01,
                 p_point_mutation: float = 0.01, p_point_replace: float = 0.05, max_height: int = 17,
                 hall_of_fame: int = 10, n_jobs: int | None = 1, backend: str = "process",
                 random_state: int | None = None) -> None:
        # Every argument is spelled out: scikit-learn's get_params/clone read the signature.
        super().__init__(
            population_size=population_size, generations=generations, tournament_size=tournament_size,
            function_set=function_set, init_depth=init_depth, const_range=const_range,
            parsimony_coefficient=parsimony_coefficient, p_crossover=p_crossover,
            p_subtree_mutation=p_subtree_mutation, p_hoist_mutation=p_hoist_mutation,
            p_point_mutation=p_point_mutation, p_point_replace=p_point_replace, max_height=max_height,
            hall_of_fame=hall_of_fame, n_jobs=n_jobs, backend=backend, random_state=random_state)
        self.metric = metric

    def fit(self, X, y) -> SymbolicRegressor:
        """Search a program on (X, y).

        Raises:
            ValueError: NaN/infinite values in X or y, mismatched lengths, unknown metric.
        """
        X, y = check_xy(X, y)
        self._search(RegressionTask(X, np.asarray(y, dtype=np.float64), self.metric), X.shape[1])
        return self

    def predict(self, X) -> np.ndarray:
        """The program's output on each row."""
        return self._raw(X)
