"""The sandbox worker process (stdlib only; run as a script by :mod:`agents.sandbox.pool`).

The worker is a *zygote*: it imports the preloaded modules once, confines itself as far as it can
while still able to fork, and then forks one child per program (one ``apply`` batch or one ``run``).
The child finishes the confinement, runs the program, and exits; nothing a program changes (patched
modules, ``sys.modules``, builtins, attributes of stdlib classes, ``sys``/``gc`` settings, atexit
handlers, signal handlers and interval timers) outlives it, because it only ever touched a
copy-on-write copy of the zygote's memory. Files it left in the private temp dir are deleted before
the next program starts.

Protocol on two inherited pipe fds: length-prefixed pickles. The parent sends a config, then
``("apply", code, func, inputs, unpack, timeout, cpu_seconds, eager)`` or ``("run", code, timeout,
cpu_seconds)``. The child writes ``("results", [row, ...])`` frames into a pipe of its own, flushed at
least every 50 ms so the parent can tell progress from a hang, or after every row when ``eager`` (the
parent asks for that when it resends the rest of a batch whose child died, so that the death is
charged to the right input). The zygote relays those bytes verbatim as ``("out", chunk)`` frames and,
once the child has exited, ends the batch with ``("done", (how, description))``, ``how`` being
``"ok"``, ``"violation"`` (the child stopped after a timeout, memory or forbidden row) or ``"died"``.
The child never holds the zygote's pipes, so it can neither read the next program's request nor
speak for the zygote: whatever it writes is parsed by the parent as its own results only. A row is
``(status, value_pickle, error, stdout, truncated, seconds)``.

Confinement, in this order. In the zygote: rlimits (address space, CPU, file size, open files, core
dumps; inherited by every child); Landlock (reads only below the Python installation and the private
temp dir, writes only in the temp dir, no TCP bind/connect, no signals or abstract sockets outside
the sandbox; inherited); the Python audit hook (installed, armed only while untrusted code runs). In
each child, before any untrusted code: the parent-death signal, then a seccomp filter (no
fork/exec/clone of processes or threads, no sockets, no ptrace, no signals to other processes, no
leaving the process group, no mount/namespace/module/keyring/bpf/io_uring calls, no raising rlimits).
The zygote itself never runs untrusted code, so it can keep the right to fork.
"""

from __future__ import annotations

import ctypes
import gc
import io
import os
import pickle
import signal
import struct
import sys
import time

_HDR = struct.Struct("<I")


class SandboxTimeout(BaseException):
    """Raised by the timers inside untrusted code (a BaseException so ``except Exception`` misses it)."""


class Forbidden(BaseException):
    """Raised by the audit hook (a BaseException so ``except Exception`` cannot swallow it)."""


# ----------------------------------------------------------------------------------------------
# framing


def send(fd: int, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HDR.pack(len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def recv(fd: int) -> object:
    head = _read_exact(fd, 4)
    if head is None:
        raise EOFError
    (n,) = _HDR.unpack(head)
    body = _read_exact(fd, n)
    if body is None:
        raise EOFError
    return pickle.loads(body)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, n - got)
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


# ----------------------------------------------------------------------------------------------
# confinement

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def set_rlimits(memory_mb: int, cpu_total: int, fsize_mb: int) -> None:
    import resource

    mem = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_total, cpu_total + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_mb << 20, fsize_mb << 20))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# Landlock (linux/landlock.h)
_LL_FS_FILE = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 14) | (1 << 15)  # exec, write, read, truncate, ioctl
_LL_READ = (1 << 0) | (1 << 2) | (1 << 3)  # execute, read_file, read_dir
_LL_READ_FILE = (1 << 0) | (1 << 2)


def _ll_fs_all(abi: int) -> int:
    bits = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
    if abi >= 2:
        bits |= 1 << 13  # REFER
    if abi >= 3:
        bits |= 1 << 14  # TRUNCATE
    if abi >= 5:
        bits |= 1 << 15  # IOCTL_DEV
    return bits


