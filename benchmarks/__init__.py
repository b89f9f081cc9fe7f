"""Benchmarks: not part of `make test`. `vrlake bench` (backed by `benchmarks.harness`) times the whole pipeline."""
