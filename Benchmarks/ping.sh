#!/usr/bin/env bash
# system.ping throughput over 1 and 50 connections, pipelined and not, beside
# Redis PING driven by the same load generator (../shared/tools/linebench.c)
# and by redis-benchmark, in one run on this machine. Release build.
#   Benchmarks/ping.sh [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-5}
work=$(mktemp -d)
source Benchmarks/common.sh
trap bench_cleanup EXIT
bench_prepare
start_redis
start_switchboard

PING='{"jsonrpc":"2.0","id":%d,"method":"system.ping"}'
printf '%s\n' "== system.ping vs Redis PING, ${DURATION}s per run, $(nproc) cores, $(date -u +%FT%TZ)"
for conf in "1 1" "1 16" "50 1" "50 16"; do
  set -- $conf
  c=$1 p=$2
  run "redis PING c=$c P=$p" -p "$REDIS_PORT" -c "$c" -P "$p" -r 'PING'; r=$(cat "$work/last")
  run "switchboard system.ping c=$c P=$p" -p "$SB_PORT" -c "$c" -P "$p" -f "$work/login.json" -r "$PING"; s=$(cat "$work/last")
  echo "   ratio switchboard/redis (c=$c P=$p): $(ratio "$s" "$r")"
done

echo "== redis-benchmark -t ping (reference)"
redis-benchmark -p "$REDIS_PORT" -t ping_mbulk -c 50 -n 200000 -q | tr '\r' '\n' | grep -v '^ *$' | tail -1
redis-benchmark -p "$REDIS_PORT" -t ping_mbulk -c 50 -n 1000000 -P 16 -q | tr '\r' '\n' | grep -v '^ *$' | tail -1
echo "== switchboard RSS after the runs: $(( $(ps -o rss= -p "$server_pid") / 1024 )) MiB"
