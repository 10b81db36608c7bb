"""Runnable examples that the documentation includes verbatim (and the tests execute)."""
