"""The sandbox front end: a pool of warm, confined worker processes (see :mod:`agents.sandbox.worker`).

Each worker is a zygote that forks a fresh child per program, so programs cannot see each other's
interpreter state; the zygote survives a program's timeouts, memory errors, violations and crashes
and is only replaced when it stops answering, dies, or garbles its own frames.
"""

from __future__ import annotations

import asyncio
import io
import os
import pickle
import queue
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agents.sandbox.result import SandboxResult

_WORKER = Path(__file__).with_name("worker.py")
_MAX_FRAME = 256 << 20
_GRACE = 1.0  # seconds a worker may stay silent beyond the per-application timeout


class SandboxError(RuntimeError):
    """The sandbox itself failed (a worker could not start); never raised for untrusted code's faults."""


class _SafeUnpickler(pickle.Unpickler):
    """Unpickles only plain data: a worker's output is untrusted, and pickle can run code."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in ("complex", "set", "frozenset"):
            return {"complex": complex, "set": set, "frozenset": frozenset}[name]
        raise pickle.UnpicklingError(f"sandbox output refers to {module}.{name}, which is not plain data")


def _loads(data: bytes) -> Any:
    return _SafeUnpickler(io.BytesIO(data)).load()


_VIOLATIONS = ("timeout", "memory", "forbidden")
_PROGRAM_FAULT = ("error:ProgramDied", "error:GarbledOutput")


class _ProgramFrames:
    """Reassembles the length-prefixed ``("results", rows)`` frames a program's child writes, from the
    raw chunks its zygote relays. The child runs untrusted code that can write anything into its
    pipe; whatever it writes counts for its own program only, and the first malformed frame ends
    the parsing (``bad`` says why)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.bad: str | None = None

    def feed(self, chunk: bytes) -> list[SandboxResult]:
        if self.bad is not None:
            return []
        self.buf += chunk
        rows: list[SandboxResult] = []
        while len(self.buf) >= 4:
            n = int.from_bytes(self.buf[:4], "little")
            if n > _MAX_FRAME:
                self.bad = f"a frame of {n} bytes"
                break
            if len(self.buf) < 4 + n:
                break
            data = bytes(self.buf[4:4 + n])
            del self.buf[:4 + n]
            try:
                kind, payload = _loads(data)
                if kind != "results" or not isinstance(payload, list):
                    raise ValueError(f"unexpected frame {kind!r}")
                rows.extend(_row(r) for r in payload)
            except Exception as e:  # untrusted bytes: any failure to parse them is the program's fault
                self.bad = f"{type(e).__name__}: {e}"[:200]
                break
        return rows


def _read_dirs() -> list[str]:
    """Directories the worker may read: the Python installation, its packages, system libraries."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
            os.path.dirname(os.path.realpath(sys.executable))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            dirs.add(p)
    dirs.update(p for p in sys.path if p and os.path.isdir(p) and not p.startswith(os.getcwd()))
    dirs.update(("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/zoneinfo", "/usr/local/lib",
                 "/etc/ssl/certs"))
    return sorted(d for d in dirs if os.path.isdir(d))


_READ_FILES = ["/etc/ld.so.cache", "/etc/localtime", "/dev/urandom", "/dev/zero", "/etc/nsswitch.conf",
               "/proc/self/maps", "/proc/self/status", "/proc/self/stat"]


class _Worker:
    """One confined worker process and its pipes."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.tmpdir = tempfile.mkdtemp(prefix="nesy-sandbox-")
        os.chmod(self.tmpdir, 0o700)
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmpdir, "TMPDIR": self.tmpdir, "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-P", str(_WORKER), str(to_r), str(from_w)],
            env=env, cwd=self.tmpdir, pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
        )
        os.close(to_r)
        os.close(from_w)
        self.wfd, self.rfd = to_w, from_r
        self.dead = False
        self.batches = 0
        try:
            self.send({**cfg, "tmpdir": self.tmpdir})
            kind, info = self.recv(deadline=time.monotonic() + 60)
        except (EOFError, TimeoutError, OSError) as e:
            self.kill()
            raise SandboxError(f"a sandbox worker failed to start ({e!r}); exit code {self.proc.poll()}") from e
        if kind != "ready":
            self.kill()
            raise SandboxError(f"a sandbox worker answered {kind!r} instead of 'ready'")
        self.info = info

    def send(self, obj: Any) -> None:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(data).to_bytes(4, "little") + data)
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            r, _, _ = select.select([self.rfd], [], [], left)
            if not r:
                raise TimeoutError
            b = os.read(self.rfd, min(n - got, 1 << 20))
            if not b:
                raise EOFError
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    def recv(self, deadline: float) -> Any:
        n = int.from_bytes(self._read(4, deadline), "little")
        if n > _MAX_FRAME:
            raise EOFError(f"frame of {n} bytes")
        try:
            return _loads(self._read(n, deadline))
        except (pickle.UnpicklingError, ValueError, EOFError, TypeError) as e:
            raise EOFError(f"garbled output from the worker: {e}") from e

    def exit_description(self) -> str:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "the worker stopped responding"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            if name == "SIGXCPU":
                return "the worker ran out of CPU time (SIGXCPU)"
            return f"the worker was killed by {name}"
        return f"the worker exited with code {code}"

    def kill(self) -> None:
        if self.dead:
            return
        self.dead = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.tmpdir, ignore_errors=True)


