"""Errors that carry a message meant for the user (the CLI prints them without a traceback)."""

from __future__ import annotations


class NesyError(Exception):
    """Base class of errors whose message alone tells the user what to fix."""


class ParamError(NesyError, ValueError):
    """A benchmark parameter is unknown, of the wrong type, or out of range."""


class UnknownBenchmarkError(NesyError, KeyError):
    """No benchmark or suite of that name is registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class RunFolderError(NesyError, ValueError):
    """A run folder cannot be used for this run (written by other parameters, unreadable header)."""


class DataNotFoundError(NesyError, FileNotFoundError):
    """A data set or model package is not installed; the message names the install command."""
