# Shared by the benchmark scripts (sourced): installs, builds, starts servers,
# runs the load generator. Expects $work (a temporary folder) and $DURATION.

LINEBENCH_SRC=${LINEBENCH_SRC:-../shared/tools/linebench.c}
server_pid=""
REDIS_PORT=""

bench_cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$REDIS_PORT" ] && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}

# Installs redis and gcc if missing, builds linebench and the release binary.
bench_prepare() {
  source scripts/deps.sh
  switchboard_install_deps redis-server redis-tools gcc
  gcc -O2 -o "$work/linebench" "$LINEBENCH_SRC" -lpthread
  swift build -c release --product switchboard >/dev/null
  bin=.build/release/switchboard
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
  sleep 0.3
}

# Starts `switchboard serve` on "$work/data" at a free port; sets SB_PORT and writes $work/login.json.
start_switchboard() {
  $bin serve --data-dir "$work/data" --listen 127.0.0.1:0 --log-level info 2>"$work/serve.log" &
  server_pid=$!
  SB_PORT=""
  for _ in $(seq 300); do
    SB_PORT=$(grep -oE 'port=[0-9]+' "$work/serve.log" | head -1 | cut -d= -f2 || true)
    [ -n "$SB_PORT" ] && break
    sleep 0.1
  done
  [ -n "$SB_PORT" ] || { echo "server did not start"; cat "$work/serve.log"; exit 1; }
  printf '{"jsonrpc":"2.0","id":0,"method":"auth.login","params":{"token":"%s"}}\n' "$(cat "$work/data/operator.token")" > "$work/login.json"
}

# run LABEL LINEBENCH-ARGS...: prints the result line; requests/s goes to $work/last.
run() {
  local label=$1; shift
  local out
  out=$("$work/linebench" "$@" -d "$DURATION" 2>&1 | tail -1)
  printf '%-44s %s\n' "$label" "$out"
  echo "$out" | awk '{for (i = 1; i < NF; i++) if ($i == "requests/s") print $(i+1)}' > "$work/last"
}

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
