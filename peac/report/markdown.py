"""The verdict as a pull-request comment (and GitHub job summary): one-line verdict, a table
per step with base, head, change, prediction bound and a sparkline, then why each limit fired."""

from __future__ import annotations

from functools import cache
from typing import Any

from peac.model.verdict import Verdict
from peac.report import escape
from peac.report.context import GateContext
from peac.report.gate_formats import history_used
from peac.report.verdict_rows import ICONS, change_reasons, groups, rows


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("peac.report", "templates"),
        finalize=escape.markdown,  # every value is untrusted text until escaped
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def verdict_markdown(verdict: Verdict, context: GateContext) -> str:
    all_rows = rows(verdict, context.budget_path)
    template = _environment().get_template("verdict.md.j2")
    return str(
        template.render(
            verdict=verdict,
            context=context,
            icon=ICONS[verdict.outcome],
            head=context.head[:7] or "(uncommitted)",
            merge_base=context.merge_base[:7] or "-",
            history=history_used(context),
            alpha=f"{verdict.alpha:.2g}",
            confidence=f"{1 - verdict.alpha:.0%}",
            correction={"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}[
                verdict.correction
            ],
            min_effect=f"{verdict.min_effect:.0%}",
            groups=groups(all_rows),
            all_rows=all_rows,
            explained=[r for r in all_rows if r.why],
            changes=change_reasons(verdict),
        )
    )
