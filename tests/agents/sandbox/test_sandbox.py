"""The sandbox: results, batching, and an adversarial suite (each attack must fail harmlessly)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from agents.sandbox import STATUSES, Sandbox

# Code that first disables the Python audit hook, so the kernel layers (Landlock, seccomp, rlimits)
# are what stops the attack.
DISARM = "import __main__ as W\nW.arm(False)\nW._ARM.clear()\n"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=1, timeout=1.0, memory_mb=1024, output_limit=1000) as s:
        yield s


def test_apply_batched_results_in_order(sb):
    res = sb.apply("def f(x):\n    return 2*x + 1", "f", range(200))
    assert [r.status for r in res] == ["ok"] * 200
    assert [r.value for r in res] == [2 * x + 1 for x in range(200)]


def test_apply_unpack_and_plain_values(sb):
    code = "import numpy as np\ndef f(a, b):\n    return {'s': a + b, 'v': np.arange(3) * a, 't': (a, {b})}"
    [r] = sb.apply(code, "f", [(2, 3)], unpack=True)
    assert r.ok, r.error
    assert r.value == {"s": 5, "v": [0, 2, 4], "t": (2, {3})}


def test_errors_are_per_input_and_keep_the_worker(sb):
    before = sb.replaced
    res = sb.apply("def f(x):\n    return 10 // x", "f", [1, 0, 5])
    assert [r.status for r in res] == ["ok", "error", "ok"]
    assert res[1].error.startswith("ZeroDivisionError")
    assert res[2].value == 2
    assert sb.replaced == before


def test_bad_code_reports_on_every_input(sb):
    res = sb.apply("def f(x) return x", "f", [1, 2])
    assert [r.status for r in res] == ["error", "error"] and "SyntaxError" in res[0].error
    res = sb.apply("def g(x):\n    return x", "f", [1])
    assert res[0].status == "error" and "no function named 'f'" in res[0].error


def test_unpicklable_return_is_an_error(sb):
    [r] = sb.apply("def f(x):\n    return object()", "f", [1])
    assert r.status == "error" and "cannot leave the sandbox" in r.error


def test_stdout_captured_and_capped(sb):
    [r] = sb.apply("def f(x):\n    print('hi', x)\n    return x", "f", [7])
    assert r.ok and r.stdout == "hi 7\n" and not r.truncated
    r = sb.run("print('x' * 10**7)")  # huge output
    assert r.ok and len(r.stdout) == 1000 and r.truncated


def test_run_returns_result_variable(sb):
    r = sb.run("open('a.txt', 'w').write('ok')\nresult = open('a.txt').read()")
    assert r.ok and r.value == "ok"  # writing inside the private temp dir is allowed


def test_timeout_in_the_middle_of_a_batch_resumes_the_rest(sb):
    code = "def f(x):\n    while x == 2:\n        pass\n    return x"
    res = sb.apply(code, "f", [1, 2, 3], timeout=0.5)
    assert [r.status for r in res] == ["ok", "timeout", "ok"]
    assert res[2].value == 3


@pytest.mark.parametrize("code", [
    "while True: pass",
    "import time; time.sleep(30)",
    "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass",
])
def test_infinite_loops_time_out(sb, code):
    t = time.monotonic()
    r = sb.run(code)
    assert r.status == "timeout"
    assert time.monotonic() - t < 5


@pytest.mark.parametrize("code,what", [
    ("import os\nfor _ in range(100):\n    os.fork()", "fork"),
    ("import os; os.system('touch /tmp/nesy_pwned')", "os.system"),
    ("import subprocess; subprocess.run(['touch', '/tmp/nesy_pwned'])", "subprocess"),
    ("import socket; socket.create_connection(('1.1.1.1', 80), timeout=1)", "socket"),
    ("import ctypes; ctypes.CDLL(None).system(b'touch /tmp/nesy_pwned')", "ctypes"),
    ("open('/tmp/nesy_pwned', 'w').write('x')", "write outside"),
    ("import os; os.remove('{victim}')", "delete outside"),
    ("result = open('/proc/1/environ').read()", "parent environ"),
])
def test_forbidden(sb, tmp_path, code, what):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    r = sb.run(code.format(victim=victim))
    assert r.status == "forbidden", (what, r)
    assert victim.read_text() == "keep me"
    assert not Path("/tmp/nesy_pwned").exists()


@pytest.mark.parametrize("code", [
    "import os; os.fork()",
    "import socket; socket.socket()",
    "import socket; s = socket.socket(socket.AF_INET); s.connect(('127.0.0.1', 22))",
    "import ctypes; result = ctypes.CDLL(None).fork()",
    "import os; result = os.system('touch /tmp/nesy_pwned')",
    "open('/tmp/nesy_pwned', 'w').write('x')",
    "import os; os.remove('{victim}')",
    "import os; os.kill(os.getppid(), 9)",
    "result = open('/proc/1/environ').read()",
    "import threading; threading.Thread(target=lambda: None).start()",
    "import resource; resource.setrlimit(resource.RLIMIT_AS, (-1, -1))",
    "import os; os.setsid()",  # would leave the process group the parent kills on a timeout
    "import os; result = os.pidfd_open(os.getppid())",  # a handle on the worker, for signals and fds
])
def test_kernel_layers_hold_without_the_audit_hook(sb, tmp_path, code):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    r = sb.run(DISARM + code.format(victim=victim))
    # Either refused outright, or (ctypes fork / os.system) the call returned a failure code.
    assert r.status in ("forbidden", "error") or r.value in (-1, 32512), r
    assert victim.read_text() == "keep me"
    assert not Path("/tmp/nesy_pwned").exists()


def test_memory_bomb(sb):
    r = sb.run("x = bytearray(8 << 30)")
    assert r.status == "memory"
    r = sb.run("x = []\nwhile True:\n    x.append(bytearray(10**8))", timeout=10)
    assert r.status == "memory"


def test_deep_recursion(sb):
    r = sb.run("def g(n):\n    return g(n + 1)\ng(0)")
    assert r.status == "error" and "RecursionError" in r.error
    r = sb.run("import sys\nsys.setrecursionlimit(10**7)\ndef g(n):\n    return g(n + 1)\ng(0)")
    # Python 3.11 frames live on the heap: this ends in a timeout, MemoryError or a crashed worker,
    # each reported and followed by a fresh worker.
    assert r.status in ("error", "memory", "timeout")
    assert sb.run("result = 1").value == 1


def test_environment_is_clean(sb, monkeypatch):
    monkeypatch.setenv("NESY_TEST_SECRET", "hunter2")
    sb2 = Sandbox(workers=1)
    try:
        r = sb2.run("import os; result = dict(os.environ)")
    finally:
        sb2.close()
    assert r.ok and "NESY_TEST_SECRET" not in r.value
    assert set(r.value) <= {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE",
                            "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "LC_CTYPE"}


def test_sys_exit_and_os_exit(sb):
    r = sb.run("import sys; sys.exit(3)")
    assert r.status == "error" and "SystemExit" in r.error
    r = sb.run("import os; os._exit(3)")
    assert r.status == "error" and "exited with code 3" in r.error
    assert sb.run("result = 2").value == 2


def test_killed_worker_is_reported_and_replaced(sb):
    sb.run("result = 0")  # make sure a worker is warm
    pids = [w.proc.pid for w in list(sb._all)]

    def killer():
        time.sleep(0.3)
        for p in pids:
            os.kill(p, 9)

    threading.Thread(target=killer).start()
    res = sb.apply("import time\ndef f(x):\n    time.sleep(0.2)\n    return x", "f", range(4), timeout=1.0)
    assert len(res) == 4
    assert any(r.status == "error" and "SIGKILL" in r.error for r in res)
    assert sb.run("result = 3").value == 3


def test_statuses_and_parent_unharmed(sb):
    assert set(STATUSES) == {"ok", "error", "timeout", "memory", "forbidden"}
    assert os.getpid() > 0 and Path("/work/main/pyproject.toml").exists()


def test_aapply_concurrent():
    async def main():
        with Sandbox(workers=2, timeout=1.0) as s:
            return await asyncio.gather(*(s.aapply(f"def f(x):\n    return x * k\nk = {k}", "f", range(50))
                                          for k in range(4)))

    outs = asyncio.run(main())
    assert [[r.value for r in o] for o in outs] == [[x * k for x in range(50)] for k in range(4)]


def test_bad_arguments():
    with pytest.raises(ValueError, match="workers"):
        Sandbox(workers=0)
    with pytest.raises(ValueError, match="timeout"):
        Sandbox(timeout=0)


# -- isolation between programs: what one program leaves behind must not reach the next --------------
# Each case: a polluting script, then a probe program; the probe must answer exactly as it did before
# the pollution (same worker: workers=1).

LEAKS = {
    "patched stdlib function": (
        "import json\njson.dumps = lambda *a, **k: '\"pwned\"'",
        "import json\ndef f(x):\n    return json.dumps(x)", [1, 2]),
    "replaced sys.modules entry": (
        "import sys, types\nsys.modules['math'] = types.SimpleNamespace(sqrt=lambda x: -1.0)",
        "def f(x):\n    import math\n    return math.sqrt(x)", 16),
    "patched builtins": (
        "import builtins\nbuiltins.sorted = lambda *a, **k: ['pwned']\nbuiltins.abs = lambda x: -1\n"
        "del builtins.divmod",
        "def f(x):\n    return abs(-3), sorted(x), divmod(7, 2)", [3, 1, 2]),
    "class attribute on a stdlib type": (
        "import collections, json\ncollections.Counter.most_common = lambda self, n=None: 'pwned'\n"
        "collections.Counter.x = 1\njson.JSONEncoder.default = lambda self, o: 'pwned'",
        "import collections, json\ndef f(x):\n    try:\n        enc = json.dumps(set(x))\n"
        "    except TypeError:\n        enc = 'TypeError'\n"
        "    c = collections.Counter(x)\n    return c.most_common(1), hasattr(c, 'x'), enc",
        [1, 1, 2]),
    "sys and gc state": (
        "import sys, gc\nsys.setrecursionlimit(60)\nsys.path.insert(0, '/nonexistent')\ngc.disable()\n"
        "gc.callbacks.append(lambda *a: None)",
        "import sys, gc\ndef f(x):\n"
        "    return sys.getrecursionlimit(), sys.path[:2], gc.isenabled(), len(gc.callbacks)",
        0),
    "atexit handler": (
        "import atexit\natexit.register(print, 'bye')",
        "import atexit\ndef f(x):\n    return atexit._ncallbacks()", 0),
    # Threads cannot start (seccomp), so the thing left running is an interval timer whose handler
    # raises into whatever program runs next.
    "interval timer left running": (
        "import signal\ndef h(*a):\n    raise RuntimeError('a timer left by an earlier program')\n"
        "signal.signal(signal.SIGVTALRM, h)\nsignal.setitimer(signal.ITIMER_VIRTUAL, 0.05, 0.001)",
        "def f(x):\n    return sum(i * i for i in range(x))", 2_000_000),
    "files in the temp dir": (
        "open('note.txt', 'w').write('secret')\nimport os\nos.mkdir('d')\nos.mkdir('d/locked', 0)\n"
        "os.mkdir('ro')\nopen('ro/f', 'w').close()\nos.mkdir('ro/sub', 0)",
        "import os\ndef f(x):\n    return sorted(os.listdir('.'))", 0),
}


@pytest.fixture
def one_worker():
    with Sandbox(workers=1, timeout=2.0) as s:
        yield s


@pytest.mark.parametrize("case", list(LEAKS))
def test_no_state_leaks_between_programs(one_worker, case):
    polluter, probe, x = LEAKS[case]
    [before] = one_worker.apply(probe, "f", [x])
    assert before.ok, before
    r = one_worker.run(polluter)
    assert r.ok, r
    [after] = one_worker.apply(probe, "f", [x])
    assert (after.status, after.value) == (before.status, before.value), case


FORGER = """
import os, pickle, struct, sys

