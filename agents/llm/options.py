"""The options each backend takes, checked and converted before anything is loaded.

``load_model(spec, **options)`` and :func:`agents.llm.specs.validate_spec` check option names and
values against the tables here, so a typo or a negative thread count fails at once with the list of
valid names, instead of deep inside a backend after seconds of loading (or never, for a misspelled
keyword a backend would have swallowed). Values may be strings, as they come from a command line
(``-M n_threads=1``): each is converted to the option's type. :func:`parse_model_options` turns such
``name=value`` pairs into keyword arguments.

A test keeps the tables equal to the backends' constructor signatures.
"""

from __future__ import annotations

import difflib
import json
import math
import operator
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents.llm.errors import ModelOptionError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_NONE = {"none", "null", "default", ""}


@dataclass(frozen=True)
class Option:
    """One backend option.

    Attributes:
        kind: ``"int"``, ``"float"``, ``"bool"``, ``"str"``, ``"path"``, ``"json"`` (a JSON object) or
            ``"any"`` (Python objects only, e.g. the fake backend's scripted replies).
        help: What it does, as the error messages list it.
        optional: ``None`` is allowed (the backend's default).
        minimum: Smallest allowed value (numbers).
        above: Values must be greater than this (numbers).
        maximum: Largest allowed value (numbers).
        choices: The allowed values (strings).
    """

    kind: str
    help: str
    optional: bool = False
    minimum: float | None = None
    above: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """E.g. ``int >= 1 or None``."""
        text = self.kind
        if self.choices:
            text = " | ".join(self.choices)
        if self.minimum is not None:
            text += f" >= {self.minimum:g}"
        if self.above is not None:
            text += f" > {self.above:g}"
        if self.maximum is not None:
            text += f" <= {self.maximum:g}"
        return text + (" or None" if self.optional else "")


#: Options of ``load_model`` itself, valid for every backend (``-M cache=off`` from a command line).
COMMON: dict[str, Option] = {
    "cache": Option("bool", "the disk cache: true (default; NESY_CACHE=off still turns it off), false, or a "
                           "ChatCache"),
    "cache_dir": Option("path", "cache directory (default $NESY_CACHE_DIR/llm or ~/.cache/nesykit/llm)",
                        optional=True),
}

BACKEND_OPTIONS: dict[str, dict[str, Option]] = {
    "llamacpp": {
        "n_ctx": Option("int", "context window per request, capped at the model's training length", minimum=1),
        "max_batch": Option("int", "sequences decoded together (KV slots)", minimum=1),
        "n_threads": Option("int", "CPU threads (default $NESY_LLM_THREADS, else all cores or 1 when busy)",
                            optional=True, minimum=1),
        "n_batch": Option("int", "most tokens per llama_decode call", minimum=1),
        "flash_attn": Option("bool", "flash attention"),
        "reuse_prefix": Option("bool", "reuse the KV of a prompt's start from earlier requests"),
    },
    "transformers": {
        "device": Option("str", "cpu, cuda, cuda:1, ... (default: CUDA if available)", optional=True),
        "dtype": Option("str", "torch dtype name, e.g. float32, bfloat16", optional=True),
        "lora": Option("path", "a peft LoRA adapter directory", optional=True),
        "max_batch": Option("int", "greedy requests decoded together", minimum=1),
    },
    "vllm": {
        "gpu_memory_utilization": Option("float", "fraction of GPU memory vLLM may take", above=0, maximum=1),
        "max_model_len": Option("int", "context window (default: the model's)", optional=True, minimum=1),
        "tensor_parallel_size": Option("int", "GPUs to shard over", minimum=1),
        "enable_prefix_caching": Option("bool", "reuse KV blocks of shared prompt prefixes"),
        "max_batch": Option("int", "most requests per engine call", minimum=1),
        "seed": Option("int", "the engine's seed"),
    },
    "openai": {
        "api_key": Option("str", "default $OPENAI_API_KEY, or EMPTY for local servers", optional=True),
        "max_concurrency": Option("int", "most requests in flight", minimum=1),
        "max_retries": Option("int", "retries of a transient failure", minimum=0),
        "timeout": Option("float", "seconds per HTTP request", above=0),
        "structured": Option("str", "how constraints reach the server", choices=("vllm", "openai", "none")),
        "extra_body": Option("json", "extra JSON fields of every request", optional=True),
        "backoff": Option("float", "initial retry backoff in seconds", minimum=0),
        "context_length": Option("int", "the server's context window, if known", optional=True, minimum=1),
    },
    "fake": {
        "replies": Option("any", "reply strings, or a callable (request, i) -> str"),
        "delay": Option("float", "seconds to sleep per call", minimum=0),
    },
}

#: Backends that pass unknown option names on (vLLM hands them to ``vllm.LLM`` as engine arguments).
PASS_THROUGH = {"vllm"}


