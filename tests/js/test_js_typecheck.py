"""The site's JavaScript type-checks (tsconfig.json, full strict, from the modules' JSDoc).

`nox -s lint` runs the same check; it is here too so that CI, which runs the test command, keeps
every demo's `// @ts-check` types true.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from skips import skip_locally_fail_in_ci

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / ".bin" / "tsc"


def test_site_javascript_type_checks() -> None:
    if shutil.which("node") is None or not TSC.is_file():
        skip_locally_fail_in_ci("needs Node.js and `npm ci` (TypeScript) to type-check the demos")
    run = subprocess.run(
        [str(TSC), "--noEmit", "-p", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
