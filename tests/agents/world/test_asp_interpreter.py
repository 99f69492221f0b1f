"""AspInterpreter through symbolic.asp: labels, errors, and a grounding limit for model-written programs."""

import time

import pytest

from agents.world import AspInterpreter, RuleParseError, check_program

BACKGROUND = "on :- present(X), blicket(X)."


def facts(objects):
    return " ".join(f"present({o})." for o in objects)


def interp(timeout=2.0):
    return AspInterpreter(background=BACKGROUND, facts=facts, query="on", labels=("on", "off", "undetermined"),
                          timeout=timeout)


def test_labels_all_none_some():
    out = interp().apply("blicket(a). {blicket(b)}.", [["a"], ["c"], ["b"]])
    assert [o.output for o in out] == ["on", "off", "undetermined"]
    assert all(o.error is None for o in out)


def test_grounding_bomb_is_a_timeout_outcome_within_about_the_limit():
    t0 = time.perf_counter()
    (out,) = interp(timeout=1.0).apply("p(X) :- X = 1..100000000.", [["a"]])
    assert time.perf_counter() - t0 < 3.0
    assert out.error is not None and ("out of time" in out.error or "clingo error" in out.error)


def test_syntax_error_and_unsat_are_error_outcomes():
    (bad,) = interp().apply("blicket(a", [["a"]])
    assert "clingo error" in bad.error and "syntax error" in bad.error
    (unsat,) = interp().apply(":- present(a).", [["a"]])
    assert "no answer set" in unsat.error


def test_check_program_names_clingos_message():
    check_program("blicket(X) :- color(X, red).")
    with pytest.raises(RuleParseError, match="clingo syntax error"):
        check_program("blicket(X) :- ")
    with pytest.raises(RuleParseError, match="empty"):
        check_program("  ")


def test_a_parent_with_a_large_address_space_still_solves():
    """The child's memory limit is on what it adds: a parent holding gigabytes of address space (torch,
    a loaded model) must not leave the child unable to allocate anything."""
    import subprocess
    import sys

    code = (
        "import mmap; reserve = mmap.mmap(-1, 3 << 30)\n"  # 3 GiB of address space, never touched
        "from agents.world.asp import AspInterpreter\n"
        "it = AspInterpreter('on :- present(X), blicket(X).', lambda x: f'present({x}).', 'on',\n"
        "                    labels=('on', 'off', 'u'), timeout=5.0)\n"
        "print([o.output for o in it.apply('blicket(a).', ['a', 'b'])])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "['on', 'off']", out.stdout + out.stderr