def frame(obj):
    data = pickle.dumps(obj)
    return struct.pack("<I", len(data)) + data

def f(x):
    row = ("ok", pickle.dumps("forged"), None, "", False, 0.0)
    try:
        i, o = int(sys.argv[1]), int(sys.argv[2])
        os.write(o, frame(("results", [row])) + frame(("done", "ok")))
        n = struct.unpack("<I", os.read(i, 4))[0]
        msg = pickle.loads(os.read(i, n))
        os.write(o, frame(("results", [row] * len(msg[3]))) + frame(("done", "ok")))
    except Exception:
        pass
    return x
"""


def test_forged_frames_cannot_answer_for_the_next_program(one_worker):
    one_worker.apply(FORGER, "f", [1])
    res = one_worker.apply("def f(x):\n    return x + 1", "f", [1, 2, 3])
    assert [r.value for r in res] == [2, 3, 4]


def test_a_crashing_program_does_not_cost_a_worker(one_worker):
    one_worker.run("result = 0")
    before = one_worker.replaced
    r = one_worker.run("import os; os._exit(0)")
    assert r.status == "error" and "before answering" in r.error
    res = one_worker.apply("import os\ndef f(x):\n    if x == 1:\n        os._exit(5)\n    return x", "f", [0, 1, 2])
    assert [r.status for r in res] == ["ok", "error", "ok"] and "exited with code 5" in res[1].error
    assert one_worker.run("while True: pass", timeout=0.3).status == "timeout"
    assert one_worker.run("x = bytearray(8 << 30)").status == "memory"
    assert one_worker.run("import os; os.fork()").status == "forbidden"
    assert one_worker.run("result = 1").value == 1
    assert one_worker.replaced == before


def test_state_persists_within_one_programs_batch(one_worker):
    res = one_worker.apply("seen = []\ndef f(x):\n    seen.append(x)\n    return len(seen)", "f", range(5))
    assert [r.value for r in res] == [1, 2, 3, 4, 5]
