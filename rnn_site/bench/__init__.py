"""Benchmarks that print ratios: timings live here, never in tests."""