def _bad(backend: str, name: str, opt: Option, value: Any, why: str = "") -> ModelOptionError:
    return ModelOptionError(f"option {name}={value!r} of backend '{backend}' is invalid{why}: "
                            f"{name} must be {opt.describe()} ({opt.help})")


def _convert(backend: str, name: str, opt: Option, value: Any) -> Any:
    """``value`` (a Python value, or a string from a command line) as the option's type; checked."""
    text = value.strip() if isinstance(value, str) else None
    if value is None or (opt.optional and text is not None and text.lower() in _NONE):
        if opt.optional:
            return None
        raise _bad(backend, name, opt, value)
    kind = opt.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise _bad(backend, name, opt, value)
    if kind in ("int", "float"):
        if isinstance(value, bool):  # True is an int to Python, never a thread count to a user
            raise _bad(backend, name, opt, value)
        try:
            if kind == "int":
                if text is not None:
                    number: float = int(text)
                elif isinstance(value, float) and value.is_integer():
                    number = int(value)
                else:
                    number = operator.index(value)  # ints, numpy ints; not 2.5 or "2"
            else:
                number = float(text if text is not None else value)
        except (TypeError, ValueError):
            raise _bad(backend, name, opt, value) from None
        if not math.isfinite(number):
            raise _bad(backend, name, opt, value)
        if opt.minimum is not None and number < opt.minimum:
            raise _bad(backend, name, opt, value)
        if opt.above is not None and number <= opt.above:
            raise _bad(backend, name, opt, value)
        if opt.maximum is not None and number > opt.maximum:
            raise _bad(backend, name, opt, value)
        return number
    if kind in ("str", "path"):
        if kind == "path" and isinstance(value, os.PathLike):
            return value
        if text is None or not text:
            raise _bad(backend, name, opt, value)
        if opt.choices and text not in opt.choices:
            raise _bad(backend, name, opt, value)
        return text
    if kind == "json":
        if isinstance(value, Mapping):
            return dict(value)
        try:
            parsed = json.loads(text) if text is not None else None
        except ValueError as e:
            raise _bad(backend, name, opt, value, f" (not JSON: {e})") from None
        if not isinstance(parsed, dict):
            raise _bad(backend, name, opt, value, " (not a JSON object)")
        return parsed
    return value  # "any": the backend checks it


def _literal(text: str) -> Any:
    """A pass-through option's command-line value: JSON when it parses (1, 0.5, true, null), else text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def valid_option_names(backend: str) -> list[str]:
    """The option names ``backend`` takes (``load_model``'s own ``cache`` and ``cache_dir`` included)."""
    return sorted({**BACKEND_OPTIONS[backend], **COMMON})


def check_options(backend: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``options`` against ``backend``'s table and convert string values to the options' types.

    Raises:
        ModelOptionError: An unknown name (the message lists the valid ones and the closest match), or
            a value of the wrong type or out of range.
    """
    table = {**BACKEND_OPTIONS[backend], **COMMON}
    out: dict[str, Any] = {}
    for name, value in options.items():
        opt = table.get(name)
        if opt is None:
            if backend in PASS_THROUGH:
                out[name] = _literal(value) if isinstance(value, str) else value
                continue
            close = difflib.get_close_matches(name, list(table), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ModelOptionError(f"backend '{backend}' has no option {name!r}{hint}; valid options: "
                                   + ", ".join(f"{n} ({table[n].describe()})" for n in sorted(table)))
        if name == "cache":
            out[name] = _cache_value(value)
        else:
            out[name] = _convert(backend, name, opt, value)
    return out


def _cache_value(value: Any) -> Any:
    # True/False/None or a ChatCache object (checked by resolve_cache); "off" etc. from a command line.
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE | _NONE:
            return False
        raise ModelOptionError(f"option cache={value!r} is invalid: cache must be true or false "
                               f"({COMMON['cache'].help})")
    if value is None or isinstance(value, bool):
        return value
    from agents.llm.cache import ChatCache

    if isinstance(value, ChatCache):
        return value
    raise ModelOptionError(f"option cache must be True, False, None or a ChatCache, got {type(value).__name__}")


def split_pairs(pairs: Sequence[str], flag: str = "-M") -> dict[str, str]:
    """``["n_threads=1", "n_ctx=4096"]`` as ``{"n_threads": "1", "n_ctx": "4096"}``.

    Raises:
        ModelOptionError: A pair without ``=`` or a name, or a name given twice.
    """
    if isinstance(pairs, str):
        pairs = [pairs]
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = str(pair).partition("=")
        name = name.strip()
        if not sep or not name:
            raise ModelOptionError(f"model option {pair!r} is not name=value (e.g. {flag} n_threads=1)")
        if name in out:
            raise ModelOptionError(f"model option {name!r} is given twice ({out[name]!r} and {value!r})")
        out[name] = value
    return out


__all__ = ["BACKEND_OPTIONS", "COMMON", "Option", "check_options", "split_pairs",
           "valid_option_names"]
