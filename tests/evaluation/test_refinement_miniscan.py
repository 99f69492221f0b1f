"""MiniSCAN: the generator (Lake et al. 2019 with random vocabularies) and the QCFG interpreter."""

from __future__ import annotations

import re

import pytest

from agents.world import RuleParseError
from evaluation.worlds.induction import miniscan as ms

LAKE_GRAMMAR = """dax -> RED
lug -> BLUE
wif -> GREEN
zup -> YELLOW
x fep -> x x x (priority 1)
x blicket y -> x y x (priority 2)
x kiki y -> y x (priority 3)"""

# Study and test items of Lake, Linzen & Baroni (2019), Figure 2, written out by hand (R B G Y).
LAKE_ITEMS = {
    "dax": "R", "lug fep": "B B B", "wif blicket dax": "G R G", "dax kiki lug": "B R",
    "lug fep kiki wif": "G B B B", "lug kiki wif fep": "G G G B", "wif kiki dax blicket lug": "R B R G",
    "wif blicket dax kiki lug": "B G R G", "zup fep": "Y Y Y", "zup kiki dax": "R Y",
    "zup fep kiki lug": "B Y Y Y", "wif kiki zup fep": "Y Y Y G", "lug kiki wif blicket zup": "G Y G B",
    "zup blicket wif kiki dax fep": "R R R Y G Y", "zup blicket zup kiki zup fep": "Y Y Y Y Y Y",
}
LETTER = {"R": "RED", "B": "BLUE", "G": "GREEN", "Y": "YELLOW"}


def test_lake_items_under_the_true_grammar():
    rules = ms.parse_grammar(LAKE_GRAMMAR)
    for instruction, expected in LAKE_ITEMS.items():
        got = ms.parse_instruction(rules, instruction.split())
        assert got == tuple(LETTER[c] for c in expected.split()), instruction


def test_priority_decides_which_rule_applies_outermost():
    wrong = LAKE_GRAMMAR.replace("(priority 3)", "(priority 0)")  # kiki now binds tighter than blicket
    rules = ms.parse_grammar(wrong)
    # blicket(wif kiki dax, lug) = (R G) B (R G) instead of kiki(wif, dax blicket lug) = R B R G
    assert ms.parse_instruction(rules, "wif kiki dax blicket lug".split()) == ("RED", "GREEN", "BLUE", "RED", "GREEN")


def test_task_set_shape_vocabulary_and_reproducibility():
    tasks = ms.generate_tasks(100, seed=0)
    assert len(tasks) == 100 and all(len(t.train) == 14 and len(t.test) == 10 for t in tasks)
    assert ms.generate_tasks(2, seed=0) == tasks[:2]
    vocabularies = {tuple(sorted(v for k, v in t.meta["vocabulary"].items() if k[0] in "PF")) for t in tasks}
    assert len(vocabularies) == 100  # every task has its own words
    for t in tasks:
        words = [v for k, v in t.meta["vocabulary"].items() if k[0] in "PF"]
        assert len(set(words)) == 7 and all(re.fullmatch(r"[a-z]{3,4}", w) for w in words)
        colors = [v for k, v in t.meta["vocabulary"].items() if k[0] == "C"]
        assert len(set(colors)) == 4 and set(colors) <= set(ms.COLORS)
        seen_words = {w for e in t.train for w in e.input}
        assert {w for e in t.test for w in e.input} <= seen_words


def test_generated_tasks_match_lake_after_renaming():
    """Renaming a task's words back to Lake's gives Lake's outputs (with the task's colors)."""
    t = ms.generate_task(seed=123)
    v = t.meta["vocabulary"]
    back = {v["P0"]: "dax", v["P1"]: "lug", v["P2"]: "wif", v["P3"]: "zup", v["F1"]: "fep", v["F2"]: "blicket",
            v["F3"]: "kiki"}
    color = {"R": v["C0"], "B": v["C1"], "G": v["C2"], "Y": v["C3"]}
    for e in t.train + t.test:
        lake = " ".join(back[w] for w in e.input)
        if lake in LAKE_ITEMS:
            assert e.output == tuple(color[c] for c in LAKE_ITEMS[lake].split())


def test_true_grammar_is_perfect_and_interpreter_reports_failures():
    t = ms.generate_task(seed=5)
    interp = ms.QcfgInterpreter()
    rules = ms.parse_grammar(t.meta["grammar"])
    assert interp.check(rules, t.train + t.test).perfect
    partial = [r for r in rules if len(r.lhs) == 1]  # primitives only
    res = interp.check(partial, t.train)
    assert 0 < res.accuracy < 1
    assert any(o.error and o.error.startswith("no parse for") for o in res.outcomes)


def test_grammar_parser_accepts_common_layouts_and_rejects_bad_rules():
    rules = ms.parse_grammar("Rules:\n1. dax → red\n- x fep => x x x [priority 2]\n* ##A kiki ##B -> ##B ##A\n")
    assert [str(r) for r in rules] == ["dax -> RED (priority 0)", "x fep -> x x x (priority 2)",
                                       "##A kiki ##B -> ##B ##A (priority 0)"]
    with pytest.raises(RuleParseError, match="right side uses 'y'"):
        ms.parse_grammar("x fep -> y y")
    with pytest.raises(RuleParseError, match="no grammar rule"):
        ms.parse_grammar("The words map to colors.")


def test_cyclic_and_explosive_grammars_terminate():
    interp = ms.QcfgInterpreter(time_limit=0.5)
    cyclic = ms.parse_grammar("x dax -> x\nx dax -> RED\ndax -> RED")
    [out] = interp.apply(cyclic, [["dax", "dax", "dax"]])
    assert out.ok or out.error
    ambiguous = ms.parse_grammar("x y z lug -> x y z\nx y lug -> x y\ndax -> RED\nx -> x x lug")
    [out] = interp.apply(ambiguous, [["dax"] * 40 + ["lug"]])
    assert out.ok or "no parse" in out.error or "longer than" in out.error


def test_time_limit_is_enforced():
    # every split of 60 words into x y z w is tried before the final 'wif' fails: ~10^5 attempts
    rules = ms.parse_grammar("dax -> RED\nx dax -> x\nx y z w wif -> x")
    words = ["dax"] * 60 + ["lug"]
    [out] = ms.QcfgInterpreter(time_limit=0.01).apply(rules, [words])
    assert not out.ok and "longer than 0.01s" in out.error


def test_output_parsing_and_constraints():
    d = ms.miniscan_domain()
    assert d.parse_output("The output is red Blue GREEN.") == ("RED", "BLUE", "GREEN")
    assert re.fullmatch(ms.GRAMMAR_CONSTRAINT, "dax -> RED\nx fep -> x x x (priority 1)\n")
    assert re.fullmatch(ms.OUTPUT_CONSTRAINT, "RED BLUE RED")
