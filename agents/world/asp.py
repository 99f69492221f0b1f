"""Hypotheses as answer set programs, checked by clingo (beyond Qiu et al.: an ASP rule form).

A hypothesis is a clingo program. For each input, the domain writes facts; the interpreter grounds
background + facts + hypothesis and reads one query atom under brave and cautious reasoning: the
query holds in every answer set (first label), in none (second label), or in some (third label).
A program with no answer set, a syntax error, or a grounding or solve that runs out of time is an
error outcome. clingo runs through :mod:`symbolic.asp` (one session type for every caller).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agents.world.interpreter import Interpreter, Outcome, RuleParseError
from symbolic.asp import AspModel, AspSession, syntax_errors


def check_program(program: str) -> None:
    """Raise :class:`RuleParseError` with clingo's message when ``program`` does not parse."""
    if not program.strip():
        raise RuleParseError("empty program")
    errors = syntax_errors(program)
    if errors:
        raise RuleParseError(f"clingo syntax error: {errors[0]}")


class AspInterpreter(Interpreter):
    """Evaluates a query atom under a hypothesis program, one input at a time.

    Args:
        background: Program text shared by every input (e.g. ``on :- present(X), blicket(X).``).
        facts: Input -> facts (program text) describing it.
        query: The 0-ary atom whose truth decides the output.
        labels: Outputs for (query in all answer sets, in none, in some but not all).
        timeout: Seconds allowed to ground and solve one input, together. Programs are model-written,
            so grounding is limited too (``p(X) :- X = 1..100000000.`` is an error outcome after about
            ``timeout`` seconds): each input runs in a :class:`symbolic.asp.AspSession` child process.
        memory_limit_mb: Address-space limit of that child process, so a program that grounds
            quickly into gigabytes fails instead of taking the machine's memory.
    """

    def __init__(self, background: str, facts: Callable[[Any], str], query: str,
                 labels: tuple[Any, Any, Any] = (True, False, None), timeout: float = 2.0,
                 memory_limit_mb: int | None = 2048) -> None:
        self.background = background
        self.facts = facts
        self.query = query
        self.labels = labels
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb

    def apply(self, rule: str, inputs: Sequence[Any]) -> list[Outcome]:
        return [self._one(rule, x) for x in inputs]

    def _one(self, program: str, x: Any) -> Outcome:
        # one witness per truth value of the query is all brave/cautious reasoning needs here
        session = AspSession(["--project", "--warn=none"], models=0, time_limit=self.timeout, keep="watched",
                             watch=(self.query,), shown=False, memory_limit_mb=self.memory_limit_mb,
                             message_limit=5)
        session.add("\n".join((self.background, self.facts(x), program)))
        seen: set[bool] = set()

        def enough(model: AspModel) -> bool:
            seen.add(model.watched[0])  # runs in the solving process: only decides when to stop
            return len(seen) < 2

        res = session.solve(on_model=enough)
        values = {m.watched[0] for m in res.models}
        if res.status == "error":
            return Outcome(error=f"clingo error: {(res.error or '')[:300]}")
        if res.status == "timeout" and len(values) < 2:
            phase = "grounding" if res.timed_out == "ground" else "solving"
            return Outcome(error=f"clingo ran out of time ({self.timeout:g}s, while {phase})")
        if not values:
            return Outcome(error="the program has no answer set (it is inconsistent with the input)")
        if values == {True}:
            return Outcome(self.labels[0])
        if values == {False}:
            return Outcome(self.labels[1])
        return Outcome(self.labels[2])
