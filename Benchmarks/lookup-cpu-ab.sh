#!/usr/bin/env bash
# Server CPU per pipelined caller-ID lookup, two builds side by side (issue 3):
# each build serves its own copy of one seeded data directory; rounds alternate
# Redis GET, build A and build B (c=50 P=16, linebench), and read each server's
# CPU time from /proc around its run. On this shared machine single runs move by
# ±20%; what one round compares is measured under the same conditions.
#   Benchmarks/lookup-cpu-ab.sh BIN_A BIN_B SEEDED_DATA_DIR [rounds, default 8]
# SEEDED_DATA_DIR: from `switchboard bench seed-phonebook --entries 1000000` (its
# first 500,000 entries have the +4930%07d numbers asked for).
set -euo pipefail
cd "$(dirname "$0")/.."
A=$(realpath "$1"); B=$(realpath "$2"); SEEDED=$3; ROUNDS=${4:-8}
DURATION=0.8  # at 500k+ lookups a second, 1 s would pass the 500,000 seeded numbers
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; bench_cleanup; }
source Benchmarks/common.sh
trap cleanup EXIT
bench_prepare

start_redis
python3 - <<'PY' | redis-cli -p "$REDIS_PORT" --pipe >/dev/null
import sys
value = "x" * 915  # the size of a lookup answer
for i in range(1_000_000):
    key = "k%d" % i
    sys.stdout.write("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
PY

# serve NAME BIN: its own copy of the data directory; sets port_NAME, pid_NAME.
serve() {
  cp -r "$SEEDED" "$work/$1"
  "$2" serve --data-dir "$work/$1" --listen 127.0.0.1:0 --log-level info 2>"$work/$1.log" &
  pids+=($!); eval "pid_$1=$!"
  printf '{"jsonrpc":"2.0","id":0,"method":"auth.login","params":{"token":"%s"}}\n' "$(cat "$work/$1/operator.token")" > "$work/$1.login"
}
serve a "$A"; serve b "$B"
for _ in $(seq 600); do
  grep -q 'caller-ID index: account ready' "$work/a.log" && grep -q 'caller-ID index: account ready' "$work/b.log" && break
  sleep 0.5
done
port_a=$(grep -oE 'port=[0-9]+' "$work/a.log" | head -1 | cut -d= -f2)
port_b=$(grep -oE 'port=[0-9]+' "$work/b.log" | head -1 | cut -d= -f2)

LOOKUP='{"jsonrpc":"2.0","id":1,"method":"phonebook.lookup","params":{"number":"+4930%07d"}}'
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure NAME: one run against that build; prints lookups/s and CPU µs per lookup.
measure() {
  local pid port before after
  pid=$(eval echo "\$pid_$1"); port=$(eval echo "\$port_$1")
  before=$(cpu_ticks "$pid")
  "$work/linebench" -p "$port" -c 50 -P 16 -d "$DURATION" -f "$work/$1.login" -r "$LOOKUP" | awk '{print $2}' > "$work/last"
  after=$(cpu_ticks "$pid")
  python3 -c "r = float('$(cat "$work/last")'); print(f'{r:8.0f}/s {($after - $before) * 1e6 / $(getconf CLK_TCK) / r:5.2f} µs', end='')"
}
echo "== server CPU per lookup, c=50 P=16, ${DURATION}s runs, $(date -u +%FT%TZ); A=$A B=$B"
for round in $(seq "$ROUNDS"); do
  redis=$("$work/linebench" -p "$REDIS_PORT" -c 50 -P 16 -d "$DURATION" -l 2 -r 'GET k%d' | awk '{print $2}')
  printf 'round %d: redis GET %8.0f/s | A ' "$round" "$redis"; measure a; printf ' | B '; measure b; echo
done
