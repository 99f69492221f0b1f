"""RULEARN world mechanics on hand-worked puzzles, the oracle on every generated puzzle, bad files."""

from __future__ import annotations

import json
import math
import random

import pytest

from agents.world import ActionError, Environment
from evaluation.worlds.rulearn import (
    WORLDS,
    EscapePuzzle,
    EscapeRoomWorld,
    FunctionOperatorWorld,
    FunctionPuzzle,
    Painting,
    PuzzleFileError,
    ReactorPuzzle,
    ReactorWorld,
    load_puzzles,
    make_world,
)
from evaluation.worlds.rulearn import puzzles as puzzle_files
from evaluation.worlds.rulearn.function_operator import evaluate, parse_function, parse_x
from evaluation.worlds.rulearn.oracle import solve
from evaluation.worlds.rulearn.reactor import combine, decompose

# ------------------------------------------------------------------------------------------- Reactor


@pytest.mark.parametrize(("rule", "a", "b", "out"), [
    (1, "AB", "C", ["ABC"]), (1, "C", "AB", ["CAB"]),
    (2, "AB", "C", ["CAB"]), (2, "C", "AB", ["ABC"]),
    # Rule 3: odd host -> after the middle letter; input order irrelevant for unequal lengths.
    (3, "ABC", "D", ["ABDC"]), (3, "D", "ABC", ["ABDC"]), (3, "ABCD", "E", ["ABECD"]),
    (3, "AB", "CD", ["ACDB"]), (3, "CD", "AB", ["CABD"]), (3, "A", "B", ["AB"]), (3, "ABCDE", "XY", ["ABCXYDE"]),
    # Rule 4: equal lengths or one repeated letter concatenate in order; otherwise split.
    (4, "AB", "CD", ["ABCD"]), (4, "A", "B", ["AB"]), (4, "A", "AA", ["AAA"]),
    (4, "ABC", "D", ["AD", "BC"]), (4, "D", "ABC", ["AD", "BC"]), (4, "AAB", "A", ["AA", "AB"]),
    (4, "BB", "A", ["BA", "B"]),
])
def test_reactor_rules(rule, a, b, out):
    assert combine(rule, a, b) == out


def test_decomposition_shuffles_and_may_not_split():
    rng = random.Random(1)
    seen = [decompose("ABCD", rng) for _ in range(200)]
    assert all(sorted("".join(p)) == list("ABCD") for p in seen)
    assert any(len(p) == 1 for p in seen) and any(len(p) == 2 for p in seen)
    assert decompose("A", rng) == ["A"]


def test_reactor_episode_storage_submit_and_budget():
    world = ReactorWorld(ReactorPuzzle("t", 2, "CAB", (("AB", "C"),)), level=2, budget=3)
    assert isinstance(world, Environment)
    obs = world.reset(0)
    assert "A, B, C" in obs.text and "AB and C turned into CAB" in obs.text
    assert [a.name for a in obs.actions] == ["react"]
    with pytest.raises(ActionError, match="not in storage"):
        world.step("react", {"materials": ["AB", "C"]})
    obs = world.step("react", {"materials": ["B", "A"]})  # rule 2 -> AB
    assert "B and A turned into AB" in obs.text and world.storage == ["A", "B", "C", "AB"]
    obs = world.step("react", {"materials": ["AB", "C"]})
    assert [a.name for a in obs.actions] == ["react", "submit"]
    obs = world.step("submit")
    assert obs.done and obs.info == {"steps": 2, "solved": True, "failed": False, "reason": ""}


def test_reactor_level1_states_the_rule_and_budget_ends_the_puzzle():
    world = ReactorWorld(ReactorPuzzle("t", 3, "ABC", ()), level=1, budget=2)
    assert "middle of the longer" in world.reset(0).text
    world.step("react", {"materials": ["A"]})
    obs = world.step("react", {"materials": ["A", "A"]})
    assert obs.done and obs.info["failed"] and not obs.actions
    with pytest.raises(ActionError):
        world.step("react", {"materials": ["A"]})


