"""The base of every error the package raises on purpose, in a module that imports nothing, so
training code and the torch-free runtime share it without one importing the other."""

from __future__ import annotations


class RnnSiteError(Exception):
    """Base class of every error the package raises on purpose (the CLI prints it as one
    ``error:`` line and exits with status 2)."""
