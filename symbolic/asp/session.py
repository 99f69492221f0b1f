"""One clingo session: build (add program parts) → ground → solve, with time limits and plain results.

Why a child process
-------------------
clingo cannot interrupt grounding from Python: ``Control.ground`` holds the thread until it returns,
and a one-line rule such as ``p(X) :- X = 1..100000000.`` grounds for minutes. Cancelling a solve is
possible (``SolveHandle.cancel``) but can block for seconds inside branch-and-bound on large
aggregates. So a session that must keep a grounding limit (or a limit over the whole call) runs
grounding and solving in a forked child process and kills it at the deadline; everything the child
learned before (models, clingo's messages, the grounding time) has already been sent through a pipe,
so a timeout still returns the best model found. Without such a limit the session stays in-process
(no fork, no pipe): grounding runs to completion and a solve limit is enforced with ``cancel``.

Isolation costs a process start per call: measured on 2 cores, a trivial program takes about 20 ms
isolated against about 1 ms in-process (fork of a small interpreter; a process holding gigabytes
forks more slowly). That is why the in-process path stays the default whenever no grounding limit
is asked for. ``fork`` is used where the platform has it (it needs no pickling of the program or of
``on_model``); elsewhere ``spawn``, which needs a picklable ``on_model``.

Results are plain (:class:`~symbolic.asp.result.AspResult`): clingo's ``Model`` and ``Symbol``
handles die with their callback, so every model is copied as strings and integers inside it.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from symbolic.asp.result import AspModel, AspResult

#: Called with each model as it is found, in the process that solves (the child when isolated, so
#: state it keeps is not seen by the caller: read the result's models instead). Return False to stop.
OnModel = Callable[[AspModel], "bool | None"]

_STAT_DEPTH = 4
KEEP = ("last", "all", "watched", "none")


def _clingo() -> Any:
    try:
        import clingo
    except ImportError as exc:  # pragma: no cover - clingo is a declared dependency
        raise ImportError("symbolic.asp needs clingo: pip install clingo") from exc
    return clingo


def _flat(node: Any, prefix: str, out: dict[str, float], depth: int = 0) -> None:
    if isinstance(node, dict) and depth < _STAT_DEPTH:
        for k, v in node.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out, depth + 1)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        out[prefix] = float(node)


def _stats(ctl: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        stats = ctl.statistics
        _flat(stats.get("summary", {}), "summary", out)
        _flat(stats.get("solving", {}).get("solvers", {}), "solvers", out, depth=_STAT_DEPTH - 1)
    except (RuntimeError, AttributeError):  # statistics are best effort
        pass
    return out


def _run(parts: list[tuple[str, tuple[str, ...], str]], arguments: list[str], ground_parts: list,
         watch: tuple[str, ...], shown: bool, max_models: int | None, on_model: OnModel | None,
         solve_limit: float | None, message_limit: int, keep: str, emit: Callable[[tuple], None]) -> None:
    """Build, ground and solve, reporting through ``emit``: ``("message", text)``, ``("ground", s)``,
    ``("model", AspModel)``, then ``("done", exhausted, unsat, limit_hit, solve_s, stats, n_models)`` or
    ``("error", text)``. Runs in-process or in the child; the caller turns events into a result.

    Models the ``keep`` policy would drop anyway are not sent: an enumeration can produce millions of
    them, and each one crossing the pipe costs the parent time and memory."""
    clingo = _clingo()
    args = list(arguments)
    if max_models is not None:
        args.append(str(max_models))
    try:
        ctl = clingo.Control(args, logger=lambda _code, msg: emit(("message", msg.strip())),
                             message_limit=message_limit)
        terms = [clingo.parse_term(a) for a in watch]
        t0 = time.perf_counter()
        for name, params, text in parts:
            ctl.add(name, list(params), text)
        ctl.ground([(name, [clingo.parse_term(str(a)) for a in params]) for name, params in ground_parts])
        emit(("ground", time.perf_counter() - t0))
        count = 0
        seen_watched: set[tuple[bool, ...]] = set()

        def callback(model: Any) -> bool:
            nonlocal count
            count += 1
            # copy now: the Model and its Symbols are invalid once this callback returns
            plain = AspModel(number=int(model.number),
                             symbols=tuple(sorted(str(s) for s in model.symbols(shown=True))) if shown else (),
                             cost=tuple(int(c) for c in model.cost),
                             watched=tuple(bool(model.contains(t)) for t in terms),
                             optimality_proven=bool(model.optimality_proven))
            if keep in ("last", "all") or (keep == "watched" and plain.watched not in seen_watched):
                seen_watched.add(plain.watched)
                emit(("model", plain))
            return on_model is None or on_model(plain) is not False

        t1 = time.perf_counter()
        limit_hit = False
        if solve_limit is None:
            res = ctl.solve(on_model=callback)
        else:
            with ctl.solve(on_model=callback, async_=True) as handle:
                # wait and cancel from this thread: no timer thread racing the handle's end
                if not handle.wait(solve_limit):
                    handle.cancel()
                    limit_hit = True
                res = handle.get()
        emit(("done", bool(res.exhausted), bool(res.unsatisfiable), limit_hit and not res.exhausted,
              time.perf_counter() - t1, _stats(ctl), count))
    except (RuntimeError, MemoryError) as exc:
        emit(("error", f"{type(exc).__name__}: {exc}"))


def _address_space_bytes() -> int:
    """This process's current virtual memory size (0 where /proc is not available)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _child(send: Any, memory_limit_mb: int | None, run_args: tuple) -> None:
    if memory_limit_mb is not None:
        try:
            import resource

            # The limit is on what the child may add: a forked child starts with its parent's whole
            # address space (gigabytes once torch or a model is loaded), so an absolute RLIMIT_AS
            # below that would make every allocation, even importing a module, fail at once.
            limit = _address_space_bytes() + int(memory_limit_mb) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):  # best effort: not every platform has RLIMIT_AS
            pass
    try:
        _run(*run_args, emit=send.send)
    except BaseException as exc:  # report anything, the parent only sees the pipe
        try:
            send.send(("error", f"{type(exc).__name__}: {exc}"))
        except (OSError, ValueError):
            pass
    finally:
        send.close()