def landlock(read_dirs: list[str], read_files: list[str], write_dir: str) -> int:
    """Confine the filesystem, TCP and signals; returns the Landlock ABI used (0 = unavailable)."""
    abi = _libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi <= 0:
        return 0
    fs_all = _ll_fs_all(abi)
    net = 0b11 if abi >= 4 else 0
    scoped = 0b11 if abi >= 6 else 0
    attr = struct.pack("<QQQ", fs_all, net, scoped)
    size = 24 if abi >= 6 else 16
    buf = ctypes.create_string_buffer(attr[:size], size)
    rfd = _libc.syscall(444, buf, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if rfd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")

    def allow(path: str, access: int) -> None:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            rule = ctypes.create_string_buffer(struct.pack("<Qi", access, fd), 12)
            if _libc.syscall(445, ctypes.c_int(rfd), ctypes.c_int(1), rule, ctypes.c_uint32(0)) < 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule({path}) failed")
        finally:
            os.close(fd)

    for d in read_dirs:
        allow(d, _LL_READ)
    for f in read_files:
        allow(f, _LL_READ_FILE)
    allow("/dev/null", _LL_READ_FILE | (1 << 1))
    allow(write_dir, fs_all)
    if _libc.syscall(446, ctypes.c_int(rfd), ctypes.c_uint32(0)) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(rfd)
    return abi


# seccomp-bpf (x86_64 syscall numbers)
_DENY_ALWAYS = {
    56: "clone", 57: "fork", 58: "vfork", 59: "execve", 322: "execveat", 435: "clone3",
    41: "socket", 53: "socketpair", 42: "connect", 49: "bind", 50: "listen", 43: "accept", 288: "accept4",
    101: "ptrace", 310: "process_vm_readv", 311: "process_vm_writev", 62: "kill", 200: "tkill",
    165: "mount", 166: "umount2", 155: "pivot_root", 161: "chroot", 272: "unshare", 308: "setns",
    169: "reboot", 175: "init_module", 313: "finit_module", 176: "delete_module", 246: "kexec_load",
    320: "kexec_file_load", 167: "swapon", 168: "swapoff", 170: "sethostname", 171: "setdomainname",
    250: "keyctl", 248: "add_key", 249: "request_key", 321: "bpf", 298: "perf_event_open",
    425: "io_uring_setup", 426: "io_uring_enter", 427: "io_uring_register", 160: "setrlimit",
    105: "setuid", 106: "setgid", 113: "setreuid", 114: "setregid", 117: "setresuid", 119: "setresgid",
    116: "setgroups", 90: "chmod", 91: "fchmod", 268: "fchmodat", 92: "chown", 93: "fchown", 94: "lchown",
    260: "fchownat", 133: "mknod", 259: "mknodat", 139: "sysfs", 163: "acct", 173: "ioperm", 172: "iopl",
    317: "seccomp", 444: "landlock_create_ruleset",
    # A forked child is not a process-group leader: setsid/setpgid would take it out of the group the
    # parent kills on a timeout. The pidfd and sigqueue calls reach other processes (the zygote,
    # which shares the child's Landlock domain) without kill(); pidfd_getfd would steal its fds.
    112: "setsid", 109: "setpgid", 434: "pidfd_open", 424: "pidfd_send_signal", 438: "pidfd_getfd",
    129: "rt_sigqueueinfo", 297: "rt_tgsigqueueinfo", 312: "kcmp", 440: "process_madvise",
}
EPERM = 1


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


class SeccompFilter:
    """The syscall filter (denied calls fail with EPERM), built once in the zygote and installed in
    every child: building the BPF program costs about a millisecond, installing it a few microseconds.

    ``clone`` is denied outright, threads included: a thread could keep running (and burning CPU)
    after its application returned, outside the per-application timers.
    """

    def __init__(self) -> None:
        LD, JEQ, RET = 0x20, 0x15, 0x06
        ALLOW, ERRNO, KILL = 0x7FFF0000, 0x00050000 | EPERM, 0x80000000
        prog: list[tuple[int, int, int, int]] = []

        def ins(code: int, jt: int, jf: int, k: int) -> None:
            prog.append((code, jt, jf, k))

        ins(LD, 0, 0, 4)  # arch
        ins(JEQ, 1, 0, 0xC000003E)  # AUDIT_ARCH_X86_64
        ins(RET, 0, 0, KILL)
        ins(LD, 0, 0, 0)  # nr
        ins(0x35, 0, 1, 0x40000000)  # JGE x32 ABI -> deny
        ins(RET, 0, 0, ERRNO)
        for nr in sorted(k for k in _DENY_ALWAYS if k < 1000):
            ins(JEQ, 0, 1, nr)
            ins(RET, 0, 0, ERRNO)
        # prlimit64(pid, resource, new, old): allow only reads (new == NULL)
        ins(JEQ, 0, 6, 302)
        ins(LD, 0, 0, 32)  # args[2] low
        ins(JEQ, 0, 3, 0)
        ins(LD, 0, 0, 36)  # args[2] high
        ins(JEQ, 0, 1, 0)
        ins(RET, 0, 0, ALLOW)
        ins(RET, 0, 0, ERRNO)
        # tgkill(tgid, tid, sig): only to this process (abort(), pthread_kill); the pid is filled in
        # by install(), in the process the filter is for.
        ins(JEQ, 0, 4, 234)
        ins(LD, 0, 0, 16)
        self._pid_slot = len(prog)
        ins(JEQ, 1, 0, 0)
        ins(RET, 0, 0, ERRNO)
        ins(RET, 0, 0, ALLOW)
        ins(RET, 0, 0, ALLOW)
        self._arr = (_SockFilter * len(prog))(*[_SockFilter(*p) for p in prog])
        self._fprog = _SockFprog(len(prog), self._arr)

    def install(self, own_pid: int) -> None:
        """Confine the calling process (whose pid is ``own_pid``) for good."""
        self._arr[self._pid_slot].k = own_pid
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
        if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self._fprog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(SECCOMP) failed")


def seccomp(own_pid: int) -> None:
    """Build and install the syscall filter in one go (see :class:`SeccompFilter`)."""
    SeccompFilter().install(own_pid)


_FORBIDDEN_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen",
    "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill", "os.startfile", "webbrowser.open",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.cdata",
    "ctypes.cdata/buffer", "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at",
    "ctypes.set_errno", "ctypes.get_errno", "socket.__new__", "socket.connect", "socket.bind",
    "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto",
    "socket.sendmsg", "socket.getnameinfo", "sys.addaudithook", "sys.setprofile", "sys.settrace",
    "resource.setrlimit", "resource.prlimit", "os.chmod", "os.chown", "os.setuid", "urllib.Request",
    "http.client.connect", "ftplib.connect", "smtplib.connect", "imaplib.open", "poplib.connect",
    "nntplib.connect", "telnetlib.Telnet.open", "syslog.openlog", "fcntl.ioctl", "os.setxattr",
    "os.removexattr", "shutil.chown", "os.chroot",
}
_PATH_WRITE_EVENTS = {"os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.symlink", "os.link",
                      "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile",
                      "os.mkfifo", "os.mknod"}


