"""Structured-output constraints: JSON schema, regex, choice list, GBNF grammar.

A constraint is given to ``chat(..., constraint=...)`` as:

- a ``dict`` (a JSON schema) or a pydantic model class → :class:`JsonSchema`;
- a ``str`` → :class:`Regex` (the whole reply must match it);
- a ``list``/``tuple`` of strings → :class:`Choice`;
- or one of the classes below directly (:class:`Grammar` for raw GBNF).

Each backend maps it to its native constrained decoding; :meth:`Constraint.validate` then checks every
reply, so an invalid reply is always reported (``finish_reason == "invalid"``), never passed on.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from agents.llm.errors import RequestError

if TYPE_CHECKING:
    from agents.llm.base import Completion


class Constraint(ABC):
    """Base class of output constraints."""

    kind: str = "?"

    @abstractmethod
    def key(self) -> str:
        """A canonical string (for the cache key)."""

    @abstractmethod
    def validate(self, text: str) -> tuple[bool, Any, str | None]:
        """Return ``(ok, parsed, error)`` for a reply text."""

    def validate_completion(self, c: Completion) -> Completion:
        """Validate a completion; a failure becomes ``finish_reason="invalid"`` with the reason."""
        ok, parsed, err = self.validate(c.text)
        if ok:
            return replace(c, parsed=parsed, error=None)
        why = err or "does not satisfy the constraint"
        if c.finish_reason == "length":
            why += " (generation stopped at max_tokens)"
        return replace(c, finish_reason="invalid", parsed=None, error=why)


@dataclass(frozen=True, eq=False)
class JsonSchema(Constraint):
    """The reply must be JSON valid under ``schema`` (checked with :mod:`jsonschema`)."""

    schema: Mapping[str, Any]
    kind = "json"

    def __post_init__(self) -> None:
        import jsonschema

        try:
            jsonschema.validators.validator_for(self.schema).check_schema(self.schema)
        except jsonschema.SchemaError as e:
            raise RequestError(f"constraint is not a valid JSON schema: {e.message}") from None

    def key(self) -> str:
        return "json:" + json.dumps(self.schema, sort_keys=True, separators=(",", ":"))

    def validate(self, text: str) -> tuple[bool, Any, str | None]:
        import jsonschema

        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            return False, None, f"reply is not JSON: {e}"
        errors = sorted(jsonschema.validators.validator_for(self.schema)(self.schema).iter_errors(value),
                        key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/".join(map(str, e.path)) or "(root)"
            return False, None, f"reply JSON violates the schema at {where}: {e.message}"
        return True, value, None


@dataclass(frozen=True, eq=False)
class Regex(Constraint):
    """The whole reply must match ``pattern`` (Python ``re.fullmatch``)."""

    pattern: str
    kind = "regex"

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as e:
            raise RequestError(f"constraint regex {self.pattern!r} does not compile: {e}") from None

    def key(self) -> str:
        return "regex:" + self.pattern

    def validate(self, text: str) -> tuple[bool, Any, str | None]:
        if re.fullmatch(self.pattern, text, flags=re.DOTALL) is None:
            return False, None, f"reply {text[:80]!r} does not match the regex {self.pattern!r}"
        return True, text, None


@dataclass(frozen=True, eq=False)
class Choice(Constraint):
    """The reply must be exactly one of ``choices``."""

    choices: tuple[str, ...]
    kind = "choice"

    def __post_init__(self) -> None:
        if not self.choices or any(not isinstance(c, str) or not c for c in self.choices):
            raise RequestError(f"choice constraint needs non-empty strings, got {self.choices!r}")

    def key(self) -> str:
        return "choice:" + json.dumps(list(self.choices))

    def validate(self, text: str) -> tuple[bool, Any, str | None]:
        if text in self.choices:
            return True, text, None
        shown = ", ".join(map(repr, self.choices[:8])) + (" ..." if len(self.choices) > 8 else "")
        return False, None, f"reply {text[:80]!r} is not one of {shown}"


@dataclass(frozen=True, eq=False)
class Grammar(Constraint):
    """A raw GBNF grammar (llama.cpp format). Validated by parsing the reply with the grammar only
    where the backend can; ``validator`` (text -> bool) adds a check of your own."""

    gbnf: str
    validator: Any = None
    kind = "grammar"

    def key(self) -> str:
        return "gbnf:" + self.gbnf

    def validate(self, text: str) -> tuple[bool, Any, str | None]:
        if self.validator is not None and not self.validator(text):
            return False, None, f"reply {text[:80]!r} rejected by the grammar's validator"
        return True, text, None


def as_constraint(c: Any) -> Constraint | None:
    """Turn the ``constraint`` argument of ``chat`` into a :class:`Constraint` (or ``None``)."""
    if c is None or isinstance(c, Constraint):
        return c
    if isinstance(c, Mapping):
        return JsonSchema(dict(c))
    if isinstance(c, str):
        return Regex(c)
    if isinstance(c, Sequence) and not isinstance(c, bytes):
        return Choice(tuple(c))
    if isinstance(c, type) and hasattr(c, "model_json_schema"):  # a pydantic model class
        return JsonSchema(c.model_json_schema())
    raise RequestError(
        f"constraint must be a JSON schema dict, a pydantic model class, a regex str, a list of choices "
        f"or an agents.llm.constraints.Constraint, got {type(c).__name__}"
    )
