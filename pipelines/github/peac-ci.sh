#!/usr/bin/env bash
# The body of the peac composite action (action.yml), kept as a script so that it can be run
# and tested outside GitHub: the action's inputs come as environment variables (PEAC_*) and
# become `peac ci`'s options. `peac ci` itself writes the job summary, the step outputs and the
# pull-request comment from the reports this run wrote (GitHub's own GITHUB_* variables).
set -euo pipefail

args=(ci --reports "${PEAC_REPORTS:-reports}" --progress plain)
[ -n "${PEAC_BASE:-}" ] && args+=(--base "$PEAC_BASE")
[ -n "${PEAC_REPETITIONS:-}" ] && args+=(--repetitions "$PEAC_REPETITIONS")
[ -n "${PEAC_TARGET:-}" ] && args+=(--target "$PEAC_TARGET")
[ -n "${PEAC_DURATION:-}" ] && args+=(--duration "$PEAC_DURATION")
[ -n "${PEAC_READY_TIMEOUT:-}" ] && args+=(--ready-timeout "$PEAC_READY_TIMEOUT")
[ -n "${PEAC_COMMENT:-}" ] && args+=(--comment "$PEAC_COMMENT")
# Extra arguments, split on whitespace like a command line (no shell evaluation).
read -r -a extra <<< "${PEAC_ARGS:-}"
args+=("${extra[@]}")

status=0
"${PEAC:-peac}" "${args[@]}" || status=$?
# peac ci writes exit-code itself when it gets to the end; this covers an early exit too.
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "exit-code=$status" >> "$GITHUB_OUTPUT"
fi
exit "$status"
