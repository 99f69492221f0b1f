"""Python rules: outcomes from sandbox results, and a real sandboxed run."""

from __future__ import annotations

import asyncio

import pytest

from agents.sandbox import SandboxResult
from agents.world import PythonInterpreter, python_form


class ScriptedSandbox:
    """Returns fixed sandbox results (the sandbox itself is tested in tests/agents/sandbox)."""

    def __init__(self, results):
        self.results = results
        self.calls = []

    def apply(self, code, func, inputs, *, unpack=False, timeout=None):
        self.calls.append((code, func, list(inputs), timeout))
        return self.results

    async def aapply(self, code, func, inputs, *, unpack=False, timeout=None):
        return self.apply(code, func, inputs, timeout=timeout)


def _tuple_of_ints(v):
    if not isinstance(v, list):
        raise TypeError(f"not a list: {v!r}")
    return tuple(v)


def test_outcomes_map_statuses_and_bad_values():
    sb = ScriptedSandbox([SandboxResult("ok", value=[1, 2]), SandboxResult("timeout", error="took 2.0 s"),
                          SandboxResult("ok", value="oops"), SandboxResult("forbidden", error="socket")])
    interp = PythonInterpreter(to_python=list, from_python=_tuple_of_ints, timeout=0.5, sandbox=sb)
    outs = interp.apply("def fn(x): ...", [(1,), (2,), (3,), (4,)])
    assert outs[0].output == (1, 2)
    assert outs[1].error == "timeout: took 2.0 s"
    assert outs[2].error.startswith("bad return value: not a list")
    assert outs[3].error == "forbidden: socket"
    assert sb.calls[0][1:] == ("fn", [[1], [2], [3], [4]], 0.5)  # one batched call per rule


def test_python_form_instructions_name_the_signature():
    form = python_form(PythonInterpreter(sandbox=ScriptedSandbox([])), "def fn(x: list[int]) -> list[int]")
    assert "def fn(x: list[int]) -> list[int]" in form.instructions and form.name == "python"


def test_real_sandbox_runs_rules_and_contains_loops():
    from agents.sandbox import Sandbox

    with Sandbox(workers=1, timeout=1.0) as sb:
        interp = PythonInterpreter(to_python=list, from_python=_tuple_of_ints, timeout=0.5, sandbox=sb)
        ok = asyncio.run(interp.aapply("def fn(x):\n    return x[::-1]", [(1, 2, 3), ()]))
        assert [o.output for o in ok] == [(3, 2, 1), ()]
        [loop] = interp.apply("def fn(x):\n    while True:\n        pass", [(1,)])
        assert not loop.ok and loop.error.startswith("timeout")
        [crash] = interp.apply("def fn(x):\n    return x[10]", [(1,)])
        assert not crash.ok and "IndexError" in crash.error


@pytest.mark.parametrize("bad", ["def fn(x) return x", "import os\nos.system('true')\ndef fn(x):\n    return x"])
def test_bad_code_never_raises(bad):
    from agents.sandbox import Sandbox

    with Sandbox(workers=1, timeout=1.0) as sb:
        outs = PythonInterpreter(sandbox=sb).apply(bad, [1])
        assert len(outs) == 1 and (outs[0].error or outs[0].ok)
