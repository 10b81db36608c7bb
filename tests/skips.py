"""What a test does when a tool or data package it needs is missing.

On a laptop it skips, with a message naming what to install; under CI (``CI=true``) it fails,
so a CI image that lost Chromium, Node.js or a Debian data package cannot pass silently.
Import it as ``from skips import skip_locally_fail_in_ci`` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True under continuous integration (``CI`` set to 1, true or yes)."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_locally_fail_in_ci(message: str) -> NoReturn:
    """A missing tool skips the test on a laptop but fails it under CI (`CI=true`)."""
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
