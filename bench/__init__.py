"""Benchmarks (`make bench`). Not part of `make test`. Results go to docs/performance.md by hand."""
