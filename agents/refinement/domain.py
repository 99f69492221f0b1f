"""What the refinement agent knows about a world: examples, interpreters, rule forms and domains.

The agent never imports :mod:`evaluation`. A benchmark hands it a :class:`Domain` (how inputs and
outputs are written and read, which rule forms exist) and each rule form carries an
:class:`Interpreter` with ``check(rule, examples)``: the symbolic side of propose → select → refine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


class RuleParseError(ValueError):
    """Model output that cannot be read as a rule of the requested form (a failed hypothesis)."""


class OutputParseError(ValueError):
    """Model output that cannot be read as an output of the domain (a wrong prediction)."""


@dataclass(frozen=True)
class Example:
    """One input/output pair. ``output`` is ``None`` for inputs whose answer the agent must not see."""

    input: Any
    output: Any = None


@dataclass(frozen=True)
class Outcome:
    """What an interpreter produced for one input: an output, or an error (crash, timeout, no parse)."""

    output: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class CheckResult:
    """A rule checked against examples.

    Attributes:
        outcomes: One :class:`Outcome` per example, in order.
        correct: Whether each outcome equals the expected output.
    """

    outcomes: list[Outcome]
    correct: list[bool]

    @property
    def accuracy(self) -> float:
        """Fraction of examples right (0 for no examples)."""
        return sum(self.correct) / len(self.correct) if self.correct else 0.0

    @property
    def perfect(self) -> bool:
        return bool(self.correct) and all(self.correct)


class Interpreter:
    """Applies a rule to inputs. Subclasses implement :meth:`apply` (sync) or :meth:`aapply` (async).

    ``check`` and ``acheck`` compare the outcomes with the expected outputs through :meth:`equal`.
    A rule that crashes, loops or cannot be parsed must become an :class:`Outcome` with ``error`` set,
    never an exception.
    """

    def apply(self, rule: Any, inputs: Sequence[Any]) -> list[Outcome]:
        """Outcomes of ``rule`` on each input."""
        raise NotImplementedError(f"{type(self).__name__} implements neither apply() nor aapply()")

    async def aapply(self, rule: Any, inputs: Sequence[Any]) -> list[Outcome]:
        """Async :meth:`apply`; the default runs it in a thread so other episodes keep going."""
        return await asyncio.to_thread(self.apply, rule, list(inputs))

    def equal(self, actual: Any, expected: Any) -> bool:
        """Whether an output counts as right (exact equality by default)."""
        return actual == expected

    def _compare(self, outcomes: list[Outcome], examples: Sequence[Example]) -> CheckResult:
        correct = [o.ok and self.equal(o.output, ex.output) for o, ex in zip(outcomes, examples, strict=True)]
        return CheckResult(outcomes=outcomes, correct=correct)

    def check(self, rule: Any, examples: Sequence[Example]) -> CheckResult:
        """Apply ``rule`` to every example's input and compare with its output."""
        return self._compare(self.apply(rule, [ex.input for ex in examples]), examples)

    async def acheck(self, rule: Any, examples: Sequence[Example]) -> CheckResult:
        """Async :meth:`check`."""
        return self._compare(await self.aapply(rule, [ex.input for ex in examples]), examples)


@dataclass
class RuleForm:
    """One way of writing rules for a domain.

    Attributes:
        name: ``"python"``, ``"dict"``, ``"grammar"``, ``"asp"``, ...
        instructions: Told to the model after the examples: how to write a rule of this form.
        parse: Model text -> rule object; raises :class:`RuleParseError` with the reason.
        interpreter: Applies parsed rules.
        max_tokens: Tokens the model may spend on one rule.
        render: Rule object -> text shown back to the model (default: ``str``).
        constraint: Regex a rule of this form matches, for constrained decoding (``None``: none), or a
            function of the seen examples returning one (to allow only the task's own symbols).
    """

    name: str
    instructions: str
    parse: Callable[[str], Any]
    interpreter: Interpreter
    max_tokens: int = 256
    render: Callable[[Any], str] = str
    constraint: str | Callable[[Sequence[Example]], str] | None = None


@dataclass
class Domain:
    """Everything domain-specific the agent needs; benchmarks build one per data set.

    Attributes:
        name: ``"acre"``, ``"miniscan"``, ``"list_functions"``, ``"arc"``.
        description: One paragraph telling the model what the inputs and outputs are.
        format_input: Input -> text in prompts.
        format_output: Output -> text in prompts.
        parse_output: Model text -> output (raises :class:`OutputParseError`).
        output_instructions: How to write an answer (IO prompting and rule application by the model).
        forms: Rule forms by name; ``"python"`` is needed for the ``nl`` form (translation).
        formal: Name of the domain's own formal language in ``forms`` (``None`` if it has none).
        python_signature: Tells the model the Python types of ``fn``'s argument and result.
        output_max_tokens: Tokens the model may spend on one predicted output.
        output_constraint: Regex an output matches, for constrained decoding (``None``: none), or a
            function of the seen examples returning one.
    """

    name: str
    description: str
    format_input: Callable[[Any], str]
    format_output: Callable[[Any], str]
    parse_output: Callable[[str], Any]
    output_instructions: str
    forms: dict[str, RuleForm] = field(default_factory=dict)
    formal: str | None = None
    python_signature: str = ""
    output_max_tokens: int = 64
    output_constraint: str | Callable[[Sequence[Example]], str] | None = None

    def form(self, name: str) -> RuleForm:
        """The rule form called ``name`` (``"formal"`` means this domain's own language)."""
        key = self.formal if name == "formal" else name
        if key is None or key not in self.forms:
            have = ", ".join(sorted(self.forms)) + (", formal" if self.formal else "")
            raise ValueError(f"domain '{self.name}' has no rule form '{name}'; it has: {have}")
        return self.forms[key]

    def equal(self, actual: Any, expected: Any) -> bool:
        """Output equality as the domain's interpreters see it."""
        any_form = next(iter(self.forms.values()), None)
        return any_form.interpreter.equal(actual, expected) if any_form else actual == expected


