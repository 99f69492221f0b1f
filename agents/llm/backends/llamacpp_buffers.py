"""Whether llama.cpp's "extra buffer types" (AMX and repacked weights) are safe to use here.

With them, SmolLM2 decodes about twice as fast on a CPU with AMX (measured here: 113 against 63
tokens/s single-stream), because the weights are repacked for the AMX/VNNI kernels. But the AMX
kernels crash the whole process (SIGSEGV in ``ldtilecfg``) when llama.cpp was compiled by GCC 12 without
the fix that ``scripts/setup.sh`` applies (``scripts/gcc-amx-fix``): GCC 12's ``_tile_loadconfig`` lets
the optimizer drop the stores that fill the tile configuration. A user's own build of
llama-cpp-python may lack the fix, so before the first load of a model file with a given library the
combination is tried once in a child process (a decode of a batch of several tokens, which is what
crashes), and the verdict is remembered on disk.

``NESY_LLAMA_EXTRA_BUFFERS=1`` or ``=0`` skips the probe and forces the choice.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import TypedDict

ENV = "NESY_LLAMA_EXTRA_BUFFERS"

# Runs in a child: load the model with the extra buffer types and decode 8 tokens in one batch.
_PROBE = r"""
import ctypes, sys
import llama_cpp as L
L.llama_backend_init()
@L.llama_log_callback
def _quiet(level, text, user_data):
    pass
L.llama_log_set(_quiet, ctypes.c_void_p(0))
p = L.llama_model_default_params()
p.use_extra_bufts = True
m = L.llama_model_load_from_file(sys.argv[1].encode(), p)
if not m:
    sys.exit(3)
