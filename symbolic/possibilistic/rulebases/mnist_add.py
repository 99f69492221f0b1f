r"""MNIST addition of two k-digit numbers: the Π-NeSy rule base and its learned cascade.

Attribute names follow the paper: the first number's digits are a_1 … a_k (a_1 most significant),
the second's a_{k+1} … a_{2k}; position j = k is the units. Per position j there are three rule sets,
processed from the units upward (a cascade: each set's output distribution is the next one's input):

- **pair tuple** c_j ∈ {0..9}² (j = k) or {0..9}²×{0,1} (j < k, the third component is the incoming
  carry w_{j+1}): 20 rules "if a_j = d then c_j has first component d" and "if a_{k+j} = d then c_j has
  second component d", plus for j < k the rule "if w_{j+1} = 0 then the carry component is 0";
- **carry** w_j ∈ {0,1}: one rule "if c_j ∈ {tuples whose sum ≥ 10} then w_j = 1";
- **output digit** y_j ∈ {0..9}: 10 rules "if c_j ∈ {tuples whose sum mod 10 = d} then y_j = d";
  and the leading digit y_0 ∈ {0,1}: "if w_1 = 0 then y_0 = 0".

Each rule set has its own parameters (s, r), learned in sequence; the pair tuples, carries and output
digits each share one threshold τ, chosen by the greedy search of the paper on validation accuracy.

In the tensors here positions are indexed from the units: p = 0 is j = k, p = k − 1 is j = 1, and the
sum's digits are (units first) y_k, …, y_1, y_0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from symbolic.possibilistic import transforms
from symbolic.possibilistic.rulebases.learning import (
    LearnedRuleSet,
    certain_rules,
    decide,
    example_distances,
    infer,
    learn_parameters,
    min_threshold,
    premise_degrees,
    single_thread,
    threshold_grid,
)
from symbolic.possibilistic.rulebases.spec import Rule, RuleSetSpec

DIGITS = tuple(range(10))
PAIRS = tuple((x, y) for x in DIGITS for y in DIGITS)
TRIPLES = tuple((x, y, w) for x in DIGITS for y in DIGITS for w in (0, 1))
FAMILIES = ("pair_tuples", "carry", "output_digits")


def _tuple_sum(t: tuple[int, ...]) -> int:
    return sum(t)


def pair_tuple_rules(k: int, j: int) -> RuleSetSpec:
    """Rule set c_j (pair tuples) of MNIST-Add-k at position j (1 ≤ j ≤ k)."""
    _check_position(k, j, low=1)
    first, second = f"a_{j}", f"a_{k + j}"
    dom = PAIRS if j == k else TRIPLES
    rules = []
    for d in DIGITS:
        rules.append(Rule(first, (d,), f"c_{j}", tuple(t for t in dom if t[0] == d)))
        rules.append(Rule(second, (d,), f"c_{j}", tuple(t for t in dom if t[1] == d)))
    inputs: dict[str, tuple] = {first: DIGITS, second: DIGITS}
    if j < k:
        carry_in = f"w_{j + 1}"
        inputs[carry_in] = (0, 1)
        rules.append(Rule(carry_in, (0,), f"c_{j}", tuple(t for t in dom if t[2] == 0)))
    return RuleSetSpec(f"c_{j}", "pair_tuples", dom, inputs, tuple(rules))


def carry_rules(k: int, j: int) -> RuleSetSpec:
    """Rule set w_j (carry out of position j): w_j = 1 iff the tuple's sum is ≥ 10."""
    _check_position(k, j, low=1)
    dom = PAIRS if j == k else TRIPLES
    premise = tuple(t for t in dom if _tuple_sum(t) >= 10)
    return RuleSetSpec(f"w_{j}", "carry", (0, 1), {f"c_{j}": dom}, (Rule(f"c_{j}", premise, f"w_{j}", (1,)),))


