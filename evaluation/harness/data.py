"""Data sets that no package ships: where a copy is, and how a user who cloned only the repository gets one.

Two data sets are fetched by the project itself (everything else comes from a package, see
``nesy doctor``):

- ``list_functions``: BIG-bench's ``list_functions`` task (Apache-2.0), taken from the
  ``bigbench==1.0.0`` source distribution on PyPI. The sdist is about 360 MB; it is streamed once
  through :mod:`tarfile`, only ``bigbench/benchmark_tasks/list_functions`` is written, and the sdist's
  SHA-256 and a digest of the extracted tree are checked against pins in this file.
- ``ste``: the Simulated Trial and Error files (MIT) from ``microsoft/simulated-trial-and-error`` at a
  pinned commit, one raw GitHub download per file, each checked against its SHA-256.

A loader asks :func:`data_dir`, which looks, in order, at an explicit path, ``$NESY_DATA/<name>``,
``../shared/data/<name>`` beside the project (a local mirror on developer and CI machines; moved with
``$NESY_SHARED_DATA``, switched off with ``NESY_SHARED_DATA=none``) and the nesykit cache
(``$NESY_CACHE_DIR/data/<name>``, default ``~/.cache/nesykit/data/<name>``), and otherwise raises a
:class:`~evaluation.harness.errors.DataNotFoundError` naming ``nesy data fetch <name>``.
:func:`fetch` fills the cache: from ``--from`` when given, else from the network, else (no network)
from the local mirror, always through the same checks.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import shutil
import tarfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from evaluation.harness.cache import cache_root
from evaluation.harness.errors import DataNotFoundError, NesyError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_ENV = "NESY_DATA"
SHARED_ENV = "NESY_SHARED_DATA"
#: Values of ``$NESY_SHARED_DATA`` that switch the local mirror off (a machine without ``../shared``).
SHARED_OFF = ("", "none", "off", "0", "false", "no")
#: Written next to a fetched copy: where it came from. Dot-named so that tree digests skip it.
FETCH_RECORD = ".nesykit-fetch.json"

# bigbench 1.0.0 on PyPI: the URL and digest are those of the index's simple page
# (https://pypi.org/simple/bigbench/); the digest was checked on a download here.
BIGBENCH_SDIST = "bigbench-1.0.0.tar.gz"
BIGBENCH_URL = ("https://files.pythonhosted.org/packages/95/f8/c019b3579df548a04cac12342cfcb878e50ddf6cfcd7f"
                "ddba8cfc721c157/bigbench-1.0.0.tar.gz")
BIGBENCH_SHA256 = "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2"
BIGBENCH_MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/list_functions"
#: :func:`tree_digest` of the extracted folder (262 files: c001..c250, the 0..10-shot baselines and the
#: top task.json); equal to that of the ../shared/data mirror, so the two are byte-identical.
LIST_FUNCTIONS_TREE_SHA256 = "f2a6d6192cb00665df0b64a3a4bbc7a84ddab278a1a72dd4977d08c4e05d8ea6"

STE_REPO = "microsoft/simulated-trial-and-error"
# The commit read for docs/research (agent-seeds.md: c1c97fd3, 2024-04-04, "update citation"), in full.
STE_COMMIT = "c1c97fd3fabbf1fe67a15ba6eab51fbd12be5c7f"
#: file in the data folder -> (path in the upstream repository, SHA-256 at STE_COMMIT).
STE_FILES: dict[str, tuple[str, str]] = {
    "tool_test.json": ("llama-recipes/ft_datasets/tool_test.json",
                       "f774d7a21d99e949c4fc48384ec1308888d73b29c102968cbc94c52a7b32857f"),
    "API_descriptions.json": ("llama-recipes/ft_datasets/API_descriptions.json",
                              "310aabaf277b9b6fc7dfc4e34ea0ee8106f5fe2ae2d6afbf54725b91b48e4e03"),
    "API_list.json": ("STE/tool_metadata/API_list.json",
                      "809d4cb04a91f41cfa4fbe47391fc1f859fb8b37b664212367c143843211833e"),
    "CL_batches.json": ("STE/tool_metadata/CL_batches.json",
                        "edfa3032d293c52d4b6c3ebe60076eb11b39c9fe1fb30ea832534060d4662ce7"),
    "tool2cate.json": ("STE/tool_metadata/tool2cate.json",
                       "169901a16f20d9115237892e8153bfcbd98eadf0848e9af18d08a1b15bd7ccdd"),
    "api2neighbors.json": ("llama-recipes/ft_datasets/api2neighbors.json",
                           "1755ce1256e9d58784caee012d87fef77d3ee9a8cf22cac618757cb511e7a867"),
    "LICENSE": ("LICENSE", "c2cfccb812fe482101a8f04597dfc5a9991a6b2748266c47ac91b6a5aae15383"),
}

#: Seconds to wait for a server to answer. Short, so that a machine without network falls back (or
#: fails with the instructions) at once instead of hanging in ``scripts/setup.sh``.
CONNECT_TIMEOUT = 15.0
_CHUNK = 1 << 20


class DataFetchError(NesyError, OSError):
    """A data set could not be fetched or failed its checks; the message says what to do instead."""


class UnknownDataSetError(NesyError, LookupError):
    """No fetchable data set of that name; the message lists the known ones."""


@dataclass(frozen=True)
class DataSet:
    """A fetchable data set: what a complete copy holds and where it comes from.

    Attributes:
        name: Folder name under every data root, and the argument of ``nesy data fetch``.
        title: Human-readable name.
        required: Files (relative paths) whose presence marks a complete copy in one of the lookup's
            places. A folder passed explicitly needs only the first (a subset of the tasks is fine there).
        source: Where :func:`fetch` gets it, in one line.
        licence: The upstream licence.
        size: What a fetch downloads, for the user who waits.
        in_setup: Whether ``scripts/setup.sh`` fetches it (a benchmark of the smoke suite reads it).
    """

    name: str
    title: str
    required: tuple[str, ...]
    source: str
    licence: str
    size: str
    in_setup: bool = False

    @property
    def fetch_command(self) -> str:
        """The command that brings this data set into the cache."""
        return f"nesy data fetch {self.name}"


DATASETS: dict[str, DataSet] = {
    "list_functions": DataSet(
        "list_functions", "BIG-bench List Functions", ("c001/task.json", "c250/task.json"),
        f"PyPI sdist {BIGBENCH_SDIST} (sha256 {BIGBENCH_SHA256[:12]}...), folder "
        "bigbench/benchmark_tasks/list_functions", "Apache-2.0", "358 MB download, 3.3 MB kept",
        in_setup=True),
    "ste": DataSet(
        "ste", "STE tool learning", tuple(STE_FILES),
        f"github.com/{STE_REPO} at {STE_COMMIT[:8]} (7 files, sha256 each)", "MIT", "1.2 MB"),
}


@dataclass(frozen=True)
class Location:
    """Where a data set was looked for, and whether a usable copy is there.

    Attributes:
        kind: ``argument``, ``$NESY_DATA``, ``mirror`` (``../shared/data``) or ``cache``.
        path: The folder looked at (``None`` when that place is not configured, e.g. ``$NESY_DATA`` unset).
        found: Whether every required file is there.
        note: Why ``path`` is ``None`` (``unset``, ``NESY_SHARED_DATA=none``).
    """

    kind: str
    path: Path | None
    found: bool = False
    note: str = field(default="", compare=False)


def dataset(name: str) -> DataSet:
    """The :class:`DataSet` called ``name``; an unknown name raises :class:`UnknownDataSetError`."""
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownDataSetError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}") from None


def shared_data_root() -> Path | None:
    """The local mirror ``../shared/data`` beside the project, or ``$NESY_SHARED_DATA``; ``None`` when off.

    ``NESY_SHARED_DATA=none`` makes a developer machine look like a clone-only one (tests, the smoke
    check of issue 18).
    """
    env = os.environ.get(SHARED_ENV)
    if env is None:
        return PROJECT_ROOT.parent / "shared" / "data"
    return None if env.strip().lower() in SHARED_OFF else Path(env).expanduser()


def cache_dir(name: str) -> Path:
    """``$NESY_CACHE_DIR/data/<name>`` (the folder itself is created only by :func:`fetch`)."""
    return cache_root("data") / name


def _complete(ds: DataSet, folder: Path | None, explicit: bool = False) -> bool:
    # Places found by lookup must hold the whole set: a half-filled $NESY_DATA must not hide the cache.
    needed = ds.required[:1] if explicit else ds.required
    return folder is not None and all((folder / rel).is_file() for rel in needed)


def locations(name: str, path: str | os.PathLike[str] | None = None) -> list[Location]:
    """Every place :func:`data_dir` looks, in order, each marked found or not.

    Args:
        name: A key of :data:`DATASETS`.
        path: An explicit folder: the data set's own folder or a data root holding ``<name>/``. When
            given, it is the only place looked at (a wrong explicit path is an error, not a fallback).
    """
    ds = dataset(name)
    if path is not None:
        given = Path(path).expanduser()
        # Accept the data root above the folder too, as $NESY_DATA does.
        folder = given / name if _complete(ds, given / name, explicit=True) else given
        return [Location("argument", folder, _complete(ds, folder, explicit=True))]
    env = os.environ.get(DATA_ENV)
    shared = shared_data_root()
    places = [
        Location(f"${DATA_ENV}", Path(env).expanduser() / name if env else None,
                 note="" if env else "unset"),
        Location("mirror", shared / name if shared else None, note="" if shared else f"{SHARED_ENV}=none"),
        Location("cache", cache_dir(name)),
    ]
    return [Location(p.kind, p.path, _complete(ds, p.path), p.note) for p in places]


def locate(name: str, path: str | os.PathLike[str] | None = None) -> Location | None:
    """The first place holding a usable copy of ``name`` (see :func:`locations`), or ``None``."""
    return next((loc for loc in locations(name, path) if loc.found), None)


def data_dir(name: str, path: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding data set ``name``; the one lookup every loader uses.

    Args:
        name: A key of :data:`DATASETS`.
        path: An explicit folder (the data set's own or a root holding ``<name>/``), else the lookup
            ``$NESY_DATA/<name>``, ``../shared/data/<name>``, the nesykit cache.

    Raises:
        DataNotFoundError: No usable copy; the message names the places looked at and the fetch command.
    """
    ds = dataset(name)
    places = locations(name, path)
    for loc in places:
        if loc.found and loc.path is not None:
            return loc.path
    fix = f"`{ds.fetch_command}`" + (" (or scripts/setup.sh)" if ds.in_setup else "")
    if path is not None:
        raise DataNotFoundError(
            f"{ds.title} data not found in {places[0].path} (expected {ds.required[0]}); pass the folder that "
            f"holds it, or leave the path out to use ${DATA_ENV}/{name}, the local mirror or the nesykit "
            f"cache, which {fix} fills")
    looked = "; ".join(f"{loc.kind}: {loc.path if loc.path else loc.note}" for loc in places)
    raise DataNotFoundError(
        f"{ds.title} data not found ({looked}). To get it, run {fix}, or set {DATA_ENV} to a folder holding "
        f"{name}/ ({ds.source})")


