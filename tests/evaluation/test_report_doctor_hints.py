"""``nesy doctor``'s install hints: the setup.sh profile a user of this repository needs, intact under rich."""

from __future__ import annotations

import sys

import pytest
from rich.text import Text

from evaluation.harness.doctor import run_checks


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    # None in sys.modules makes `import vllm` / `import ray` fail, so their hints are filled in.
    for module in ("vllm", "ray"):
        monkeypatch.setitem(sys.modules, module, None)
    return {c.name: c for c in run_checks()}


def test_extras_hints_name_the_setup_profiles(checks):
    assert checks["vLLM"].fix.startswith("scripts/setup.sh all")
    assert checks["Ray"].fix.startswith("scripts/setup.sh dev")


def test_hints_survive_rich_markup(checks):
    # The doctor prints hints in a rich table: '[gpu]' in "pip install 'nesykit[gpu]'" was read as a
    # style tag and vanished. Every hint must print as written.
    for check in checks.values():
        assert Text.from_markup(check.fix).plain == check.fix, check.name
