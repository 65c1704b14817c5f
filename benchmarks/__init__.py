"""Benchmarks run by ``make bench``; each compares sharewell with a named baseline."""
