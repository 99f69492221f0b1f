"""The FIND interpreter agent (Schwettmann et al., NeurIPS 2023): probe a black box, then explain it.

:class:`FindInterpreter` runs the paper's protocol against any :class:`agents.world.ToolSet` with a
``run`` tool: up to 20 rounds of ``RUN(x1, x2, ...)``, then ``[DESCRIPTION]``, ``[DOMAIN]`` and
``[CODE]``. :func:`parse_command`, :func:`parse_fit` and :func:`parse_answer` read the model's text.
:mod:`agents.find.gp` is the symbolic regressor behind the optional ``FIT`` command and the GP
baseline (:func:`fit_pairs`, :func:`probe_design`).
"""

from agents.find.agent import (
    FindAnswer,
    FindConfig,
    FindInterpreter,
    FindResult,
    parse_answer,
    parse_command,
    parse_fit,
)
from agents.find.gp import GPFit, GPSettings, fit_pairs, probe_design

__all__ = ["FindAnswer", "FindConfig", "FindInterpreter", "FindResult", "GPFit", "GPSettings", "fit_pairs",
           "parse_answer", "parse_command", "parse_fit", "probe_design"]
