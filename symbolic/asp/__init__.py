"""One clingo session for every caller: build → ground → solve, time limits, plain results.

Used by the abduction engine's ``asp`` solver and by the agents' ASP interpreter. See
:mod:`symbolic.asp.session` for the design (and why a grounding limit needs a child process).
"""

from symbolic.asp.result import STATUSES, AspModel, AspResult
from symbolic.asp.session import AspSession, OnModel, solve_program, syntax_errors

__all__ = ["STATUSES", "AspModel", "AspResult", "AspSession", "OnModel", "solve_program", "syntax_errors"]
