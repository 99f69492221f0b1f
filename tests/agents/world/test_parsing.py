"""Reading Python rules out of model text."""

from __future__ import annotations

import pytest

from agents.world import RuleParseError, code_blocks, parse_python_rule, strip_fences


def test_fenced_block_is_preferred():
    text = "Sure!\n```python\ndef fn(x):\n    return x[::-1]\n```\nThis reverses the list."
    assert parse_python_rule(text) == "def fn(x):\n    return x[::-1]"


def test_unfenced_code_with_trailing_prose():
    text = "Here is the code:\ndef fn(x):\n    return [v + 1 for v in x]\nThis adds one to each element."
    src = parse_python_rule(text)
    assert src.endswith("return [v + 1 for v in x]")


def test_lone_function_under_another_name_is_aliased():
    src = parse_python_rule("```python\ndef transform(grid):\n    return grid\n```")
    ns: dict = {}
    exec(src, ns)  # trusted test input
    assert ns["fn"]([1]) == [1]


def test_unclosed_fence_runs_to_the_end():
    assert code_blocks("```python\ndef fn(x):\n    return x") == [("python", "def fn(x):\n    return x")]
    assert strip_fences("```asp\nblicket(a).\n```", ("asp",)) == "blicket(a)."


@pytest.mark.parametrize("text, reason", [
    ("The rule reverses the list.", "no Python code found"),
    ("```python\ndef fn(x)\n    return x\n```", "syntax error"),
    ("```python\nx = 1\ny = 2\n```", "no function named 'fn'"),
])
def test_failures_carry_the_reason(text, reason):
    with pytest.raises(RuleParseError, match=reason):
        parse_python_rule(text)
