"""The sandbox front end: a pool of warm worker processes (see :mod:`agents.sandbox.worker`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from agents.sandbox.result import SandboxResult


class Sandbox:
    """Runs untrusted Python in separate, limited, warm worker processes.

    Args:
        workers: Number of worker processes (calls from several threads/coroutines run in parallel).
        timeout: Wall-clock seconds per application (per input of ``apply``; per ``run``).
        cpu_seconds: CPU seconds per application (default: ``timeout``).
        memory_mb: Address-space limit of a worker in MiB.
        output_limit: Most characters of printed output kept per application (and the cap, in bytes,
            on the serialized return value).

    Every worker runs with a clean environment, a private temp dir as cwd/HOME/TMPDIR, rlimits on
    CPU, memory, file size and open files, no process creation and no network (seccomp filter plus
    Python audit hooks), and no writes outside its temp dir. A worker is replaced after any
    violation, timeout, memory error or crash.
    """

    def __init__(self, workers: int = 2, timeout: float = 2.0, cpu_seconds: float | None = None,
                 memory_mb: int = 512, output_limit: int = 65_536) -> None:
        raise NotImplementedError("landing in the next commit")

    def apply(self, code: str, func: str, inputs: Iterable[Any], *, unpack: bool = False,
              timeout: float | None = None) -> list[SandboxResult]:
        """Define ``code`` in a fresh namespace and return ``[func(x) for x in inputs]`` as results.

        Args:
            code: Python source defining ``func``.
            func: Name of the function to call.
            inputs: One argument per application (a tuple of arguments when ``unpack=True``).
            unpack: Call ``func(*x)`` instead of ``func(x)``.
            timeout: Per-application wall-clock limit (default: the sandbox's).

        Returns:
            One :class:`SandboxResult` per input, in order. If ``code`` itself fails (syntax error,
            no ``func``), every result carries that error.
        """
        raise NotImplementedError

    async def aapply(self, code: str, func: str, inputs: Iterable[Any], *, unpack: bool = False,
                     timeout: float | None = None) -> list[SandboxResult]:
        """Async :meth:`apply` (runs in a thread; many coroutines share the workers)."""
        raise NotImplementedError

    def run(self, code: str, *, timeout: float | None = None) -> SandboxResult:
        """Execute a script; ``stdout`` holds what it printed, ``value`` the variable ``result`` if set."""
        raise NotImplementedError

    async def arun(self, code: str, *, timeout: float | None = None) -> SandboxResult:
        """Async :meth:`run`."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop all workers. Safe to call twice."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unused(_: Sequence[Any]) -> None:  # placeholder until the implementation lands
    return None
