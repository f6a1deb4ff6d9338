"""The report site as files: index.html, a trend page per objective and a page per run, each a
self-contained HTML page with inline CSS and inline SVG charts (``peac.report.charts``).

Every value reaches the page through Jinja2 with autoescaping on, so commit subjects, step names
and server metric names are text, never markup; each page also carries a Content-Security-Policy
that allows no script at all, so a slip in escaping could still not run anything."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from peac.model.site import Site
from peac.report.charts import fmt, panel_chart, trend_chart
from peac.report.limit_lines import limits_text

INDEX = "index.html"
# Marks any font has (the Markdown report's emoji are missing where no emoji font is installed).
ICONS = {"pass": "✓", "warn": "⚠", "fail": "✗", "no-baseline": "?", "invalid": "–"}
SUBJECT_CHARS = 200  # a commit subject is cut to this on the page (the full one is in git)


@cache
def _environment() -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("peac.report", "templates/site"),
        autoescape=True,  # every value is untrusted text (commit subjects, step names)
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["value"] = lambda value, unit: fmt(value, unit)
    environment.filters["date"] = _date
    environment.filters["subject"] = lambda text: (
        text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 1] + "…"
    )
    return environment


def _date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _commit_link(template: str) -> Any:
    def link(sha: str) -> str:
        # A sha comes from git (hex); the template was checked as an http(s) URL.
        return template.replace("{sha}", sha) if template else ""

    return link


def render(site: Site) -> dict[str, str]:
    """File name -> page text for every page of ``site``."""
    environment = _environment()
    common = {
        "site": site,
        "icons": ICONS,
        "commit_link": _commit_link(site.commit_url),
        "limits_text": limits_text,
        "generated": _date(site.generated_at),
    }
    pages = {
        INDEX: environment.get_template("index.html.j2").render(
            **common, title="Performance report", up=""
        )
    }
    for trend in site.trends:
        pages[trend.page] = environment.get_template("trend.html.j2").render(
            **common,
            title=f"{trend.budget}: {trend.objective.name}",
            trend=trend,
            chart=trend_chart(trend),
            up=INDEX,
        )
    for run in site.runs:
        pages[run.page] = environment.get_template("run.html.j2").render(
            **common,
            title=f"Run {run.title}",
            run=run,
            charts=[panel_chart(p) for p in run.panels],
            up=INDEX,
        )
    return pages
