"""Constraints → llama.cpp GBNF grammars (JSON schema, regex, choices)."""

from __future__ import annotations

import json

from agents.llm.constraints import Choice, Constraint, Grammar, JsonSchema, Regex
from agents.llm.errors import RequestError


def to_gbnf(c: Constraint) -> str:
    """The GBNF grammar (root rule ``root``) that generates exactly the replies ``c`` accepts.

    Raises:
        RequestError: The regex uses a feature llama.cpp grammars cannot express (e.g. lookaround).
    """
    from llama_cpp.llama_grammar import SchemaConverter, json_schema_to_gbnf

    if isinstance(c, Grammar):
        return c.gbnf
    if isinstance(c, JsonSchema):
        return json_schema_to_gbnf(json.dumps(dict(c.schema)))
    conv = SchemaConverter(prop_order={}, allow_fetch=False, dotall=True, raw_pattern=True)
    if isinstance(c, Choice):
        return "root ::= " + " | ".join(conv._format_literal(x) for x in c.choices)
    if isinstance(c, Regex):
        pattern = c.pattern
        if any(tok in pattern for tok in ("(?=", "(?!", "(?<=", "(?<!", "\\b", "\\B")):
            raise RequestError(f"regex {pattern!r} uses lookaround or word boundaries, which llama.cpp "
                               "grammars cannot express; rewrite it without them")
        try:
            conv._visit_pattern("^" + pattern.removeprefix("^").removesuffix("$") + "$", "root")
        except Exception as e:  # the converter asserts/raises on what it cannot parse
            raise RequestError(f"regex {pattern!r} cannot be converted to a llama.cpp grammar: {e}") from e
        return conv.format_grammar()
    raise RequestError(f"no GBNF translation for constraint {type(c).__name__}")
