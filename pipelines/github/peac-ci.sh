#!/usr/bin/env bash
# The body of the peac composite action (action.yml), kept as a script so that it can be run
# and tested outside GitHub: run the pipeline stage, then put the reports where GitHub shows
# them. Inputs come as environment variables (PEAC_*); GitHub's own (GITHUB_*) when present.
set -euo pipefail

reports="${PEAC_REPORTS:-reports}"
args=(ci --reports "$reports")
[ -n "${PEAC_BASE:-}" ] && args+=(--base "$PEAC_BASE")
[ -n "${PEAC_REPETITIONS:-}" ] && args+=(--repetitions "$PEAC_REPETITIONS")
[ -n "${PEAC_TARGET:-}" ] && args+=(--target "$PEAC_TARGET")
[ -n "${PEAC_DURATION:-}" ] && args+=(--duration "$PEAC_DURATION")
# Extra arguments, split on whitespace like a command line (no shell evaluation).
read -r -a extra <<< "${PEAC_ARGS:-}"
args+=("${extra[@]}")

status=0
"${PEAC:-peac}" "${args[@]}" || status=$?

# One Markdown file for the pull-request comment and the job summary: every budget's verdict,
# with a marker line that lets the comment step find and update its own comment.
comment="$reports/comment.md"
mkdir -p "$reports"
{
    echo "<!-- peac-ci -->"
    for file in "$reports"/*.md; do
        [ "$file" = "$comment" ] && continue
        [ -f "$file" ] && cat "$file" && echo
    done
} > "$comment"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$comment" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    { echo "exit-code=$status"; echo "comment=$comment"; } >> "$GITHUB_OUTPUT"
fi
exit "$status"
