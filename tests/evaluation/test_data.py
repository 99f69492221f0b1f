"""Fetchable data sets: the lookup order, the clear error, and the checked, streamed extraction.

Nothing here downloads: the network is replaced by local files, and ``../shared`` is hidden with
``NESY_SHARED_DATA=none`` so that the tests pass on a machine that cloned only the repository.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
import urllib.error
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.harness import data
from evaluation.harness.errors import DataNotFoundError
from evaluation.worlds.induction import list_functions as lf

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "pkg-1.0/pkg/tasks/list_functions"


def _task_text(k: int) -> str:
    """A List Functions task whose rule adds ``k`` to each element."""
    examples = [{"input": json.dumps([i, i + 1]), "target": json.dumps([i + k, i + 1 + k])} for i in range(16)]
    return json.dumps({"name": f"add {k}", "description": f"add {k}", "examples": examples}, indent=2)


def _fake_list_functions(folder: Path, ids: tuple[str, ...] = ("c001", "c002", "c250")) -> Path:
    for i, tid in enumerate(ids, 1):
        (folder / tid).mkdir(parents=True, exist_ok=True)
        (folder / tid / "task.json").write_text(_task_text(i))
    return folder


@pytest.fixture
def clone_only(tmp_path, monkeypatch):
    """A machine without ../shared and without $NESY_DATA, with an empty nesykit cache."""
    monkeypatch.setenv("NESY_SHARED_DATA", "none")
    monkeypatch.delenv("NESY_DATA", raising=False)
    monkeypatch.setenv("NESY_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _sdist(path: Path, files: dict[str, bytes]) -> str:
    """Write a small .tar.gz like the bigbench sdist (folders included); return its SHA-256."""
    with tarfile.open(path, "w:gz") as tar:
        dirs = sorted({str(Path(name).parent) for name in files})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sdist_files() -> dict[str, bytes]:
    files = {f"{PREFIX}/{tid}/task.json": _task_text(i).encode() for i, tid in enumerate(("c001", "c250"), 1)}
    files[f"{PREFIX}/README.md"] = b"List Functions\n"
    files["pkg-1.0/pkg/tasks/other_task/task.json"] = b"{}"  # outside the prefix: never written
    files["pkg-1.0/setup.py"] = b"print('never run')\n"
    return files


# ---------------------------------------------------------------- lookup


def test_without_shared_the_loader_uses_the_cache(clone_only):
    cached = _fake_list_functions(data.cache_dir("list_functions"))
    assert lf.list_functions_dir() == cached
    tasks = lf.load_tasks()
    assert [t.id for t in tasks] == ["c001", "c002", "c250"]
    assert tasks[1].train[0].output == (2, 3)  # c002 adds 2
    assert data.locate("list_functions").kind == "cache"


def test_nothing_found_names_the_fetch_command(clone_only):
    with pytest.raises(DataNotFoundError) as err:
        lf.load_tasks()
    msg = str(err.value)
    assert "nesy data fetch list_functions" in msg and "scripts/setup.sh" in msg and "NESY_DATA" in msg
    assert "NESY_SHARED_DATA=none" in msg and str(data.cache_dir("list_functions")) in msg
    with pytest.raises(DataNotFoundError, match="nesy data fetch list_functions"):
        lf.list_functions_dir(clone_only / "nowhere")


def test_lookup_order_argument_env_mirror_cache(clone_only, monkeypatch):
    mirror = _fake_list_functions(clone_only / "mirror" / "list_functions").parent
    env = _fake_list_functions(clone_only / "env" / "list_functions").parent
    cached = _fake_list_functions(data.cache_dir("list_functions"))
    explicit = _fake_list_functions(clone_only / "explicit")
    assert data.data_dir("list_functions") == cached
    monkeypatch.setenv("NESY_SHARED_DATA", str(mirror))
    assert data.data_dir("list_functions") == mirror / "list_functions"
    monkeypatch.setenv("NESY_DATA", str(env))
    assert data.data_dir("list_functions") == env / "list_functions"
    assert data.data_dir("list_functions", explicit) == explicit
    assert data.data_dir("list_functions", env) == env / "list_functions"  # a root holding list_functions/
    assert [loc.kind for loc in data.locations("list_functions")] == ["$NESY_DATA", "mirror", "cache"]


def test_a_half_copy_is_not_taken_for_one(clone_only):
    _fake_list_functions(data.cache_dir("list_functions"), ids=("c001",))  # c250 missing
    assert data.locate("list_functions") is None


def test_unknown_data_set_lists_the_known_ones():
    with pytest.raises(data.UnknownDataSetError, match="known: list_functions, ste"):
        data.dataset("nope")


# ---------------------------------------------------------------- extraction


def test_streamed_extraction_keeps_only_the_prefix_and_checks_the_digest(tmp_path):
    files = _sdist_files()
    sha = _sdist(tmp_path / "pkg.tar.gz", files)
    with (tmp_path / "pkg.tar.gz").open("rb") as f:
        n_files, n_bytes = data.extract_member_tree(f, PREFIX, tmp_path / "out", sha)
    assert n_files == 3 and n_bytes == (tmp_path / "pkg.tar.gz").stat().st_size
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")
                     if p.is_file())
    assert written == ["README.md", "c001/task.json", "c250/task.json"]
    assert (tmp_path / "out" / "c250" / "task.json").read_bytes() == files[f"{PREFIX}/c250/task.json"]


def test_a_wrong_digest_or_a_corrupted_archive_is_refused(tmp_path):
    sha = _sdist(tmp_path / "pkg.tar.gz", _sdist_files())
    with (tmp_path / "pkg.tar.gz").open("rb") as f, pytest.raises(data.DataFetchError, match="SHA-256"):
        data.extract_member_tree(f, PREFIX, tmp_path / "a", "0" * 64)
    raw = bytearray((tmp_path / "pkg.tar.gz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "bad.tar.gz").write_bytes(bytes(raw))
    with (tmp_path / "bad.tar.gz").open("rb") as f, pytest.raises(data.DataFetchError):
        data.extract_member_tree(f, PREFIX, tmp_path / "b", sha)
    (tmp_path / "cut.tar.gz").write_bytes(bytes(raw[: len(raw) // 2]))
    with (tmp_path / "cut.tar.gz").open("rb") as f, pytest.raises(data.DataFetchError):
        data.extract_member_tree(f, PREFIX, tmp_path / "c", sha)


@pytest.mark.parametrize("name,kind", [(f"{PREFIX}/../../escape.txt", tarfile.REGTYPE),
                                       (f"{PREFIX}/link", tarfile.SYMTYPE)])
def test_escaping_paths_and_links_are_refused(tmp_path, name, kind):
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
        tar.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
    with path.open("rb") as f, pytest.raises(data.DataFetchError, match="unsafe|unexpected"):
        data.extract_member_tree(f, PREFIX, tmp_path / "out", None)
    assert not (tmp_path / "escape.txt").exists()


def test_tree_digest_is_sha256sum_of_the_sorted_manifest(tmp_path):
    _fake_list_functions(tmp_path / "lf")
    (tmp_path / "lf" / ".nesykit-fetch.json").write_text("{}")  # skipped
    lines = "".join(f"{hashlib.sha256((tmp_path / 'lf' / rel).read_bytes()).hexdigest()}  {rel}\n"
                    for rel in ("c001/task.json", "c002/task.json", "c250/task.json"))
    assert data.tree_digest(tmp_path / "lf") == hashlib.sha256(lines.encode()).hexdigest()


# ---------------------------------------------------------------- fetch


@pytest.fixture
def small_bigbench(tmp_path, monkeypatch):
    """Pins of a small synthetic sdist in place of bigbench 1.0.0's; returns the sdist's path."""
    sha = _sdist(tmp_path / "pkg.tar.gz", _sdist_files())
    data.extract_member_tree((tmp_path / "pkg.tar.gz").open("rb"), PREFIX, tmp_path / "ref", sha)
    monkeypatch.setattr(data, "BIGBENCH_MEMBER", PREFIX)
    monkeypatch.setattr(data, "BIGBENCH_SHA256", sha)
    monkeypatch.setattr(data, "LIST_FUNCTIONS_TREE_SHA256", data.tree_digest(tmp_path / "ref"))
    return tmp_path / "pkg.tar.gz"


def test_fetch_from_an_sdist_fills_the_cache_once(clone_only, small_bigbench):
    res = data.fetch("list_functions", source=small_bigbench)
    assert res.fetched and res.path == data.cache_dir("list_functions")
    assert [t.id for t in lf.load_tasks()] == ["c001", "c250"]
    assert data.fetch_record(res.path)["source"] == str(small_bigbench)
    again = data.fetch("list_functions", source=small_bigbench)
    assert not again.fetched and again.source == "already present (cache)"
    assert data.fetch("list_functions", source=small_bigbench, force=True).fetched
    assert not [p for p in res.path.parent.iterdir() if p.name.startswith(".")]  # no scratch left


def test_a_corrupted_download_leaves_nothing_behind(clone_only, small_bigbench, monkeypatch):
    monkeypatch.setattr(data, "BIGBENCH_SHA256", "f" * 64)
    with pytest.raises(data.DataFetchError, match="SHA-256"):
        data.fetch("list_functions", source=small_bigbench)
    assert data.locate("list_functions") is None
    assert list(data.cache_dir("list_functions").parent.iterdir()) == []


def test_if_missing_skips_when_any_copy_exists(clone_only, monkeypatch):
    mirror = _fake_list_functions(clone_only / "mirror" / "list_functions").parent
    monkeypatch.setenv("NESY_SHARED_DATA", str(mirror))

    def no_network(*args, **kwargs):
        raise AssertionError("--if-missing must not download when a copy exists")

    monkeypatch.setattr(data, "_open", no_network)
    res = data.fetch("list_functions", if_missing=True)
    assert not res.fetched and res.path == mirror / "list_functions" and "mirror" in res.source


@pytest.fixture
def small_ste(clone_only, monkeypatch):
    """Two small STE files pinned in place of the real seven; the network is down."""
    files = {"tool_test.json": b"[]\n", "LICENSE": b"MIT\n"}
    monkeypatch.setattr(data, "STE_FILES", {k: (f"up/{k}", hashlib.sha256(v).hexdigest())
                                            for k, v in files.items()})
    monkeypatch.setitem(data.DATASETS, "ste", data.DataSet("ste", "STE", tuple(files), "test", "MIT", "1 kB"))

    def offline(source, timeout=0.0):
        if source.startswith("https://"):
            raise urllib.error.URLError("[Errno -2] Name or service not known")
        return Path(source).open("rb")

    monkeypatch.setattr(data, "_open", offline)
    return files


def test_ste_without_network_or_mirror_says_what_to_put_where(small_ste):
    with pytest.raises(data.DataFetchError) as err:
        data.fetch("ste")
    msg = str(err.value)
    assert "raw.githubusercontent.com" in msg and "$NESY_DATA/ste/" in msg and data.STE_COMMIT in msg
    assert "tool_test.json (up/tool_test.json)" in msg and "--from DIR" in msg


def test_ste_without_network_falls_back_to_the_mirror_checked(small_ste, clone_only, monkeypatch):
    mirror = clone_only / "mirror"
    (mirror / "ste").mkdir(parents=True)
    for name, content in small_ste.items():
        (mirror / "ste" / name).write_bytes(content)
    monkeypatch.setenv("NESY_SHARED_DATA", str(mirror))
    res = data.fetch("ste")
    assert res.fetched and "local mirror" in res.source
    assert (data.cache_dir("ste") / "LICENSE").read_bytes() == b"MIT\n"
    (mirror / "ste" / "LICENSE").write_bytes(b"changed\n")
    with pytest.raises(data.DataFetchError, match="LICENSE: SHA-256"):
        data.fetch("ste", force=True)
    assert (data.cache_dir("ste") / "LICENSE").read_bytes() == b"MIT\n"  # the good copy stays


def test_ste_from_a_folder(small_ste, clone_only):
    src = clone_only / "dl"
    src.mkdir()
    for name, content in small_ste.items():
        (src / name).write_bytes(content)
    assert data.fetch("ste", source=src).fetched and data.locate("ste").kind == "cache"


# ---------------------------------------------------------------- the mirror, CLI


MIRROR = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not (MIRROR / "list_functions" / "c001").is_dir(), reason="no ../shared/data mirror")
def test_the_mirror_is_byte_identical_to_the_pins():
    assert data.tree_digest(MIRROR / "list_functions") == data.LIST_FUNCTIONS_TREE_SHA256
    for name, (_, sha) in data.STE_FILES.items():
        assert data.file_sha256(MIRROR / "ste" / name) == sha, name


def test_cli_data_list_and_fetch(clone_only, small_bigbench):
    runner = CliRunner()
    res = runner.invoke(app, ["data", "list"])
    assert res.exit_code == 0 and "missing" in res.output and "nesy data fetch" in res.output
    res = runner.invoke(app, ["data", "fetch", "list_functions", "--from", str(small_bigbench)])
    assert res.exit_code == 0, res.output
    assert "fetched" in res.output and "SHA-256 checked" in res.output
    res = runner.invoke(app, ["data", "list"], terminal_width=200)
    assert res.exit_code == 0 and "cache" in res.output


def test_cli_missing_data_is_one_clear_line(clone_only):
    env = {"NESY_SHARED_DATA": "none", "NESY_CACHE_DIR": str(clone_only / "cache"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "evaluation.cli", "data", "fetch", "nope"], capture_output=True,
                          text=True, cwd=ROOT, env=env)
    assert proc.returncode == 2 and "unknown data set 'nope'" in proc.stderr and "Traceback" not in proc.stderr


def test_refinement_list_functions_runs_from_the_cache_without_shared(clone_only):
    import asyncio

    from agents.llm import FakeModel
    from evaluation.benchmarks import refinement  # noqa: F401  (registers the benchmark)
    from evaluation.harness.benchmark import _REGISTRY, RunContext
    from evaluation.harness.params import resolve_params

    _fake_list_functions(data.cache_dir("list_functions"))
    cls = _REGISTRY["refinement-list-functions"]
    params = resolve_params(cls.name, cls.params, {"method": "io", "n_tasks": 3})
    ctx = RunContext(benchmark=cls.name, params=params, seed=0, run_dir=clone_only / "run", model="fake/scripted")
    ctx.llm = FakeModel(lambda req, i: "[9, 10]")  # c001 adds 1: right for its first unseen input, [8, 9]
    bench = cls()
    samples = list(bench.samples(ctx))
    assert [s.data.id for s in samples] == ["c001", "c002", "c250"]
    score = bench.score(samples[0], asyncio.run(bench.arun_sample(samples[0], ctx)), ctx)
    assert 0.0 < score["raw_accuracy"] < 1.0
