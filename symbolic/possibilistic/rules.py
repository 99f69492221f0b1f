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
from dataclasses import dataclass, field
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

    def _with(self, s: float, r: float) -> Rule:
        """A copy with parameters s, r (already validated; faster than dataclasses.replace)."""
        out = object.__new__(Rule)
        out.__dict__.update(self.__dict__)
        object.__setattr__(out, "s", s)
        object.__setattr__(out, "r", r)
        return out

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
        if not (((s_arr >= 0) & (s_arr <= 1)).all() and ((r_arr >= 0) & (r_arr <= 1)).all()):
            raise RuleError(f"rule set {self.name}: parameters s, r must lie in [0, 1]")
        rules = tuple(rule._with(float(si), float(ri)) for rule, si, ri in zip(self.rules, s_arr, r_arr, strict=True))
        # Same rules but for s and r: skip the validation and share the derived structures (partition,
        # masks, plans), which a cascade of hundreds of rule sets would otherwise rebuild after each fit.
        out = object.__new__(RuleSet)
        out.__dict__.update(self.__dict__)
        object.__setattr__(out, "rules", rules)
        return out

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
        """The output partition Λ(n), built by successive intersection (empty blocks dropped).

        Splitting every block by Q_1, then Q_2, … (inside part first) leaves exactly the non-empty
        sets of values with equal membership (u ∈ Q_1, …, u ∈ Q_n), ordered lexicographically with
        "inside" before "outside"; that is what one sort of the membership rows computes.
        """
        dom = self.output_domain
        index = self._index[self.output]
        member = np.zeros((len(dom), self.n_rules), dtype=bool)                    # (D, n)
        for i, rule in enumerate(self.rules):
            member[[index[v] for v in rule.conclusion], i] = True
        rows, value_block = np.unique(~member, axis=0, return_inverse=True)        # inside (False) first
        value_block = value_block.reshape(-1).astype(np.int64)
        inside = ~rows
        order = np.argsort(value_block, kind="stable")                              # domain order in a block
        starts = np.searchsorted(value_block[order], np.arange(len(rows)))
        blocks = tuple(tuple(dom[v] for v in g) for g in np.split(order, starts[1:]))
        return Partition(blocks=blocks, inside=inside, value_block=value_block)

    @cached_property
    def value_block_tensor(self) -> torch.Tensor:
        """``partition.value_block`` as a (CPU) tensor: the block of each output value."""
        return torch.as_tensor(self.partition.value_block)

    @cached_property
    def _masks(self) -> dict[str, _AttributeConditions]:
        """Per premise attribute: its conditions' masks and how to compute their degrees fast."""
        found: dict[str, tuple[list[np.ndarray], list[int]]] = {}
        for i, rule in enumerate(self.rules):
            for c in rule.premise:
                masks, owners = found.setdefault(c.attribute, ([], []))
                idx = self._index[c.attribute]
                m = np.zeros(len(self.domains[c.attribute]), dtype=bool)
                m[[idx[v] for v in c.values]] = True
                masks.append(m)
                owners.append(i)
        return {a: _AttributeConditions.build(np.stack(ms), own, self.n_rules) for a, (ms, own) in found.items()}

    @cached_property
    def _single_condition_rules(self) -> bool:
        """Every rule has a one-condition premise (no conjunction to combine)."""
        return all(len(r.premise) == 1 for r in self.rules)

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
        conds = self._masks
        if self._single_condition_rules:
            # Each rule reads one attribute: its degrees are copied into the rule's column.
            if len(conds) == 1:
                (attr, ac), = conds.items()
                lam, rho = ac.degrees(tensors[attr])
                return (lam, rho) if ac.identity else (lam[:, ac.order], rho[:, ac.order])
            lam = torch.empty(b, n, dtype=first.dtype, device=first.device)
            rho = torch.empty(b, n, dtype=first.dtype, device=first.device)
            for attr, ac in conds.items():
                lam_c, rho_c = ac.degrees(tensors[attr])
                rules = ac.rules.to(first.device)
                lam[:, rules], rho[:, rules] = lam_c, rho_c
            return lam, rho
        lam = torch.ones(b, n, dtype=first.dtype, device=first.device)
        rho = torch.zeros(b, n, dtype=first.dtype, device=first.device)
        for attrs, ac in self._conjunct_groups:
            if len(attrs) == 1:
                lam_c, rho_c = ac.degrees(tensors[attrs[0]])
            else:
                # Attributes with the same conditions for the same rules (Sudoku's validity rule: 810 pairs
                # that must all differ): their degrees in one batch, the conjunction's min/max over them.
                stacked = torch.stack([tensors[a] for a in attrs], 1)                  # (B, A, D)
                lam_a, rho_a = ac.degrees(stacked.reshape(-1, stacked.shape[-1]))
                lam_c = lam_a.reshape(b, len(attrs), -1).amin(1)
                rho_c = rho_a.reshape(b, len(attrs), -1).amax(1)
            rules = ac.rules.to(first.device).expand(b, -1)
            lam.scatter_reduce_(1, rules, lam_c, reduce="amin")
            rho.scatter_reduce_(1, rules, rho_c, reduce="amax")
        return lam, rho

    @cached_property
    def _conjunct_groups(self) -> list[tuple[tuple[str, ...], _AttributeConditions]]:
        """Attributes grouped by identical conditions (same masks, same rules), for conjunctive premises."""
        groups: dict[tuple, list[str]] = {}
        for attr, ac in self._masks.items():
            key = (ac.masks.shape, ac.masks.numpy().tobytes(), tuple(ac.rules.tolist()))
            groups.setdefault(key, []).append(attr)
        return [(tuple(attrs), self._masks[attrs[0]]) for attrs in groups.values()]

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
        """min_i (t_in[:, i] if block ⊆ Q_i else t_out[:, i]) for every block, (B, n) → (B, K), B-chunked.

        With rules about different attributes (see :attr:`_min_plan`) the min is taken per group of
        rules over the group's distinct inside-patterns and gathered to the blocks: for MNIST-Add's
        pair tuples that is 10 patterns per digit instead of 200 blocks, with the same result (a min
        does not depend on the order it is taken in).
        """
        b, k = t_in.shape[0], len(self.partition)
        plan, width, inside_t = self._min_plan, self._min_width, self._inside_tensor
        dev = t_in.device
        if dev.type != "cpu":
            plan = [(c.to(dev), p.to(dev), bp.to(dev)) for c, p, bp in plan]
            inside_t = inside_t.to(dev)
        step = max(1, (1 << 22) // max(1, width))
        if b <= step:  # the usual case: no chunk loop, no copy into a preallocated output
            return self._min_block(plan, inside_t, t_in, t_out)
        out = torch.empty(b, k, dtype=t_in.dtype, device=dev)
        for b0 in range(0, b, step):
            out[b0:b0 + step] = self._min_block(plan, inside_t, t_in[b0:b0 + step], t_out[b0:b0 + step])
        return out

    @staticmethod
    def _min_block(plan: list, inside: torch.Tensor, t_in: torch.Tensor, t_out: torch.Tensor) -> torch.Tensor:
        if not plan:
            return torch.where(inside, t_in.unsqueeze(1), t_out.unsqueeze(1)).amin(-1)
        acc = None
        for cols, patterns, block_pattern in plan:
            f = torch.where(patterns, t_in[:, cols].unsqueeze(1), t_out[:, cols].unsqueeze(1)).amin(-1)
            f = f[:, block_pattern]
            acc = f if acc is None else torch.minimum(acc, f)
        assert acc is not None
        return acc

    @cached_property
    def _inside_tensor(self) -> torch.Tensor:
        return torch.as_tensor(self.partition.inside)

    @cached_property
    def _min_width(self) -> int:
        """Elements per sample of the min–max product (grouped or dense), for chunking."""
        plan = self._min_plan
        return sum(int(p.shape[0]) * len(c) for c, p, _ in plan) if plan else len(self.partition) * self.n_rules

    @cached_property
    def _min_plan(self) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Rules grouped by premise attributes, with each group's distinct inside-patterns; [] = dense.

        Per group: rule indices (g,), distinct patterns (P, g) and the pattern of each block (K,). Used
        only when it is less work than the dense (K, n) product.
        """
        keys: dict[frozenset, list[int]] = {}
        for i, rule in enumerate(self.rules):
            keys.setdefault(frozenset(c.attribute for c in rule.premise), []).append(i)
        if len(keys) < 2:
            return []
        inside = torch.as_tensor(self.partition.inside)
        plan = []
        for idx in keys.values():
            cols = torch.tensor(idx, dtype=torch.long)
            patterns, block_pattern = torch.unique(inside[:, cols], dim=0, return_inverse=True)
            plan.append((cols, patterns, block_pattern))
        k = inside.shape[0]
        if sum(int(p.shape[0]) * len(c) + k for c, p, _ in plan) >= k * self.n_rules:
            return []
        return plan

    @cached_property
    def structure(self) -> tuple:
        """What the computations depend on, with attribute names replaced by their position.

        Rule sets with equal structures (e.g. the pair rule sets of every Sudoku constraint) compute
        alike on their own inputs, so a cascade can learn and infer them as one batch.
        """
        attrs = self.input_attributes
        rules = tuple((tuple(sorted((attrs.index(c.attribute), tuple(sorted(self.value_index(c.attribute, c.values))))
                                    for c in rule.premise)),
                       tuple(sorted(self.value_index(self.output, rule.conclusion)))) for rule in self.rules)
        return (tuple(len(self.domains[a]) for a in attrs), len(self.output_domain), rules)

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
        return blocks[:, self.value_block_tensor.to(blocks.device)]

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


@dataclass(frozen=True)
class _AttributeConditions:
    """The conditions on one attribute: masks (C, D), owning rules (C,), and a fast path for their degrees.

    Degrees are maxima over value sets, so every path gives the same numbers: ``single`` (one
    condition: two index maxima), ``disjoint`` (conditions share no value: one segment max per
    condition plus one for the values in none, then ρ_c = the largest other segment, read off the top
    two), else the dense masked max over (B, C, D).
    """

    masks: torch.Tensor
    rules: torch.Tensor
    order: torch.Tensor
    identity: bool
    kind: str
    inside: torch.Tensor
    outside: torch.Tensor
    segment: torch.Tensor
    positions: torch.Tensor

    @staticmethod
    def build(masks: np.ndarray, owners: list[int], n_rules: int) -> _AttributeConditions:
        c, d = masks.shape
        rules = torch.as_tensor(owners, dtype=torch.long)
        # Column order that puts condition c at its rule's position (only when rules map 1:1 to conditions).
        order = torch.argsort(rules) if c == n_rules else rules
        identity = bool(c == n_rules and torch.equal(rules, torch.arange(c)))
        empty = torch.empty(0, dtype=torch.long)
        if c == 1:
            kind = "single"
            inside, outside, segment = (torch.as_tensor(np.flatnonzero(masks[0])),
                                        torch.as_tensor(np.flatnonzero(~masks[0])), empty)
        elif (masks.sum(0) <= 1).all():
            kind = "disjoint"
            seg = np.where(masks.any(0), masks.argmax(0), c)
            inside, outside, segment = empty, empty, torch.as_tensor(seg, dtype=torch.long)
        else:
            kind, inside, outside, segment = "dense", empty, empty, empty
        return _AttributeConditions(torch.as_tensor(masks), rules, order, identity, kind, inside, outside, segment,
                                    torch.arange(c))

    def degrees(self, pi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(λ_c, ρ_c) of every condition, (B, C), for possibility distributions pi (B, D)."""
        dev, b = pi.device, pi.shape[0]
        zero = torch.zeros((), dtype=pi.dtype, device=dev)
        if self.kind == "single":
            lam = pi[:, self.inside.to(dev)].amax(-1, keepdim=True) if self.inside.numel() else zero.expand(b, 1)
            rho = pi[:, self.outside.to(dev)].amax(-1, keepdim=True) if self.outside.numel() else zero.expand(b, 1)
            return lam, rho
        if self.kind == "disjoint":
            c = self.masks.shape[0]
            g = torch.zeros(b, c + 1, dtype=pi.dtype, device=dev)   # possibilities are >= 0
            g.scatter_reduce_(1, self.segment.to(dev).expand(b, -1), pi, reduce="amax", include_self=True)
            top = torch.topk(g, 2, dim=1)
            first, second = top.values[:, :1], top.values[:, 1:]
            rho = torch.where(self.positions.to(dev) == top.indices[:, :1], second, first)
            return g[:, :c], rho
        m = self.masks.to(dev)
        return (torch.where(m, pi.unsqueeze(1), zero).amax(-1), torch.where(~m, pi.unsqueeze(1), zero).amax(-1))