class Sandbox:
    """Runs untrusted Python in separate, confined, warm worker processes.

    Args:
        workers: Number of worker processes (calls from several threads/coroutines run in parallel).
        timeout: Wall-clock seconds per application (per input of ``apply``; per ``run``).
        cpu_seconds: CPU seconds per application (default: the wall-clock timeout of each call).
        memory_mb: Address-space limit of a worker in MiB.
        output_limit: Most characters of printed output kept per application.
        value_limit: Most bytes of a (pickled) return value.
        preload: Modules imported before confinement (``numpy`` needs ctypes, which the sandbox
            forbids afterwards); untrusted code may import other stdlib modules itself.
        max_batches: Replace a worker (its zygote) after this many programs.

    Every worker runs with a clean environment, a private temp dir as cwd/HOME/TMPDIR, rlimits on
    memory, CPU, file size and open files, Landlock (reads only below the Python installation and
    system libraries, writes only in its temp dir, no TCP, no signals outside itself), and a Python
    audit hook that reports violations as ``forbidden``. It imports ``preload`` once and then forks
    one child per program (one ``apply`` over all its inputs, or one ``run``); the child adds a
    seccomp filter (no new processes or threads, no sockets, no ptrace/mount/namespaces/raising
    limits, no signals to other processes) and exits after the program, so no program sees what an
    earlier one did to modules, builtins, ``sys``, stdlib classes or the temp dir. Within one
    ``apply`` the inputs share the program's state (a fresh child resumes the rest after a
    violation). A worker is replaced only when it stops answering within the timeout, dies, or
    garbles its frames.
    """

    def __init__(self, workers: int = 2, timeout: float = 2.0, cpu_seconds: float | None = None,
                 memory_mb: int = 1024, output_limit: int = 65_536, value_limit: int = 1 << 20,
                 preload: tuple[str, ...] = ("math", "re", "json", "itertools", "functools", "collections",
                                             "random", "string", "fractions", "statistics", "numpy"),
                 max_batches: int = 10_000) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.timeout = float(timeout)
        self.cpu_seconds = float(cpu_seconds if cpu_seconds is not None else timeout)
        self._cpu_follows_timeout = cpu_seconds is None
        self.n_workers = workers
        self.max_batches = max_batches
        self._cfg = {"memory_mb": int(memory_mb), "cpu_total": 3600, "fsize_mb": 64,
                     "output_limit": int(output_limit), "value_limit": int(value_limit),
                     "preload": tuple(preload), "read_dirs": _read_dirs(), "read_files": _READ_FILES}
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.replaced = 0
        for _ in range(workers):
            self._idle.put(None)  # workers start lazily, on first use

    # -- workers -----------------------------------------------------------------------------------

    def _checkout(self) -> _Worker:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        w = self._idle.get()
        if w is None or w.dead:
            try:
                w = _Worker(self._cfg)
            except BaseException:
                self._idle.put(None)
                raise
            with self._lock:
                self._all.add(w)
        return w

    def _checkin(self, w: _Worker, healthy: bool) -> None:
        w.batches += 1
        if healthy and w.batches < self.max_batches and not self._closed:
            self._idle.put(w)
            return
        w.kill()
        with self._lock:
            self._all.discard(w)
            self.replaced += 1
        self._idle.put(None)

    def _batch(self, msg: tuple, n_items: int, timeout: float) -> tuple[list[SandboxResult], str | None]:
        """Send one program to a worker; return the results received and, if fewer than ``n_items``
        came back because something failed, the failure (``"timeout"`` or ``"error:<message>"``)."""
        w = self._checkout()
        rows: list[SandboxResult] = []
        failure: str | None = None
        healthy = False
        frames = _ProgramFrames()
        try:
            w.send(msg)
            while True:
                kind, payload = w.recv(deadline=time.monotonic() + timeout + _GRACE + 0.1)
                if kind == "out" and isinstance(payload, bytes):
                    rows.extend(frames.feed(payload))
                elif kind == "done":
                    how, why = payload
                    healthy = True  # the zygote answered in order: a fresh child serves the next program
                    failure = _program_failure(how, why, rows, n_items, frames.bad)
                    break
                else:
                    raise EOFError(f"unexpected frame {kind!r}")
                if len(rows) > n_items:
                    rows = rows[:n_items]
                    frames.bad = frames.bad or "more results than inputs"
        except TimeoutError:
            failure = "timeout"
        except (EOFError, OSError, ValueError, TypeError) as e:
            w.kill()
            healthy = False
            failure = f"error:WorkerDied: {w.exit_description()}" + (f" ({e})" if str(e) else "")
        finally:
            self._checkin(w, healthy and failure != "timeout")
        return rows, failure

    def _limits(self, timeout: float | None) -> tuple[float, float]:
        """(wall, cpu) seconds per application; without an explicit ``cpu_seconds`` the CPU limit
        follows the call's timeout."""
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        t = float(timeout or self.timeout)
        return t, (t if self._cpu_follows_timeout else self.cpu_seconds)

    # -- public ------------------------------------------------------------------------------------

    def apply(self, code: str, func: str, inputs: Iterable[Any], *, unpack: bool = False,
              timeout: float | None = None) -> list[SandboxResult]:
        """Define ``code`` in a fresh namespace and return ``func(x)`` for every ``x`` in ``inputs``.

        Args:
            code: Python source defining ``func``.
            func: Name of the function to call.
            inputs: One argument per application (a tuple of arguments when ``unpack=True``); plain,
                picklable data.
            unpack: Call ``func(*x)`` instead of ``func(x)``.
            timeout: Per-application wall-clock limit in seconds (default: the sandbox's).

        Returns:
            One :class:`SandboxResult` per input, in order. If ``code`` itself fails (syntax error, no
            ``func``), every result carries that error.
        """
        if not isinstance(code, str) or not isinstance(func, str):
            raise TypeError("code and func must be strings")
        items = list(inputs)
        t, cpu = self._limits(timeout)
        out: list[SandboxResult] = []
        eager = False
        while len(out) < len(items):
            rest = items[len(out):]
            rows, failure = self._batch(("apply", code, func, rest, unpack, t, cpu, eager), len(rest), t)
            out.extend(rows)
            if failure is None or len(out) >= len(items):
                continue
            if failure.startswith(_PROGRAM_FAULT) and not eager and len(items) - len(out) > 1:
                # The child buffers rows (one write per 50 ms), so rows of inputs that succeeded may
                # have died with it: rerun the rest in a fresh child that writes every row at once,
                # and charge the death to the input that causes it again.
                eager = True
                continue
            out.append(_failure_result(failure, t))
        return out

    async def aapply(self, code: str, func: str, inputs: Iterable[Any], *, unpack: bool = False,
                     timeout: float | None = None) -> list[SandboxResult]:
        """Async :meth:`apply` (runs in a thread; concurrent calls share the workers)."""
        items = list(inputs)
        return await asyncio.to_thread(self.apply, code, func, items, unpack=unpack, timeout=timeout)

    def run(self, code: str, *, timeout: float | None = None) -> SandboxResult:
        """Execute a script; ``stdout`` holds what it printed, ``value`` the variable ``result`` if set."""
        if not isinstance(code, str):
            raise TypeError("code must be a string")
        t, cpu = self._limits(timeout)
        rows, failure = self._batch(("run", code, t, cpu), 1, t)
        return rows[0] if rows else _failure_result(failure or "error:ProgramDied: no result", t)

    async def arun(self, code: str, *, timeout: float | None = None) -> SandboxResult:
        """Async :meth:`run`."""
        return await asyncio.to_thread(self.run, code, timeout=timeout)

    def close(self) -> None:
        """Stop all workers and delete their temp dirs. Safe to call twice."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass


def _row(r: Any) -> SandboxResult:
    status, value, error, stdout, truncated, seconds = r
    return SandboxResult(status=status, value=None if value is None else _loads(value), error=error,
                         stdout=stdout, truncated=bool(truncated), seconds=float(seconds))


def _program_failure(how: str, why: str, rows: list[SandboxResult], n_items: int, bad: str | None) -> str | None:
    """Why a program's child answered fewer than ``n_items`` rows (None: no failure to report).

    A child that stops early after a violation row is expected (the parent resends the rest to a
    fresh child); any other shortfall is charged to the next input, so every round makes progress
    even when the untrusted code ends its own process or forges its exit.
    """
    if bad is not None:
        return f"error:GarbledOutput: the program wrote malformed results ({bad})"
    if how == "died":
        return f"error:ProgramDied: {why}"
    if len(rows) < n_items and not (how == "violation" and rows and rows[-1].status in _VIOLATIONS):
        return f"error:ProgramDied: the program's process ended before answering ({why})"
    return None


def _failure_result(failure: str, timeout: float) -> SandboxResult:
    if failure == "timeout":
        return SandboxResult(status="timeout", error=f"wall-clock time limit exceeded ({timeout} s); the "
                             "worker did not respond and was killed")
    why = failure.removeprefix("error:")
    status = "timeout" if "CPU time" in why else "error"
    return SandboxResult(status=status, error=why)
