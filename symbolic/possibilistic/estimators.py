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
``min_improvement``, and moving to the next family after ``stagnation`` non-improving tries
(:func:`~symbolic.possibilistic.learning.greedy_threshold_search`). A stage never uses a threshold below
its own τ_min (it would keep no sample); a family's τ_min is the largest τ_min of its stages, each
computed with every stage upstream at its own τ_min.

Consecutive stages of one family with the same :attr:`RuleSet.structure` that read none of each
other's outputs are learned and inferred as one batch (stacked along the sample axis), and each
stage's parameters are cached per threshold, so a search re-learns only what a move changes.
The MNIST-Add and Sudoku rule bases (:mod:`symbolic.possibilistic.rulebases`) run on this class.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from symbolic.possibilistic._tensor import ArrayLike, as_tensor, torch_threads
from symbolic.possibilistic.errors import DistributionError, DomainError, NotFittedError, RuleError, ShapeError
from symbolic.possibilistic.explain import Explanation, explain_decision
from symbolic.possibilistic.learning import (
    LearnedParameters,
    greedy_threshold_search,
    learn_parameters,
    minimal_threshold,
    threshold_grid,
)
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


@dataclass(frozen=True)
class _Group:
    """Consecutive stages of one family with equal structure that read none of each other's outputs.

    They are learned and inferred as one batch: the template's computations on the stages' inputs
    stacked along the sample axis (F stages × N samples rows).
    """

    stages: tuple[Stage, ...]

    @property
    def template(self) -> RuleSet:
        return self.stages[0].rule_set

    @property
    def family(self) -> str:
        return self.stages[0].group

    @property
    def outputs(self) -> list[str]:
        return [st.rule_set.output for st in self.stages]


def _group_stages(stages: list[Stage]) -> list[_Group]:
    groups: list[list[Stage]] = []
    for st in stages:
        cur = groups[-1] if groups else None
        if (cur is not None and st.group == cur[0].group and st.rule_set.structure == cur[0].rule_set.structure
                and not set(st.rule_set.input_attributes) & {c.rule_set.output for c in cur}):
            cur.append(st)
        else:
            groups.append([st])
    return [_Group(tuple(g)) for g in groups]


