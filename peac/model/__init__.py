"""Plain typed data shared by every layer: results, series, objectives, baselines, verdicts,
and the vocabulary they are written in (units, metrics). No I/O, no decisions."""
