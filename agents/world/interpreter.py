"""Checking a hypothesis on examples: the :class:`Interpreter` protocol and what it returns.

An interpreter applies a rule (Python source, an answer set program, a grammar, ...) to inputs and
compares the outcomes with the expected outputs. A rule that crashes, loops or cannot be parsed
becomes an :class:`Outcome` with ``error`` set, never an exception: a bad hypothesis is data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
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