# ---------------------------------------------------------------- checks


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_digest(folder: Path) -> str:
    """One SHA-256 for a folder's files: that of ``sha256sum``'s lines, sorted by path.

    Dot-named files (such as :data:`FETCH_RECORD`) are skipped. The same value comes out of
    ``find . -type f | sed 's|^./||' | LC_ALL=C sort | xargs sha256sum | sha256sum``.
    """
    files = sorted((p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: p.relative_to(folder).as_posix().encode())
    lines = "".join(f"{file_sha256(p)}  {p.relative_to(folder).as_posix()}\n" for p in files)
    return hashlib.sha256(lines.encode()).hexdigest()


class _HashingReader(io.RawIOBase):
    """A read-only stream that hashes (and counts) every byte read through it."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None] | None = None) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.n_bytes = 0
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha256.update(data)
        self.n_bytes += n
        if self._progress:
            self._progress(self.n_bytes)
        return n


def _safe_relative(name: str, prefix: str) -> PurePosixPath | None:
    """``name`` below ``prefix`` as a relative path, ``None`` when outside it; refuses escapes."""
    if name.rstrip("/") == prefix:
        return PurePosixPath()
    if not name.startswith(prefix + "/"):
        return None
    rel = PurePosixPath(name[len(prefix) + 1:])
    if rel.is_absolute() or ".." in rel.parts:
        raise DataFetchError(f"unsafe path in archive: {name!r}")
    return rel


def extract_member_tree(stream: BinaryIO, prefix: str, dest: Path, sha256: str | None,
                        progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Stream a ``.tar.gz`` once, write only the folder ``prefix`` into ``dest``, and check the archive.

    The archive is read once, front to back (``tarfile`` mode ``r|gz``), so a 360 MB sdist is never held
    on disk or in memory; its SHA-256 is computed on the way and checked at the end, so the caller must
    write into a scratch folder and move it into place only when this returns.

    Args:
        stream: The archive's bytes (an HTTP response or an open file).
        prefix: Folder inside the archive to keep, e.g. :data:`BIGBENCH_MEMBER`.
        dest: Folder to write into (created); ``prefix`` itself maps to ``dest``.
        sha256: Expected digest of the whole archive, or ``None`` to skip the check.
        progress: Called with the number of archive bytes read so far.

    Returns:
        The number of files written and the number of archive bytes read.

    Raises:
        DataFetchError: A digest mismatch, a damaged archive, nothing under ``prefix``, or a member that
            is not a plain file or folder, or would land outside ``dest``.
    """
    reader = _HashingReader(stream, progress)
    buffered = io.BufferedReader(reader, _CHUNK)
    n_files = 0
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=buffered, mode="r|gz") as tar:
            for member in tar:
                rel = _safe_relative(member.name, prefix.rstrip("/"))
                if rel is None:
                    continue
                target = dest / rel
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None  # a regular file always has content
                    with target.open("wb") as out:
                        shutil.copyfileobj(src, out, _CHUNK)
                    n_files += 1
                else:  # links and devices have no place in a data folder
                    raise DataFetchError(f"unexpected {member.type!r} member in archive: {member.name!r}")
        # tarfile stops at the end-of-archive blocks; the digest covers the whole file, so read on.
        while buffered.read(_CHUNK):
            pass
    except (tarfile.TarError, zlib.error, EOFError, OSError, ValueError, http.client.HTTPException) as exc:
        if isinstance(exc, DataFetchError):
            raise
        raise DataFetchError(f"archive is damaged or truncated ({type(exc).__name__}: {exc})") from None
    if sha256 is not None and reader.sha256.hexdigest() != sha256:
        raise DataFetchError(f"archive SHA-256 is {reader.sha256.hexdigest()}, expected {sha256} "
                             f"({reader.n_bytes} bytes read): corrupted or not the pinned version")
    if n_files == 0:
        raise DataFetchError(f"archive holds nothing under {prefix}/")
    return n_files, reader.n_bytes