class _Collector:
    """Turns worker events into an :class:`AspResult` (the same code for both paths)."""

    def __init__(self, keep: str, message_limit: int) -> None:
        self.keep, self.message_limit = keep, message_limit
        self.models: list[AspModel] = []
        self.messages: list[str] = []
        self.n_models = 0
        self.ground_s = self.solve_s = 0.0
        self.phase = "ground"
        self.done: tuple | None = None
        self.error: str | None = None

    def feed(self, event: tuple) -> bool:
        """Consume one event; True when it ends the call."""
        kind = event[0]
        if kind == "message":
            if len(self.messages) < self.message_limit:
                self.messages.append(event[1])
        elif kind == "ground":
            self.ground_s, self.phase = float(event[1]), "solve"
        elif kind == "model":
            self.n_models += 1
            if self.keep in ("all", "watched"):
                self.models.append(event[1])
            elif self.keep == "last":
                self.models = [event[1]]
        elif kind == "done":
            self.done = event
            return True
        elif kind == "error":
            self.error = event[1]
            return True
        return False

    def result(self, total: float, isolated: bool, timed_out: str | None = None,
               crash: str | None = None) -> AspResult:
        common = {"models": tuple(self.models), "messages": tuple(self.messages), "n_models": self.n_models,
                  "ground_seconds": self.ground_s, "total_seconds": total, "isolated": isolated}
        if timed_out is not None:
            if self.phase == "solve":
                common["solve_seconds"] = max(0.0, total - self.ground_s)
            return AspResult("timeout", timed_out=timed_out, **common)
        if self.error is not None or crash is not None or self.done is None:
            detail = self.error or crash or "clingo stopped without a result"
            if self.messages:  # clingo's own words say where the program is wrong
                detail = f"{detail}; " + "; ".join(self.messages[:3])
            return AspResult("error", error=detail, **common)
        _, exhausted, unsat, limit_hit, solve_s, stats, count = self.done
        common.update(solve_seconds=float(solve_s), stats=stats, exhausted=exhausted, n_models=count)
        if limit_hit:
            return AspResult("timeout", timed_out="solve", **common)
        if unsat:
            return AspResult("unsat", **common)
        best = self.models[-1] if self.models else None
        optimal = exhausted and best is not None and bool(best.cost)
        return AspResult("optimal" if optimal else "sat", **common)


