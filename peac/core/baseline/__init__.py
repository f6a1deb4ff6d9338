"""What the base branch's history says the next commit should measure (pure: numbers in,
numbers and explanations out; no git, no files).

``baseline()`` cleans the series (isolated outliers), keeps the segment since the last change
point, fits forecasting models and keeps the one with the best AICc, and returns the expected
value with a one-sided prediction bound in the worse direction; ``p_value()`` says how unusual a
new value is under it.
"""

from peac.core.baseline.forecast import baseline, diagnostics, p_value

__all__ = ["baseline", "diagnostics", "p_value"]