def install_audit_hook(tmpdir: str) -> None:
    tmp = os.path.realpath(tmpdir)
    realpath = os.path.realpath
    armed = [False]

    def inside(path: object) -> bool:
        if isinstance(path, int):
            return True  # an fd already opened (inside the rules)
        try:
            p = realpath(os.fsdecode(path))
        except Exception:
            return False
        return p == tmp or p.startswith(tmp + os.sep)

    def hook(event: str, args: tuple) -> None:
        if not armed[0]:
            return
        if event in _FORBIDDEN_EVENTS:
            raise Forbidden(f"{event} is not allowed in the sandbox")
        if event == "open":
            path, mode = args[0], args[1]
            writing = isinstance(mode, str) and any(c in mode for c in "wax+")
            if isinstance(mode, int):
                writing = bool(mode & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))
            if writing and not inside(path):
                raise Forbidden(f"writing {path!r} outside the sandbox temp dir is not allowed")
            if isinstance(path, str | bytes) and os.fsdecode(path).startswith("/proc/") and \
                    not os.fsdecode(path).startswith("/proc/self/"):
                raise Forbidden(f"reading {path!r} is not allowed in the sandbox")
        elif event in _PATH_WRITE_EVENTS:
            for p in args[:2]:
                if isinstance(p, str | bytes | os.PathLike) and not inside(p):
                    raise Forbidden(f"{event}({p!r}) outside the sandbox temp dir is not allowed")

    sys.addaudithook(hook)
    _ARM.append(armed)


_ARM: list[list[bool]] = []


def arm(on: bool) -> None:
    for a in _ARM:
        a[0] = on


# ----------------------------------------------------------------------------------------------
# execution


class CappedWriter(io.TextIOBase):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self.limit - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        if len(s) > room:
            self.truncated = True
        return len(s)

    def take(self) -> tuple[str, bool]:
        out, trunc = "".join(self.parts), self.truncated
        self.parts, self.size, self.truncated = [], 0, False
        return out, trunc


_PLAIN = (type(None), bool, int, float, complex, str, bytes)


def plain(v: object, depth: int = 0) -> object:
    """Convert a return value to plain Python data (numpy → lists/numbers) or raise TypeError."""
    if depth > 50:
        raise TypeError("return value nests deeper than 50 levels")
    if isinstance(v, _PLAIN):
        return v
    if isinstance(v, list | tuple):
        out = [plain(x, depth + 1) for x in v]
        return out if isinstance(v, list) else tuple(out)
    if isinstance(v, set | frozenset):
        return {plain(x, depth + 1) for x in v}
    if isinstance(v, dict):
        return {plain(k, depth + 1): plain(x, depth + 1) for k, x in v.items()}
    if type(v).__module__.startswith("numpy") and hasattr(v, "tolist"):
        return plain(v.tolist(), depth + 1)
    raise TypeError(f"return value of type {type(v).__name__} cannot leave the sandbox; return plain "
                    "Python data (numbers, strings, lists, tuples, dicts, sets)")


