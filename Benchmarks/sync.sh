#!/usr/bin/env bash
# CSV import through a real CSV interface (issue 4): a generated phonebook
# (realistic names and numbers from several countries) is imported end to end,
# then re-synced with 1% of the rows changed. Release build; prints times,
# counts and peak memory.
#   Benchmarks/sync.sh [rows, default 1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source scripts/deps.sh
switchboard_install_deps time
swift build -c release --product switchboard >/dev/null
echo "== $ROWS rows, $(nproc) cores, $(date -u +%FT%TZ)"
/usr/bin/time -v .build/release/switchboard bench sync-csv --data-dir "$work/data" --rows "$ROWS" 2>"$work/time" 
grep -E 'Maximum resident|Elapsed' "$work/time"
# The floor under the first import: libphonenumber's cost per number, on one thread.
.build/release/switchboard bench numbers --rows "$ROWS"
