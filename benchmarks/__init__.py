"""Benchmarks of matchday (pytest-benchmark); run with ``python -m pytest benchmarks``."""
