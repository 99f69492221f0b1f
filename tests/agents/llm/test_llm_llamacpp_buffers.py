"""The probe that decides whether llama.cpp's extra buffer types (AMX / repacked weights) are safe."""

from __future__ import annotations

import json
import warnings

import pytest

from agents.llm.backends import llamacpp_buffers as lb
from agents.llm.specs import default_gguf_path


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("NESY_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(lb.ENV, raising=False)
    monkeypatch.setattr(lb, "_memo", {})
    return tmp_path


def test_the_environment_forces_the_choice_without_a_probe(fresh, monkeypatch):
    def no_probe(*a, **k):
        raise AssertionError("probed")

    monkeypatch.setattr(lb, "probe", no_probe)
    model = default_gguf_path()
    monkeypatch.setenv(lb.ENV, "0")
    assert lb.extra_buffers_usable(model) is False
    monkeypatch.setenv(lb.ENV, "on")
    assert lb.extra_buffers_usable(model) is True


@pytest.mark.llm
def test_the_real_build_passes_the_probe_and_the_verdict_is_remembered(fresh, monkeypatch):
    """scripts/setup.sh builds llama.cpp with the GCC AMX fix, so a batch of tokens decodes."""
    model = default_gguf_path()
    usable, detail = lb.probe(model)
    assert usable, detail
    assert lb.extra_buffers_usable(model) is True
    saved = json.loads((fresh / "llamacpp-extra-buffers.json").read_text())
    [entry] = saved.values()
    assert entry["usable"] is True and entry["model"] == str(model)
    # Remembered: neither this process nor a later one probes again.
    monkeypatch.setattr(lb, "_memo", {})
    monkeypatch.setattr(lb, "probe", lambda *a, **k: (_ for _ in ()).throw(AssertionError("probed again")))
    assert lb.extra_buffers_usable(model) is True


def test_a_build_that_crashes_is_detected_and_warned_about(fresh, monkeypatch):
    # Stand-in for a llama.cpp whose AMX kernels fault: the child dies of SIGSEGV.
    monkeypatch.setattr(lb, "_PROBE", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    model = default_gguf_path()
    usable, detail = lb.probe(model)
    assert not usable and "signal 11" in detail
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert lb.extra_buffers_usable(model) is False
    assert any("half as fast" in str(w.message) for w in caught)
    [entry] = json.loads((fresh / "llamacpp-extra-buffers.json").read_text()).values()
    assert entry["usable"] is False and "signal 11" in entry["detail"]


def test_the_doctor_reports_the_remembered_verdict_without_probing(fresh, monkeypatch):
    from evaluation.harness.doctor import _llama_kernels_check

    monkeypatch.setattr(lb, "probe", lambda *a, **k: (False, "the probe died with signal 11: test"))
    model = default_gguf_path()
    assert "not probed yet" in _llama_kernels_check(model).detail
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lb.extra_buffers_usable(model)
    check = _llama_kernels_check(model)
    assert not check.ok and "signal 11" in check.detail and "gcc-amx-fix" in check.fix


def test_the_public_status_reads_the_environment_and_the_remembered_verdict(fresh, monkeypatch):
    from agents.llm import llamacpp_fast_kernels_status

    monkeypatch.setattr(lb, "probe", lambda *a, **k: (False, "the probe died with signal 11: test"))
    model = default_gguf_path()
    status = llamacpp_fast_kernels_status()
    assert status == {"ok": True, "state": "not probed",
                      "detail": "not probed yet (probed at the first model load)", "fix": ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lb.extra_buffers_usable(model)
    status = llamacpp_fast_kernels_status(model)
    assert not status["ok"] and status["state"] == "unusable" and "signal 11" in status["detail"]
    assert "gcc-amx-fix" in status["fix"] and lb.ENV in status["fix"]
    monkeypatch.setenv(lb.ENV, "0")
    assert llamacpp_fast_kernels_status(model)["state"] == "forced off"
    monkeypatch.setenv(lb.ENV, "1")
    assert llamacpp_fast_kernels_status(model)["ok"]
    monkeypatch.delenv(lb.ENV)
    missing = llamacpp_fast_kernels_status(fresh / "nope.gguf")
    assert not missing["ok"] and missing["state"] == "unavailable"
