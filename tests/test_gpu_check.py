"""scripts/gpu_check.sh on a machine without a GPU: its arguments, the no-GPU message, the folder of a dry run.

A fake ``nvidia-smi`` (``$NVIDIA_SMI``) stands for the GPU; nothing here runs a model.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"


def _smi(tmp_path: Path, name: str | None) -> str:
    """A fake nvidia-smi that lists ``name`` (or fails, like a machine without a driver)."""
    fake = tmp_path / f"nvidia-smi-{'ok' if name else 'none'}"
    body = f"echo '{name}'" if name else "echo 'NVIDIA-SMI has failed' >&2; exit 9"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    return str(fake)


def run(*args: str, smi: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["NVIDIA_SMI"] = smi or "/nonexistent/nvidia-smi"
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120)


def test_help_and_bad_arguments(tmp_path):
    r = run("--help")
    assert r.returncode == 0 and all(a in r.stdout for a in ("--out DIR", "--limit N", "--qwen-gguf FILE", "--dry-run"))
    for args, msg in ((["--frobnicate"], "unknown argument '--frobnicate'"),
                      (["--limit", "abc"], "--limit must be a positive whole number, got 'abc'"),
                      (["--budget=0"], "--budget must be a positive whole number"),
                      (["--out"], "--out needs a folder")):
        r = run(*args, "--out", str(tmp_path / "x")) if args != ["--out"] else run(*args)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("has_smi", [False, True])
def test_without_a_gpu_it_says_so_and_writes_nothing(tmp_path, has_smi):
    out = tmp_path / "check"
    r = run("--out", str(out), smi=_smi(tmp_path, None) if has_smi else None)
    assert r.returncode == 3
    assert "no NVIDIA GPU found" in r.stderr and "nothing was run" in r.stderr
    assert not out.exists()


def test_an_existing_folder_is_refused(tmp_path):
    r = run("--out", str(tmp_path), "--dry-run")
    assert r.returncode == 2 and "already exists" in r.stderr


def test_dry_run_writes_the_folder_with_the_plan(tmp_path):
    out = tmp_path / "check"
    r = run("--out", str(out), "--limit", "7", "--dry-run", smi=_smi(tmp_path, "NVIDIA H200"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["commands.txt", "steps.tsv", "summary.md"]
    commands = (out / "commands.txt").read_text().splitlines()
    assert [c.split(":")[0] for c in commands] == ["versions", "nvidia-smi", "models", "convert", "pytest-gpu",
                                                    "bench-vllm-default", "grid-acre"]
    text = "\n".join(commands)
    assert "-m pytest -m gpu" in text and f"--junitxml {out}/pytest-gpu.xml" in text
    assert "llm bench -m vllm/default --concurrency 64 --requests 64" in text
    assert ("-m scripts.refinement_grid --model vllm/qwen2.5-coder-1.5b --limit 7 --methods io,t3n5 "
            f"--domains acre --out {out}/grid") in text
    summary = (out / "summary.md").read_text()
    assert "GPU: NVIDIA H200" in summary and "Dry run: nothing was run" in summary
    assert (out / "steps.tsv").read_text() == "step\texit\tseconds\n"


def test_a_dry_run_needs_no_gpu(tmp_path):
    out = tmp_path / "plan"
    r = run("--out", str(out), "--dry-run")
    assert r.returncode == 0 and "GPU: none found" in (out / "summary.md").read_text()
    assert "--import-mode=importlib" in (out / "commands.txt").read_text()  # same-named test files collect
