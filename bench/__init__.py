"""Benchmarks (DESIGN.md §4): realistic data, p50/p95 side by side with a raw-SQL baseline."""
