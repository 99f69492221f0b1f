"""Scikit-learn style estimators over rule sets and cascades, fed with concept probabilities.

- :class:`CascadeEstimator` chains rule sets: a stage's inputs are the transformed concept
  distributions (the "leaves", given in ``X``) or the inferred output distributions of earlier stages.
  Stages are learned in order, each from the inferred distributions of the stages before it (as in
  Π-NeSy), so ``y`` must label every stage's output attribute.
- :class:`RuleSetEstimator` is the one-stage case with a plain label array.

Both follow scikit-learn's conventions: configuration in the constructor only, ``fit`` returns self,
fitted state in trailing-underscore attributes, ``get_params``/``set_params``.

Thresholds: stages are grouped in *families* (a family shares one threshold, e.g. all carry rule
sets of MNIST-Add). With ``threshold=None`` and validation data, the thresholds are searched as in
Π-NeSy: start from each family's τ_min (the largest τ_min of its stages), then for each family in
turn try the larger grid values, accepting a move only if validation accuracy grows by more than
``min_improvement``, and moving to the next family after ``stagnation`` non-improving tries. A stage
never uses a threshold below its own τ_min (it would keep no sample).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from symbolic.possibilistic._tensor import ArrayLike, as_tensor
from symbolic.possibilistic.errors import DomainError, NotFittedError, RuleError, ShapeError
from symbolic.possibilistic.explain import Explanation, explain_decision
from symbolic.possibilistic.learning import LearnedParameters, learn_parameters, minimal_threshold, threshold_grid
from symbolic.possibilistic.rules import RuleSet
from symbolic.possibilistic.transforms import TRANSFORMS, check_possibilities, to_possibility

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class Stage:
    """One rule set of a cascade.

    Attributes:
        rule_set: The rule set (its output attribute must be unique in the cascade).
        family: Threshold group; stages of one family share a threshold (default: the rule set name).
    """

    rule_set: RuleSet
    family: str | None = None

    @property
    def group(self) -> str:
        """The family name actually used."""
        return self.family or self.rule_set.name


class _Params:
    """get_params/set_params from the constructor signature (scikit-learn protocol)."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments of this estimator."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params: Any) -> _Params:
        """Set constructor arguments (refitting is needed)."""
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter '{key}'; valid: {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if k != "stages")
        return f"{type(self).__name__}({args})"


