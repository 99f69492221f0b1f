"""The possibilistic example in the README runs and does what it says."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "README.md"
SECTION = "### Possibilistic rule systems"


def test_readme_example_runs(capsys) -> None:
    code = DOC.read_text().split(SECTION)[1].split("```python\n")[1].split("```")[0]
    exec(compile(code, str(DOC), "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("[1 0] 1.0")
    assert "for:" in out and "odd" in out


def test_readme_rule_base_example_runs(capsys) -> None:
    code = DOC.read_text().split("### Π-NeSy benchmarks")[1].split("```python\n")[1].split("```")[0]
    exec(compile(code, str(DOC), "exec"), {})
    out = capsys.readouterr().out
    assert "pair_tuples" in out and "output_digits" in out
