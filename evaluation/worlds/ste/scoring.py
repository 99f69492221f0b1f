"""The STE paper's scoring protocol: only the model's first API call is scored, nothing is executed.

Per query (``tool_test.json``: 50 APIs x 15):

- ``wellformed``: the reply parses into an action and a JSON object as its input. A reply that gives a
  ``Final Answer:`` before any ``Action Input:`` (no call) is not well-formed, nor is any other unparsable one.
- ``api_match`` (over well-formed replies): the action, grounded to the nearest API name, is the gold one.
- ``correct`` (over all replies): the API matches and the arguments are right. For 31 APIs that is per-key
  equality of ``str(v).strip().lower()`` on every gold key (extra keys ignored, an empty gold dict always
  right); for the 19 free-text APIs of :data:`JUDGE_APIS` a judge model decides, and the call counts as
  correct unless its reply contains ``"No."``.

``reference=True`` (the default) follows the reference code's semantics, quirks included, so that figures
compare with the paper's (``docs/research/ste-find-scoring.md``): API names are snapped to the closest known
name by :func:`difflib.get_close_matches` with cutoff 0.001, ``<tool_...>`` wrappers and a trailing literal
``\\n`` are removed, and the JSON input is the text from the first ``{`` to the last ``}`` rebuilt as
``"{" + s.strip("{}") + "}"`` (so an input ending in a nested object fails, as there). ``reference=False``
is the strict variant: names must match exactly and the input is the first complete JSON object.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The APIs whose arguments are free text: a judge model decides their correctness.
JUDGE_APIS: frozenset[str] = frozenset({
    "CatchLoc%%[Group Management] API access for modifying group information", "disambiguation",
    "English Talking%%Get an answer", "Fake Brightcove%%Temp Upload URLs", "GamerPower%%Filter & Group Giveaways",
    "GamerPower%%Live giveaways by type", "getWolframAlphaResults", "get_arxiv_article_information",
    "get_weather_today", "Grup Terbuka%%Kirim Pesan", "Handball Data%%Daily Match List-Live",
    "Marvel Vs Capcom 2%%Show Character", "PTL%%update", "search", "search_general", "search_places",
    "siteDomain%%industry list", "Stadia Maps Time Zone API%%TZ Lookup by Location", "Weather_dataSet%%Weather_dataSet",
})

ACTION, ACTION_INPUT, FINAL = "Action:", "Action Input:", "Final Answer:"


@dataclass(frozen=True)
class FirstCall:
    """The first API call of a reply, as the scorer reads it.

    Attributes:
        status: ``"ok"``, ``"no_call"`` (a final answer before any call, or no call at all) or ``"parse_error"``.
        action: The API name after grounding (``None`` unless ``status == "ok"``).
        raw_action: The name as written.
        arguments: The parsed input (``None`` unless ``status == "ok"``).
        error: Why the reply is not well-formed.
    """

    status: str
    action: str | None = None
    raw_action: str | None = None
    arguments: dict[str, Any] | None = None
    error: str = ""

    @property
    def wellformed(self) -> bool:
        """Whether the reply holds a parsable call."""
        return self.status == "ok"


def ground_name(name: str, names: Sequence[str]) -> str | None:
    """The reference's grounding: the name itself if known, else the closest one (difflib, cutoff 0.001)."""
    if name in names:
        return name
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.001)
    return close[0] if close else None