class CascadeEstimator(_Params):
    """A cascade of possibilistic rule sets with learned (s, r), fed with concept probabilities.

    Consecutive stages of one family with equal :attr:`RuleSet.structure` that do not read each other
    (the 810 pair rule sets of a 9×9 Sudoku) are learned and inferred as one batch, with the same result
    as one by one.

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
        search: With ``threshold=None`` and validation data, search the thresholds (False: each
            family's τ_min, validation data only scored).
        grid_size, grid_exponent, epsilon: The threshold grid τ_i = (i/n)^p (1 + ε).
        tol: ε-product tolerance in learning (Π-NeSy: 1e-3).
        min_improvement: Validation accuracy gain needed to accept a threshold move.
        stagnation: Non-improving tries before the search moves to the next family.
        dtype: ``"float32"`` or ``"float64"``: the transforms and everything after run in it.
        device: Torch device for the computations (``"cpu"``, ``"cuda"``).
        n_threads: Torch intra-op threads during fit and inference (None: leave torch's setting).
            The default 1 is fastest on a shared CPU: the work is many small tensor ops.

    Attributes (after fit):
        rule_sets_: The stages' rule sets with learned parameters.
        thresholds_: Family → threshold chosen.
        min_thresholds_: Family → its τ_min (the largest of its stages' τ_min).
        stage_thresholds_: Output attribute → effective threshold (≥ the stage's τ_min).
        n_kept_: Output attribute → number of kept training samples.
        learned_: Output attribute → :class:`LearnedParameters`.
        search_history_: (thresholds, validation accuracy) of every configuration tried.
        valid_accuracy_: Validation accuracy of the chosen thresholds (nan without validation data).
        learn_seconds_: Wall time of fit.
    """

    def __init__(self, stages: Sequence[RuleSet | Stage], *, targets: Sequence[str] | None = None,
                 transform: str = "antipignistic", ties: str = "order", inputs: str = "probabilities",
                 threshold: float | Mapping[str, float] | None = None, learn: bool = True, search: bool = True,
                 grid_size: int = 30, grid_exponent: float = 5.0, epsilon: float = 1e-3, tol: float = 1e-3,
                 min_improvement: float = 0.01, stagnation: int = 1, dtype: str = "float32",
                 device: str = "cpu", n_threads: int | None = 1):
        self.stages = stages
        self.targets = targets
        self.transform = transform
        self.ties = ties
        self.inputs = inputs
        self.threshold = threshold
        self.learn = learn
        self.search = search
        self.grid_size = grid_size
        self.grid_exponent = grid_exponent
        self.epsilon = epsilon
        self.tol = tol
        self.min_improvement = min_improvement
        self.stagnation = stagnation
        self.dtype = dtype
        self.device = device
        self.n_threads = n_threads

    # ------------------------------------------------------------------ structure
    def _stage_list(self) -> Sequence[RuleSet | Stage]:
        """The configured stages (subclasses that build their rule base from parameters override this)."""
        return self.stages

    def _stages(self) -> list[Stage]:
        stages = [s if isinstance(s, Stage) else Stage(s) for s in self._stage_list()]
        if not stages:
            raise RuleError("cascade: no stages")
        outputs: set[str] = set()
        leaves: dict[str, tuple] = {}
        all_outputs = {st.rule_set.output for st in stages if isinstance(st.rule_set, RuleSet)}
        for st in stages:
            if not isinstance(st.rule_set, RuleSet):
                raise RuleError(f"cascade: stage {st!r} does not hold a RuleSet")
            rs = st.rule_set
            if rs.output in outputs:
                raise RuleError(f"cascade: output attribute '{rs.output}' is produced by two stages")
            for attr in rs.input_attributes:
                if attr in outputs:
                    continue
                if attr in all_outputs:
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
        raw: dict[str, torch.Tensor] = {}
        n = None
        for attr, dom in self._leaves(stages).items():
            if attr not in X:
                raise ShapeError(f"X lacks input attribute '{attr}' (given: {', '.join(map(str, X)) or 'none'})")
            # The transform runs in the computation dtype: its ties and roundings are then those of
            # every later step (a float64 transform cast to float32 can split or merge ties).
            t = as_tensor(X[attr], f"X['{attr}']", dtype=dtype)
            if t.dim() != 2 or t.shape[1] != len(dom):
                raise ShapeError(f"X['{attr}'] has shape {tuple(t.shape)}; expected (n_samples, {len(dom)})")
            if n is None:
                n = t.shape[0]
            elif t.shape[0] != n:
                raise ShapeError(f"X['{attr}'] has {t.shape[0]} rows, other inputs have {n}")
            raw[attr] = t
        if self.inputs == "possibilities":
            return {a: check_possibilities(t, f"X['{a}']").to(device=self.device) for a, t in raw.items()}
        # The transforms work row by row: one call per domain width for all the leaves (2k digits of
        # MNIST-Add, 81 Sudoku cells) instead of one per leaf. A bad row is reported by its leaf below.
        out: dict[str, torch.Tensor] = {}
        by_width: dict[int, list[str]] = {}
        for attr, t in raw.items():
            by_width.setdefault(t.shape[1], []).append(attr)
        for attrs in by_width.values():
            try:
                poss = to_possibility(torch.cat([raw[a] for a in attrs]), self.transform,
                                      ties=self.ties)  # type: ignore[arg-type]
            except DistributionError:
                for a in attrs:
                    try:
                        to_possibility(raw[a], self.transform, ties=self.ties)  # type: ignore[arg-type]
                    except DistributionError as exc:
                        raise DistributionError(f"X['{a}']: {exc}") from None
                raise
            for a, t in zip(attrs, poss.to(device=self.device).split(n or 0), strict=True):
                out[a] = t
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

    # ------------------------------------------------------------------ batched stage computations
    @staticmethod
    def _degrees(group: _Group, poss: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Premise degrees of every stage of the group, stacked: (F·N, n), stage-major."""
        tpl = group.template
        if len(group.stages) == 1:
            return tpl.premise_degrees(poss, check=False)
        stacked = {attr: torch.cat([poss[st.rule_set.input_attributes[p]] for st in group.stages])
                   for p, attr in enumerate(tpl.input_attributes)}
        return tpl.premise_degrees(stacked, check=False)

    @staticmethod
    def _outputs(group: _Group, lam: torch.Tensor, rho: torch.Tensor, s: np.ndarray,
                 r: np.ndarray) -> list[torch.Tensor]:
        """Inferred output distributions of every stage, from stacked degrees and parameters (F, n)."""
        tpl = group.template
        n = lam.shape[0] // len(group.stages)
        s_t = torch.as_tensor(s, dtype=lam.dtype, device=lam.device)
        r_t = torch.as_tensor(r, dtype=lam.dtype, device=lam.device)
        if len(group.stages) > 1:  # one row of parameters per stacked sample
            s_t, r_t = s_t.repeat_interleave(n, 0), r_t.repeat_interleave(n, 0)
        blocks = tpl._min_terms(torch.maximum(s_t, lam), torch.maximum(r_t, rho))
        values = blocks[:, tpl.value_block_tensor.to(blocks.device)]
        return list(values.split(n))

    def _learn_group(self, group: _Group, lam: torch.Tensor, rho: torch.Tensor, labels: torch.Tensor,
                     d: torch.Tensor, taus: Sequence[float]) -> list[LearnedParameters]:
        """Learn every stage of the group at its threshold (d: (F, N) distances, labels (F·N,))."""
        tpl = group.template
        f_count, n = d.shape
        value_block = torch.as_tensor(tpl.partition.value_block, device=lam.device)
        k = len(tpl.partition)
        if len(group.stages) == 1:
            kept = torch.nonzero(d[0] < taus[0]).reshape(-1)
            A = tpl.learning_matrix(lam[kept], rho[kept])
            Y = torch.nn.functional.one_hot(value_block[labels[kept]], k).to(lam.dtype)
            res = learn_parameters(A, Y, taus[0], distances=d[0, kept], tol=self.tol)
            assert isinstance(res, LearnedParameters)
            res.kept = kept.cpu().numpy()[res.kept]
            return [res]
        # Per stage, its kept samples first, padded to the group's largest count with dropped samples
        # (distance inf: neutral rows); chunks of stages bound the (F, m, K, 2n) temporaries.
        tau_t = torch.as_tensor(list(taus), dtype=d.dtype, device=d.device)
        keep = d < tau_t.unsqueeze(1)
        order = torch.argsort(keep.to(torch.int8), dim=1, descending=True, stable=True)
        m = int(keep.sum(1).max())
        order = order[:, :m]
        rows = (order + torch.arange(f_count, device=d.device).unsqueeze(1) * n).reshape(-1)
        d_sel = torch.where(torch.gather(keep, 1, order), torch.gather(d, 1, order),
                            torch.full((), math.inf, dtype=d.dtype, device=d.device))
        nr = tpl.n_rules
        step = max(1, (1 << 23) // max(1, m * k * 2 * nr))
        out: list[LearnedParameters] = []
        for f0 in range(0, f_count, step):
            f1 = min(f_count, f0 + step)
            sel = rows[f0 * m:f1 * m]
            A = tpl.learning_matrix(lam[sel], rho[sel]).reshape(f1 - f0, m, k, 2 * nr)
            Y = torch.nn.functional.one_hot(value_block[labels[sel]], k).to(lam.dtype).reshape(f1 - f0, m, k)
            res = learn_parameters(A, Y, tau_t[f0:f1], distances=d_sel[f0:f1], tol=self.tol)
            assert isinstance(res, list)
            for f, item in zip(range(f0, f1), res, strict=True):
                item.kept = order[f, torch.as_tensor(item.kept, dtype=torch.long)].cpu().numpy()
            out += res
        return out

    # ------------------------------------------------------------------ learning
    def _run(self, groups: list[_Group], poss: dict[str, torch.Tensor], labels: dict[str, torch.Tensor],
             thresholds: Mapping[str, float] | None, cache: dict) -> dict[str, Any]:
        """Learn every stage in order with ``thresholds`` (None: each stage at its τ_min).

        ``cache`` holds, per group and upstream thresholds, the premise degrees and per-sample distances,
        and per group and thresholds the learned parameters and inferred outputs, so a threshold search
        recomputes only the groups downstream of the family it moves.
        """
        grid = threshold_grid(self.grid_size, self.grid_exponent, self.epsilon)
        poss = dict(poss)
        params: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        learned: dict[str, LearnedParameters] = {}
        effective: dict[str, float] = {}
        tau_min: dict[str, float] = {}
        upstream: tuple = ()
        for gi, group in enumerate(groups):
            tpl, f_count = group.template, len(group.stages)
            key_d = ("degrees", gi, upstream)
            if key_d not in cache:
                lam, rho = self._degrees(group, poss)
                lab = d = None
                tmin: list[float] = []
                if self.learn:
                    lab = torch.cat([labels[o] for o in group.outputs])
                    d = tpl.one_hot_distances(lam, rho, lab).reshape(f_count, -1)
                    tmin = [minimal_threshold(d[f], grid) for f in range(f_count)]
                cache[key_d] = (lam, rho, lab, d, tmin)
            lam, rho, lab, d, tmin = cache[key_d]
            if self.learn:
                taus = tuple(t if thresholds is None else max(float(thresholds[group.family]), t) for t in tmin)
                tau_min.update(zip(group.outputs, tmin, strict=True))
            else:
                taus = (float("nan"),) * f_count
            key_l = ("learned", gi, upstream, taus)
            if key_l not in cache:
                if self.learn:
                    res: list[LearnedParameters | None] = self._learn_missing(group, gi, upstream, lam, rho, lab, d,
                                                                             taus, cache)
                    s = np.stack([x.s for x in res if x is not None])
                    r = np.stack([x.r for x in res if x is not None])
                else:
                    res = [None] * f_count
                    s = r = np.zeros((f_count, tpl.n_rules))
                cache[key_l] = (res, s, r, self._outputs(group, lam, rho, s, r))
            res, s, r, outs = cache[key_l]
            for f, out in enumerate(group.outputs):
                poss[out] = outs[f]
                if res[f] is not None:
                    learned[out] = res[f]
                params[out] = (s[f], r[f])
                effective[out] = taus[f]
            upstream = upstream + (taus,)
        return {"params": params, "learned": learned, "effective": effective, "tau_min": tau_min}

    def _learn_missing(self, group: _Group, gi: int, upstream: tuple, lam: torch.Tensor, rho: torch.Tensor,
                       lab: torch.Tensor, d: torch.Tensor, taus: tuple[float, ...],
                       cache: dict) -> list[LearnedParameters | None]:
        """The group's stages learned at ``taus``, reusing every stage already learned at its threshold.

        A stage's parameters depend only on its inputs (fixed by ``upstream``) and its own threshold, and
        a family move changes the effective threshold of only some stages (the others stay at their own
        τ_min), so most of a large group is learned once.
        """
        keys = [("stage", gi, f, upstream, t) for f, t in enumerate(taus)]
        missing = [f for f, key in enumerate(keys) if key not in cache]
        if missing:
            f_count, n = d.shape
            rows = (torch.as_tensor(missing, device=lam.device).unsqueeze(1) * n
                    + torch.arange(n, device=lam.device)).reshape(-1)
            sub = lam.shape[0] != rows.numel()
            fresh = self._learn_group(group, lam[rows] if sub else lam, rho[rows] if sub else rho,
                                      lab[rows] if sub else lab, d[missing] if sub else d,
                                      [taus[f] for f in missing])
            for f, item in zip(missing, fresh, strict=True):
                cache[keys[f]] = item
        return [cache[key] for key in keys]

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
        with torch_threads(self.n_threads):
            return self._fit(X, y, X_valid, y_valid)

    def _fit(self, X, y, X_valid, y_valid) -> CascadeEstimator:
        t0 = time.perf_counter()
        stages = self._stages()
        groups = _group_stages(stages)
        poss = self._leaf_possibilities(X, stages)
        n = next(iter(poss.values())).shape[0]
        labels = self._label_index(y, stages, n) if self.learn else {}
        cache: dict = {}
        families = list(dict.fromkeys(st.group for st in stages))
        history: list[tuple[dict[str, float], float]] = []
        targets = self._targets(stages)
        valid = None
        if X_valid is not None and y_valid is not None:
            vposs = self._leaf_possibilities(X_valid, stages)
            nv = next(iter(vposs.values())).shape[0]
            valid = (vposs, self._label_index(y_valid, stages, nv, which=targets))

        def evaluate(run: dict[str, Any]) -> float:
            assert valid is not None
            return self._accuracy(self._infer(groups, valid[0], run["params"]), valid[1], targets)

        run = self._run(groups, poss, labels, None if self.threshold is None or not self.learn else
                        self._fixed_thresholds(families), cache)
        mins = {f: max(run["tau_min"][st.rule_set.output] for st in stages if st.group == f)
                for f in families} if self.learn else {}
        chosen = mins if self.threshold is None else (self._fixed_thresholds(families) if self.learn else {})
        valid_acc = float("nan")
        if self.learn and self.threshold is None:
            if self.search and valid is not None:
                grid = threshold_grid(self.grid_size, self.grid_exponent, self.epsilon)
                chosen, valid_acc, history = greedy_threshold_search(
                    lambda thr: evaluate(self._run(groups, poss, labels, thr, cache)), mins, grid,
                    min_improvement=self.min_improvement, stagnation=self.stagnation)
            run = self._run(groups, poss, labels, chosen, cache)
        if valid is not None and valid_acc != valid_acc:
            valid_acc = evaluate(run)
        self.stages_ = stages
        self.groups_ = groups
        self.rule_sets_ = {st.rule_set.output: st.rule_set.with_parameters(*run["params"][st.rule_set.output])
                           for st in stages}
        self.thresholds_ = chosen
        self.min_thresholds_ = mins
        self.stage_thresholds_ = run["effective"]
        self.learned_ = run["learned"]
        self.n_kept_ = {k: v.n_kept for k, v in run["learned"].items()}
        self.search_history_ = history
        self.valid_accuracy_ = valid_acc
        self.targets_ = targets
        self.learn_seconds_ = time.perf_counter() - t0
        return self

    def _fixed_thresholds(self, families: list[str]) -> dict[str, float]:
        if not isinstance(self.threshold, Mapping):
            return {f: float(self.threshold) for f in families}  # type: ignore[arg-type]
        missing = [f for f in families if f not in self.threshold]
        if missing:
            raise ShapeError(f"threshold mapping lacks family '{missing[0]}' (families: {', '.join(families)})")
        return {f: float(self.threshold[f]) for f in families}

    # ------------------------------------------------------------------ inference
    def _infer(self, groups: list[_Group], poss: dict[str, torch.Tensor],
               params: Mapping[str, tuple[np.ndarray, np.ndarray]], keep_degrees: bool = False) -> dict[str, Any]:
        poss = dict(poss)
        degrees: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        stacked = self._stack_params(groups, params)
        for group, (s, r) in zip(groups, stacked, strict=True):
            lam, rho = self._degrees(group, poss)
            outs = self._outputs(group, lam, rho, s, r)
            n = outs[0].shape[0]
            for f, out in enumerate(group.outputs):
                poss[out] = outs[f]
                if keep_degrees:
                    degrees[out] = (lam[f * n:(f + 1) * n], rho[f * n:(f + 1) * n])
        return {"poss": poss, "degrees": degrees}

    def _stack_params(self, groups: list[_Group], params: Mapping[str, tuple[np.ndarray, np.ndarray]]
                      ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per group, its stages' (s, r) stacked (F, n); the fitted ones are stacked once and kept."""
        fitted = params is getattr(self, "_fitted_params", None)
        if fitted and getattr(self, "_stacked_params", None) is not None:
            return self._stacked_params
        out = [(np.stack([params[o][0] for o in g.outputs]), np.stack([params[o][1] for o in g.outputs]))
               for g in groups]
        if fitted:
            self._stacked_params = out
        return out

    @staticmethod
    def _decide(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Argmax (first in domain order) and whether the top possibility is tied."""
        top2 = torch.topk(p, k=min(2, p.shape[1]), dim=1)
        pred = torch.argmax(p, dim=1)
        if p.shape[1] < 2:
            return pred, torch.zeros_like(pred, dtype=torch.bool)
        ambiguous = top2.values[:, 0] == top2.values[:, 1]
        return pred, ambiguous

    def _accuracy(self, out: dict[str, Any], vlabels: Mapping[str, torch.Tensor], targets: list[str]) -> float:
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
        with torch_threads(self.n_threads):
            poss = self._leaf_possibilities(X, self.stages_)
            if getattr(self, "_fitted_for", None) is not self.rule_sets_:
                # Derived from the fitted rule sets once (not per call): hundreds of stages at k = 100.
                self._fitted_for = self.rule_sets_
                self._fitted_params = {k: (rs.s, rs.r) for k, rs in self.rule_sets_.items()}
                self._stacked_params = None
            return self._infer(self.groups_, poss, self._fitted_params, keep_degrees)

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
        return self._accuracy(out, labels, self.targets_)

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
        transform, ties, inputs, threshold, learn, search, grid_size, grid_exponent, epsilon, tol,
        min_improvement, stagnation, dtype, device, n_threads: As in :class:`CascadeEstimator` (``threshold`` is a float
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
                 search: bool = True, grid_size: int = 30, grid_exponent: float = 5.0, epsilon: float = 1e-3,
                 tol: float = 1e-3, min_improvement: float = 0.01, stagnation: int = 1, dtype: str = "float32",
                 device: str = "cpu", n_threads: int | None = 1):
        self.rule_set = rule_set
        self.transform = transform
        self.ties = ties
        self.inputs = inputs
        self.threshold = threshold
        self.learn = learn
        self.search = search
        self.grid_size = grid_size
        self.grid_exponent = grid_exponent
        self.epsilon = epsilon
        self.tol = tol
        self.min_improvement = min_improvement
        self.stagnation = stagnation
        self.dtype = dtype
        self.device = device
        self.n_threads = n_threads

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
