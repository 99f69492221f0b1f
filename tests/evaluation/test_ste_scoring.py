"""The paper's first-call scoring on hand-made replies: reference quirks and the strict variant."""

from __future__ import annotations

import pytest

from evaluation.worlds.ste.scoring import (
    JUDGE_APIS,
    arguments_match,
    judge_says_correct,
    parse_first_call,
    score_reply,
)

NAMES = ["add_date", "get_today_date", "Numbers%%Get math fact", "NumbersToLetters%%Convertir cantidad a letra Moneda "
         "MXN Ingles", "getWolframAlphaResults", "search"]


def test_judge_apis_are_19() -> None:
    assert len(JUDGE_APIS) == 19


@pytest.mark.parametrize(("text", "status", "action", "args"), [
    ('Thought: add days\nAction: add_date\nAction Input: {"date": "2022-10-14", "days": 90}',
     "ok", "add_date", {"date": "2022-10-14", "days": 90}),
    # surrounding text and code fences are tolerated
    ('Action: add_date\nAction Input: ```json\n{"date": "2022-10-14", "days": 90}\n```', "ok", "add_date", None),
    # case slip and a toolken wrapper snap to the known name
    ("Action: Add_Date\nAction Input: {}", "ok", "add_date", {}),
    ("Action: <tool_get_today_date>\nAction Input: {}", "ok", "get_today_date", {}),
    ("Action: NumbersToLetters\nAction Input: {}", "ok", "Numbers%%Get math fact", {}),  # the documented snap
    # trailing literal backslash-n and anything after Observation: are dropped
    ('Action: search\nAction Input: {"entity": "x"}\\n', "ok", "search", {"entity": "x"}),
    ('Action: search\nAction Input: {"entity": "x"}\nObservation: {"a": 1}', "ok", "search", {"entity": "x"}),
    # no call at all, or a final answer first
    ("Final Answer: it is Monday.", "no_call", None, None),
    ("The date is 2024-01-01.", "no_call", None, None),
    ('Final Answer: no\nAction: search\nAction Input: {"entity": "x"}', "no_call", None, None),
    # unparsable inputs
    ("Action: search\nAction Input: {'entity': 'x'}", "parse_error", None, None),  # single quotes
    ('Action: search\nAction Input: {"entity": "x",}', "parse_error", None, None),  # trailing comma
    ('Action: search\nAction Input: {"a": {"b": 1}}', "parse_error", None, None),  # nested object last
    ('Action: search\nAction Input: {"entity": "x"} then {done}', "parse_error", None, None),  # } after the input
    ('Action: search\nAction Input: {"entity": "x"}\nAction: search\nAction Input: {}', "parse_error", None, None),
    ('action: search\naction input: {"entity": "x"}', "no_call", None, None),  # markers are case-sensitive
    ("Action: search\nAction Input: [1, 2]", "parse_error", None, None),
    ("Action: search\n", "parse_error", None, None),
])
def test_reference_parse(text: str, status: str, action: str | None, args: dict | None) -> None:
    call = parse_first_call(text, NAMES)
    assert call.status == status, call
    if action is not None:
        assert call.action == action
    if args is not None:
        assert call.arguments == args


def test_strict_variant() -> None:
    assert parse_first_call("Action: Add_Date\nAction Input: {}", NAMES, reference=False).action == "Add_Date"
    nested = parse_first_call('Action: search\nAction Input: {"a": {"b": 1}} and {x}', NAMES, reference=False)
    assert nested.status == "ok" and nested.arguments == {"a": {"b": 1}}


@pytest.mark.parametrize(("gold", "pred", "ok"), [
    ({"days": 90}, {"days": "90"}, True),          # numbers compare as strings
    ({"days": 90}, {"days": 90.0}, False),         # ... so 90.0 is not 90
    ({"flag": True}, {"flag": "TRUE"}, True),
    ({"x": None}, {"x": "None"}, True),
    ({"name": "Iron Man"}, {"name": " iron man "}, True),
    ({"name": "Iron Man"}, {"name": "IronMan"}, False),   # inner whitespace counts
    ({"a": 1}, {"a": 1, "b": 2}, True),            # extra keys ignored
    ({"a": 1, "b": 2}, {"a": 1}, False),           # every gold key needed
    ({}, {"anything": 1}, True),                   # an empty gold dict is always right
    ({"Date": "x"}, {"date": "x"}, False),         # key names exactly
])
def test_string_rule(gold: dict, pred: dict, ok: bool) -> None:
    assert arguments_match(gold, pred) is ok


def test_judge_reading() -> None:
    assert judge_says_correct("Yes. They match.") and judge_says_correct("Yes, they do")
    assert judge_says_correct("") and judge_says_correct("NO. wrong") and judge_says_correct("No, it differs")
    assert not judge_says_correct("No. The entity differs.")


def test_score_reply_denominators() -> None:
    gold = '{"date": "2022-01-01", "days": 14}'
    right = score_reply('Action: add_date\nAction Input: {"date": "2022-01-01", "days": 14}', "add_date", gold, NAMES)
    assert right.as_scores() == {"wellformed": 1.0, "api_match": 1.0, "correct": 1.0}
    wrong_api = score_reply("Action: search\nAction Input: {}", "add_date", gold, NAMES)
    assert wrong_api.as_scores() == {"wellformed": 1.0, "api_match": 0.0, "correct": 0.0}
    none = score_reply("Final Answer: 2022-01-15", "add_date", gold, NAMES)
    assert none.as_scores() == {"wellformed": 0.0, "correct": 0.0}  # no api_match: not in its denominator


def test_score_reply_with_judge() -> None:
    text = 'Action: search\nAction Input: {"entity": "Rome sights"}'
    gold = '{"entity": "Rome attractions"}'
    assert not score_reply(text, "search", gold, NAMES).correct  # string rule
    pending = score_reply(text, "search", gold, NAMES, judge="model")
    assert pending.needs_judge and not pending.correct
    assert score_reply(text, "search", gold, NAMES, judge="model", verdict="Yes. Same.").correct
    assert not score_reply(text, "search", gold, NAMES, judge="model", verdict="No. Different.").correct
    # not a judge API: the string rule even with a judge
    assert not score_reply('Action: add_date\nAction Input: {"date": "x", "days": 1}', "add_date",
                           '{"date": "y", "days": 1}', NAMES, judge="model", verdict="Yes.").correct


def test_gold_calls_score_perfectly_on_all_750() -> None:
    from evaluation.harness.errors import DataNotFoundError
    from evaluation.worlds.ste import load_ste

    try:
        data = load_ste()
    except DataNotFoundError as exc:
        pytest.skip(str(exc))
    scores = [score_reply(f"Thought: call it\nAction: {t.api}\nAction Input: {t.action_input}", t.api,
                          t.action_input, data.apis) for t in data.tests]
    assert len(scores) == 750 and len({t.api for t in data.tests}) == 50
    assert all(s.wellformed and s.api_match and s.correct for s in scores)
