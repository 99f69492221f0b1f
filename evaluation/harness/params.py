"""Typed, self-describing benchmark parameters.

A benchmark declares its parameters as :class:`Param` objects; the CLI's ``-p key=value`` strings
and Python callers' values both go through :meth:`Param.parse`, so a wrong type or an
out-of-range value is refused with a message that names the parameter and what it allows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evaluation.harness.errors import ParamError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One parameter of a benchmark.

    Args:
        name: Parameter name as used in ``-p name=value``.
        type: One of ``int``, ``float``, ``str``, ``bool``.
        default: Value used when the parameter is not given.
        help: One-line description.
        choices: Allowed values, if the parameter is an enumeration.
        min: Inclusive lower bound for numbers.
        max: Inclusive upper bound for numbers.
        multiple: The value is a list (comma-separated on the command line).
        check: Validates one converted value before any work starts (raises ``ValueError`` with the
            reason), for values whose form a type cannot say (``"2048x16x8"``).
    """

    name: str
    type: type
    default: Any
    help: str = ""
    choices: Sequence[Any] | None = None
    min: float | None = None
    max: float | None = None
    multiple: bool = False
    check: Callable[[Any], Any] | None = None

    def allowed(self) -> str:
        """Describe the allowed values in words."""
        kind = self.type.__name__
        if self.choices is not None:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.min is not None and self.max is not None:
            text = f"{kind} in [{self.min}, {self.max}]"
        elif self.min is not None:
            text = f"{kind} >= {self.min}"
        elif self.max is not None:
            text = f"{kind} <= {self.max}"
        else:
            text = kind
        return f"comma-separated list of {text}" if self.multiple else text

    def _one(self, raw: Any) -> Any:
        bad = ParamError(f"parameter '{self.name}': {raw!r} is not valid; allowed: {self.allowed()}")
        if isinstance(raw, str):
            raw = raw.strip()
        try:
            if self.type is bool:
                if isinstance(raw, bool):
                    value: Any = raw
                elif str(raw).lower() in _TRUE:
                    value = True
                elif str(raw).lower() in _FALSE:
                    value = False
                else:
                    raise bad
            elif self.type is int:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise bad
                value = int(raw) if not isinstance(raw, str) else int(raw, 10)
            elif self.type is float:
                if isinstance(raw, bool):
                    raise bad
                value = float(raw)
                if value != value:  # NaN
                    raise bad
            else:
                value = self.type(raw)
        except (TypeError, ValueError) as exc:
            raise bad from exc
        if self.choices is not None and value not in self.choices:
            raise bad
        if self.min is not None and value < self.min:
            raise bad
        if self.max is not None and value > self.max:
            raise bad
        if self.check is not None:
            try:
                self.check(value)
            except (TypeError, ValueError) as exc:
                raise ParamError(f"parameter '{self.name}': {raw!r} is not valid ({exc}); "
                                 f"allowed: {self.allowed()}") from None
        return value

    def parse(self, raw: Any) -> Any:
        """Convert and validate a raw value (a CLI string or a Python value)."""
        if self.multiple:
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            items = [i for i in items if not (isinstance(i, str) and not i.strip())]
            if not items:
                raise ParamError(f"parameter '{self.name}': empty list; allowed: {self.allowed()}")
            return [self._one(i) for i in items]
        return self._one(raw)

    def describe(self) -> dict[str, Any]:
        """Plain-data description (for ``nesy bench list`` and docs)."""
        return {"name": self.name, "type": self.type.__name__, "default": self.default,
                "allowed": self.allowed(), "help": self.help}


def parse_assignments(pairs: Sequence[str], what: str = "-p") -> dict[str, str]:
    """Split ``key=value`` strings from the command line (``what`` names the flag in errors)."""
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParamError(f"'{what} {pair}': expected key=value")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


def resolve_params(benchmark: str, declared: Sequence[Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """Fill defaults and validate ``given`` against the declared parameters.

    Raises:
        ParamError: an unknown name (the message lists the valid ones) or an invalid value.
    """
    by_name = {p.name: p for p in declared}
    unknown = [k for k in given if k not in by_name]
    if unknown:
        valid = ", ".join(sorted(by_name)) or "(none)"
        raise ParamError(f"benchmark '{benchmark}' has no parameter '{unknown[0]}'; valid parameters: {valid}")
    resolved: dict[str, Any] = {}
    for p in declared:
        resolved[p.name] = p.parse(given[p.name]) if p.name in given else p.default
    return resolved