def _on_timer(signum: int, frame: object) -> None:
    raise SandboxTimeout("wall-clock" if signum == signal.SIGALRM else "cpu")


class Runner:
    def __init__(self, out_fd: int, output_limit: int, value_limit: int) -> None:
        self.out_fd = out_fd
        self.output_limit = output_limit
        self.value_limit = value_limit
        self.writer = CappedWriter(output_limit)
        signal.signal(signal.SIGALRM, _on_timer)
        signal.signal(signal.SIGPROF, _on_timer)

    def _call(self, fn: object, args: tuple, timeout: float, cpu: float) -> tuple:
        t0 = time.perf_counter()
        status, value, error = "ok", None, None
        sys.stdout = sys.stderr = self.writer
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            signal.setitimer(signal.ITIMER_PROF, cpu)
            arm(True)
            try:
                result = fn(*args)  # type: ignore[operator]
            finally:
                arm(False)
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.setitimer(signal.ITIMER_PROF, 0)
            value = pickle.dumps(plain(result), protocol=pickle.HIGHEST_PROTOCOL)
            if len(value) > self.value_limit:
                status, value = "error", None
                error = f"OutputLimitExceeded: the return value takes more than {self.value_limit} bytes"
        except SandboxTimeout as e:
            status, error = "timeout", f"{e.args[0]} time limit exceeded ({timeout if e.args[0] != 'cpu' else cpu} s)"
        except Forbidden as e:
            status, error = "forbidden", str(e)
        except MemoryError as e:
            status, error = "memory", f"MemoryError: {e}".rstrip(": ")
        except PermissionError as e:
            status, error = "forbidden", f"PermissionError: {e} (refused by the sandbox)"
        except RecursionError as e:
            status, error = "error", f"RecursionError: {e}"
        except SystemExit as e:
            status, error = "error", f"SystemExit: {e.code!r}"
        except BaseException as e:
            status, error = "error", f"{type(e).__name__}: {e}"[:2000]
        finally:
            arm(False)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.setitimer(signal.ITIMER_PROF, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        out, trunc = self.writer.take()
        return (status, value, error, out, trunc, time.perf_counter() - t0)

    def define(self, code: str, timeout: float, cpu: float) -> tuple[dict, tuple | None]:
        ns: dict = {"__name__": "__sandbox__", "__builtins__": __builtins__}

        def run() -> None:
            exec(compile(code, "<sandbox>", "exec"), ns)

        row = self._call(run, (), timeout, cpu)
        return ns, (None if row[0] == "ok" else row)

    def apply(self, code: str, func: str, inputs: list, unpack: bool, timeout: float, cpu: float,
              eager: bool = False) -> str:
        ns, fail = self.define(code, timeout, cpu)
        if fail is None and not callable(ns.get(func)):
            fail = ("error", None, f"NameError: the code defines no function named {func!r}", "", False, 0.0)
        rows: list[tuple] = []
        last = time.monotonic()
        for x in inputs:
            if fail is not None:
                row = fail
            else:
                row = self._call(ns[func], tuple(x) if unpack else (x,), timeout, cpu)
            rows.append(row)
            violation = row[0] in ("timeout", "memory", "forbidden")
            now = time.monotonic()
            if eager or violation or now - last > 0.05 or len(rows) >= 4096:
                send(self.out_fd, ("results", rows))
                rows, last = [], now
            if violation and fail is None:
                return "violation"
            if fail is not None and fail[0] in ("timeout", "memory", "forbidden"):
                return "violation"
        if rows:
            send(self.out_fd, ("results", rows))
        return "ok"

    def run(self, code: str, timeout: float, cpu: float) -> str:
        ns: dict = {"__name__": "__main__", "__builtins__": __builtins__}

        def body() -> object:
            exec(compile(code, "<sandbox>", "exec"), ns)
            return ns.get("result")

        row = self._call(body, (), timeout, cpu)
        send(self.out_fd, ("results", [row]))
        return "violation" if row[0] in ("timeout", "memory", "forbidden") else "ok"


PR_SET_PDEATHSIG = 1
EXIT_OK, EXIT_VIOLATION = 0, 86


def describe_exit(status: int) -> str:
    """A wait status in words (``"CPU time"`` marks the SIGXCPU case, which the parent reports as a timeout)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if name == "SIGXCPU":
            return "the program's process ran out of CPU time (SIGXCPU)"
        return f"the program's process was killed by {name}"
    return f"the program's process exited with code {os.waitstatus_to_exitcode(status)}"


def clear_dir(path: str) -> None:
    """Delete everything a program left in the temp dir (the next program must find it empty)."""
    import shutil

    def unlock(func: object, p: str, exc: object) -> None:
        # A program may create directories it cannot itself list or empty (``os.mkdir(d, 0)``; chmod
        # is denied to it). Never chmod through a symlink: its target may lie outside the temp dir.
        for q in (os.path.dirname(p), p):
            if q.startswith(path) and not os.path.islink(q):
                try:
                    os.chmod(q, 0o700)
                except OSError:
                    pass
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.unlink(p)
        except OSError:
            pass

    with os.scandir(path) as it:
        entries = list(it)
    for e in entries:
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, onerror=unlock)
            else:
                os.unlink(e.path)
        except OSError:
            pass


class Zygote:
    """The pre-imported, not-yet-seccomp'd parent of one child process per program."""

    def __init__(self, in_fd: int, out_fd: int, tmpdir: str, runner: Runner, use_seccomp: bool) -> None:
        self.in_fd, self.out_fd, self.tmpdir = in_fd, out_fd, tmpdir
        self.runner = runner
        self.seccomp = SeccompFilter() if use_seccomp else None
        self.pid = os.getpid()

    def program(self, msg: tuple) -> tuple[str, str]:
        """Run one program in a fresh child, relay its output, and say how the child ended."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            code = EXIT_VIOLATION
            try:
                os.close(r)
                code = self._child(w, msg)
            finally:
                os._exit(code)
        os.close(w)
        try:
            while chunk := os.read(r, 1 << 20):
                send(self.out_fd, ("out", chunk))
        finally:
            os.close(r)
        _, status = os.waitpid(pid, 0)
        clear_dir(self.tmpdir)
        how = {EXIT_OK: "ok", EXIT_VIOLATION: "violation"}.get(os.waitstatus_to_exitcode(status), "died")
        return how, describe_exit(status)

    def _child(self, w: int, msg: tuple) -> int:
        # Closed before untrusted code runs: the parent's request pipe carries the next program's
        # inputs, and the result pipe is the zygote's voice ("done"); the child speaks only through w.
        os.close(self.in_fd)
        os.close(self.out_fd)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != self.pid:  # the zygote died before the line above
            return EXIT_VIOLATION
        if self.seccomp is not None:
            self.seccomp.install(os.getpid())
        self.runner.out_fd = w
        kind = msg[0]
        if kind == "apply":
            _, code, func, inputs, unpack, timeout, cpu, *eager = msg
            stop = self.runner.apply(code, func, inputs, unpack, timeout, cpu, bool(eager and eager[0]))
        else:
            _, code, timeout, cpu = msg
            stop = self.runner.run(code, timeout, cpu)
        return EXIT_OK if stop == "ok" else EXIT_VIOLATION


def main() -> None:
    in_fd, out_fd = int(sys.argv[1]), int(sys.argv[2])
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    cfg = recv(in_fd)
    assert isinstance(cfg, dict)
    tmp = cfg["tmpdir"]
    os.chdir(tmp)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # untrusted writes to the raw fds go nowhere; the protocol uses other fds
        os.dup2(devnull, fd)
    os.close(devnull)
    for name in cfg.get("preload", ()):
        try:
            __import__(name)
        except Exception:
            pass
    set_rlimits(cfg["memory_mb"], cfg["cpu_total"], cfg["fsize_mb"])
    ll = landlock(cfg["read_dirs"], cfg["read_files"], tmp) if cfg.get("landlock", True) else 0
    install_audit_hook(tmp)
    runner = Runner(out_fd, cfg["output_limit"], cfg["value_limit"])
    zygote = Zygote(in_fd, out_fd, tmp, runner, cfg.get("seccomp", True))
    # Everything imported so far is shared copy-on-write with every child; freezing it keeps the
    # children's garbage collector from writing to (and so copying) those pages.
    gc.collect()
    gc.freeze()
    send(out_fd, ("ready", {"pid": os.getpid(), "landlock_abi": ll}))
    while True:
        try:
            msg = recv(in_fd)
        except EOFError:
            return
        if not isinstance(msg, tuple) or msg[0] not in ("apply", "run"):
            return
        send(out_fd, ("done", zygote.program(msg)))


if __name__ == "__main__":
    main()
