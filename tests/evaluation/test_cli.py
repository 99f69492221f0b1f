import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tests.evaluation.toybench  # noqa: F401
from evaluation.cli import app

runner = CliRunner()
NESY = [sys.executable, "-m", "evaluation.cli"]


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("nesykit ")


def test_bench_list_shows_names_descriptions_and_defaults():
    res = runner.invoke(app, ["bench", "list"])
    assert res.exit_code == 0
    assert "mnist-digits" in res.output and "arch = 'lenet5'" in res.output and "smoke" in res.output
    res = runner.invoke(app, ["bench", "list", "--json"])
    data = json.loads(res.output)
    digits = next(d for d in data if d["name"] == "mnist-digits")
    assert {"name": "epochs", "type": "int", "default": 5} .items() <= digits["params"][1].items()


@pytest.mark.parametrize("args,fragment", [
    (["bench", "run", "nope"], "unknown benchmark 'nope'; valid names:"),
    (["bench", "run", "mnist-digits", "-p", "arch=vgg"], "parameter 'arch': 'vgg' is not valid; allowed: one of"),
    (["bench", "run", "mnist-digits", "-p", "colour=red"], "valid parameters: arch, batch_size"),
    (["bench", "run", "mnist-digits", "-p", "epochs=-1"], "parameter 'epochs'"),
])
def test_bad_input_is_one_clear_line_without_traceback(args, fragment, tmp_path):
    proc = subprocess.run(NESY + args + ["--out", str(tmp_path / "r")], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 2, proc.stderr
    text = " ".join(proc.stderr.split())
    assert fragment in text
    assert "Traceback" not in proc.stderr


def test_run_and_report_through_the_cli(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert runner.invoke(app, ["bench", "run", "toy-noisy-squares", "-p", "n=4", "--out", str(a)]).exit_code == 0
    res = runner.invoke(app, ["bench", "run", "toy-noisy-squares", "-p", "n=4", "--seed", "2", "--out", str(b)])
    assert res.exit_code == 0 and "correct" in res.output
    rep = tmp_path / "rep"
    res = runner.invoke(app, ["report", str(a), str(b), "--out", str(rep)])
    assert res.exit_code == 0, res.output
    md = (rep / "report.md").read_text()
    assert "toy-noisy-squares" in md and "| run |" in md
    html = (rep / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 2  # plots are embedded: the page is self-contained
    assert (rep / "toy-noisy-squares-metrics.png").stat().st_size > 1000


def test_report_on_an_unfinished_folder_is_a_clear_error(tmp_path):
    (tmp_path / "header.json").write_text("{}")
    proc = subprocess.run(NESY + ["report", str(tmp_path)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 2 and "no results.json" in proc.stderr


def test_doctor_exits_zero_when_core_works():
    proc = subprocess.run(NESY + ["doctor"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "clingo" in proc.stdout and "MNIST" in proc.stdout and "vLLM" in proc.stdout