c = L.llama_context_default_params()
c.n_ctx, c.n_batch, c.n_ubatch, c.n_threads, c.n_threads_batch = 64, 16, 16, 1, 1
ctx = L.llama_init_from_model(m, c)
toks = (L.llama_token * 8)(*range(1, 9))
rc = L.llama_decode(ctx, L.llama_batch_get_one(toks, 8))
print("decoded", rc)
sys.exit(0 if rc == 0 else 4)
"""

_lock = threading.Lock()
_memo: dict[str, bool] = {}


def _library_key(model: Path) -> str:
    """Hash of what decides the outcome: the llama.cpp libraries, the model file and the CPU."""
    import llama_cpp

    parts = [sys.version, str(model.resolve()), str(model.stat().st_size)]
    lib = Path(llama_cpp.__file__).parent / "lib"
    for f in sorted(lib.glob("*")) if lib.is_dir() else []:
        st = f.stat()
        parts.append(f"{f.name}:{st.st_size}:{int(st.st_mtime)}")
    try:
        flags = next((ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("flags")), "")
    except OSError:
        flags = ""
    parts.append(flags)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _verdict_file() -> Path:
    from agents.llm.cache import default_cache_dir

    return default_cache_dir().parent / "llamacpp-extra-buffers.json"


def probe(model: Path, timeout: float = 120.0) -> tuple[bool, str]:
    """Try the extra buffer types on ``model`` in a child process: (usable, what happened)."""
    try:
        r = subprocess.run([sys.executable, "-c", _PROBE, str(model)], capture_output=True, text=True,
                           timeout=timeout, env={**os.environ, "OMP_NUM_THREADS": "1"})
    except subprocess.TimeoutExpired:
        return False, f"the probe did not finish in {timeout:.0f} s"
    if r.returncode == 0:
        return True, "a batch of 8 tokens decoded"
    why = f"signal {-r.returncode}" if r.returncode < 0 else f"exit status {r.returncode}"
    return False, f"the probe died with {why}: {(r.stderr or r.stdout).strip()[-300:]}"


def _read_verdicts(path: Path) -> dict:
    """Every remembered probe result, by library key ({} when the file is missing or unreadable)."""
    try:
        verdicts = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return verdicts if isinstance(verdicts, dict) else {}


def _valid(entry: object) -> dict | None:
    return entry if isinstance(entry, dict) and "usable" in entry else None


def known_verdict(model: Path) -> dict | None:
    """The remembered probe result for ``model`` with the installed llama.cpp, without probing."""
    return _valid(_read_verdicts(_verdict_file()).get(_library_key(model)))


class FastKernelsStatus(TypedDict):
    """What :func:`llamacpp_fast_kernels_status` reports (one line of ``nesy doctor``)."""

    ok: bool  # nothing to fix
    state: str  # usable | unusable | not probed | forced on | forced off | unavailable
    detail: str
    fix: str  # what to do when not ok, else ""


def llamacpp_fast_kernels_status(model: str | os.PathLike | None = None) -> FastKernelsStatus:
    """Whether llama.cpp's fast CPU kernels (AMX / repacked weights) are used for ``model``, without probing.

    Reads ``$NESY_LLAMA_EXTRA_BUFFERS`` and the remembered probe verdict; never loads the model and
    never raises (a problem is reported as ``ok=False`` with its reason).

    Args:
        model: The GGUF file (default: the default model, SmolLM2-135M-Instruct).

    Returns:
        ``{"ok", "state", "detail", "fix"}``; ``ok`` is False only when something should be fixed
        (the probe failed, or llama-cpp-python or the model is missing).
    """
    forced = os.environ.get(ENV, "").strip().lower()
    if forced in {"1", "on", "true", "yes"}:
        return {"ok": True, "state": "forced on", "detail": f"{ENV}={forced} (no probe)", "fix": ""}
    if forced in {"0", "off", "false", "no"}:
        return {"ok": True, "state": "forced off", "detail": f"{ENV}={forced} (no probe; about half as fast)",
                "fix": ""}
    try:
        from agents.llm.default_model import default_gguf_path

        path = Path(model) if model is not None else default_gguf_path()
        verdict = known_verdict(path)
    except Exception as exc:  # reported, never raised: this feeds a diagnosis
        return {"ok": False, "state": "unavailable", "detail": f"{type(exc).__name__}: {exc}"[:200],
                "fix": "install llama-cpp-python and the model (scripts/setup.sh)"}
    if verdict is None:
        return {"ok": True, "state": "not probed", "detail": "not probed yet (probed at the first model load)",
                "fix": ""}
    usable = bool(verdict["usable"])
    fix = "" if usable else (f"rebuild llama-cpp-python with scripts/setup.sh (it applies scripts/gcc-amx-fix), "
                             f"or set {ENV}=0")
    return {"ok": usable, "state": "usable" if usable else "unusable", "detail": str(verdict.get("detail", "")),
            "fix": fix}


def extra_buffers_usable(model: Path) -> bool:
    """True when llama.cpp may repack ``model``'s weights into its extra buffer types on this machine.

    Decided by ``$NESY_LLAMA_EXTRA_BUFFERS`` when set, else by :func:`probe`, run once per
    (library build, model file, CPU) and remembered in ``<cache dir>/llamacpp-extra-buffers.json``.
    """
    forced = os.environ.get(ENV, "").strip().lower()
    if forced in {"1", "on", "true", "yes"}:
        return True
    if forced in {"0", "off", "false", "no"}:
        return False
    key = _library_key(model)
    with _lock:
        if key in _memo:
            return _memo[key]
        path = _verdict_file()
        verdicts = _read_verdicts(path)
        entry = _valid(verdicts.get(key))
        if entry is None:
            usable, detail = probe(model)
            entry = {"usable": usable, "detail": detail, "model": str(model)}
            if not usable:
                warnings.warn(f"llama.cpp's extra buffer types (AMX / repacked weights) fail with this build "
                              f"({detail}); decoding without them, about half as fast. scripts/setup.sh "
                              f"builds llama-cpp-python with the fix (see {__name__}).", RuntimeWarning,
                              stacklevel=3)
            verdicts[key] = entry
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(verdicts, indent=1))
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only cache only costs a probe per process
        _memo[key] = bool(entry["usable"])
        return _memo[key]
