"""Benchmarks, run by ``make bench``: every figure is a ratio against a peer measured in the same run.

Timed assertions never appear in tests; speed and memory are measured here, repeated, and reported
as medians with the machine they ran on.
"""
