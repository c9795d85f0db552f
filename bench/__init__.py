"""`python -m bench`: the benchmarks of issue 7; see docs/benchmarks.md."""
