"""The grid script's table (cells from fake results; running the grid needs a model)."""

from __future__ import annotations

import pytest

from scripts import refinement_grid as grid


def test_table_puts_measured_rows_beside_the_paper():
    cells = {("io", "acre"): {"metrics": {"raw_accuracy": 0.5, "task_accuracy": 0.1}},
             ("t3n5", "acre"): "RuntimeError: boom"}
    text = grid.format_table("default", cells, ["io", "t3n5"], ["acre"], limit=10)
    lines = text.splitlines()
    assert lines[2] == "| default IO | 50.0 / 10.0 | - | - | - |"
    assert lines[3] == "| default rule T=3, N=5 | error | - | - | - |"
    assert "| paper: GPT-4 rule T=3, N=5 | 82.5 / 59.0 | 93.3 / 85.0 |" in text
    assert "- rule T=3, N=5 on acre: RuntimeError: boom" in text


def test_unknown_method_is_refused():
    with pytest.raises(SystemExit):
        grid.main(["--methods", "magic"])
