"""What one sandboxed application returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "error", "timeout", "memory", "forbidden"]
STATUSES: tuple[str, ...] = ("ok", "error", "timeout", "memory", "forbidden")


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one function application (or one script run) in the sandbox.

    Attributes:
        status: ``"ok"``; ``"error"`` (an exception, a crash, ``sys.exit``, or an oversized result);
            ``"timeout"`` (wall clock or CPU time); ``"memory"`` (the memory limit); ``"forbidden"``
            (network, process spawning, writes outside the private temp dir, ctypes, ...).
        value: The return value (``status == "ok"``), as plain Python data (None, bool, int, float,
            complex, str, bytes, list, tuple, dict, set; numpy values arrive as Python numbers/lists).
        error: ``"ExcType: message"`` (or what the violation was) when status is not ``"ok"``.
        stdout: What the code printed (stdout and stderr), capped at the sandbox's ``output_limit``.
        truncated: True when ``stdout`` was cut at the cap.
        seconds: Wall time of this application inside the worker.
    """

    status: Status
    value: Any = None
    error: str | None = None
    stdout: str = ""
    truncated: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"
