"""Hypotheses as answer set programs, checked by clingo (beyond Qiu et al.: an ASP rule form).

A hypothesis is a clingo program. For each input, the domain writes facts; the interpreter grounds
background + facts + hypothesis and reads one query atom under brave and cautious reasoning: the
query holds in every answer set (first label), in none (second label), or in some (third label).
A program with no answer set, a syntax error, or a solve that runs out of time is an error outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from agents.refinement.domain import Interpreter, Outcome, RuleParseError


def check_program(program: str) -> None:
    """Raise :class:`RuleParseError` with clingo's message when ``program`` does not parse."""
    from clingo.ast import parse_string

    if not program.strip():
        raise RuleParseError("empty program")
    messages: list[str] = []
    try:
        parse_string(program, lambda _stm: None, logger=lambda _code, msg: messages.append(msg),
                     message_limit=5)
    except RuntimeError as exc:
        detail = messages[0].strip() if messages else str(exc)
        raise RuleParseError(f"clingo syntax error: {detail}") from None


class AspInterpreter(Interpreter):
    """Evaluates a query atom under a hypothesis program, one input at a time.

    Args:
        background: Program text shared by every input (e.g. ``on :- present(X), blicket(X).``).
        facts: Input -> facts (program text) describing it.
        query: The 0-ary atom whose truth decides the output.
        labels: Outputs for (query in all answer sets, in none, in some but not all).
        timeout: Seconds allowed to ground and solve one input (solving is interrupted after it).
    """

    def __init__(self, background: str, facts: Callable[[Any], str], query: str,
                 labels: tuple[Any, Any, Any] = (True, False, None), timeout: float = 2.0) -> None:
        self.background = background
        self.facts = facts
        self.query = query
        self.labels = labels
        self.timeout = timeout

    def apply(self, rule: str, inputs: Sequence[Any]) -> list[Outcome]:
        return [self._one(rule, x) for x in inputs]

    def _one(self, program: str, x: Any) -> Outcome:
        import clingo

        messages: list[str] = []
        ctl = clingo.Control(["0", "--project", "--warn=none"],
                             logger=lambda _c, m: messages.append(m), message_limit=5)
        try:
            ctl.add("base", [], "\n".join((self.background, self.facts(x), program)))
            start = time.monotonic()
            ctl.ground([("base", [])])
            seen: set[bool] = set()

            def on_model(model: clingo.Model) -> bool:
                seen.add(model.contains(clingo.Function(self.query)))
                return len(seen) < 2  # both truth values seen: the answer is known

            left = max(0.05, self.timeout - (time.monotonic() - start))
            with ctl.solve(on_model=on_model, async_=True) as handle:
                if not handle.wait(left):  # cancel from this thread: no timer racing the handle's end
                    handle.cancel()
                result = handle.get()
            if result.interrupted and len(seen) < 2:
                return Outcome(error=f"clingo ran out of time ({self.timeout:g}s)")
            if not seen:
                return Outcome(error="the program has no answer set (it is inconsistent with the input)")
            if seen == {True}:
                return Outcome(self.labels[0])
            if seen == {False}:
                return Outcome(self.labels[1])
            return Outcome(self.labels[2])
        except RuntimeError as exc:
            detail = "; ".join(m.strip() for m in messages) or str(exc)
            return Outcome(error=f"clingo error: {detail[:300]}")