def _reference_json(text: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object")
    return json.loads("{" + text[start:end + 1].strip().strip("{}") + "}")


def _strict_json(text: str) -> Any:
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object")
    return json.JSONDecoder().raw_decode(text[start:])[0]


def parse_first_call(text: str, names: Sequence[str], *, reference: bool = True) -> FirstCall:
    """Read the first API call of a ReAct reply (``Action: ...`` then ``Action Input: {...}``).

    Args:
        text: The model's reply (generation stopped at ``Observation:``; anything from there on is ignored).
        names: The API names calls are grounded to.
        reference: The reference code's rules (default) or the strict variant (see the module docstring).
    """
    text = text.split("Observation:", 1)[0]
    if reference and text.endswith("\\n"):
        text = text[:-2]
    i_input = text.find(ACTION_INPUT)
    i_final = text.find(FINAL)
    if i_final >= 0 and (i_input < 0 or i_final < i_input):
        return FirstCall("no_call", error="final answer before any call")
    if i_input < 0:
        return FirstCall("no_call" if ACTION not in text else "parse_error", error="no Action Input")
    if text.count(ACTION) != 1 or text.count(ACTION_INPUT) != 1:
        return FirstCall("parse_error", error="not exactly one Action and one Action Input")
    i_action = text.find(ACTION)
    if i_action > i_input:
        return FirstCall("parse_error", error="Action Input before Action")
    raw = text[i_action + len(ACTION):i_input].strip()
    action = raw
    if reference:
        if action.startswith("<tool_") and action.endswith(">"):
            action = action[len("<tool_"):-1]
        grounded = ground_name(action, names)
        if grounded is None:
            return FirstCall("parse_error", raw_action=raw, error="no API name resembles the action")
        action = grounded
    elif not action:
        return FirstCall("parse_error", raw_action=raw, error="empty action")
    try:
        args = (_reference_json if reference else _strict_json)(text[i_input + len(ACTION_INPUT):])
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        return FirstCall("parse_error", action=None, raw_action=raw, error=f"input is not JSON: {exc}")
    if not isinstance(args, dict):
        return FirstCall("parse_error", raw_action=raw, error="input is not a JSON object")
    return FirstCall("ok", action=action, raw_action=raw, arguments=args)


def _norm(value: Any) -> str:
    return str(value).strip().lower()


def arguments_match(gold: Mapping[str, Any], predicted: Mapping[str, Any]) -> bool:
    """The string rule: every gold key present with the same ``str(v).strip().lower()``; extra keys ignored."""
    return all(k in predicted and _norm(predicted[k]) == _norm(v) for k, v in gold.items())


def judge_says_correct(reply: str) -> bool:
    """The reference's reading of a judge's verdict: correct unless the reply contains ``"No."``."""
    return "No." not in reply


def judge_messages(query: str, gold_api: str, gold_args: Mapping[str, Any], api: str,
                   args: Mapping[str, Any]) -> list[dict[str, str]]:
    """The chat request asking a judge whether a predicted call does what the gold call does."""
    prompt = (f"A user asked: {query}\n\nReference API call: {gold_api} with input {json.dumps(dict(gold_args))}\n"
              f"Candidate API call: {api} with input {json.dumps(dict(args))}\n\n"
              "Would the candidate call serve the user's request as well as the reference call? Minor wording "
              'differences in free-text arguments are fine. Begin your answer with "Yes." or "No.".')
    return [{"role": "user", "content": prompt}]


@dataclass
class CallScore:
    """The scores of one query."""

    wellformed: bool
    api_match: bool
    correct: bool
    needs_judge: bool = False
    call: FirstCall = field(default_factory=lambda: FirstCall("no_call"))

    def as_scores(self) -> dict[str, float]:
        """Scores for the harness; ``api_match`` only for well-formed replies (its denominator)."""
        out = {"wellformed": float(self.wellformed), "correct": float(self.correct)}
        if self.wellformed:
            out["api_match"] = float(self.api_match)
        return out


def score_reply(text: str, gold_api: str, gold_input: str | Mapping[str, Any], names: Sequence[str], *,
                reference: bool = True, judge: str = "string", verdict: str | None = None) -> CallScore:
    """Score one reply against its gold call.

    Args:
        text: The model's reply.
        gold_api: The gold API.
        gold_input: The gold arguments (a JSON string as in ``tool_test.json``, or a mapping).
        names: API names for grounding (all 50; in continual learning, those seen so far).
        reference: Reference parsing (see :func:`parse_first_call`).
        judge: ``"string"``: the string rule for every API (no judge); ``"model"``: the judge's ``verdict``
            decides for :data:`JUDGE_APIS`.
        verdict: The judge's reply, when ``judge == "model"`` and the API is one of :data:`JUDGE_APIS`.
            ``None`` there means "not judged yet": ``needs_judge`` is set and ``correct`` is False.
    """
    gold = json.loads(gold_input) if isinstance(gold_input, str) else dict(gold_input)
    call = parse_first_call(text, names, reference=reference)
    if not call.wellformed:
        return CallScore(False, False, False, call=call)
    match = call.action == gold_api
    if not match:
        return CallScore(True, False, False, call=call)
    assert call.arguments is not None
    if judge == "model" and gold_api in JUDGE_APIS:
        if verdict is None:
            return CallScore(True, True, False, needs_judge=True, call=call)
        return CallScore(True, True, judge_says_correct(verdict), call=call)
    return CallScore(True, True, arguments_match(gold, call.arguments), call=call)
