"""Datasets as plain Python objects: text, splits and vocabularies (no torch here)."""
