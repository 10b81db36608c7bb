"""The demos' DOM-free modules under Node's test runner: every tests/js/*.test.mjs in one run.

A new Node test file is picked up without touching this module. A file that needs a fixture from
Python is run by the test that builds the fixture instead, and listed in RUN_ELSEWHERE.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from skips import skip_locally_fail_in_ci

HERE = Path(__file__).parent
ROOT = HERE.parent.parent

# File name -> the Python test module that runs it (with the environment it needs).
RUN_ELSEWHERE = {
    # Needs OWN_MODEL_DIR: folders of a freshly exported (and deliberately broken) own model.
    "own-model.test.mjs": ROOT / "tests" / "test_own_model.py",
}


def node_test_files() -> list[Path]:
    """Every Node test file here, less those another test runs."""
    return sorted(p for p in HERE.glob("*.test.mjs") if p.name not in RUN_ELSEWHERE)


def test_files_run_elsewhere_are_run_there() -> None:
    """An exclusion must name a test that really runs the file, or the file would run nowhere."""
    for name, runner in RUN_ELSEWHERE.items():
        assert (HERE / name).is_file(), f"{name} is listed in RUN_ELSEWHERE but does not exist"
        assert name in runner.read_text("utf-8"), f"{runner.name} does not run {name}"


def test_dom_free_modules_pass_node_test() -> None:
    if shutil.which("node") is None:
        skip_locally_fail_in_ci("needs Node.js 18+ to test the demos' JavaScript")
    files = node_test_files()
    assert files, "no tests/js/*.test.mjs to run"
    result = subprocess.run(
        ["node", "--test", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    counts = dict(re.findall(r"^# (tests|pass|fail) (\d+)$", result.stdout, re.MULTILINE))
    assert counts.get("fail") == "0", output
    # Every file contributes at least one passing test (a file that fails to load counts as one
    # failed test, which the line above catches).
    assert int(counts.get("pass", "0")) >= len(files), output
