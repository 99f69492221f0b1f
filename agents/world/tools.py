"""A set of tools an agent may call: ``describe()`` lists their schemas, ``call(name, args)`` runs one.

Schemas follow the OpenAI function-calling shape (name, description, JSON-schema ``parameters``), so
the same description can go into a chat prompt or a backend's native tool support. A failed call is a
:class:`ToolError` with a message the model can read (bad arguments, unknown tool, the tool's own
failure): tool learning depends on realistic errors, so worlds never let a raw traceback escape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class ToolError(RuntimeError):
    """A tool call that failed; ``str(err)`` is what the agent is shown.

    Attributes:
        tool: The tool's name (as called).
        kind: ``"unknown_tool"``, ``"bad_arguments"``, ``"unavailable"`` or ``"failed"``.
    """

    def __init__(self, tool: str, message: str, kind: str = "failed") -> None:
        super().__init__(message)
        self.tool = tool
        self.kind = kind


@dataclass(frozen=True)
class ToolSpec:
    """One tool as the agent sees it."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry for this tool."""
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}


@runtime_checkable
class ToolSet(Protocol):
    """Tools an agent may call."""

    def describe(self) -> list[ToolSpec]:
        """The tools available, in a stable order."""
        ...

    def call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Run tool ``name`` and return its (JSON-serializable) result.

        Raises:
            ToolError: unknown tool, arguments that do not match the schema, or the tool's own failure.
        """
        ...


def check_arguments(spec: ToolSpec, arguments: Mapping[str, Any]) -> None:
    """Validate ``arguments`` against ``spec.parameters`` (JSON schema) before a tool runs.

    Raises:
        ToolError: ``kind="bad_arguments"``, naming the offending argument and the rule it breaks.
    """
    import jsonschema

    try:
        jsonschema.validate(dict(arguments), spec.parameters)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "arguments"
        raise ToolError(spec.name, f"bad arguments for {spec.name} at {where}: {exc.message}",
                        kind="bad_arguments") from None
