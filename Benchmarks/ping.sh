#!/usr/bin/env bash
# system.ping throughput over 1 and 50 connections, pipelined and not, beside
# Redis PING driven by the same load generator (../shared/tools/linebench.c)
# and by redis-benchmark, in one run on this machine. Release build.
#   Benchmarks/ping.sh [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-5}
source scripts/deps.sh
switchboard_install_deps redis-server redis-tools gcc

LINEBENCH_SRC=${LINEBENCH_SRC:-../shared/tools/linebench.c}
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

gcc -O2 -o "$work/linebench" "$LINEBENCH_SRC" -lpthread
swift build -c release --product switchboard >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null

.build/release/switchboard serve --data-dir "$work/data" --listen 127.0.0.1:0 --log-level info 2>"$work/serve.log" &
server_pid=$!
SB_PORT=""
for _ in $(seq 300); do
  SB_PORT=$(grep -oE 'port=[0-9]+' "$work/serve.log" | head -1 | cut -d= -f2 || true)
  [ -n "$SB_PORT" ] && break
  sleep 0.1
done
[ -n "$SB_PORT" ] || { echo "server did not start"; cat "$work/serve.log"; exit 1; }

printf '{"jsonrpc":"2.0","id":0,"method":"auth.login","params":{"token":"%s"}}\n' "$(cat "$work/data/operator.token")" > "$work/login.json"
PING='{"jsonrpc":"2.0","id":%d,"method":"system.ping"}'

run() {  # label, port, args...
  local label=$1; shift
  local out
  out=$("$work/linebench" "$@" -d "$DURATION" 2>&1 | tail -1)
  printf '%-38s %s\n' "$label" "$out"
  echo "$out" | awk '{for (i = 1; i < NF; i++) if ($i == "requests/s") print $(i+1)}' > "$work/last"
}

printf '%s\n' "== system.ping vs Redis PING, ${DURATION}s per run, $(nproc) cores, $(date -u +%FT%TZ)"
declare -A ratio
for conf in "1 1" "1 16" "50 1" "50 16"; do
  set -- $conf
  c=$1 p=$2
  run "redis PING c=$c P=$p" -p "$REDIS_PORT" -c "$c" -P "$p" -r 'PING'; r=$(cat "$work/last")
  run "switchboard system.ping c=$c P=$p" -p "$SB_PORT" -c "$c" -P "$p" -f "$work/login.json" -r "$PING"; s=$(cat "$work/last")
  ratio["$c/$p"]=$(python3 -c "print(f'{$s/$r:.2f}')")
  echo "   ratio switchboard/redis (c=$c P=$p): ${ratio[$c/$p]}"
done

echo "== redis-benchmark -t ping (reference)"
redis-benchmark -p "$REDIS_PORT" -t ping_mbulk -c 50 -n 200000 -q
redis-benchmark -p "$REDIS_PORT" -t ping_mbulk -c 50 -n 1000000 -P 16 -q

rss=$(ps -o rss= -p "$server_pid" | tr -d ' ')
echo "== switchboard RSS after the runs: $((rss / 1024)) MiB"
