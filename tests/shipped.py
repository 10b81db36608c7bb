"""The models this repository ships, as the per-application tests read them: the repository
root, the models folder, an application's runtime loaded once per test module by the class the
application registry names for it, and a runtime script run where torch cannot be imported."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"


def runtime_fixture(name: str) -> Any:
    """A module-scoped fixture: the shipped model ``name`` loaded by its registry runtime class.

    Assign it to the fixture's name in the test module: ``model = runtime_fixture("speech")``.
    """

    @pytest.fixture(scope="module")
    def loaded() -> Any:
        from rnn_site.applications import application, resolve

        return resolve(application(name).runtime).load(name, models_dir=MODELS)

    return loaded


def run_without(blocked: Sequence[str], script: str, *args: str) -> str:
    """Run ``script`` (with ``sys`` imported) in a fresh Python where importing any module of
    ``blocked`` raises ImportError, as on a machine with only the runtime's dependencies →
    its stdout. The test fails with the script's stderr if it does."""
    head = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in blocked)
    result = subprocess.run(
        [sys.executable, "-c", head + script, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
