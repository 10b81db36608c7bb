"""The lab's DOM-free modules under Node's test runner (tests/lab/lab.test.mjs).

Settings validation and the URL round trip, presets, A/B on one data stream, divergence handling,
orthogonal init and clipping: the parts of docs/assets/lab that need no browser.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from skips import skip_locally_fail_in_ci

TESTS = Path(__file__).with_name("lab.test.mjs")


def test_lab_modules_pass_node_test() -> None:
    if shutil.which("node") is None:
        skip_locally_fail_in_ci("needs Node.js 18+ to test the lab's JavaScript")
    result = subprocess.run(
        ["node", "--test", str(TESTS)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout and "# pass 11" in result.stdout, result.stdout
