"""Tool specifications (:class:`~agents.world.ToolSpec`) of the STE APIs, read from their descriptions.

Two description formats occur among the 50 APIs:

- ToolBench (RapidAPI endpoints, ``Tool%%endpoint``): a JSON object with ``required_parameters`` and
  ``optional_parameters``, each with a ToolBench type (``STRING``, ``NUMBER``, ``ENUM``, ``BOOLEAN``...).
- BMTools (the 10 bare names): free text ending in ``{{"date" : string, "days" : integer, }}``.

The JSON schema built from either one is what :func:`agents.world.check_arguments` enforces: required
keys, types, and no unknown keys (``additionalProperties: false``), so a model that invents an argument
gets the error a strict server would give.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agents.world import ToolSpec

# ToolBench parameter types -> JSON-schema types. RapidAPI passes every argument as a query string, but the
# descriptions name a type and STE's gold calls follow it (lat/lng as numbers, length as a string), so the
# schema holds the model to the declared type: that is the mistake exploration should surface.
_TOOLBENCH_TYPES = {"STRING": "string", "NUMBER": "number", "INTEGER": "integer", "BOOLEAN": "boolean",
                    "ENUM": "string", "DATE (YYYY-MM-DD)": "string", "TIME (24-HOUR HH:MM)": "string",
                    "ARRAY": "array", "OBJECT": "object", "GEOPOINT (LATITUDE, LONGITUDE)": "string"}
_BMTOOLS_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
_BMTOOLS_SCHEMA = re.compile(r"\{\{(.*?)\}\}", re.S)
_BMTOOLS_FIELD = re.compile(r'"(\w+)"\s*:\s*(\w+)')


def is_toolbench(description: str) -> bool:
    """Whether ``description`` is a ToolBench JSON description (else BMTools text)."""
    return description.lstrip().startswith("{")


def schema_of(description: str) -> dict[str, Any]:
    """The JSON schema of an API's arguments, from its STE description.

    ToolBench: required parameters are required, optional ones allowed. BMTools: every listed field is
    required (the BMTools functions take them all positionally).
    """
    props: dict[str, Any] = {}
    required: list[str] = []
    if is_toolbench(description):
        meta = json.loads(description)
        for kind in ("required_parameters", "optional_parameters"):
            for p in meta.get(kind) or []:
                prop: dict[str, Any] = {"type": _TOOLBENCH_TYPES.get(str(p.get("type", "STRING")).upper(), "string")}
                if p.get("description"):
                    prop["description"] = p["description"]
                props[p["name"]] = prop
                if kind == "required_parameters":
                    required.append(p["name"])
    else:
        m = _BMTOOLS_SCHEMA.search(description)
        for name, typ in _BMTOOLS_FIELD.findall(m.group(1) if m else ""):
            props[name] = {"type": _BMTOOLS_TYPES.get(typ.lower(), "string")}
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def summary_of(description: str) -> str:
    """A one-paragraph description for prompts: ToolBench's endpoint and tool descriptions, or the BMTools text."""
    if not is_toolbench(description):
        return description.strip()
    meta = json.loads(description)
    parts = [str(meta.get(k) or "").strip() for k in ("description", "parent_tool_description")]
    return " ".join(p for p in parts if p) or "(no description)"


def tool_spec(name: str, description: str) -> ToolSpec:
    """The :class:`ToolSpec` of one STE API."""
    return ToolSpec(name=name, description=summary_of(description), parameters=schema_of(description))


def prompt_block(name: str, description: str) -> str:
    """How an API is shown in the STE prompts: its name, then its description as the data gives it."""
    return f"API_name: {name}\nDescription: {description}"
