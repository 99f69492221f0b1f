"""A sandbox for model-written Python: warm worker processes with kernel-enforced limits.

Each worker imports the preloaded modules once and forks a fresh, confined child per program (one
``apply`` over all its inputs, or one ``run``), so nothing one program does to modules, builtins,
``sys`` or the temp dir reaches the next.

Example::

    from agents.sandbox import Sandbox

    with Sandbox(workers=2, timeout=1.0) as sb:
        results = sb.apply("def f(x):\n    return 2*x + 1", "f", range(1000))
        assert [r.value for r in results[:3]] == [1, 3, 5]
        print(sb.run("import socket; socket.create_connection(('1.1.1.1', 80))").status)  # forbidden

Async agents use ``await sb.aapply(...)`` / ``await sb.arun(...)``.
"""

from agents.sandbox.pool import Sandbox
from agents.sandbox.result import STATUSES, SandboxResult, Status

__all__ = ["STATUSES", "Sandbox", "SandboxResult", "Status"]
