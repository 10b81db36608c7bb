"""Benchmarks: printed figures, never assertions (timings do not belong in tests)."""
