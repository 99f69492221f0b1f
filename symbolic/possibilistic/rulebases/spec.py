"""Rule bases as plain data: rules "if a ∈ P then b ∈ Q", rule sets, and their output partitions.

A :class:`RuleSetSpec` is what the paper writes down: the output attribute, its domain and the rules.
:meth:`RuleSetSpec.partition` builds the output partition Λ(n) by successive intersection (start
with {Q_1, D∖Q_1}, split every block by each further Q_i, drop empty blocks) and returns, per block,
which conclusions contain it: the sign pattern of the matrix Γ(n) (inside Q_i → columns (s_i, 1),
outside → (1, r_i)).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Rule:
    """One possibilistic rule "if ``attribute`` ∈ ``premise`` then ``output`` ∈ ``conclusion``".

    Attributes:
        attribute: Name of the premise attribute.
        premise: Values P of the premise attribute that make the premise true.
        output: Name of the output attribute.
        conclusion: Values Q of the output attribute the rule concludes.
    """

    attribute: str
    premise: tuple[Hashable, ...]
    output: str
    conclusion: tuple[Hashable, ...]

    def describe(self) -> str:
        """The rule as readable text."""
        p = self.premise[0] if len(self.premise) == 1 else f"{{{len(self.premise)} values}}"
        q = self.conclusion[0] if len(self.conclusion) == 1 else f"{{{len(self.conclusion)} values}}"
        op_p = "=" if len(self.premise) == 1 else "∈"
        op_q = "=" if len(self.conclusion) == 1 else "∈"
        return f"if {self.attribute} {op_p} {p} then {self.output} {op_q} {q}"


@dataclass(frozen=True)
class Partition:
    """Output partition of a rule set.

    Attributes:
        blocks: The values of each block, in construction order.
        inside: Boolean (K blocks, n rules): block k lies inside the conclusion Q_i.
        value_block: For each value of the output domain (in domain order), its block index.
    """

    blocks: tuple[tuple[Hashable, ...], ...]
    inside: np.ndarray
    value_block: np.ndarray


@dataclass(frozen=True)
class RuleSetSpec:
    """A rule set: rules sharing one output attribute.

    Attributes:
        name: Output attribute name (e.g. ``c_3``), also the rule set's name.
        family: Which family it belongs to (rules of one family share a learning threshold).
        output_domain: Values of the output attribute.
        input_domains: Domain of each premise attribute.
        rules: The rules, in order (the order of Γ's column pairs).
    """

    name: str
    family: str
    output_domain: tuple[Hashable, ...]
    input_domains: dict[str, tuple[Hashable, ...]]
    rules: tuple[Rule, ...]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError(f"rule set {self.name!r} has no rules")
        out = set(self.output_domain)
        for i, rule in enumerate(self.rules):
            if rule.output != self.name:
                raise ValueError(f"rule set {self.name!r}, rule {i}: concludes about {rule.output!r}")
            if not rule.premise:
                raise ValueError(f"rule set {self.name!r}, rule {i}: empty premise")
            if rule.attribute not in self.input_domains:
                raise ValueError(f"rule set {self.name!r}, rule {i}: unknown premise attribute {rule.attribute!r}")
            bad = set(rule.premise) - set(self.input_domains[rule.attribute])
            if bad:
                raise ValueError(f"rule set {self.name!r}, rule {i}: premise values {sorted(map(str, bad))[:3]} "
                                 f"outside the domain of {rule.attribute!r}")
            bad = set(rule.conclusion) - out
            if bad:
                raise ValueError(f"rule set {self.name!r}, rule {i}: conclusion values "
                                 f"{sorted(map(str, bad))[:3]} outside the domain of {self.name!r}")

    def partition(self) -> Partition:
        """The output partition Λ(n) and Γ's sign pattern (computed once)."""
        if "partition" not in self._cache:
            self._cache["partition"] = build_partition(self.output_domain, [r.conclusion for r in self.rules])
        return self._cache["partition"]

    def premise_masks(self) -> dict[str, np.ndarray]:
        """Per premise attribute, a boolean (n rules, |domain|) mask of each rule's premise set.

        Rows of rules about another attribute are all False (they take no input from this one).
        """
        if "masks" not in self._cache:
            masks = {}
            for attr, dom in self.input_domains.items():
                index = {v: i for i, v in enumerate(dom)}
                m = np.zeros((len(self.rules), len(dom)), dtype=bool)
                for i, rule in enumerate(self.rules):
                    if rule.attribute == attr:
                        m[i, [index[v] for v in rule.premise]] = True
                masks[attr] = m
            self._cache["masks"] = masks
        return self._cache["masks"]


def build_partition(domain: Sequence[Hashable], conclusions: Sequence[Sequence[Hashable]]) -> Partition:
    """Successive intersection of the conclusions Q_1..Q_n over ``domain``; empty blocks are dropped."""
    blocks: list[list[Hashable]] = [list(domain)]
    signs: list[list[bool]] = [[]]
    for q in conclusions:
        qs = set(q)
        new_blocks, new_signs = [], []
        for block, sign in zip(blocks, signs, strict=True):
            inside = [v for v in block if v in qs]
            outside = [v for v in block if v not in qs]
            if inside:
                new_blocks.append(inside)
                new_signs.append([*sign, True])
            if outside:
                new_blocks.append(outside)
                new_signs.append([*sign, False])
        blocks, signs = new_blocks, new_signs
    index = {v: i for i, v in enumerate(domain)}
    value_block = np.empty(len(domain), dtype=np.int64)
    for b, block in enumerate(blocks):
        for v in block:
            value_block[index[v]] = b
    return Partition(tuple(tuple(b) for b in blocks), np.array(signs, dtype=bool).reshape(len(blocks), -1),
                     value_block)
