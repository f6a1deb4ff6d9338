"""The pure core: plain data in, plain data out. Measures, limits, significance, baselines,
the judge, the diff, hints. No git, files, sockets, processes, printing or clock (an
import-linter contract in pyproject.toml keeps it so)."""
