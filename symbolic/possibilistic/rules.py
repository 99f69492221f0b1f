"""Possibilistic rules "if a ∈ P then b ∈ Q", rule sets, the output partition Λ(n) and min–max inference.

A rule R_i has a conjunctive premise (conditions a ∈ P on input attributes), a conclusion b ∈ Q_i on
the rule set's output attribute b, and two parameters: s_i = π(q_i | ¬p_i) and r_i = π(¬q_i | p_i).
From the input possibility distributions the premise degrees are λ_i = Π(P_i) = max_{u∈P_i} π_a(u)
and ρ_i = Π(¬P_i) = max_{u∉P_i} π_a(u); for a conjunction λ is the min and ρ the max over conjuncts.

The output domain D_b is cut into the partition Λ(n) by successive intersection with each Q_i and its
complement (empty blocks dropped); all values of a block get the same possibility. The matrix Γ(n)
has one row per block and the column pair (s_i, 1) when the block lies in Q_i, (1, r_i) otherwise.
Inference is the min–max product O = Γ □ X with X = [λ_1, ρ_1, …, λ_n, ρ_n], that is
π(u) = min_i ( max(s_i, λ_i) if u ∈ Q_i else max(r_i, ρ_i) ).

Normalization (derived from that formula): if every input distribution is normalized and some input
assignment v with π_a(v_a) = 1 for every attribute makes the block "inside Q_i exactly for the rules
whose premise v satisfies" non-empty, that block has possibility 1, whatever s and r are.
:meth:`RuleSet.guarantees_normalization` checks this for the given inputs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import product
from typing import Any

import numpy as np
import torch

from symbolic.possibilistic._tensor import ArrayLike, as_tensor
from symbolic.possibilistic.errors import DomainError, RuleError, ShapeError
from symbolic.possibilistic.transforms import check_possibilities

Value = Hashable


@dataclass(frozen=True)
class Condition:
    """One conjunct of a premise: ``attribute ∈ values``.

    Attributes:
        attribute: Input attribute name.
        values: The set P of accepted values (non-empty, inside the attribute's domain).
    """

    attribute: str
    values: frozenset

    def __init__(self, attribute: str, values: Value | Iterable[Value]):
        if isinstance(values, str | bytes) or not isinstance(values, Iterable) or isinstance(values, tuple):
            # A single value; tuples are values too (e.g. a pair (d1, d2) of a product domain).
            values = [values]
        object.__setattr__(self, "attribute", str(attribute))
        object.__setattr__(self, "values", frozenset(values))

    def __str__(self) -> str:
        vals = sorted(self.values, key=repr)
        if len(vals) == 1:
            return f"{self.attribute}={vals[0]!r}"
        return f"{self.attribute}∈{{{', '.join(map(repr, vals))}}}"


@dataclass(frozen=True)
class Rule:
    """"if premise then output ∈ conclusion" with parameters s = π(q|¬p) and r = π(¬q|p).

    Attributes:
        premise: Conjunction of conditions (at least one).
        conclusion: The set Q of output values (non-empty).
        s: π(q | ¬p) in [0, 1]; 0 means the conclusion is impossible when the premise is false.
        r: π(¬q | p) in [0, 1]; 0 means the conclusion is certain when the premise holds.
        name: Label used in explanations and error messages (default: the rule's text).
    """

    premise: tuple[Condition, ...]
    conclusion: frozenset
    s: float = 0.0
    r: float = 0.0
    name: str = ""

    def __init__(self, premise: Condition | Iterable[Condition] | Mapping[str, Any],
                 conclusion: Value | Iterable[Value], s: float = 0.0, r: float = 0.0, name: str = ""):
        if isinstance(premise, Condition):
            conds: tuple[Condition, ...] = (premise,)
        elif isinstance(premise, Mapping):
            conds = tuple(Condition(a, v) for a, v in premise.items())
        else:
            conds = tuple(premise)
        for c in conds:
            if not isinstance(c, Condition):
                raise RuleError(f"rule {name or '?'}: premise items must be Condition, got {type(c).__name__}")
        if isinstance(conclusion, str | bytes) or not isinstance(conclusion, Iterable) or isinstance(conclusion, tuple):
            conclusion = [conclusion]
        object.__setattr__(self, "premise", conds)
        object.__setattr__(self, "conclusion", frozenset(conclusion))
        object.__setattr__(self, "s", float(s))
        object.__setattr__(self, "r", float(r))
        object.__setattr__(self, "name", name)

    @property
    def label(self) -> str:
        """The name, or the rule's text when unnamed."""
        return self.name or self.text()

    def text(self, output: str = "b") -> str:
        """Readable form, e.g. ``if a=3 ∧ w=1 then b∈{…}``."""
        vals = sorted(self.conclusion, key=repr)
        concl = f"{output}={vals[0]!r}" if len(vals) == 1 else f"{output}∈{{{', '.join(map(repr, vals))}}}"
        return "if " + " ∧ ".join(map(str, self.premise)) + " then " + concl


@dataclass(frozen=True)
class Partition:
    """The output partition Λ(n) of a rule set.

    Attributes:
        blocks: Output values of each block, in construction order.
        inside: Bool array (K, n): ``inside[k, i]`` when block k lies in Q_i (sign +i), else −i.
        value_block: Int array (|D_b|,): the block of each output value (domain order).
    """

    blocks: tuple[tuple[Value, ...], ...]
    inside: np.ndarray
    value_block: np.ndarray

    @property
    def signs(self) -> list[tuple[int, ...]]:
        """Sign vectors as in the paper: +i (1-based) inside Q_i, −i outside."""
        return [tuple((i + 1) if f else -(i + 1) for i, f in enumerate(row)) for row in self.inside]

    def __len__(self) -> int:
        return len(self.blocks)


@dataclass(frozen=True, eq=False)
class RuleSet:
    """A set of rules about one output attribute, with the domains of every attribute involved.

    Args:
        output: Name of the output attribute b.
        domains: Ordered domain of each attribute (output and every premise attribute). The order
            defines the columns of probability/possibility arrays.
        rules: The rules (their s, r are the defaults used when no parameters are passed).
        name: Name used in messages and explanations.

    Raises:
        RuleError: no rules, an empty premise, condition or conclusion, s or r outside [0, 1].
        DomainError: a missing domain, a duplicated domain value, or a value outside its domain.
    """

    output: str
    domains: Mapping[str, tuple[Value, ...]]
    rules: tuple[Rule, ...]
    name: str = ""
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __init__(self, output: str, domains: Mapping[str, Sequence[Value]], rules: Sequence[Rule], name: str = ""):
        object.__setattr__(self, "output", str(output))
        object.__setattr__(self, "name", name or f"rules→{output}")
        doms: dict[str, tuple[Value, ...]] = {}
        for attr, dom in domains.items():
            dom_t = tuple(dom)
            if not dom_t:
                raise DomainError(f"rule set {self.name}: domain of '{attr}' is empty")
            if len(set(dom_t)) != len(dom_t):
                raise DomainError(f"rule set {self.name}: domain of '{attr}' has duplicated values")
            doms[attr] = dom_t
        object.__setattr__(self, "domains", doms)
        object.__setattr__(self, "rules", tuple(rules))
        object.__setattr__(self, "_index", {a: {v: i for i, v in enumerate(d)} for a, d in doms.items()})
        self._validate()

    # ------------------------------------------------------------------ validation and structure
    def _validate(self) -> None:
        if not self.rules:
            raise RuleError(f"rule set {self.name}: no rules")
        if self.output not in self.domains:
            raise DomainError(f"rule set {self.name}: no domain declared for output attribute '{self.output}'")
        out_dom = self._index[self.output]
        for i, rule in enumerate(self.rules):
            where = f"rule set {self.name}, rule {i} ({rule.name or 'unnamed'})"
            if not isinstance(rule, Rule):
                raise RuleError(f"{where}: expected a Rule, got {type(rule).__name__}")
            if not rule.premise:
                raise RuleError(f"{where}: empty premise")
            if not rule.conclusion:
                raise RuleError(f"{where}: empty conclusion")
            for c in rule.premise:
                if c.attribute == self.output:
                    raise RuleError(f"{where}: premise mentions the output attribute '{self.output}'")
                if c.attribute not in self.domains:
                    raise DomainError(f"{where}: attribute '{c.attribute}' has no declared domain "
                                      f"(declared: {', '.join(self.domains)})")
                if not c.values:
                    raise RuleError(f"{where}: condition on '{c.attribute}' has no values")
                outside = [v for v in c.values if v not in self._index[c.attribute]]
                if outside:
                    raise DomainError(f"{where}: value {outside[0]!r} is not in the domain of '{c.attribute}'")
            outside = [v for v in rule.conclusion if v not in out_dom]
            if outside:
                raise DomainError(f"{where}: conclusion value {outside[0]!r} is not in the domain of "
                                  f"output '{self.output}'")
            for pname, val in (("s", rule.s), ("r", rule.r)):
                if not 0.0 <= val <= 1.0:
                    raise RuleError(f"{where}: parameter {pname}={val} outside [0, 1]")

    @property
    def n_rules(self) -> int:
        """Number of rules n (the learning system has 2n unknowns)."""
        return len(self.rules)

    @property
    def output_domain(self) -> tuple[Value, ...]:
        """Domain of the output attribute."""
        return self.domains[self.output]

    @cached_property
    def input_attributes(self) -> tuple[str, ...]:
        """Premise attributes, in order of first appearance."""
        seen: dict[str, None] = {}
        for rule in self.rules:
            for c in rule.premise:
                seen.setdefault(c.attribute, None)
        return tuple(seen)

    @property
    def s(self) -> np.ndarray:
        """The rules' s parameters, shape (n,)."""
        return np.array([r.s for r in self.rules])

    @property
    def r(self) -> np.ndarray:
        """The rules' r parameters, shape (n,)."""
        return np.array([r.r for r in self.rules])

    def with_parameters(self, s: ArrayLike, r: ArrayLike) -> RuleSet:
        """A copy with new parameters s, r (each of shape (n,))."""
        s_arr, r_arr = np.asarray(s, dtype=float).reshape(-1), np.asarray(r, dtype=float).reshape(-1)
        if s_arr.shape != (self.n_rules,) or r_arr.shape != (self.n_rules,):
            raise ShapeError(f"rule set {self.name}: s and r need shape ({self.n_rules},), got "
                             f"{s_arr.shape} and {r_arr.shape}")
        rules = [replace(rule, s=float(si), r=float(ri)) for rule, si, ri in zip(self.rules, s_arr, r_arr, strict=True)]
        return RuleSet(self.output, self.domains, rules, self.name)

    def value_index(self, attribute: str, values: Iterable[Value]) -> np.ndarray:
        """Indices of ``values`` in ``attribute``'s domain.

        Raises:
            DomainError: a value outside the domain (names the first one and its position).
        """
        index = self._index.get(attribute)
        if index is None:
            raise DomainError(f"rule set {self.name}: unknown attribute '{attribute}'")
        vals = values.tolist() if isinstance(values, np.ndarray) else list(values)
        out = np.empty(len(vals), dtype=np.int64)
        for pos, v in enumerate(vals):
            key = tuple(v) if isinstance(v, list) else v
            try:
                out[pos] = index[key]
            except (KeyError, TypeError):
                raise DomainError(f"{attribute}: label {v!r} at position {pos} is not in the domain "
                                  f"{self.domains[attribute]!r}") from None
        return out

    @cached_property
    def partition(self) -> Partition:
        """The output partition Λ(n), built by successive intersection (empty blocks dropped)."""
        dom = self.output_domain
        member = np.array([[v in rule.conclusion for rule in self.rules] for v in dom], dtype=bool)  # (D, n)
        groups: list[np.ndarray] = [np.arange(len(dom))]
        for i in range(self.n_rules):
            nxt: list[np.ndarray] = []
            for g in groups:
                ins, outs = g[member[g, i]], g[~member[g, i]]
                nxt.extend(part for part in (ins, outs) if part.size)
            groups = nxt
        inside = np.stack([member[g[0]] for g in groups])
        value_block = np.empty(len(dom), dtype=np.int64)
        for k, g in enumerate(groups):
            value_block[g] = k
        blocks = tuple(tuple(dom[v] for v in g) for g in groups)
        return Partition(blocks=blocks, inside=inside, value_block=value_block)

    @cached_property
    def _masks(self) -> dict[str, tuple[torch.Tensor, list[tuple[int, int]]]]:
        """Per attribute: condition masks (C_a, |D_a|) and (rule, condition slot) pairs."""
        out: dict[str, tuple[list[np.ndarray], list[tuple[int, int]]]] = {}
        for i, rule in enumerate(self.rules):
            for c in rule.premise:
                masks, owners = out.setdefault(c.attribute, ([], []))
                idx = self._index[c.attribute]
                m = np.zeros(len(self.domains[c.attribute]), dtype=bool)
                m[[idx[v] for v in c.values]] = True
                masks.append(m)
                owners.append((i, len(owners)))
        return {a: (torch.as_tensor(np.stack(ms)), own) for a, (ms, own) in out.items()}

    # ------------------------------------------------------------------ computations
    def premise_degrees(self, possibilities: Mapping[str, ArrayLike], *, check: bool = True,
                        dtype: torch.dtype | None = None, device: torch.device | str | None = None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """Premise degrees λ = Π(P) and ρ = Π(¬P) of every rule, batched.

        Args:
            possibilities: For each input attribute, possibility distributions (B, |D_a|) in domain order.
            check: Verify that each distribution reaches 1 (turn off for intermediate, already checked data).
            dtype: Computation dtype (default: that of the first input).
            device: Computation device.

        Returns:
            (λ, ρ), each a tensor (B, n). A conjunction takes the min of λ and the max of ρ.

        Raises:
            ShapeError: a missing attribute, a wrong width, or differing batch sizes.
            DistributionError: with ``check``, a distribution whose maximum is not 1.
        """
        tensors = self._inputs(possibilities, check=check, dtype=dtype, device=device)
        first = next(iter(tensors.values()))
        b = first.shape[0]
        n = self.n_rules
        lam = torch.ones(b, n, dtype=first.dtype, device=first.device)
        rho = torch.zeros(b, n, dtype=first.dtype, device=first.device)
        zero = torch.zeros((), dtype=first.dtype, device=first.device)
        for attr, (masks, owners) in self._masks.items():
            pi = tensors[attr]
            m = masks.to(pi.device)
            lam_c = torch.where(m, pi.unsqueeze(1), zero).amax(-1)       # (B, C_a)
            rho_c = torch.where(~m, pi.unsqueeze(1), zero).amax(-1)
            rule_idx = torch.tensor([o[0] for o in owners], device=pi.device)
            lam.scatter_reduce_(1, rule_idx.expand(b, -1), lam_c, reduce="amin")
            rho.scatter_reduce_(1, rule_idx.expand(b, -1), rho_c, reduce="amax")
        return lam, rho

    def _inputs(self, possibilities: Mapping[str, ArrayLike], *, check: bool, dtype: torch.dtype | None,
                device: torch.device | str | None) -> dict[str, torch.Tensor]:
        if not isinstance(possibilities, Mapping):
            raise ShapeError(f"rule set {self.name}: inputs must be a mapping attribute -> (B, |D|) array, "
                             f"got {type(possibilities).__name__}")
        tensors: dict[str, torch.Tensor] = {}
        batch = None
        for attr in self.input_attributes:
            if attr not in possibilities:
                raise ShapeError(f"rule set {self.name}: missing input attribute '{attr}' "
                                 f"(given: {', '.join(map(str, possibilities)) or 'none'})")
            t = as_tensor(possibilities[attr], attr, dtype=dtype, device=device)
            if dtype is None and tensors:
                t = t.to(next(iter(tensors.values())).dtype)
            width = len(self.domains[attr])
            if t.dim() != 2 or t.shape[1] != width:
                raise ShapeError(f"rule set {self.name}: input '{attr}' has shape {tuple(t.shape)}; "
                                 f"expected (batch, {width}) for its domain of {width} values")
            if batch is None:
                batch = t.shape[0]
            elif t.shape[0] != batch:
                raise ShapeError(f"rule set {self.name}: input '{attr}' has {t.shape[0]} rows but "
                                 f"'{self.input_attributes[0]}' has {batch}")
            if check:
                check_possibilities(t, attr)
            tensors[attr] = t
        return tensors

    def gamma(self, s: ArrayLike | None = None, r: ArrayLike | None = None) -> torch.Tensor:
        """Matrix Γ(n), shape (K, 2n): columns (s_i, 1) for blocks in Q_i, (1, r_i) otherwise."""
        s_t = torch.as_tensor(self.s if s is None else np.asarray(s, dtype=float), dtype=torch.float64)
        r_t = torch.as_tensor(self.r if r is None else np.asarray(r, dtype=float), dtype=torch.float64)
        return self._pair_matrix(s_t.unsqueeze(0), r_t.unsqueeze(0))[0]

    def learning_matrix(self, lam: ArrayLike, rho: ArrayLike) -> torch.Tensor:
        """Coefficient matrices A(λ, ρ) of the learning systems, shape (B, K, 2n).

        Row k has (λ_i, 1) when block k lies in Q_i and (1, ρ_i) otherwise; the unknowns are
        x = [s_1, r_1, …, s_n, r_n].
        """
        lam_t = as_tensor(lam, "lambda", min_dim=2)
        rho_t = as_tensor(rho, "rho", min_dim=2, dtype=lam_t.dtype, device=lam_t.device)
        if lam_t.shape != rho_t.shape or lam_t.shape[-1] != self.n_rules:
            raise ShapeError(f"rule set {self.name}: lambda {tuple(lam_t.shape)} and rho {tuple(rho_t.shape)} "
                             f"must both be (B, {self.n_rules})")
        return self._pair_matrix(lam_t, rho_t)

    def _pair_matrix(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        inside = torch.as_tensor(self.partition.inside, device=first.device)      # (K, n)
        one = torch.ones((), dtype=first.dtype, device=first.device)
        col0 = torch.where(inside, first.unsqueeze(-2), one)                      # (B, K, n)
        col1 = torch.where(inside, one, second.unsqueeze(-2))
        return torch.stack((col0, col1), dim=-1).flatten(-2)                      # (B, K, 2n)

    def block_targets(self, labels: Iterable[Value], *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """Target vectors y of the learning systems: 1 on the block holding the label, 0 elsewhere (B, K)."""
        idx = torch.as_tensor(self.partition.value_block[self.value_index(self.output, labels)])
        return torch.nn.functional.one_hot(idx, len(self.partition)).to(dtype)

    def infer_blocks(self, lam: torch.Tensor, rho: torch.Tensor, s: ArrayLike | None = None,
                     r: ArrayLike | None = None) -> torch.Tensor:
        """Block possibilities O = Γ □ [λ1, ρ1, …] for a batch of premise degrees, shape (B, K)."""
        s_t = torch.as_tensor(self.s if s is None else np.asarray(s, dtype=float), dtype=lam.dtype, device=lam.device)
        r_t = torch.as_tensor(self.r if r is None else np.asarray(r, dtype=float), dtype=lam.dtype, device=lam.device)
        return self._min_terms(torch.maximum(s_t, lam), torch.maximum(r_t, rho))

    def _min_terms(self, t_in: torch.Tensor, t_out: torch.Tensor) -> torch.Tensor:
        """min_i (t_in[:, i] if block ⊆ Q_i else t_out[:, i]) for every block, (B, n) → (B, K), B-chunked."""
        inside = torch.as_tensor(self.partition.inside, device=t_in.device)     # (K, n)
        b, k, n = t_in.shape[0], inside.shape[0], self.n_rules
        out = torch.empty(b, k, dtype=t_in.dtype, device=t_in.device)
        step = max(1, (1 << 22) // max(1, k * n))
        for b0 in range(0, b, step):
            b1 = min(b, b0 + step)
            terms = torch.where(inside, t_in[b0:b1].unsqueeze(1), t_out[b0:b1].unsqueeze(1))
            out[b0:b1] = terms.amin(-1)
        return out

    def one_hot_distances(self, lam: torch.Tensor, rho: torch.Tensor, labels: ArrayLike) -> torch.Tensor:
        """Chebyshev distance ∇^(e) of each sample's learning system, without building the systems.

        Equals ``sample_distances(learning_matrix(lam, rho), block_targets(...))`` exactly. With a 0/1
        target that is 1 on the label's block l* only, T_kj = min(1/2, 1 − a_{l*j}) for every row k ≠ l*
        and ∇_{l*} = 0; each rule puts one entry other than 1 in each row, so
        ∇_k = min_i (max(λ_i, τ_i) if block k ⊆ Q_i else max(ρ_i, τ'_i)) with τ_i = min(1/2, 1 − λ_i) if
        l* ⊆ Q_i else 0, and τ'_i = 0 if l* ⊆ Q_i else min(1/2, 1 − ρ_i): an inference with per-sample
        parameters, O(B·K·n) instead of O(B·K·2n) plus building A.

        Args:
            lam, rho: Premise degrees (B, n).
            labels: Index of each sample's label in the output domain (B,) (see :meth:`value_index`).
        """
        idx = torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor) else labels,
                              device=lam.device).long()
        blocks = torch.as_tensor(self.partition.value_block, device=lam.device)[idx]     # (B,)
        ins = torch.as_tensor(self.partition.inside, device=lam.device)[blocks]          # (B, n)
        zero = torch.zeros((), dtype=lam.dtype, device=lam.device)
        half = torch.full((), 0.5, dtype=lam.dtype, device=lam.device)
        tau_in = torch.where(ins, torch.minimum(half, (1 - lam).clamp_min(0)), zero)
        tau_out = torch.where(ins, zero, torch.minimum(half, (1 - rho).clamp_min(0)))
        rows = self._min_terms(torch.maximum(lam, tau_in), torch.maximum(rho, tau_out))
        rows[torch.arange(rows.shape[0], device=rows.device), blocks] = 0
        return rows.amax(-1)

    def infer(self, possibilities: Mapping[str, ArrayLike], s: ArrayLike | None = None,
              r: ArrayLike | None = None, *, check: bool = True) -> torch.Tensor:
        """Possibility of every output value, shape (B, |D_b|), by min–max inference.

        Args:
            possibilities: Input possibility distributions per attribute, (B, |D_a|).
            s, r: Parameters to use instead of the rules' own (shape (n,)).
            check: Validate the inputs (max 1 per row).
        """
        lam, rho = self.premise_degrees(possibilities, check=check)
        blocks = self.infer_blocks(lam, rho, s, r)
        return blocks[:, torch.as_tensor(self.partition.value_block, device=blocks.device)]

    def guarantees_normalization(self, possibilities: Mapping[str, ArrayLike]) -> np.ndarray:
        """Per sample, whether the sufficient condition for a normalized output holds (module docstring).

        Enumerates the fully possible input assignments, so it is meant for small domains (tests, checks).
        """
        tensors = self._inputs(possibilities, check=True, dtype=torch.float64, device="cpu")
        attrs = self.input_attributes
        b = next(iter(tensors.values())).shape[0]
        out = np.zeros(b, dtype=bool)
        signatures = {tuple(row) for row in self.partition.inside.tolist()}
        for n_idx in range(b):
            tops = [np.flatnonzero(tensors[a][n_idx].numpy() >= 1.0) for a in attrs]
            for combo in product(*tops):
                assign = {a: self.domains[a][v] for a, v in zip(attrs, combo, strict=True)}
                sig = tuple(all(assign[c.attribute] in c.values for c in rule.premise) for rule in self.rules)
                if sig in signatures:
                    out[n_idx] = True
                    break
        return out
