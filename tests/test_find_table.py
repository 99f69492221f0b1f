"""scripts/find_table.py: the paper's layout from finished FIND run folders."""

from __future__ import annotations

import json

import pytest

from scripts.find_table import PAPER_ROWS, cell, load_run, main, row_label, tables


def _run(folder, benchmark, params, by_variant, metrics=None, model=None, per_s=2.0):
    folder.mkdir(parents=True)
    results = {"benchmark": benchmark, "params": params, "model": model, "metrics": metrics or {},
               "by_variant": by_variant, "timing": {"samples_per_s": per_s}}
    (folder / "results.json").write_text(json.dumps(results))
    (folder / "header.json").write_text(json.dumps({"benchmark": benchmark, "params": params}))
    return folder


@pytest.fixture
def runs(tmp_path):
    gp = _run(tmp_path / "gp", "find-gp", {"family": "numeric", "gp_population": 400, "gp_generations": 20,
                                           "max_rounds": 20},
              [{"subset": "clean", "n": 483, "code_pass_rate": 0.7, "code_pass_rate_stderr": 0.02},
               {"subset": "mlp", "n": 150, "code_pass_rate": 0.5, "code_pass_rate_stderr": 0.04},
               {"subset": "all", "n": 633, "code_pass_rate": 0.652, "code_pass_rate_stderr": 0.019}])
    llm = _run(tmp_path / "llm", "find", {"family": "strings", "initialisation": True},
               [{"subset": "composite", "n": 4, "exact_match": 0.25, "exact_match_stderr": 0.1},
                {"subset": "all", "n": 4, "exact_match": 0.25, "exact_match_stderr": 0.1}],
               metrics={"unit_test_accuracy": 0.4, "unit_test_accuracy_stderr": 0.05, "n_functions": 4},
               model="llamacpp/smollm2-135m", per_s=None)
    return gp, llm


def test_rows_are_paper_rows_then_ours_with_cells_per_sub_family(runs):
    gp, llm = (load_run(r) for r in runs)
    t = tables([gp, llm])
    num, strs = t["numeric"], t["strings"]
    assert num[0] == ["method / model", "clean", "noisy", "corrupted", "MLP", "all", "functions/s"]
    assert [r[0] for r in num[1:1 + len(PAPER_ROWS)]] == [f"{p} (paper)" for p in PAPER_ROWS]
    assert all(v == "n/a" for r in num[1:1 + len(PAPER_ROWS)] for v in r[1:-1])  # no invented paper figure
    mine = num[-1]
    assert mine[0] == "GP baseline (symbolic.gp, 400x20, 20 rounds)"
    assert mine[1:] == ["0.700 ± 0.020 (483)", "–", "–", "0.500 ± 0.040 (150)", "0.652 ± 0.019 (633)", "2.00"]
    assert strs[-1] == ["smollm2-135m interpreter (initialisation)", "–", "0.250 ± 0.100 (4)",
                        "0.250 ± 0.100 (4)", "0.400 ± 0.050 (4)", "–"]
    assert cell(gp, "noisy", "code_pass_rate") == "–" and row_label(llm).startswith("smollm2")


def test_neuron_runs_get_their_own_table(tmp_path):
    rel = _run(tmp_path / "rel", "find", {"family": "relations"},
               [{"subset": "corrupted", "n": 4, "unit_test_accuracy": 0.2, "unit_test_accuracy_stderr": 0.1},
                {"subset": "all", "n": 5, "unit_test_accuracy": 0.3, "unit_test_accuracy_stderr": 0.1}],
               metrics={"corruption_named": 0.25, "corruption_named_stderr": 0.25, "n_functions": 5},
               model="default")
    [(fam, rows)] = tables([load_run(rel)]).items()
    assert fam == "relations" and rows[0][1:5] == ["clean", "corrupted", "all", "corruption named"]
    assert rows[-1][1:5] == ["–", "0.200 ± 0.100 (4)", "0.300 ± 0.100 (5)", "0.250 ± 0.250 (5)"]


def test_main_prints_both_tables_and_refuses_other_runs(runs, tmp_path, capsys):
    assert main([str(r) for r in runs]) == 0
    out = capsys.readouterr().out
    assert "Numeric functions" in out and "String functions" in out and "| GPT-4 (paper) |" in out
    assert main([str(runs[0]), "--format", "text"]) == 0 and "String functions" not in capsys.readouterr().out
    other = _run(tmp_path / "other", "ste", {}, [])
    assert main([str(other)]) == 2 and "not find" in capsys.readouterr().err
    assert main([str(tmp_path / "missing")]) == 2