class CascadeEstimator(_Params):
    """A cascade of possibilistic rule sets with learned (s, r), fed with concept probabilities.

    Args:
        stages: Rule sets (or :class:`Stage`) in inference order.
        targets: Output attributes that :meth:`score` checks (default: the stage outputs no later
            stage reads).
        transform: ``"antipignistic"`` (Π-NeSy-1) or ``"minimum_specificity"`` (Π-NeSy-2).
        ties: Tie rule of the minimum-specificity transform (``"order"`` or ``"equal"``).
        inputs: ``"probabilities"`` (transformed) or ``"possibilities"`` (used as given).
        threshold: None (search on validation data if given, else each stage's τ_min), one float for
            every family, or a mapping family → float.
        learn: False fixes every s and r to 0 (Π-NeSy's ablation: certain rules).
        grid_size, grid_exponent, epsilon: The threshold grid τ_i = (i/n)^p (1 + ε).
        tol: ε-product tolerance in learning (Π-NeSy: 1e-3).
        min_improvement: Validation accuracy gain needed to accept a threshold move.
        stagnation: Non-improving tries before the search moves to the next family.
        dtype: ``"float32"`` or ``"float64"``.
        device: Torch device for the computations (``"cpu"``, ``"cuda"``).

    Attributes (after fit):
        rule_sets_: The stages' rule sets with learned parameters.
        thresholds_: Family → threshold chosen.
        stage_thresholds_: Output attribute → effective threshold (≥ the stage's τ_min).
        n_kept_: Output attribute → number of kept training samples.
        learned_: Output attribute → :class:`LearnedParameters`.
        search_history_: (thresholds, validation accuracy) of every configuration tried.
        learn_seconds_: Wall time of fit.
    """

    def __init__(self, stages: Sequence[RuleSet | Stage], *, targets: Sequence[str] | None = None,
                 transform: str = "antipignistic", ties: str = "order", inputs: str = "probabilities",
                 threshold: float | Mapping[str, float] | None = None, learn: bool = True,
                 grid_size: int = 30, grid_exponent: float = 5.0, epsilon: float = 1e-3, tol: float = 1e-3,
                 min_improvement: float = 0.01, stagnation: int = 1, dtype: str = "float32",
                 device: str = "cpu"):
        self.stages = stages
        self.targets = targets
        self.transform = transform
        self.ties = ties
        self.inputs = inputs
        self.threshold = threshold
        self.learn = learn
        self.grid_size = grid_size
        self.grid_exponent = grid_exponent
        self.epsilon = epsilon
        self.tol = tol
        self.min_improvement = min_improvement
        self.stagnation = stagnation
        self.dtype = dtype
        self.device = device

    # ------------------------------------------------------------------ structure
    def _stages(self) -> list[Stage]:
        stages = [s if isinstance(s, Stage) else Stage(s) for s in self.stages]
        if not stages:
            raise RuleError("cascade: no stages")
        outputs: set[str] = set()
        leaves: dict[str, tuple] = {}
        for st in stages:
            if not isinstance(st.rule_set, RuleSet):
                raise RuleError(f"cascade: stage {st!r} does not hold a RuleSet")
            rs = st.rule_set
            if rs.output in outputs:
                raise RuleError(f"cascade: output attribute '{rs.output}' is produced by two stages")
            for attr in rs.input_attributes:
                if attr in outputs:
                    continue
                if any(attr == later.rule_set.output for later in stages):
                    raise RuleError(f"cascade: rule set {rs.name} reads '{attr}' before the stage producing it")
                dom = rs.domains[attr]
                if attr in leaves and leaves[attr] != dom:
                    raise DomainError(f"cascade: input '{attr}' has different domains in different rule sets")
                leaves[attr] = dom
            outputs.add(rs.output)
        if self.transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, not {self.transform!r}")
        if self.inputs not in ("probabilities", "possibilities"):
            raise ValueError(f"inputs must be 'probabilities' or 'possibilities', not {self.inputs!r}")
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_DTYPES)}, not {self.dtype!r}")
        return stages

    def _leaves(self, stages: list[Stage]) -> dict[str, tuple]:
        outputs = {st.rule_set.output for st in stages}
        leaves: dict[str, tuple] = {}
        for st in stages:
            for attr in st.rule_set.input_attributes:
                if attr not in outputs:
                    leaves.setdefault(attr, st.rule_set.domains[attr])
        return leaves

    def _targets(self, stages: list[Stage]) -> list[str]:
        if self.targets is not None:
            known = {st.rule_set.output for st in stages}
            bad = [t for t in self.targets if t not in known]
            if bad:
                raise ShapeError(f"cascade: target '{bad[0]}' is not the output of any stage")
            return list(self.targets)
        read = {a for st in stages for a in st.rule_set.input_attributes}
        return [st.rule_set.output for st in stages if st.rule_set.output not in read]

    def _leaf_possibilities(self, X: Mapping[str, ArrayLike], stages: list[Stage]) -> dict[str, torch.Tensor]:
        if not isinstance(X, Mapping):
            raise ShapeError(f"X must be a mapping attribute -> (n_samples, |domain|) array, got {type(X).__name__}")
        dtype = _DTYPES[self.dtype]
        out: dict[str, torch.Tensor] = {}
        n = None
        for attr, dom in self._leaves(stages).items():
            if attr not in X:
                raise ShapeError(f"X lacks input attribute '{attr}' (given: {', '.join(map(str, X)) or 'none'})")
            t = as_tensor(X[attr], f"X['{attr}']", dtype=torch.float64)
            if t.dim() != 2 or t.shape[1] != len(dom):
                raise ShapeError(f"X['{attr}'] has shape {tuple(t.shape)}; expected (n_samples, {len(dom)})")
            if n is None:
                n = t.shape[0]
            elif t.shape[0] != n:
                raise ShapeError(f"X['{attr}'] has {t.shape[0]} rows, other inputs have {n}")
            if self.inputs == "probabilities":
                t = to_possibility(t, self.transform, ties=self.ties)  # type: ignore[arg-type]
            else:
                t = check_possibilities(t, f"X['{attr}']")
            out[attr] = t.to(dtype=dtype, device=self.device)
        return out

    def _label_index(self, y: Mapping[str, ArrayLike], stages: list[Stage], n: int,
                     which: list[str] | None = None) -> dict[str, torch.Tensor]:
        if not isinstance(y, Mapping):
            raise ShapeError(f"y must be a mapping output attribute -> labels, got {type(y).__name__}")
        out: dict[str, torch.Tensor] = {}
        for st in stages:
            rs = st.rule_set
            if which is not None and rs.output not in which:
                continue
            if rs.output not in y:
                raise ShapeError(f"y lacks labels for '{rs.output}' (rule set {rs.name}); given: "
                                 f"{', '.join(map(str, y)) or 'none'}")
            labels = y[rs.output]
            idx = rs.value_index(rs.output, labels)
            if idx.shape[0] != n:
                raise ShapeError(f"y['{rs.output}'] has {idx.shape[0]} labels for {n} samples")
            out[rs.output] = torch.as_tensor(idx, device=self.device)
        return out

    # ------------------------------------------------------------------ learning
    def _run(self, stages: list[Stage], poss: dict[str, torch.Tensor], labels: dict[str, torch.Tensor],
             thresholds: Mapping[str, float] | None, cache: dict) -> dict[str, Any]:
        """Learn every stage in order with ``thresholds`` (None: each stage at its τ_min).

        ``cache`` holds, per stage and upstream thresholds, the premise degrees and per-sample distances,
        and per stage and threshold the learned parameters and inferred outputs, so a threshold search
        recomputes only the stages downstream of the family it moves.
        """
        grid = threshold_grid(self.grid_size, self.grid_exponent, self.epsilon)
        poss = dict(poss)
        params: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        learned: dict[str, LearnedParameters] = {}
        effective: dict[str, float] = {}
        tau_min: dict[str, float] = {}
        upstream: tuple = ()
        for st in stages:
            rs = st.rule_set
            out = rs.output
            key_d = ("degrees", out, upstream)
            if key_d not in cache:
                lam, rho = rs.premise_degrees(poss, check=False)
                d = rs.one_hot_distances(lam, rho, labels[out]) if self.learn else None
                tmin = minimal_threshold(d, grid) if self.learn else float("nan")
                cache[key_d] = (lam, rho, d, tmin)
            lam, rho, d, tmin = cache[key_d]
            if self.learn:
                tau = tmin if thresholds is None else max(float(thresholds[st.group]), tmin)
                tau_min[out] = tmin
            else:
                tau = float("nan")
            key_l = ("learned", out, upstream, tau)
            if key_l not in cache:
                if self.learn:
                    kept = torch.nonzero(d < tau).reshape(-1)
                    A = rs.learning_matrix(lam[kept], rho[kept])
                    Y = torch.nn.functional.one_hot(
                        torch.as_tensor(rs.partition.value_block, device=lam.device)[labels[out][kept]],
                        len(rs.partition)).to(lam.dtype)
                    res = learn_parameters(A, Y, tau, distances=d[kept], tol=self.tol)
                    res.kept = kept.cpu().numpy()[res.kept]
                    s, r = res.s, res.r
                else:
                    res, s, r = None, np.zeros(rs.n_rules), np.zeros(rs.n_rules)
                blocks = rs.infer_blocks(lam, rho, s, r)
                outputs = blocks[:, torch.as_tensor(rs.partition.value_block, device=blocks.device)]
                cache[key_l] = (res, s, r, outputs)
            res, s, r, poss[out] = cache[key_l]
            if res is not None:
                learned[out] = res
            params[out] = (s, r)
            effective[out] = tau
            upstream = upstream + (tau,)
        return {"params": params, "learned": learned, "effective": effective, "tau_min": tau_min}

    def fit(self, X: Mapping[str, ArrayLike], y: Mapping[str, ArrayLike],
            X_valid: Mapping[str, ArrayLike] | None = None,
            y_valid: Mapping[str, ArrayLike] | None = None) -> CascadeEstimator:
        """Learn every stage's (s, r); search thresholds on (X_valid, y_valid) when given and threshold is None.

        Args:
            X: Leaf attribute → concept probabilities (n_samples, |domain|), e.g. CNN softmax outputs.
            y: Output attribute of every stage → labels (domain values), length n_samples.
            X_valid, y_valid: Validation data for the threshold search (``y_valid`` needs only the targets).

        Returns:
            self.
        """
        t0 = time.perf_counter()
        stages = self._stages()
        poss = self._leaf_possibilities(X, stages)
        n = next(iter(poss.values())).shape[0]
        labels = self._label_index(y, stages, n)
        cache: dict = {}
        families = list(dict.fromkeys(st.group for st in stages))
        history: list[tuple[dict[str, float], float | None]] = []
        targets = self._targets(stages)
        if self.threshold is None:
            run = self._run(stages, poss, labels, None, cache)
            chosen = {f: max(run["tau_min"].get(st.rule_set.output, 0.0) for st in stages if st.group == f)
                      for f in families} if self.learn else {}
            if self.learn and X_valid is not None and y_valid is not None:
                chosen, run, history = self._search(stages, poss, labels, X_valid, y_valid, chosen, cache, targets)
            elif self.learn:
                run = self._run(stages, poss, labels, chosen, cache)
        else:
            chosen = ({f: float(self.threshold) for f in families} if not isinstance(self.threshold, Mapping)
                      else {f: float(self.threshold[f]) for f in families if f in self.threshold})
            missing = [f for f in families if f not in chosen]
            if missing:
                raise ShapeError(f"threshold mapping lacks family '{missing[0]}' (families: {', '.join(families)})")
            run = self._run(stages, poss, labels, chosen, cache)
        self.stages_ = stages
        self.rule_sets_ = {st.rule_set.output: st.rule_set.with_parameters(*run["params"][st.rule_set.output])
                           for st in stages}
        self.thresholds_ = chosen
        self.stage_thresholds_ = run["effective"]
        self.learned_ = run["learned"]
        self.n_kept_ = {k: v.n_kept for k, v in run["learned"].items()}
        self.search_history_ = history
        self.targets_ = targets
        self.learn_seconds_ = time.perf_counter() - t0
        return self

    def _search(self, stages, poss, labels, X_valid, y_valid, start, cache, targets):
        grid = threshold_grid(self.grid_size, self.grid_exponent, self.epsilon)
        vposs = self._leaf_possibilities(X_valid, stages)
        nv = next(iter(vposs.values())).shape[0]
        vlabels = self._label_index(y_valid, stages, nv, which=targets)

        def evaluate(thr: dict[str, float]) -> tuple[float, dict]:
            run = self._run(stages, poss, labels, thr, cache)
            out = self._infer(stages, vposs, run["params"])
            return self._accuracy(stages, out, vlabels, targets), run

        best = dict(start)
        best_acc, best_run = evaluate(best)
        history = [(dict(best), best_acc)]
        for fam in list(best):
            misses = 0
            for tau in (g for g in grid if g > start[fam]):
                if misses >= self.stagnation:
                    break
                trial = dict(best)
                trial[fam] = float(tau)
                acc, run = evaluate(trial)
                history.append((dict(trial), acc))
                if acc > best_acc + self.min_improvement:
                    best, best_acc, best_run, misses = trial, acc, run, 0
                else:
                    misses += 1
        return best, best_run, history

    # ------------------------------------------------------------------ inference
    def _infer(self, stages: list[Stage], poss: dict[str, torch.Tensor],
               params: Mapping[str, tuple[np.ndarray, np.ndarray]], keep_degrees: bool = False) -> dict[str, Any]:
        poss = dict(poss)
        degrees: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for st in stages:
            rs = st.rule_set
            lam, rho = rs.premise_degrees(poss, check=False)
            s, r = params[rs.output]
            blocks = rs.infer_blocks(lam, rho, s, r)
            poss[rs.output] = blocks[:, torch.as_tensor(rs.partition.value_block, device=blocks.device)]
            if keep_degrees:
                degrees[rs.output] = (lam, rho)
        return {"poss": poss, "degrees": degrees}

    @staticmethod
    def _decide(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Argmax (first in domain order) and whether the top possibility is tied."""
        top2 = torch.topk(p, k=min(2, p.shape[1]), dim=1)
        pred = torch.argmax(p, dim=1)
        if p.shape[1] < 2:
            return pred, torch.zeros_like(pred, dtype=torch.bool)
        ambiguous = top2.values[:, 0] == top2.values[:, 1]
        return pred, ambiguous

    def _accuracy(self, stages, out, vlabels, targets) -> float:
        ok = None
        for t in targets:
            pred, amb = self._decide(out["poss"][t])
            hit = (pred == vlabels[t]) & ~amb
            ok = hit if ok is None else ok & hit
        return float(ok.double().mean()) if ok is not None and ok.numel() else 0.0

    def _check_fitted(self) -> None:
        if not hasattr(self, "rule_sets_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def _forward(self, X: Mapping[str, ArrayLike], keep_degrees: bool = False) -> dict[str, Any]:
        self._check_fitted()
        poss = self._leaf_possibilities(X, self.stages_)
        params = {k: (rs.s, rs.r) for k, rs in self.rule_sets_.items()}
        return self._infer(self.stages_, poss, params, keep_degrees)

    def predict_possibility(self, X: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
        """Output attribute → possibilities (n_samples, |domain|) for every stage."""
        out = self._forward(X)
        return {st.rule_set.output: out["poss"][st.rule_set.output].cpu().numpy() for st in self.stages_}

    def predict(self, X: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
        """Output attribute → predicted values (the most possible, first in domain order on ties)."""
        out = self._forward(X)
        res: dict[str, np.ndarray] = {}
        for st in self.stages_:
            rs = st.rule_set
            pred, _ = self._decide(out["poss"][rs.output])
            dom = np.empty(len(rs.output_domain), dtype=object)
            dom[:] = list(rs.output_domain)
            vals = dom[pred.cpu().numpy()]
            res[rs.output] = _tighten(vals)
        return res

    def ambiguous(self, X: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
        """Output attribute → bool (n_samples,): the top possibility is tied (scored as an error)."""
        out = self._forward(X)
        return {st.rule_set.output: self._decide(out["poss"][st.rule_set.output])[1].cpu().numpy()
                for st in self.stages_}

    def score(self, X: Mapping[str, ArrayLike], y: Mapping[str, ArrayLike]) -> float:
        """Share of samples whose every target is predicted right and unambiguously."""
        out = self._forward(X)
        n = next(iter(out["poss"].values())).shape[0]
        labels = self._label_index(y, self.stages_, n, which=self.targets_)
        return self._accuracy(self.stages_, out, labels, self.targets_)

    def explain(self, X: Mapping[str, ArrayLike], indices: Sequence[int] | int | None = None
                ) -> list[dict[str, Explanation]]:
        """Per sample, output attribute → :class:`Explanation` of that stage's decision.

        Args:
            X: As in :meth:`predict`.
            indices: Samples to explain (default: all).
        """
        out = self._forward(X, keep_degrees=True)
        n = next(iter(out["poss"].values())).shape[0]
        idx = range(n) if indices is None else ([indices] if isinstance(indices, int) else list(indices))
        res = []
        for i in idx:
            if not -n <= i < n:
                raise ShapeError(f"explain: sample index {i} out of range for {n} samples")
            item = {}
            for st in self.stages_:
                rs = self.rule_sets_[st.rule_set.output]
                lam, rho = out["degrees"][rs.output]
                item[rs.output] = explain_decision(
                    rule_set_name=rs.name, attribute=rs.output, domain=rs.output_domain,
                    labels=[rule.name or rule.text(rs.output) for rule in rs.rules],
                    inside=rs.partition.inside, value_block=rs.partition.value_block,
                    possibilities=out["poss"][rs.output][i].cpu().numpy(),
                    lam=lam[i].cpu().numpy(), rho=rho[i].cpu().numpy(), s=rs.s, r=rs.r)
            res.append(item)
        return res


class RuleSetEstimator(_Params):
    """One possibilistic rule set with learned (s, r); inputs are concept probabilities per attribute.

    Args:
        rule_set: The rule set.
        transform, ties, inputs, threshold, learn, grid_size, grid_exponent, epsilon, tol,
        min_improvement, stagnation, dtype, device: As in :class:`CascadeEstimator` (``threshold`` is a float
        or None).

    Attributes (after fit):
        rule_set_: The rule set with learned parameters.
        s_, r_: The learned parameters (n,).
        threshold_: Threshold used; n_kept_: kept training samples; learned_: :class:`LearnedParameters`.
        learn_seconds_: Wall time of fit.

    Example:
        >>> est = RuleSetEstimator(rule_set).fit({"a": probs}, labels)   # doctest: +SKIP
        >>> est.predict({"a": probs_test})                                # doctest: +SKIP
    """

    def __init__(self, rule_set: RuleSet, *, transform: str = "antipignistic", ties: str = "order",
                 inputs: str = "probabilities", threshold: float | None = None, learn: bool = True,
                 grid_size: int = 30, grid_exponent: float = 5.0, epsilon: float = 1e-3, tol: float = 1e-3,
                 min_improvement: float = 0.01, stagnation: int = 1, dtype: str = "float32", device: str = "cpu"):
        self.rule_set = rule_set
        self.transform = transform
        self.ties = ties
        self.inputs = inputs
        self.threshold = threshold
        self.learn = learn
        self.grid_size = grid_size
        self.grid_exponent = grid_exponent
        self.epsilon = epsilon
        self.tol = tol
        self.min_improvement = min_improvement
        self.stagnation = stagnation
        self.dtype = dtype
        self.device = device

    def _cascade(self) -> CascadeEstimator:
        params = self.get_params()
        rule_set = params.pop("rule_set")
        if not isinstance(rule_set, RuleSet):
            raise RuleError(f"RuleSetEstimator needs a RuleSet, got {type(rule_set).__name__}")
        return CascadeEstimator([rule_set], targets=[rule_set.output], **params)

    def _out(self) -> str:
        return self.rule_set.output

    def fit(self, X: Mapping[str, ArrayLike], y: ArrayLike, X_valid: Mapping[str, ArrayLike] | None = None,
            y_valid: ArrayLike | None = None) -> RuleSetEstimator:
        """Learn (s, r) from concept probabilities ``X`` (attribute → (n, |D|)) and labels ``y`` (n,).

        With ``threshold=None`` and validation data, the threshold is searched on validation accuracy.
        """
        out = self._out()
        cas = self._cascade().fit(X, {out: y}, X_valid, None if y_valid is None else {out: y_valid})
        self.cascade_ = cas
        self.rule_set_ = cas.rule_sets_[out]
        self.s_, self.r_ = self.rule_set_.s, self.rule_set_.r
        self.threshold_ = cas.stage_thresholds_.get(out)
        self.learned_ = cas.learned_.get(out)
        self.n_kept_ = cas.n_kept_.get(out)
        self.search_history_ = cas.search_history_
        self.learn_seconds_ = cas.learn_seconds_
        return self

    def _check(self) -> CascadeEstimator:
        if not hasattr(self, "cascade_"):
            raise NotFittedError("this RuleSetEstimator is not fitted yet; call fit() first")
        return self.cascade_

    def predict_possibility(self, X: Mapping[str, ArrayLike]) -> np.ndarray:
        """Possibility of each output value, (n_samples, |D_b|)."""
        return self._check().predict_possibility(X)[self._out()]

    def predict(self, X: Mapping[str, ArrayLike]) -> np.ndarray:
        """Most possible output value per sample (first in domain order when tied)."""
        return self._check().predict(X)[self._out()]

    def ambiguous(self, X: Mapping[str, ArrayLike]) -> np.ndarray:
        """Whether each sample's top possibility is tied."""
        return self._check().ambiguous(X)[self._out()]

    def score(self, X: Mapping[str, ArrayLike], y: ArrayLike) -> float:
        """Accuracy; ambiguous predictions count as errors."""
        return self._check().score(X, {self._out(): y})

    def explain(self, X: Mapping[str, ArrayLike], indices: Sequence[int] | int | None = None) -> list[Explanation]:
        """One :class:`Explanation` per explained sample."""
        return [item[self._out()] for item in self._check().explain(X, indices)]


def _tighten(vals: np.ndarray) -> np.ndarray:
    """Object array of values → a typed array when every value is a plain number or string."""
    if vals.size and all(isinstance(v, int | float | str | np.generic) and not isinstance(v, bool) for v in vals):
        return np.asarray(vals.tolist())
    return vals
