"""Python rules (``def fn(x): ...``) run in :mod:`agents.sandbox`, one batched call per rule."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Sequence
from typing import Any

from agents.world.domain import RuleForm
from agents.world.interpreter import Interpreter, Outcome
from agents.world.parsing import parse_python_rule

_shared: Any = None
_lock = threading.Lock()


def shared_sandbox(workers: int = 2) -> Any:
    """One process-wide :class:`agents.sandbox.Sandbox` (created on first use, closed at exit)."""
    global _shared
    with _lock:
        if _shared is None:
            from agents.sandbox import Sandbox

            _shared = Sandbox(workers=workers, timeout=2.0)
            atexit.register(_shared.close)
        return _shared


def _identity(x: Any) -> Any:
    return x


class PythonInterpreter(Interpreter):
    """Runs ``fn`` from a Python rule on every input in the sandbox (crashes and loops become errors).

    Args:
        to_python: Domain input -> the argument ``fn`` receives.
        from_python: ``fn``'s return value -> domain output; raises ``TypeError``/``ValueError`` for a
            value of the wrong shape (an error outcome).
        timeout: Seconds per application.
        sandbox: A :class:`agents.sandbox.Sandbox`; default: :func:`shared_sandbox`.
        equal: Output equality (default ``==``).
    """

    def __init__(self, to_python: Callable[[Any], Any] = _identity,
                 from_python: Callable[[Any], Any] = _identity, timeout: float = 2.0, sandbox: Any = None,
                 equal: Callable[[Any, Any], bool] | None = None) -> None:
        self.to_python = to_python
        self.from_python = from_python
        self.timeout = timeout
        self._sandbox = sandbox
        self._equal = equal

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            self._sandbox = shared_sandbox()
        return self._sandbox

    def equal(self, actual: Any, expected: Any) -> bool:
        return self._equal(actual, expected) if self._equal else actual == expected

    def _outcomes(self, results: Sequence[Any]) -> list[Outcome]:
        out = []
        for r in results:
            if not r.ok:
                out.append(Outcome(error=f"{r.status}: {r.error or ''}".strip()[:300]))
                continue
            try:
                out.append(Outcome(self.from_python(r.value)))
            except (TypeError, ValueError) as exc:
                out.append(Outcome(error=f"bad return value: {exc}"[:300]))
        return out

    def apply(self, rule: str, inputs: Sequence[Any]) -> list[Outcome]:
        args = [self.to_python(x) for x in inputs]
        return self._outcomes(self.sandbox.apply(rule, "fn", args, timeout=self.timeout))

    async def aapply(self, rule: str, inputs: Sequence[Any]) -> list[Outcome]:
        args = [self.to_python(x) for x in inputs]
        return self._outcomes(await self.sandbox.aapply(rule, "fn", args, timeout=self.timeout))


def python_form(interpreter: PythonInterpreter, signature: str, max_tokens: int = 320) -> RuleForm:
    """The ``python`` rule form for a domain whose ``fn`` has ``signature``."""
    instructions = (f"Write the rule as a Python function with this signature:\n{signature}\n"
                    "Put it in a ```python code block and write nothing else.")
    return RuleForm("python", instructions, parse_python_rule, interpreter, max_tokens=max_tokens)
