"""ACRE: the generator, the paper's dictionary interpreter, and the clingo (ASP) interpreter."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.world import RuleParseError
from evaluation.worlds.induction import acre


@pytest.fixture(scope="module")
def tasks():
    return acre.generate_tasks(100, seed=0)


def oracle_dict(task) -> dict:
    return {acre._object_key(o): s for o, s in task.meta["status"].items()}


def oracle_asp(task) -> str:
    lines = []
    for o, s in task.meta["status"].items():
        if s == "on":
            lines.append(f"blicket({acre.atom(o)}).")
        elif s == "undetermined":
            lines.append(f"{{blicket({acre.atom(o)})}}.")
    return "\n".join(lines)


def test_task_set_shape_and_reproducibility(tasks):
    assert len(tasks) == 100 and len({t.id for t in tasks}) == 100
    assert all(len(t.train) == 6 and len(t.test) == 4 for t in tasks)
    assert acre.generate_tasks(3, seed=0) == tasks[:3]
    assert acre.generate_tasks(3, seed=1) != tasks[:3]
    for t in tasks:
        assert {e.output for e in t.train} <= {"on", "off"} and "on" in {e.output for e in t.train}
        objects = {o for e in t.train for o in e.input}
        assert len(objects) == 6
        assert all(set(e.input) <= objects for e in t.test)  # queries use context objects
        trial_sets = {frozenset(e.input) for e in t.train}
        assert not any(frozenset(e.input) in trial_sets for e in t.test)
        for o in objects:
            color, material, shape = o.split()
            assert color in acre.COLORS and material in acre.MATERIALS and shape in acre.SHAPES


def test_all_three_labels_occur(tasks):
    counts = Counter(e.output for t in tasks for e in t.test)
    assert set(counts) == {"on", "off", "undetermined"} and min(counts.values()) >= 40
    assert sum("undetermined" in {e.output for e in t.test} for t in tasks) >= 50


def test_labels_follow_from_the_trials_alone(tasks):
    """Relabel every query by brute force over blicket assignments consistent with the trials."""
    import itertools

    for t in tasks[:30]:
        objects = sorted({o for e in t.train for o in e.input})
        worlds = []
        for bits in itertools.product([0, 1], repeat=len(objects)):
            b = {o for o, x in zip(objects, bits, strict=True) if x}
            if all(any(o in b for o in e.input) == (e.output == "on") for e in t.train):
                worlds.append(b)
        for e in t.test:
            lit = {any(o in w for o in e.input) for w in worlds}
            expected = "on" if lit == {True} else "off" if lit == {False} else "undetermined"
            assert e.output == expected


def test_the_ideal_dictionary_rule_is_perfect_on_every_task(tasks):
    interp = acre.AcreDictInterpreter()
    for t in tasks:
        assert interp.check(oracle_dict(t), t.train + t.test).perfect


def test_dictionary_interpreter_semantics():
    rule = acre.parse_dict_rule("red metal cube: on\ncyan rubber sphere: off\nblue metal cylinder: undetermined")
    f = acre.apply_dict_rule
    assert f(rule, ["cyan rubber sphere", "red metal cube"]) == "on"
    assert f(rule, ["cyan rubber sphere"]) == "off"
    assert f(rule, ["cyan rubber sphere", "blue metal cylinder"]) == "undetermined"
    assert f(rule, ["cyan rubber sphere", "gray metal cube"]) == "undetermined"  # not in the rule


def test_dictionary_parser_is_lenient_about_layout_but_not_content():
    text = ('Here is my rule:\n```\n{"metal red cube": "on",\n - cyan rubber sphere -> OFF\n'
            "blue metal cylinder is unknown\n```")
    rule = acre.parse_dict_rule(text)
    assert acre.render_dict_rule(rule).splitlines() == [
        "red metal cube: on", "cyan rubber sphere: off", "blue metal cylinder: undetermined"]
    with pytest.raises(RuleParseError, match="no line of the form"):
        acre.parse_dict_rule("The rule is that red things are blickets.")
    with pytest.raises(RuleParseError):
        acre.parse_dict_rule("red metal cube: maybe")


def test_asp_interpreter_matches_the_ideal_rule(tasks):
    interp = acre.acre_asp_interpreter()
    for t in tasks[:25]:
        program = acre.parse_asp_rule(oracle_asp(t))
        assert interp.check(program, t.train + t.test).perfect


def test_asp_rules_can_generalise_over_attributes():
    interp = acre.acre_asp_interpreter()
    program = acre.parse_asp_rule("```asp\nblicket(X) :- color(X, red).\n```")
    outs = interp.apply(program, [["red metal cube"], ["blue metal cube"], ["blue metal cube", "red rubber sphere"]])
    assert [o.output for o in outs] == ["on", "off", "on"]


def test_asp_errors_are_outcomes_or_parse_errors():
    interp = acre.acre_asp_interpreter()
    with pytest.raises(RuleParseError, match="clingo syntax error"):
        acre.parse_asp_rule("blicket(red_metal_cube")
    [out] = interp.apply("blicket(red_metal_cube). :- on.", [["red metal cube"]])
    assert not out.ok and "no answer set" in out.error
    [out] = interp.apply("blicket(X) :- foo(X, Y), Y = X + 1.", [["red metal cube"]])
    assert out.ok and out.output == "off"  # unsafe-free, grounds to nothing


def test_asp_solve_is_bounded_in_time():
    interp = acre.acre_asp_interpreter(timeout=0.2)
    pigeonhole = ("p(1..13). h(1..12). 1 {a(P, H): h(H)} 1 :- p(P). :- a(P1, H), a(P2, H), P1 < P2. "
                  "blicket(red_metal_cube).")
    [out] = interp.apply(pigeonhole, [["red metal cube"]])
    assert not out.ok and "out of time" in out.error


def test_python_form_signature_and_constraints():
    d = acre.acre_domain()
    assert d.form("formal").name == "dict" and set(d.forms) == {"dict", "asp", "python"}
    assert "def fn(objects: list[str]) -> str" in d.python_signature
    assert re.fullmatch(acre.DICT_CONSTRAINT, "red metal cube: on\nblue rubber sphere: undetermined\n")
    assert re.fullmatch(acre.ASP_CONSTRAINT, "blicket(red_metal_cube).\n{blicket(blue_rubber_sphere)}.\n")
    assert d.parse_output("The light is OFF.") == "off"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(acre.COLORS), st.sampled_from(acre.MATERIALS),
                          st.sampled_from(acre.SHAPES), st.sampled_from(acre.LABELS)), min_size=1, max_size=6),
       st.data())
def test_dict_and_asp_forms_agree(entries, data):
    """The paper's dictionary semantics and the ASP encoding of the same rule give the same light."""
    rule_lines, asp_lines, names = [], [], []
    for color, material, shape, label in entries:
        name = acre.object_name(color, material, shape)
        names.append(name)
        rule_lines.append(f"{name}: {label}")
    rule = acre.parse_dict_rule("\n".join(rule_lines))
    for key, label in rule.items():
        name = acre._canonical(key)
        if label == "on":
            asp_lines.append(f"blicket({acre.atom(name)}).")
        elif label == "undetermined":
            asp_lines.append(f"{{blicket({acre.atom(name)})}}.")
    query = data.draw(st.lists(st.sampled_from(sorted(set(names))), min_size=1, max_size=3, unique=True))
    [out] = acre.acre_asp_interpreter().apply("\n".join(asp_lines) or "blicket(none).", [query])
    assert out.output == acre.apply_dict_rule(rule, query)