def output_digit_rules(k: int, j: int) -> RuleSetSpec:
    """Rule set y_j: y_j = (tuple sum) mod 10 for 1 ≤ j ≤ k; y_0 = w_1 (the leading digit)."""
    _check_position(k, j, low=0)
    if j == 0:
        return RuleSetSpec("y_0", "output_digits", (0, 1), {"w_1": (0, 1)}, (Rule("w_1", (0,), "y_0", (0,)),))
    dom = PAIRS if j == k else TRIPLES
    rules = tuple(Rule(f"c_{j}", tuple(t for t in dom if _tuple_sum(t) % 10 == d), f"y_{j}", (d,)) for d in DIGITS)
    return RuleSetSpec(f"y_{j}", "output_digits", DIGITS, {f"c_{j}": dom}, rules)


def _check_position(k: int, j: int, low: int) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"MNIST-Add: k must be a positive integer, got {k!r}")
    if not low <= j <= k:
        raise ValueError(f"MNIST-Add-{k}: position j must be in [{low}, {k}], got {j}")


def mnist_add_rule_base(k: int) -> list[RuleSetSpec]:
    """All rule sets of MNIST-Add-k in learning order (c_k, w_k, c_{k−1}, …, w_1, y_k, …, y_1, y_0)."""
    _check_position(k, k, low=1)
    sets: list[RuleSetSpec] = []
    for j in range(k, 0, -1):
        sets += [pair_tuple_rules(k, j), carry_rules(k, j)]
    sets += [output_digit_rules(k, j) for j in range(k, -1, -1)]
    return sets


# --------------------------------------------------------------------------------------------------
# Compiled structures (shared by every position: the rule sets differ only in attribute names).


@dataclass(frozen=True)
class _Compiled:
    inside: torch.Tensor           # (K, n)
    value_block: torch.Tensor      # (|domain|,)
    masks: dict[str, torch.Tensor]  # attribute role -> (n, D)
    groups: tuple[tuple[int, ...], ...]  # rule indices per premise attribute


def _compile(spec: RuleSetSpec, roles: dict[str, str]) -> _Compiled:
    part = spec.partition()
    masks = {roles[a]: torch.as_tensor(m) for a, m in spec.premise_masks().items()}
    groups = tuple(tuple(i for i, rule in enumerate(spec.rules) if rule.attribute == a) for a in spec.input_domains)
    return _Compiled(torch.as_tensor(part.inside), torch.as_tensor(part.value_block), masks,
                     tuple(g for g in groups if g))


class _Structures:
    """The compiled rule sets of MNIST-Add (one per distinct structure)."""

    def __init__(self) -> None:
        k = 2  # position 2 has no incoming carry, position 1 has one; all larger k repeat these
        self.c_first = _compile(pair_tuple_rules(k, 2), {"a_2": "a", "a_4": "b"})
        self.c_next = _compile(pair_tuple_rules(k, 1), {"a_1": "a", "a_3": "b", "w_2": "w"})
        self.w_first = _compile(carry_rules(k, 2), {"c_2": "c"})
        self.w_next = _compile(carry_rules(k, 1), {"c_1": "c"})
        self.y_first = _compile(output_digit_rules(k, 2), {"c_2": "c"})
        self.y_next = _compile(output_digit_rules(k, 1), {"c_1": "c"})
        self.y_lead = _compile(output_digit_rules(k, 0), {"w_1": "w"})
        # Index of a (a, b[, w]) tuple in each pair-tuple domain.
        self.pair_index = torch.arange(100).reshape(10, 10)
        self.triple_index = torch.arange(200).reshape(10, 10, 2)


_STRUCT: _Structures | None = None


def _structures() -> _Structures:
    global _STRUCT
    if _STRUCT is None:
        _STRUCT = _Structures()
    return _STRUCT


# --------------------------------------------------------------------------------------------------


