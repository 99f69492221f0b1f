"""ReAct steps (Thought / Action / Action Input / Observation) as the STE agent writes and reads them.

The agent's parser is lenient where the paper's scorer is strict (it reads the first complete JSON object
and tolerates a missing ``Thought:``), because during exploration a malformed step should turn into an
error observation the model can learn from, not end the episode. Scoring uses the reference parser of
``evaluation.worlds.ste.scoring``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from agents.world import ToolError, ToolSet

_FIELD = re.compile(r"^(Thought|Action Input|Action|Final Answer|Observation)\s*:", re.M)


@dataclass(frozen=True)
class Step:
    """One model turn of a ReAct episode.

    Attributes:
        text: The turn as the model wrote it (up to ``Observation:``).
        thought: The ``Thought:`` text, if any.
        action: The API named after ``Action:``, if any.
        action_input: The raw text after ``Action Input:``.
        arguments: The first JSON object of ``action_input``, or ``None`` when it is not one.
        final_answer: The ``Final Answer:`` text, if the turn ends the episode.
    """

    text: str
    thought: str = ""
    action: str | None = None
    action_input: str = ""
    arguments: dict[str, Any] | None = None
    final_answer: str | None = None

    @property
    def is_call(self) -> bool:
        """Whether the turn names an action (well-formed or not)."""
        return self.action is not None and self.final_answer is None


def parse_step(text: str) -> Step:
    """Split a model turn into its ReAct fields (the first occurrence of each; nothing after ``Observation:``)."""
    text = text.split("Observation:", 1)[0].strip()
    fields: dict[str, str] = {}
    marks = list(_FIELD.finditer(text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        fields.setdefault(m.group(1), text[m.end():end].strip())
    if not marks:  # a bare answer is read as a thought
        fields["Thought"] = text
    action_input = fields.get("Action Input", "")
    return Step(text=text, thought=fields.get("Thought", ""), action=fields.get("Action"),
                action_input=action_input, arguments=first_json_object(action_input),
                final_answer=fields.get("Final Answer"))


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first complete JSON object in ``text`` (code fences and surrounding words allowed), else ``None``."""
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text[m.start():])
        except ValueError:
            continue
        return value if isinstance(value, dict) else None
    return None


def error_observation(message: str) -> str:
    """A failed call as ToolBench shows it to the model: an ``error`` field and an empty ``response``."""
    return json.dumps({"error": message, "response": ""}, ensure_ascii=False)


def execute(tools: ToolSet, step: Step, max_chars: int = 1500) -> tuple[str, bool]:
    """Run a step's call and return ``(observation, ok)``; every failure is an observation, never an exception.

    Args:
        tools: The tool world.
        step: A turn with ``step.is_call``.
        max_chars: Longer results are cut (and say so): a small model's context is short.
    """
    assert step.action is not None
    if step.arguments is None:
        what = "is empty" if not step.action_input.strip() else "is not a JSON object"
        return error_observation(f"Action Input {what}: write the input as a JSON dict string, "
                                 'e.g. {"key": "value"}'), False
    try:
        result = tools.call(step.action.strip(), step.arguments)
    except ToolError as exc:
        return error_observation(str(exc)), False
    text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
    if len(text) > max_chars:
        text = text[:max_chars] + " ...(truncated)"
    return json.dumps({"error": "", "response": text}, ensure_ascii=False), True


def format_call(action: str, arguments: dict[str, Any], thought: str = "") -> str:
    """A call written the way the agent is taught to write one (the target of fine-tuning, the ICL demos)."""
    head = f"Thought: {thought.strip()}\n" if thought.strip() else ""
    return f"{head}Action: {action}\nAction Input: {json.dumps(arguments, ensure_ascii=False)}"
