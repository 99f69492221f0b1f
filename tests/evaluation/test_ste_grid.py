"""scripts/ste_grid.py: our rows beside the paper's, and the per-round table of a continual run."""

from __future__ import annotations

import json


def test_grid_prints_rows_and_the_continual_rounds(tmp_path, capsys) -> None:
    from scripts.ste_grid import main

    run = tmp_path / "ste-continual-replay0"
    run.mkdir()
    metrics = {"n_queries": 45, "n_apis": 2, "wellformed": 1.0, "wellformed_stderr": 0.0, "correct": 0.5,
               "correct_stderr": 0.1, "correct_round0": 0.8, "correct_round0_batch0": 0.8,
               "correct_round0_new": 0.8, "correct_round1": 0.4, "correct_round1_batch0": 0.1,
               "correct_round1_new": 0.7}
    train = {"0": {"examples_per_s": 0.5, "per_api": {"a%%A": 40}}, "1": {"examples_per_s": 0.4, "per_api": {"b": 40}}}
    (run / "results.json").write_text(json.dumps({"params": {"phase": "continual", "replay": 0.0},
                                                  "metrics": metrics, "extra": {"train": train}}))
    assert main([str(run)]) == 0
    out = capsys.readouterr().out
    assert "| ste-continual-replay0 | continual | ? | 45 (2) | 100.0 ± 0.0 | - | 50.0 ± 10.0 |" in out
    assert "| 2 | b 40 | 0.40 | 10.0 | 70.0 | 40.0 |" in out and "| paper | icl | GPT-4 |" in out