def sum_digits(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits of a + b and the carries, for digit arrays (N, k) indexed from the units.

    Returns:
        ``(digits, carries)``: digits (N, k+1) units first (the last is the leading 0/1 digit);
        carries (N, k), carries[:, p] = carry out of position p.
    """
    a, b = torch.as_tensor(a, dtype=torch.long), torch.as_tensor(b, dtype=torch.long)
    if a.shape != b.shape or a.dim() != 2:
        raise ValueError(f"digit arrays must both be (N, k); got {tuple(a.shape)} and {tuple(b.shape)}")
    n, k = a.shape
    digits = torch.empty(n, k + 1, dtype=torch.long)
    carries = torch.empty(n, k, dtype=torch.long)
    c = torch.zeros(n, dtype=torch.long)
    for p in range(k):
        s = a[:, p] + b[:, p] + c
        digits[:, p], c = s % 10, s // 10
        carries[:, p] = c
    digits[:, k] = c
    return digits, carries


@dataclass
class _Chain:
    """Learned pair-tuple and carry rule sets, with the training outputs they produce."""

    c: list[LearnedRuleSet]
    w: list[LearnedRuleSet]
    c_out: list[torch.Tensor]   # per position, (B, K) pair-tuple block possibilities on the training set
    w_last: torch.Tensor        # (B, 2) possibility of w = 0, 1 out of the top position


@dataclass
class AdditionFitReport:
    """What :meth:`AdditionCascade.fit` did.

    Attributes:
        thresholds: Chosen τ per family.
        min_thresholds: Smallest usable τ per family (max over positions).
        valid_accuracy: Validation accuracy of the chosen thresholds.
        search: Every threshold triple tried, with its validation accuracy.
        kept: Kept training examples per rule set name.
        seconds: Wall time of the whole learning pipeline (search included).
    """

    thresholds: dict[str, float]
    min_thresholds: dict[str, float]
    valid_accuracy: float
    search: list[dict] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class AdditionCascade:
    """The Π-NeSy cascade for MNIST-Add-k, batched over examples (scikit-learn style).

    Args:
        k: Number of digits of each operand.
        transform: ``antipignistic`` (Π-NeSy-1) or ``minimum_specificity`` (Π-NeSy-2).
        learn: Learn the rule parameters (False: every rule certain, s = r = 0).
        search: Greedy threshold search on validation data (False: the minimal thresholds).
        grid_size, grid_exponent: Threshold grid τ_i = (i/grid_size)^grid_exponent (1 + 1e-3).
        min_improvement: Validation-accuracy gain (a fraction) needed to accept a threshold move.
        stagnation: Non-improving moves tolerated per family before moving to the next.

    Inputs are digit probabilities ``pa``, ``pb`` of shape (N, k, 10), position 0 = units.
    """

    def __init__(self, k: int, transform: str = "antipignistic", *, learn: bool = True, search: bool = True,
                 grid_size: int = 30, grid_exponent: float = 5.0, min_improvement: float = 1e-4,
                 stagnation: int = 1) -> None:
        _check_position(k, k, low=1)
        if transform not in transforms.TRANSFORMS:
            raise ValueError(f"unknown transform {transform!r}; valid: {', '.join(transforms.TRANSFORMS)}")
        self.k, self.transform, self.learn, self.search = k, transform, learn, search
        self.grid = threshold_grid(grid_size, grid_exponent)
        self.min_improvement, self.stagnation = min_improvement, stagnation

    # ---------------------------------------------------------------- inputs

    def _possibilities(self, pa, pb) -> tuple[torch.Tensor, torch.Tensor]:
        out = []
        for name, p in (("pa", pa), ("pb", pb)):
            t = torch.as_tensor(p, dtype=torch.float32)
            if t.dim() != 3 or t.shape[1] != self.k or t.shape[2] != 10:
                raise ValueError(f"{name} must have shape (N, k={self.k}, 10), got {tuple(t.shape)}")
            out.append(transforms.to_possibility(t, self.transform))
        if out[0].shape[0] != out[1].shape[0]:
            raise ValueError(f"pa and pb hold different numbers of examples ({out[0].shape[0]} vs {out[1].shape[0]})")
        return out[0], out[1]

    @staticmethod
    def _digit_degrees(pi_a: torch.Tensor, pi_b: torch.Tensor, st: _Structures):
        # Rules alternate a-rule d, b-rule d (d = 0..9); the masks do the bookkeeping.
        la, ra = premise_degrees(pi_a, st.c_next.masks["a"][:20])
        lb, rb = premise_degrees(pi_b, st.c_next.masks["b"][:20])
        is_a = st.c_next.masks["a"][:20].any(-1)
        return torch.where(is_a, la, lb), torch.where(is_a, ra, rb)   # (N, k, 20)

    # ---------------------------------------------------------------- learning

    def _learn_chain(self, lam_d, rho_d, da, db, carries, tau_c: float, tau_w: float) -> _Chain:
        st = _structures()
        n = lam_d.shape[0]
        cs, ws, c_out = [], [], []
        pw = None
        for p in range(self.k):
            if p == 0:
                comp, lam, rho = st.c_first, lam_d[:, 0], rho_d[:, 0]
                target = st.pair_index[da[:, 0], db[:, 0]]
            else:
                comp = st.c_next
                lam = torch.cat([lam_d[:, p], pw[:, :1]], 1)
                rho = torch.cat([rho_d[:, p], pw[:, 1:]], 1)
                target = st.triple_index[da[:, p], db[:, p], carries[:, p - 1]]
            target = comp.value_block[target]
            c_par = self._learn_one(lam, rho, comp, target, tau_c, 0)
            oc = infer(lam, rho, c_par.s, c_par.r, comp.inside, comp.groups)
            wc = st.w_first if p == 0 else st.w_next
            lw, rw = premise_degrees(oc[:, comp.value_block], wc.masks["c"])
            w_par = self._learn_one(lw, rw, wc, wc.value_block[carries[:, p]], tau_w, 1)
            pw = infer(lw, rw, w_par.s, w_par.r, wc.inside)[:, wc.value_block]   # (n, 2): π(w=0), π(w=1)
            cs.append(c_par)
            ws.append(w_par)
            c_out.append(oc[:, comp.value_block])
        assert pw is not None and pw.shape[0] == n
        return _Chain(cs, ws, c_out, pw)

    def _learn_outputs(self, chain: _Chain, digits: torch.Tensor, tau_y: float) -> list[LearnedRuleSet]:
        st = _structures()
        out = []
        for p in range(self.k):
            yc = st.y_first if p == 0 else st.y_next
            ly, ry = premise_degrees(chain.c_out[p], yc.masks["c"])
            out.append(self._learn_one(ly, ry, yc, yc.value_block[digits[:, p]], tau_y, 2))
        lead = st.y_lead
        ll, rl = premise_degrees(chain.w_last, lead.masks["w"])
        out.append(self._learn_one(ll, rl, lead, lead.value_block[digits[:, self.k]], tau_y, 2))
        return out

    def _learn_one(self, lam, rho, comp: _Compiled, target, tau: float, family: int) -> LearnedRuleSet:
        inside = comp.inside
        if not self.learn:
            return certain_rules(inside.shape[1])
        dist = example_distances(lam, rho, inside, target, comp.groups)
        tau_min = min_threshold(dist, self.grid)
        if tau == 0.0:
            self._mins[family] = max(self._mins[family], tau_min)
        return learn_parameters(lam, rho, inside, target, dist, max(tau, tau_min), comp.groups)

    def fit(self, pa, pb, a_digits, b_digits, valid: tuple | None = None) -> AdditionCascade:
        """Learn every rule set's (s, r); with ``valid`` = (pa, pb, a_digits, b_digits), search τ.

        Args:
            pa, pb: Training digit probabilities, (N, k, 10) each.
            a_digits, b_digits: The training digits (N, k) (true labels, or pseudo-labels).
            valid: Validation data for the threshold search (required when ``search`` is True).
        """
        with single_thread():
            return self._fit(pa, pb, a_digits, b_digits, valid)

    def _fit(self, pa, pb, a_digits, b_digits, valid: tuple | None = None) -> AdditionCascade:
        start = time.perf_counter()
        pi_a, pi_b = self._possibilities(pa, pb)
        da, db = torch.as_tensor(a_digits, dtype=torch.long), torch.as_tensor(b_digits, dtype=torch.long)
        if da.shape != pi_a.shape[:2] or db.shape != pi_b.shape[:2]:
            raise ValueError(f"digit labels must have shape {tuple(pi_a.shape[:2])}, got {tuple(da.shape)} "
                             f"and {tuple(db.shape)}")
        if bool(((da < 0) | (da > 9) | (db < 0) | (db > 9)).any()):
            raise ValueError("digit labels must lie in 0..9")
        digits, carries = sum_digits(da, db)
        st = _structures()
        lam_d, rho_d = self._digit_degrees(pi_a, pi_b, st)
        chains: dict[tuple[float, float], _Chain] = {}
        outputs: dict[tuple[float, float, float], list[LearnedRuleSet]] = {}

        def fit_with(th: tuple[float, float, float]):
            key = (th[0], th[1])
            if key not in chains:
                chains[key] = self._learn_chain(lam_d, rho_d, da, db, carries, th[0], th[1])
            if th not in outputs:
                outputs[th] = self._learn_outputs(chains[key], digits, th[2])
            return chains[key], outputs[th]

        # Minimal thresholds: learn with τ = 0, so every rule set falls back to its own minimum; the
        # family's minimum is the largest of its rule sets' minima.
        self._mins = [0.0, 0.0, 0.0]
        if self.learn:
            fit_with((0.0, 0.0, 0.0))
        mins = list(self._mins)
        self.min_thresholds_ = dict(zip(FAMILIES, mins, strict=True))
        # Like the paper's search, start from every family at its minimal threshold.
        best = (mins[0], mins[1], mins[2])
        search_log = []
        valid_acc = float("nan")
        if self.learn and self.search:
            if valid is None:
                raise ValueError("fit(search=True) needs validation data: valid=(pa, pb, a_digits, b_digits)")
            self._set(*fit_with(best))
            valid_acc = self._accuracy(*valid)
            search_log.append({"thresholds": list(best), "valid_accuracy": valid_acc, "accepted": True})
            for fam in range(3):
                stale = 0
                for tau in self.grid[self.grid > mins[fam]]:
                    if stale >= self.stagnation:
                        break
                    trial = list(best)
                    trial[fam] = float(tau)
                    trial_t = (trial[0], trial[1], trial[2])
                    self._set(*fit_with(trial_t))
                    acc = self._accuracy(*valid)
                    accepted = acc > valid_acc + self.min_improvement
                    search_log.append({"thresholds": trial, "valid_accuracy": acc, "accepted": accepted})
                    if accepted:
                        best, valid_acc, stale = trial_t, acc, 0
                    else:
                        stale += 1
        elif self.learn and valid is not None:
            self._set(*fit_with(best))
            valid_acc = self._accuracy(*valid)
        if self.learn:
            self._set(*fit_with(best))
        else:
            self.c_ = [certain_rules(20 if p == 0 else 21) for p in range(self.k)]
            self.w_ = [certain_rules(1) for _ in range(self.k)]
            self.y_ = [certain_rules(10) for _ in range(self.k)] + [certain_rules(1)]
            if valid is not None:
                valid_acc = self._accuracy(*valid)
        eff = {fam: best[i] for i, fam in enumerate(FAMILIES)}
        self.report_ = AdditionFitReport(thresholds=eff, min_thresholds=self.min_thresholds_,
                                         valid_accuracy=valid_acc, search=search_log, kept=self._kept(),
                                         seconds=time.perf_counter() - start)
        return self

    def _set(self, chain: _Chain, outs: list[LearnedRuleSet]) -> None:
        self.c_, self.w_, self.y_ = chain.c, chain.w, outs

    def _kept(self) -> dict[str, int]:
        kept = {}
        for p in range(self.k):
            j = self.k - p
            kept[f"c_{j}"] = self.c_[p].kept
            kept[f"w_{j}"] = self.w_[p].kept
        for p in range(self.k):
            kept[f"y_{self.k - p}"] = self.y_[p].kept
        kept["y_0"] = self.y_[self.k].kept
        return kept

    # ---------------------------------------------------------------- inference

    @property
    def _digit_inside(self) -> torch.Tensor:
        st = _structures()
        if not hasattr(st, "digit_inside"):
            st.digit_inside = st.c_next.inside[:, :20].contiguous()
        return st.digit_inside

    def predict_possibility(self, pa, pb) -> tuple[torch.Tensor, torch.Tensor]:
        """Possibility distributions of the sum's digits.

        Returns:
            ``(digits, lead)``: digits (N, k, 10) for positions units..top, lead (N, 2) for the
            leading digit y_0.
        """
        if not hasattr(self, "y_"):
            raise AttributeError("AdditionCascade is not fitted; call fit() first")
        pi_a, pi_b = self._possibilities(pa, pb)
        st = _structures()
        lam_d, rho_d = self._digit_degrees(pi_a, pi_b, st)
        # The 20 digit rules of every position in one batched product; only the carry rule is sequential.
        first = self.c_[0]
        c0 = infer(lam_d[:, 0], rho_d[:, 0], first.s, first.r, st.c_first.inside,
                   st.c_first.groups)[:, st.c_first.value_block]
        c_outs = [c0]
        if self.k > 1:
            s_d = torch.stack([c.s[:20] for c in self.c_[1:]])            # (k-1, 20)
            r_d = torch.stack([c.r[:20] for c in self.c_[1:]])
            digit_part = infer(lam_d[:, 1:], rho_d[:, 1:], s_d, r_d, self._digit_inside,
                               st.c_next.groups[:2])                                   # (N, k-1, K)
        # Blocks of c_next listed in domain order once, so the sequential loop needs no gather.
        vb = st.c_next.value_block
        carry_inside = st.c_next.inside[vb, 20]
        if self.k > 1:
            digit_part = digit_part[..., vb]
        wc = st.w_first
        lw, rw = premise_degrees(c0, wc.masks["c"])
        pw = infer(lw, rw, self.w_[0].s, self.w_[0].r, wc.inside)[:, wc.value_block]
        for p in range(1, self.k):
            par = self.c_[p]
            carry_term = torch.where(carry_inside, torch.maximum(par.s[20], pw[:, :1]),
                                     torch.maximum(par.r[20], pw[:, 1:]))          # (N, K)
            oc = torch.minimum(digit_part[:, p - 1], carry_term)
            c_outs.append(oc)
            lw, rw = premise_degrees(oc, st.w_next.masks["c"])
            pw = infer(lw, rw, self.w_[p].s, self.w_[p].r, st.w_next.inside)[:, st.w_next.value_block]
        y0 = st.y_first
        ly, ry = premise_degrees(c_outs[0], y0.masks["c"])
        digits = [infer(ly, ry, self.y_[0].s, self.y_[0].r, y0.inside)[:, y0.value_block]]
        if self.k > 1:
            yn = st.y_next
            ly, ry = premise_degrees(torch.stack(c_outs[1:], 1), yn.masks["c"])      # (N, k-1, 10)
            s_y = torch.stack([y.s for y in self.y_[1:self.k]])
            r_y = torch.stack([y.r for y in self.y_[1:self.k]])
            rest = infer(ly, ry, s_y, r_y, yn.inside)[..., yn.value_block]
            digits_t = torch.cat([digits[0].unsqueeze(1), rest], 1)
        else:
            digits_t = digits[0].unsqueeze(1)
        lead = st.y_lead
        ll, rl = premise_degrees(pw, lead.masks["w"])
        lead_p = infer(ll, rl, self.y_[self.k].s, self.y_[self.k].r, lead.inside)[:, lead.value_block]
        return digits_t, lead_p

    def predict(self, pa, pb) -> tuple[torch.Tensor, torch.Tensor]:
        """Predicted sum digits (N, k+1), units first, and whether each example is ambiguous (N,)."""
        with single_thread():
            dig, lead = self.predict_possibility(pa, pb)
        v, amb = decide(dig)
        lv, lamb = decide(lead)
        return torch.cat([v, lv.unsqueeze(1)], 1), amb.any(1) | lamb

    def _accuracy(self, pa, pb, a_digits, b_digits) -> float:
        pred, amb = self.predict(pa, pb)
        truth, _ = sum_digits(a_digits, b_digits)
        return float(((pred == truth).all(1) & ~amb).float().mean())

    def score(self, pa, pb, a_digits, b_digits) -> float:
        """Share of examples whose whole sum is predicted right and unambiguously."""
        return self._accuracy(pa, pb, a_digits, b_digits)
