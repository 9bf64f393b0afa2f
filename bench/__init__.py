"""The benchmark harness: `make bench` (see bench/run.py and the README's "Benchmark")."""
