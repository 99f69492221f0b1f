"""The symbolic checker: a hypothesis written as a Python function, run on the world's past observations.

With ``IdeaConfig(checker="program")`` the agent asks for its hypothesis as ``fn`` in a ```python block
as well as in words. The world describes what ``fn`` takes and returns, and lists its past observations,
in ``Observation.info["program"]`` (``{"signature", "explain", "compare", "observations"}``, each
observation ``{"args", "output", "text"}``): the agent never imports a world, so this is all it knows.
:func:`check_hypothesis` runs ``fn`` on every observation in the sandbox (:class:`PythonInterpreter`) and
lists the ones it contradicts, so the agent can send the hypothesis back for revision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.world import Example, Outcome, PythonInterpreter, RuleParseError
from agents.world.parsing import parse_python_rule

#: How the world says outputs compare (see :func:`equal`).
COMPARISONS = ("equal", "close", "regex")
#: Failing observations shown to the model per revision request (prompts stay short).
MAX_SHOWN = 5


def equal(compare: str, actual: Any, expected: Any) -> bool:
    """Whether ``fn``'s ``actual`` result agrees with the ``expected`` output under ``compare``.

    ``equal``: ``==`` after tuples become lists (JSON has no tuples); ``close``: numbers within 1e-6
    (relative, for large values); ``regex``: ``str(actual)`` fully matches the pattern ``expected``.
    """
    if compare == "close":
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        return math.isclose(float(actual), float(expected), rel_tol=1e-6, abs_tol=1e-6)
    if compare == "regex":
        return re.fullmatch(str(expected), str(actual)) is not None
    return _plain(actual) == _plain(expected)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


class _ArgsInterpreter(PythonInterpreter):
    """:class:`PythonInterpreter` calling ``fn(*args)``: the world's functions take several arguments."""

    def apply(self, rule: str, inputs: Sequence[Any]) -> list[Outcome]:
        return self._outcomes(self.sandbox.apply(rule, "fn", [tuple(a) for a in inputs], unpack=True,
                                                 timeout=self.timeout))

    async def aapply(self, rule: str, inputs: Sequence[Any]) -> list[Outcome]:
        return self._outcomes(await self.sandbox.aapply(rule, "fn", [tuple(a) for a in inputs], unpack=True,
                                                        timeout=self.timeout))


@dataclass
class Verdict:
    """A hypothesis program checked against the observations.

    Attributes:
        source: The program (``None``: no ``fn`` could be read from the reply).
        checked: Observations it was run on.
        failures: One line per contradicted observation (or the reason no program was read).
    """

    source: str | None
    checked: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return self.source is not None and not self.failures


def _call(args: Sequence[Any]) -> str:
    return "fn(" + ", ".join(repr(a) if not isinstance(a, list) or len(a) < 6 else f"<{len(a)} items>"
                             for a in args) + ")"


async def check_hypothesis(reply: str, spec: dict[str, Any], sandbox: Any = None) -> Verdict:
    """Read ``fn`` from ``reply`` and run it on every observation in ``spec`` (the world's ``info["program"]``).

    Args:
        reply: The model's hypothesis reply (words, then a ```python block).
        spec: What the world says about the program and its past observations.
        sandbox: An :class:`agents.sandbox.Sandbox` (default: the shared one).

    Returns:
        The :class:`Verdict`; a reply without a readable ``fn`` is inconsistent, with the reason.
    """
    try:
        source = parse_python_rule(reply, "fn")
    except RuleParseError as exc:
        return Verdict(None, failures=[f"no program could be read: {exc}"])
    compare = spec.get("compare", "equal")
    observations = list(spec.get("observations") or [])
    if not observations:
        return Verdict(source)  # nothing observed yet, so nothing to contradict
    interpreter = _ArgsInterpreter(sandbox=sandbox, equal=lambda a, e: equal(compare, a, e))
    result = await interpreter.acheck(source, [Example(o["args"], o["output"]) for o in observations])
    failures = []
    for obs, outcome, ok in zip(observations, result.outcomes, result.correct, strict=True):
        if ok:
            continue
        got = f"failed ({outcome.error})" if not outcome.ok else f"returned {outcome.output!r}"
        failures.append(f"{_call(obs['args'])} {got}, but you observed: {obs['text']}")
    return Verdict(source, checked=len(observations), failures=failures)


def failures_text(verdict: Verdict) -> str:
    """The failing cases shown to the model (at most :data:`MAX_SHOWN`, then how many more)."""
    lines = [f"- {f}" for f in verdict.failures[:MAX_SHOWN]]
    if len(verdict.failures) > MAX_SHOWN:
        lines.append(f"- ... and {len(verdict.failures) - MAX_SHOWN} more")
    return "\n".join(lines)