# ----------------------------------------------------------------------------------------- Escape Room

GALLERY = EscapePuzzle("t", (Painting("a lighthouse", "blue", "oil"), Painting("an owl", "blue", "acrylic"),
                             Painting("a dancer", "yellow", "watercolour"), Painting("a bridge", "blue", "acrylic")),
                       "galleries")


def test_escape_code_counts_target_colour_by_medium():
    assert GALLERY.code("blue") == "120" and GALLERY.code("yellow") == "001" and GALLERY.code("green") == "000"


def test_escape_galleries_layout_and_free_looking():
    world = EscapeRoomWorld(GALLERY, level=2)
    obs = world.reset(0)
    assert "Focus on blue" in obs.text and "a lighthouse, painted in blue oil" in obs.text
    assert "an owl" not in obs.text  # the acrylics hang in the east gallery
    assert [a.name for a in obs.actions] == ["enter_code", "brute_force", "go_east_gallery", "go_west_gallery"]
    obs = world.step("go_east_gallery")
    assert "an owl" in obs.text and [a.name for a in obs.actions] == ["go_hall"]
    obs = world.step("go_hall")
    obs = world.step("enter_code", {"code": "code: 1-2-0"})  # non-digits are stripped
    assert obs.done and obs.info["solved"] and obs.info["steps"] == 2


def test_escape_colour_advances_after_three_entries():
    world = EscapeRoomWorld(GALLERY, level=2)
    world.reset(0)
    for code in ("999", "998"):
        obs = world.step("enter_code", {"code": code})
        assert "Focus on" not in obs.text
    obs = world.step("enter_code", {"code": "100"})
    assert "digit 1 is correct, digit 2 is incorrect, digit 3 is correct" in obs.text
    assert "Focus on yellow" in obs.text and world.colour == "yellow"
    obs = world.step("enter_code", {"code": "120"})  # blue's code no longer opens the door
    assert not obs.done
    obs = world.step("enter_code", {"code": "001"})
    assert obs.info["solved"]


def test_escape_wrong_length_is_a_step_not_an_entry():
    world = EscapeRoomWorld(GALLERY, level=2)
    world.reset(0)
    obs = world.step("enter_code", {"code": "12"})
    assert "must have 3 digits" in obs.text and world.entries == 0 and obs.info["steps"] == 1


@pytest.mark.parametrize(("quirks", "solved"), [(True, False), (False, True)])
def test_escape_twelfth_entry_on_green(quirks, solved):
    world = EscapeRoomWorld(GALLERY, level=2, budget=99, quirks=quirks)
    world.reset(0)
    for _ in range(11):
        world.step("enter_code", {"code": "999"})
    assert world.colour == "green"
    obs = world.step("enter_code", {"code": "000"})
    assert obs.done and obs.info["solved"] is solved and obs.info["steps"] == 11


def test_escape_level1_structure_and_switch_message_quirk():
    world = EscapeRoomWorld(GALLERY, level=1)
    assert "oil, in acrylic and in watercolour" in world.reset(0).text
    for _ in range(3):
        obs = world.step("enter_code", {"code": "999"})
    assert "yellow oil paintings, blue acrylic" in obs.text
    fixed = EscapeRoomWorld(GALLERY, level=1, quirks=False)
    fixed.reset(0)
    assert [a.name for a in fixed.reset(0).actions] == ["enter_code", "go_east_gallery", "go_west_gallery"]
    for _ in range(3):
        obs = fixed.step("enter_code", {"code": "999"})
    assert "yellow oil paintings, yellow acrylic" in obs.text


# ------------------------------------------------------------------------------------ Function Operator

