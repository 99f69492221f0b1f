"""The example in docs/possibilistic.md runs and does what it says."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "possibilistic.md"


def test_readme_example_runs(capsys) -> None:
    code = DOC.read_text().split("```python\n")[1].split("```")[0]
    exec(compile(code, str(DOC), "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("[1 0] 1.0")
    assert "for:" in out and "odd" in out
