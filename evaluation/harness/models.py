"""The harness owns the model: one spec and its options, checked before work, loaded once, closed after.

Benchmarks that use a model (``uses_model = True``) never parse a spec or load a model themselves:
the runner resolves ``--model`` and ``-M key=value`` here, refuses a bad spec before the run folder
exists, loads the model once, hands it to the benchmark as ``ctx.llm``, records spec and options in
``header.json``, and closes it when the run ends. A caller may also pass a model object it owns (the
Python API); the harness then uses it and leaves it open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evaluation.harness.errors import ParamError

#: The spec used when a model benchmark is run without ``--model`` (an alias that agents.llm resolves).
DEFAULT_MODEL = "default"


@dataclass
class ModelChoice:
    """What a run will use as its model.

    Attributes:
        spec: Spec string (recorded in the header; part of the run's identity).
        options: Backend options (``n_threads``, ``n_ctx``, ``gpu_memory_utilization`` ...).
        cache: Whether the LLM response cache is used.
        given: A model object passed by the caller (used as is, never closed by the harness).
    """

    spec: str
    options: dict[str, Any] = field(default_factory=dict)
    cache: bool = True
    given: Any = None

    def header(self) -> dict[str, Any]:
        """The header fields describing the model."""
        return {"model_options": dict(self.options), "llm_cache": self.cache}


def choose_model(uses_model: bool, model: Any, options: Mapping[str, Any] | None, cache: bool,
                 threads: int | None = None) -> ModelChoice | None:
    """Resolve and check the run's model before any work starts (``None`` for benchmarks without one).

    Args:
        uses_model: Whether the benchmark talks to a model.
        model: A spec string, a ``ChatModel`` object, or ``None`` for :data:`DEFAULT_MODEL`.
        options: Backend options; strings (from ``-M key=value``) are converted to the backend's types.
        cache: Use the LLM response cache.
        threads: The run's CPU threads; a llama.cpp model gets them as ``n_threads`` unless given.

    Raises:
        ParamError: a model or options given to a benchmark that uses none.
        ModelSpecError, ModelNotFoundError: a spec that cannot work (unknown backend, missing file...).
    """
    if not uses_model:
        if model is not None and not isinstance(model, str):
            raise ParamError("this benchmark uses no model, but a model object was given")
        if options:
            raise ParamError(f"this benchmark uses no model; -M {', '.join(options)} does not apply")
        return None
    from agents.llm import ChatModel, parse_spec, validate_spec

    if model is not None and not isinstance(model, str):
        if not isinstance(model, ChatModel):
            raise ParamError(f"model must be a spec string or an agents.llm.ChatModel, got {type(model).__name__}")
        if options:
            raise ParamError("backend options (-M) apply when the harness loads the model, not to a model object")
        return ModelChoice(spec=model.spec, cache=model.cache is not None, given=model)
    spec = (model or DEFAULT_MODEL).strip()
    opts = dict(options or {})
    if threads is not None and parse_spec(spec)[0] == "llamacpp":
        opts.setdefault("n_threads", threads)
    checked = validate_spec(spec, **opts)  # file exists, backend installed, options valid: before any work
    if checked.cache is False:  # -M cache=off means the same as --no-cache
        cache = False
    return ModelChoice(spec=spec, options=dict(checked.options), cache=cache)


def load_chosen(choice: ModelChoice) -> Any:
    """The model object for a run (loaded here unless the caller gave one)."""
    if choice.given is not None:
        return choice.given
    from agents.llm import load_model

    return load_model(choice.spec, cache=choice.cache, **choice.options)


def close_chosen(choice: ModelChoice, model: Any) -> None:
    """Close a model the harness loaded (a caller's model stays open)."""
    if model is not None and choice.given is None:
        model.close()
