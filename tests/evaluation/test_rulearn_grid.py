"""The RULEARN grid script's table (cells from fake results; a tiny run with a scripted model)."""

from __future__ import annotations

import pytest

from agents.llm import FakeModel
from scripts import rulearn_grid as grid


def test_table_puts_measured_rows_beside_the_paper():
    cells = {"oracle": {"metrics": {"success_rate": 0.5, "success_rate_stderr": 0.1, "success_rate_reactor": 0.25,
                                    "success_rate_reactor_stderr": 0.2, "steps": 7.25, "format_failures": 1.0}},
             "idea": "RuntimeError: boom"}
    text = grid.format_table("default", cells, ["oracle", "idea"], limit=9, structured=True)
    lines = text.splitlines()
    assert lines[2] == "| default Oracle (Level 1) (structured) | 50.0 ± 10.0 | - | - | 25.0 ± 20.0 | 7.2 | 1.0 |"
    assert lines[3].startswith("| default IDEA (structured) | error |")
    assert "| paper: GPT-4o IDEA | 50.3 | 73 | 51 | 27 |" in text
    assert "- IDEA: RuntimeError: boom" in text


def test_grid_runs_with_a_scripted_model(tmp_path):
    cells = grid.run_grid(FakeModel(lambda req, i: "[1]"), 3, tmp_path, ["baseline"], structured=False, round_=2,
                          extra={"budget": 2})
    assert cells["baseline"]["metrics"]["n_puzzles"] == 3
    assert "| " in grid.format_table("fake", cells, ["baseline"], 3, False)


def test_unknown_condition_is_refused():
    with pytest.raises(SystemExit):
        grid.main(["--conditions", "magic"])