class AspSession:
    """A clingo program and how to ground and solve it, returning plain :class:`AspResult` objects.

    The lifecycle is clingo's: :meth:`add` program parts (build), then :meth:`solve`, which grounds
    the requested parts and solves them in one call so that one deadline can cover both. A session
    can be solved again (each call starts a fresh ``clingo.Control``: no state leaks between calls).

    Args:
        arguments: clingo command-line options, e.g. ``["--opt-mode=opt", "-t2"]``.
        models: Models to compute (clingo's ``N``; 0 = all; None = clingo's default, one model or,
            with optimization, until the optimum).
        ground_limit: Seconds allowed for grounding (None: no limit). Forces isolation.
        solve_limit: Seconds allowed for solving, counted from the end of grounding.
        time_limit: Seconds allowed for the whole call (grounding and solving). Forces isolation.
        isolate: Run in a child process. None (default): exactly when ``ground_limit`` or
            ``time_limit`` is set; True also for a solve limit alone (a kill instead of clingo's
            ``cancel``, which can block for seconds in branch-and-bound); False with a grounding
            limit is refused.
        keep: Which models the result keeps: ``"last"`` (default; with optimization the best),
            ``"all"``, ``"watched"`` (the first model of each distinct ``watched`` tuple: a witness
            per truth assignment of the watched atoms, e.g. for brave/cautious questions) or ``"none"``.
        watch: Ground atoms (clingo term syntax, e.g. ``"on"`` or ``"p(1)"``) whose truth every
            model reports in :attr:`AspModel.watched`, shown or not.
        shown: Copy the shown symbols of every model (switch off when only ``watch`` matters).
        memory_limit_mb: Address-space limit of the child process (isolated calls only).
        message_limit: clingo log messages kept.

    Raises:
        ValueError: a non-positive limit, an unknown ``keep``, or ``isolate=False`` with a
            grounding or total limit.

    Example:
        >>> r = AspSession(["--opt-mode=opt"]).add("{a; b}. #minimize{1,a: a; 2,b: b}. :- not a, not b.").solve()
        >>> r.status, r.best.symbols, r.cost
        ('optimal', ('a',), (1,))
    """

    def __init__(self, arguments: Sequence[str] = (), *, models: int | None = None,
                 ground_limit: float | None = None, solve_limit: float | None = None,
                 time_limit: float | None = None, isolate: bool | None = None, keep: str = "last",
                 watch: Sequence[str] = (), shown: bool = True, memory_limit_mb: int | None = None,
                 message_limit: int = 20) -> None:
        for name, value in (("ground_limit", ground_limit), ("solve_limit", solve_limit),
                            ("time_limit", time_limit)):
            if value is not None and not (isinstance(value, int | float) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if keep not in KEEP:
            raise ValueError(f"keep must be one of {KEEP}, got {keep!r}")
        if models is not None and models < 0:
            raise ValueError(f"models must be >= 0, got {models!r}")
        needs_child = ground_limit is not None or time_limit is not None
        if isolate is False and needs_child:
            raise ValueError("a grounding or total time limit needs isolate=True (or None): clingo cannot "
                             "interrupt grounding in-process")
        self.arguments = list(arguments)
        self.models = models
        self.ground_limit, self.solve_limit, self.time_limit = ground_limit, solve_limit, time_limit
        self.isolate = needs_child if isolate is None else bool(isolate)
        self.keep, self.watch, self.shown = keep, tuple(watch), shown
        self.memory_limit_mb, self.message_limit = memory_limit_mb, message_limit
        self._parts: list[tuple[str, tuple[str, ...], str]] = []

    def add(self, program: str, name: str = "base", params: Sequence[str] = ()) -> AspSession:
        """Add program text to part ``name`` (with parameter names ``params``); returns the session."""
        self._parts.append((name, tuple(params), program))
        return self

    def solve(self, parts: Sequence[tuple[str, Sequence[Any]]] | None = None,
              on_model: OnModel | None = None) -> AspResult:
        """Ground ``parts`` (default ``[("base", [])]``) and solve, within the session's limits.

        Args:
            parts: Program parts to ground with their arguments (numbers or clingo term text).
            on_model: Called with each plain model; returning False stops the search (status
                ``sat``). Runs in the solving process.

        Returns:
            The plain result; never raises for a bad program (status ``error`` with clingo's message).
        """
        ground_parts = [(name, tuple(args)) for name, args in (parts if parts is not None else [("base", [])])]
        run_args = (self._parts, self.arguments, ground_parts, self.watch, self.shown, self.models, on_model,
                    None if self.isolate else self.solve_limit, self.message_limit, self.keep)
        collector = _Collector(self.keep, self.message_limit)
        t0 = time.perf_counter()
        if not self.isolate:
            events: list[tuple] = []
            _run(*run_args, emit=events.append)
            for event in events:
                if collector.feed(event):
                    break
            return collector.result(time.perf_counter() - t0, False)
        return self._solve_isolated(run_args, collector, t0)

    def _solve_isolated(self, run_args: tuple, collector: _Collector, t0: float) -> AspResult:
        _clingo()  # loaded before the fork: the child then maps nothing new under its memory limit
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, self.memory_limit_mb, run_args), daemon=True)
        proc.start()
        send.close()  # the child holds the only writer: EOF tells us it died
        end = t0 + self.time_limit if self.time_limit is not None else math.inf
        deadline = min(end, t0 + self.ground_limit if self.ground_limit is not None else math.inf)
        timed_out: str | None = None
        crash: str | None = None
        try:
            while True:
                left = deadline - time.perf_counter()
                if left <= 0 or not recv.poll(None if math.isinf(left) else left):
                    timed_out = collector.phase
                    break
                try:
                    event = recv.recv()
                except EOFError:
                    proc.join(1.0)
                    crash = f"clingo worker ended without a result (exit code {proc.exitcode})"
                    break
                if collector.feed(event):
                    break
                if event[0] == "ground":
                    now = time.perf_counter()
                    deadline = min(end, now + self.solve_limit if self.solve_limit is not None else math.inf)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join()
            recv.close()
        return collector.result(time.perf_counter() - t0, True, timed_out, crash)


def solve_program(program: str, arguments: Sequence[str] = (), **options: Any) -> AspResult:
    """Ground and solve one ``base`` program: ``AspSession(arguments, **options).add(program).solve()``."""
    return AspSession(arguments, **options).add(program).solve()


def syntax_errors(program: str, limit: int = 5) -> list[str]:
    """clingo's messages for a program that does not parse (empty list when it parses)."""
    from clingo.ast import parse_string

    messages: list[str] = []
    try:
        parse_string(program, lambda _stm: None, logger=lambda _code, msg: messages.append(msg.strip()),
                     message_limit=limit)
    except RuntimeError as exc:
        return messages or [str(exc)]
    return []
