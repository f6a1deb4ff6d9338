"""Statistical tests shared by the gate and the diff: rank tests between groups of runs, and
false-alarm control across the objectives of one run (statsmodels' multipletests)."""

from __future__ import annotations

import math
from collections.abc import Sequence

Alternative = str  # "greater", "less", "two-sided"


def rank_test(head: Sequence[float], base: Sequence[float], alternative: Alternative) -> float:
    """Mann-Whitney U p-value of ``head`` against ``base`` (1.0 when either side is empty or all
    values tie)."""
    from scipy import stats

    if not head or not base:
        return 1.0
    if len(set(head) | set(base)) == 1:
        return 1.0
    p = float(stats.mannwhitneyu(head, base, alternative=alternative).pvalue)
    return p if math.isfinite(p) else 1.0


def adjust(p_values: Sequence[float], method: str) -> list[float]:
    """Holm (family-wise error) or Benjamini-Hochberg (false discovery rate) adjusted p-values;
    ``none`` leaves them as they are."""
    if method == "none" or len(p_values) <= 1:
        return list(p_values)
    from statsmodels.stats.multitest import multipletests

    name = {"holm": "holm", "bh": "fdr_bh"}[method]
    return [float(p) for p in multipletests(list(p_values), method=name)[1]]