def test_function_parsing_and_outputs():
    terms = parse_function("a*x^2-b*x+c/x+a*|x|+b*sin(x)+c")
    assert [k for k, _ in terms] == ["x^2", "-x", "1/x", "|x|", "sin", "const"]
    values = {"a": 2, "b": 3, "c": 4}
    assert evaluate(parse_function("a*x^2+c"), values, 3) == "22"
    assert evaluate(parse_function("a*x^2+c"), values, 0.5) == "4.5"
    assert evaluate(parse_function("c/x"), values, 0) == "Error: division by zero"
    assert evaluate(parse_function("b*sin(x)"), values, math.pi) == "0"  # |v| < 1e-6 reads 0
    assert parse_x("2pi") == pytest.approx(2 * math.pi) and parse_x("PI") == pytest.approx(math.pi)
    assert parse_x("-3") == -3 and parse_x("0.25") == 0.25
    for bad in ("-pi", "pi/2", "1+1", "x", ""):
        with pytest.raises(ValueError):
            parse_x(bad)


def test_function_operator_episode_and_rerandomisation():
    puzzle = FunctionPuzzle("t", ("a*x+b", "b*x^2"), (("a", 3), ("b", 7)))
    world = FunctionOperatorWorld(puzzle, level=2)
    obs = world.reset(5)
    assert "Function #1 has 2 terms and uses the parameters a, b" in obs.text and "a*x" not in obs.text
    assert [a.name for a in obs.actions] == ["assign_x_1", "assign_x_2", "enter_code"]
    obs = world.step("assign_x_1", {"x": "2"})
    assert "f1(2) = 13" in obs.text
    with pytest.raises(ActionError, match="integer, a decimal or k\\*pi"):
        world.step("assign_x_2", {"x": "two"})
    for code in ("12", "31", "99"):
        obs = world.step("enter_code", {"code": code})
        assert world.values == {"a": 3, "b": 7}
    obs = world.step("enter_code", {"code": "11"})  # 4th wrong entry: values drawn anew
    assert "drawn anew" in obs.text and world.entries == 4
    assert len(set(world.values.values())) == 2 and all(1 <= v <= 9 for v in world.values.values())
    obs = world.step("enter_code", {"code": world.code})
    assert obs.info["solved"] and obs.info["steps"] == 5
    assert "f1(x) = a*x+b" in FunctionOperatorWorld(puzzle, level=1).reset(0).text


# ------------------------------------------------------------------------------------ files and oracle

@pytest.mark.parametrize("world", WORLDS)
def test_committed_files_match_the_generator(world):
    committed = json.loads(puzzle_files.default_file(world).read_text())
    assert committed == json.loads(json.dumps(puzzle_files.generate(world)))
    assert len(load_puzzles(world)) == 100 and len(load_puzzles(world, round_=3)) == 20


@pytest.mark.parametrize("world", WORLDS)
@pytest.mark.parametrize("level", [1, 2])
def test_oracle_solves_every_puzzle_within_the_budget(world, level):
    for i, puzzle in enumerate(load_puzzles(world)):
        obs = solve(make_world(puzzle, level), seed=i)
        assert obs.info["solved"], (puzzle.id, obs.text)
        assert obs.info["steps"] <= 9  # the README's "at most 9 steps" (the budget is 15)


@pytest.mark.parametrize(("world", "edit", "field"), [
    ("reactor", {"rule": 7}, "rule"),
    ("reactor", {"target": "ab"}, "target"),
    ("function_operator", {"functions": ["a*x^2+b*cos(x)"]}, "functions[0]"),
    ("function_operator", {"functions": ["a*x", 3]}, "functions[1]"),
    ("function_operator", {"values": {"a": 3, "b": 3}}, "values"),
    ("escape_room", {"layout": "maze"}, "layout"),
    ("escape_room", {"paintings": [["x", "red", "oil"]]}, "paintings[0]"),
])
def test_bad_puzzle_files_are_refused_naming_file_puzzle_and_field(tmp_path, world, edit, field):
    doc = json.loads(puzzle_files.default_file(world).read_text())
    if world == "function_operator" and "values" in edit:
        doc["rounds"]["1"][1] |= {"functions": ["a*x+b"]}
    doc["rounds"]["1"][1] |= edit
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(PuzzleFileError) as info:
        load_puzzles(world, round_=1, path=path)
    msg = str(info.value)
    assert str(path) in msg and f"{world}-r1-p02" in msg and f"'{field}'" in msg