# ---------------------------------------------------------------- fetching


@dataclass
class FetchResult:
    """What :func:`fetch` did.

    Attributes:
        name: The data set.
        path: Where it now is.
        source: Where it came from (``already present`` when nothing was done).
        fetched: Whether anything was written.
        seconds: Wall time.
        n_bytes: Bytes downloaded or read.
    """

    name: str
    path: Path
    source: str
    fetched: bool
    seconds: float = 0.0
    n_bytes: int = 0


def _open(source: str, timeout: float = CONNECT_TIMEOUT) -> BinaryIO:
    """An open stream on a URL or a local file."""
    if source.startswith(("http://", "https://")):
        req = urllib.request.Request(source, headers={"User-Agent": "nesykit-data-fetch"})
        return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 - https URLs pinned above
    return Path(source).expanduser().open("rb")


def _net_error(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return f"{type(exc).__name__}: {reason}"


def _copy_verified(ds: DataSet, src: Path, dest: Path) -> None:
    """Copy a local copy of ``ds`` (a mirror, ``--from DIR``) into ``dest``, checked like a download."""
    if ds.name == "ste":
        for fname in STE_FILES:
            _copy_file_checked(src / fname, dest / fname, STE_FILES[fname][1])
        return
    if not _complete(ds, src):
        raise DataFetchError(f"{src} is not a {ds.title} folder (expected {', '.join(ds.required)})")
    shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
    _check_tree(ds, dest, str(src))


def _check_tree(ds: DataSet, folder: Path, where: str) -> None:
    if ds.name == "list_functions":
        got = tree_digest(folder)
        if got != LIST_FUNCTIONS_TREE_SHA256:
            raise DataFetchError(f"{ds.title} from {where}: tree digest {got} is not the pinned "
                                 f"{LIST_FUNCTIONS_TREE_SHA256} (files differ from BIG-bench 1.0.0)")


def _copy_file_checked(src: Path, dest: Path, sha256: str) -> None:
    if not src.is_file():
        raise DataFetchError(f"{src} is missing")
    got = file_sha256(src)
    if got != sha256:
        raise DataFetchError(f"{src}: SHA-256 {got}, expected {sha256}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def _fetch_list_functions(dest: Path, source: str, progress: Callable[[int], None] | None) -> int:
    with _open(source) as stream:
        _, n_bytes = extract_member_tree(stream, BIGBENCH_MEMBER, dest, BIGBENCH_SHA256, progress)
    _check_tree(DATASETS["list_functions"], dest, source)
    return n_bytes


def ste_url(upstream_path: str) -> str:
    """Raw GitHub URL of an STE file at the pinned commit."""
    return f"https://raw.githubusercontent.com/{STE_REPO}/{STE_COMMIT}/{upstream_path}"


def _fetch_ste(dest: Path, progress: Callable[[int], None] | None) -> int:
    total = 0
    dest.mkdir(parents=True, exist_ok=True)
    for fname, (upstream, sha256) in STE_FILES.items():
        with _open(ste_url(upstream)) as resp:
            data = resp.read()
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise DataFetchError(f"{ste_url(upstream)}: SHA-256 {got}, expected {sha256}")
        (dest / fname).write_bytes(data)
        total += len(data)
        if progress:
            progress(total)
    return total


def _instructions(ds: DataSet) -> str:
    """What a user without network puts where, by hand."""
    if ds.name == "ste":
        files = ", ".join(f"{f} ({STE_FILES[f][0]})" for f in STE_FILES)
        return (f"download these files of github.com/{STE_REPO} at commit {STE_COMMIT} into ${DATA_ENV}/ste/ "
                f"(then set {DATA_ENV}) or into a folder DIR and run `nesy data fetch ste --from DIR`: {files}")
    return (f"download {BIGBENCH_SDIST} on a machine with network (`pip download --no-deps --no-binary :all: "
            f"bigbench==1.0.0`, or {BIGBENCH_URL}) and run `nesy data fetch list_functions --from "
            f"{BIGBENCH_SDIST}`, or put bigbench/benchmark_tasks/list_functions (c001..c250) into "
            f"${DATA_ENV}/list_functions/")


def _fetch_into(ds: DataSet, tmp: Path, source: str | None,
                progress: Callable[[int], None] | None) -> tuple[str, int]:
    """Fill ``tmp`` with ``ds``; returns (where it came from, bytes read)."""
    if source is not None:
        src = Path(source).expanduser()
        if src.is_dir():
            _copy_verified(ds, src, tmp)
            return str(src), 0
        if ds.name != "list_functions":
            raise DataFetchError(f"--from for {ds.name} must be a folder holding {', '.join(ds.required)}")
        return source, _fetch_list_functions(tmp, source, progress)
    try:
        if ds.name == "list_functions":
            return BIGBENCH_URL, _fetch_list_functions(tmp, BIGBENCH_URL, progress)
        return f"github.com/{STE_REPO}@{STE_COMMIT[:8]}", _fetch_ste(tmp, progress)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        # No network (or the host is unreachable): fall back to the local mirror, else tell the user
        # exactly what to put where.
        shutil.rmtree(tmp, ignore_errors=True)
        shared = shared_data_root()
        if shared is not None and _complete(ds, shared / ds.name):
            tmp.mkdir(parents=True)
            _copy_verified(ds, shared / ds.name, tmp)
            return f"{shared / ds.name} (local mirror; download failed: {_net_error(exc)})", 0
        where = "files.pythonhosted.org" if ds.name == "list_functions" else "raw.githubusercontent.com"
        raise DataFetchError(f"cannot download {ds.title} from {where} ({_net_error(exc)}). Instead, "
                             f"{_instructions(ds)}") from None


def fetch(name: str, *, source: str | os.PathLike[str] | None = None, force: bool = False,
          if_missing: bool = False, progress: Callable[[int], None] | None = None) -> FetchResult:
    """Bring data set ``name`` into the nesykit cache, checked against the pinned digests.

    Args:
        name: A key of :data:`DATASETS`.
        source: A local copy to use instead of the network: for ``list_functions`` the sdist
            ``bigbench-1.0.0.tar.gz`` (a path or URL) or an extracted folder; for ``ste`` a folder with
            the seven files.
        force: Fetch again even when the cache holds a copy.
        if_missing: Do nothing when any place of the lookup (``$NESY_DATA``, the mirror, the cache)
            already has a copy; what ``scripts/setup.sh`` uses, so a second run costs nothing.
        progress: Called with the number of bytes read so far.

    Returns:
        What was done, and where the data now is.

    Raises:
        DataFetchError: The download failed and no local copy could stand in (the message says what to
            put where), or a check failed (nothing is written then).
    """
    ds = dataset(name)
    start = time.perf_counter()
    found = locate(name) if if_missing else None
    target = cache_dir(name)
    if found is None and not force and _complete(ds, target):
        found = Location("cache", target, True)
    if found is not None and found.path is not None and not force:
        return FetchResult(name, found.path, f"already present ({found.kind})", False)
    # Write beside the target and move into place only once every check passed: an interrupted or
    # corrupted fetch never leaves a half folder that the lookup would take for a copy.
    tmp = target.with_name(f".{name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        where, n_bytes = _fetch_into(ds, tmp, None if source is None else os.fspath(source), progress)
        (tmp / FETCH_RECORD).write_text(json.dumps(
            {"name": name, "source": where, "fetched": time.strftime("%Y-%m-%dT%H:%M:%S%z")}) + "\n")
        old = target.with_name(f".{name}.old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return FetchResult(name, target, where, True, time.perf_counter() - start, n_bytes)


def fetch_record(folder: Path) -> dict[str, str]:
    """The record :func:`fetch` left in a cached copy (empty for copies it did not write)."""
    try:
        return json.loads((folder / FETCH_RECORD).read_text())
    except (OSError, ValueError):
        return {}


def iter_status() -> Iterator[tuple[DataSet, Location | None]]:
    """Each data set with the copy the lookup would use (``None`` when missing)."""
    for name, ds in DATASETS.items():
        yield ds, locate(name)
