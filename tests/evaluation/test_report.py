"""``nesy report`` on hand-written run folders: failures, provenance, smoke and cache marks, figures."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from evaluation.cli import app
from evaluation.harness import report as report_mod
from evaluation.harness.errors import RunFolderError
from evaluation.harness.plotting import LABEL_BAND_PX, pyplot
from evaluation.harness.report import write_report

ROOT = Path(__file__).resolve().parents[2]
NESY = [sys.executable, "-m", "evaluation.cli"]
REV = "0123456789abcdef0123456789abcdef01234567"
runner = CliRunner()


def make_run(folder: Path, benchmark: str = "toy", *, n: int = 5, limit: int | None = None,
             model: str | None = None, llm_cache: dict[str, Any] | None = None, png: bool = False,
             accuracy: float = 0.5) -> Path:
    """A finished run folder as the runner writes it, without running anything."""
    folder.mkdir(parents=True)
    header = {"benchmark": benchmark, "params": {"size": n}, "model": model, "seed": 0,
              "versions": {"nesykit": "9.9.9", "torch": "2.13.0+cpu", "vllm": None},
              "git_revision": REV + "-dirty", "threads": 1,
              "machine": {"python": "3.11.7", "platform": "Linux-test-x86_64", "cpus": 2, "cuda": None},
              "start_time": "2026-01-02T03:04:05+00:00", "executor": "local", "workers": None, "limit": limit}
    (folder / "header.json").write_text(json.dumps(header))
    with (folder / "samples.jsonl").open("w") as f:
        for i in range(n):
            f.write(json.dumps({"id": str(i), "inputs": {}, "outputs": {}, "score": {"accuracy": accuracy},
                                "timings": {"run_s": 0.1 * (i + 1)}, "seed": 0}) + "\n")
    results: dict[str, Any] = {
        "benchmark": benchmark, "params": {"size": n}, "seed": 0, "model": model,
        "metrics": {"accuracy": accuracy, "accuracy_stderr": 0.0123},
        "timing": {"wall_s": 1.5, "n_samples": n, "n_new": n},
    }
    if llm_cache is not None:
        results["llm_cache"] = llm_cache
    (folder / "results.json").write_text(json.dumps(results))
    if png:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, 1])
        (folder / "artifacts").mkdir()
        fig.savefig(folder / "artifacts" / "curve.png", dpi=50)
        plt.close(fig)
    return folder


def make_suite(root: Path, name: str = "smoke") -> Path:
    """A suite folder: two runs, one failed benchmark, and a suite.json naming them."""
    runs = {"toy": make_run(root / "toy", "toy", n=5, limit=5, png=True),
            "other": make_run(root / "other", "other", n=2)}
    (root / "suite.json").write_text(json.dumps({
        "suite": name, "seed": 0, "runs": {k: str(v) for k, v in runs.items()},
        "failed": {"broken-bench": "DataNotFoundError: data for broken-bench not found"},
        "report": str(root / "report")}))
    return root


def test_a_suite_folder_reports_all_its_runs_and_lists_failed_benchmarks(tmp_path):
    suite = make_suite(tmp_path / "suite")
    res = runner.invoke(app, ["report", str(suite), "--out", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "## toy" in md and "## other" in md
    assert "## Failed benchmarks" in md
    assert "| smoke | broken-bench | DataNotFoundError: data for broken-bench not found |" in md
    assert "broken-bench" in (tmp_path / "rep" / "report.html").read_text()


def test_a_moved_suite_folder_finds_its_runs_beside_suite_json(tmp_path):
    make_suite(tmp_path / "suite")
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "suite", moved)  # suite.json still names the old paths
    paths = write_report([moved], tmp_path / "rep")
    md = paths["markdown"].read_text()
    assert "## toy" in md and "## other" in md


def test_default_out_of_a_suite_folder_is_its_report_folder(tmp_path):
    suite = make_suite(tmp_path / "suite")
    res = runner.invoke(app, ["report", str(suite)])
    assert res.exit_code == 0, res.output
    assert (suite / "report" / "report.md").is_file()


def test_failures_passed_by_a_caller_without_suite_json(tmp_path):
    # run_suite writes the report before suite.json: it can hand its failures over directly.
    run = make_run(tmp_path / "toy")
    paths = write_report([run], tmp_path / "rep", suite={"suite": "smoke", "seed": 0, "runs": {"toy": run},
                                                         "failed": {"gone": "ImportError: no"}})
    md = paths["markdown"].read_text()
    assert "| smoke | gone | ImportError: no |" in md
    assert "smoke-sized (suite smoke)" in md


def test_provenance_per_run(tmp_path):
    a = make_run(tmp_path / "a", model="llamacpp/smol.gguf")
    b = make_run(tmp_path / "b")
    md = write_report([a, b], tmp_path / "rep")["markdown"].read_text()
    prov = md[md.index("## Provenance"):]
    for run in ("| a |", "| b |"):
        assert run in prov
    assert REV[:10] + "-dirty" in prov
    assert "2026-01-02T03:04:05+00:00" in prov
    assert "Linux-test-x86_64, 2 CPUs, Python 3.11.7, no GPU" in prov
    assert "llamacpp/smol.gguf" in prov
    assert "| torch | 2.13.0+cpu |" in prov and "| nesykit | 9.9.9 |" in prov
    assert "vllm" not in prov  # a package no run has is left out


def test_smoke_runs_are_marked_and_the_rule_is_stated(tmp_path):
    make_suite(tmp_path / "suite")
    limited = make_run(tmp_path / "limited", "lim", limit=3)
    full = make_run(tmp_path / "full", "full")
    # A run of a smoke suite, given on its own: suite.json beside it says it is one.
    md = write_report([tmp_path / "suite" / "other", limited, full], tmp_path / "rep")["markdown"].read_text()
    assert "## other (smoke-sized)" in md and "smoke-sized (suite smoke)" in md
    assert "## lim (smoke-sized)" in md and "smoke-sized (--limit 3)" in md
    assert "## full\n" in md
    assert "suite named smoke" in md and "--limit" in md  # how it was decided


def test_runs_of_another_suite_are_not_smoke(tmp_path):
    make_suite(tmp_path / "suite", name="nightly")
    md = write_report([tmp_path / "suite" / "other"], tmp_path / "rep")["markdown"].read_text()
    assert "smoke-sized" not in md


def test_plus_minus_is_explained_and_n_shown(tmp_path):
    md = write_report([make_run(tmp_path / "a", n=7)], tmp_path / "rep")["markdown"].read_text()
    assert "0.5 ± 0.0123 (n=7)" in md
    assert "± is the standard error of the mean over a run's samples" in md


def test_artifact_images_are_copied_beside_the_report_and_linked_relatively(tmp_path):
    a = make_run(tmp_path / "runs" / "a", png=True)
    b = make_run(tmp_path / "runs" / "b", png=True)
    write_report([a, b], tmp_path / "rep")
    moved = tmp_path / "elsewhere"
    shutil.move(tmp_path / "rep", moved)
    shutil.rmtree(tmp_path / "runs")  # the report must not need the run folders any more
    md = (moved / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert "a-curve.png" in links and "b-curve.png" in links
    for link in links:
        assert not Path(link).is_absolute() and (moved / link).is_file(), link


def test_artifact_copies_name_their_run_without_resampling(tmp_path):
    a = make_run(tmp_path / "a", png=True)
    write_report([a], tmp_path / "rep")
    plt = pyplot()
    original = plt.imread(a / "artifacts" / "curve.png")
    copy = plt.imread(tmp_path / "rep" / "a-curve.png")
    assert copy.shape[0] == original.shape[0] + LABEL_BAND_PX  # the band that names the run
    assert (copy[LABEL_BAND_PX:, :, :3] == original[:, :, :3]).all()
    assert "![a: curve](a-curve.png)" in (tmp_path / "rep" / "report.md").read_text()


def test_sample_time_histograms_need_four_samples_and_name_their_runs(tmp_path, monkeypatch):
    titles: list[str] = []
    save = report_mod.save_figure

    def spy(fig: Any, path: Any, **kw: Any) -> Path:
        titles.extend(ax.get_title() for ax in fig.axes)
        return save(fig, path, **kw)

    monkeypatch.setattr(report_mod, "save_figure", spy)
    few = make_run(tmp_path / "few", "few", n=3)
    many = make_run(tmp_path / "many", "many", n=4)
    write_report([few, many], tmp_path / "rep")
    assert not (tmp_path / "rep" / "few-sample-times.png").exists()
    assert (tmp_path / "rep" / "many-sample-times.png").is_file()
    assert any("many" in t and "time per sample" in t and t.count("many") >= 2 for t in titles), titles


def test_runs_whose_llm_calls_all_hit_the_cache_say_so(tmp_path):
    cached = make_run(tmp_path / "cached", "c1", model="m", llm_cache={"hits": 6, "misses": 0, "hit_rate": 1.0,
                                                                         "enabled": True})
    mixed = make_run(tmp_path / "mixed", "c2", model="m", llm_cache={"hits": 3, "misses": 3, "hit_rate": 0.5,
                                                                       "enabled": True})
    off = make_run(tmp_path / "off", "c3", model="m", llm_cache={"hits": 0, "misses": 0, "hit_rate": None,
                                                                   "enabled": False})
    md = write_report([cached, mixed, off], tmp_path / "rep")["markdown"].read_text()
    c1, c2 = md[md.index("## c1"):md.index("## c2")], md[md.index("## c2"):md.index("## c3")]
    c3 = md[md.index("## c3"):md.index("## Provenance")]
    assert "all 6 LLM calls came from the response cache" in c1 and "| timings | from the LLM cache |" in c1
    assert "cache" not in c2.replace("cache_hit_rate", "")
    assert "from the LLM cache" not in c3


@pytest.mark.parametrize("given_out", [True, False])
def test_a_failed_report_leaves_no_folder_behind(tmp_path, given_out):
    bad = tmp_path / "unfinished"
    bad.mkdir()
    (bad / "header.json").write_text("{}")
    good = make_run(tmp_path / "good")
    out = tmp_path / "rep"
    args = ["report", str(good), str(bad)] + (["--out", str(out)] if given_out else [])
    # cwd is tmp_path, so the default report folder for two runs (runs/report) would land there.
    proc = subprocess.run(NESY + args, capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and "no results.json" in proc.stderr, proc.stderr
    assert not out.exists()
    assert not (tmp_path / "runs").exists()  # the default --out for two folders


def test_a_report_that_fails_while_writing_removes_the_folder_it_created(tmp_path, monkeypatch):
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(report_mod, "_plot_group", boom)
    with pytest.raises(OSError, match="disk full"):
        write_report([make_run(tmp_path / "a")], tmp_path / "rep")
    assert not (tmp_path / "rep").exists()


def test_a_folder_that_is_neither_run_nor_suite_is_refused_before_writing(tmp_path):
    with pytest.raises(RunFolderError, match="nor a suite folder"):
        write_report([tmp_path], tmp_path / "rep")
    assert not (tmp_path / "rep").exists()


def test_incomplete_runs_say_what_is_missing_and_how_many_seeds_were_dropped(tmp_path):
    run = make_run(tmp_path / "run")
    res = json.loads((run / "results.json").read_text())
    res.update(complete=False, n_failed=1, n_missing=2, n_expected=5)
    res["metrics"]["n_dropped_nonfinite"] = 3
    (run / "results.json").write_text(json.dumps(res))
    paths = write_report([run], tmp_path / "rep")
    text = Path(paths["markdown"]).read_text()
    assert "no: 1 failed, 2 missing of 5, 3 seeds dropped (non-finite training)" in text
