"""llama.cpp's log filter: errors reach stderr, warnings and info do not (ggml.h's levels: WARN 3, ERROR 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.llm

LOAD = """
import sys
from agents.llm.backends.llamacpp import LlamaCppModel
try:
    LlamaCppModel(sys.argv[1], n_ctx=256, max_batch=1).close()
    print("loaded")
except Exception as e:
    print("refused", type(e).__name__)
"""


def _load(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NESY_LLAMA_EXTRA_BUFFERS="0")  # no probe: only the load itself logs
    return subprocess.run([sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True, env=env,
                          timeout=300, cwd=Path(__file__).resolve().parents[3])


def test_a_load_error_is_shown_and_a_clean_load_is_quiet(tmp_path):
    from agents.llm import default_gguf_path

    from .test_llm_models import _write_gguf

    bad = _load(_write_gguf(tmp_path / "no-hparams.gguf"))  # a GGUF without the model's hyperparameters
    assert bad.stdout.strip() == "refused ModelNotFoundError"
    assert "error loading model" in bad.stderr
    good = _load(default_gguf_path())
    assert good.stdout.strip() == "loaded" and good.stderr == ""
