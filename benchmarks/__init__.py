"""Benchmarks and evaluations of dedup: ``python -m benchmarks --help``."""
