"""``peac diff`` as a benchstat-like text table or a Markdown table for pull requests."""

from __future__ import annotations

from collections.abc import Sequence

from peac.core.diff import Row
from peac.report import escape
from peac.report.values import percent, show

NOTES = {
    "bootstrap": "bootstrap: single runs, resampling the requests inside each run "
    "(run-to-run noise not included; record several runs for a rank test)",
    "fisher": "fisher: Fisher's exact test on error counts",
    "U": "U: Mann-Whitney U test between runs",
}


def _cells(row: Row, alpha: float) -> tuple[str, ...]:
    significant = row.significant(alpha)
    delta = "~" if row.p_value is not None and not significant else percent(row.change)
    p = "-" if row.p_value is None else f"p={row.p_value:.3g}"
    return (
        row.step or "all steps",
        f"{row.metric} {row.stat}",
        show(row.base_value, row.unit),
        show(row.head_value, row.unit),
        delta,
        p,
        f"n={len(row.base)}+{len(row.head)}",
        row.test or "no test",
    )


def diff_text(rows: Sequence[Row], title: str, alpha: float, notes: Sequence[str] = ()) -> str:
    table: list[tuple[str, ...]] = [("step", "metric", "base", "head", "delta", "p", "n", "test")]
    table += [_cells(r, alpha) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [title]
    for row in table:
        cells = [
            cell.ljust(w) if i < 2 or i == 7 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append(f"~ means no significant change (p >= {alpha:g})")
    lines += [NOTES[t] for t in dict.fromkeys(r.test for r in rows) if t in NOTES]
    lines += [f"note: {note}" for note in notes]
    return escape.text_lines(lines)


def diff_markdown(rows: Sequence[Row], title: str, alpha: float, notes: Sequence[str] = ()) -> str:
    lines = [
        f"**peac diff** · {escape.markdown(title)}",
        "",
        "| step | metric | base | head | delta | p | n |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = [escape.markdown(c) for c in _cells(row, alpha)[:7]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"~ means no significant change (p ≥ {alpha:g})."]
    lines += [escape.markdown(NOTES[t]) for t in dict.fromkeys(r.test for r in rows) if t in NOTES]
    lines += [escape.markdown(f"note: {note}") for note in notes]
    return "\n".join(lines) + "\n"
