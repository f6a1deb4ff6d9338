"""Renderers of verdicts and diffs: text for terminals, Markdown for pull requests and job
summaries, JUnit XML for test dashboards, GitHub workflow annotations, JSON for tools. They
decide nothing; every number and word of judgement comes from the gate or the diff."""
