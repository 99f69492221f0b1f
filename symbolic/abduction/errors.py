"""Errors raised by the abduction engine for bad input (each message names what is wrong and where)."""

from __future__ import annotations


class AbductionInputError(ValueError):
    """Input to the abduction engine is malformed (lengths, types, ranges)."""


class UnknownLabelError(AbductionInputError, KeyError):
    """A rule, constraint or prediction names a label outside the declared label set."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SolverUnavailableError(RuntimeError):
    """The requested solver backend is not installed or not known."""
