#!/usr/bin/env bash
# http-bench.sh — Coffre's HTTP server (Benchmarks/HTTPBench, `http-bench-server`) side by side
# with nginx on loopback, in one run. Called by `make bench-http`; results and their meaning are
# in docs/performance.md ("HTTP server"). Not part of `make test`.
#
# Measures, for both servers (1 MB = 10^6 bytes):
#   - wrk GET of a 4 KiB body (-t2, WRK_DURATION s, --latency) at 64 and 512 connections, and
#     over TLS at 64: req/s, p99 and the server's CPU time per request. Ours twice: /4k (task
#     handler) and /4k-inline;
#   - a BIG_MIB (256) MiB streaming PUT (curl -T, no Expect) and GET (curl -o /dev/null): MB/s
#     and the server's CPU time for the transfer;
#   - IDLE_CONNECTIONS (10,000) idle keep-alive connections: RSS growth per connection
#     (idle-connections.py), on fresh processes; nginx with one worker, whose RSS is measured.
# Each wrk/curl figure is taken RUNS (3) times, the server order rotating between runs so that
# drift hits every server; the table shows medians, then PASS/FAIL against the targets.
#
# Env: RUNS=3 WRK_DURATION=10 BIG_MIB=256 IDLE_CONNECTIONS=10000 WRK_THREADS=2
#      HTTP_BENCH_SERVER (default .build/release/http-bench-server, built when missing)
# Needs wrk, nginx (with the dav and ssl modules), curl, openssl, python3, ps: installed when
# missing, through ../shared/bench/install-peers.sh when that exists, else apt-get.
# Everything it starts is stopped by PID and its temp dir removed on exit, error or Ctrl-C.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
WRK_DURATION="${WRK_DURATION:-10}"
WRK_THREADS="${WRK_THREADS:-2}"
BIG_MIB="${BIG_MIB:-256}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
SERVER_BIN="${HTTP_BENCH_SERVER:-$ROOT/.build/release/http-bench-server}"
SUDO=""; [[ "$(id -u)" -eq 0 ]] || SUDO="sudo"

log() { echo "[http-bench] $*" >&2; }
die() { log "error: $*"; exit 1; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

for v in RUNS WRK_DURATION WRK_THREADS BIG_MIB IDLE_CONNECTIONS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done

# --- tools ------------------------------------------------------------------------------------
nginx_usable() {
  command -v nginx >/dev/null && nginx -V 2>&1 | grep -q -- --with-http_dav_module &&
    nginx -V 2>&1 | grep -q -- --with-http_ssl_module
}

install_missing() {
  local missing=() t
  for t in wrk curl openssl python3 ps; do command -v "$t" >/dev/null || missing+=("$t"); done
  nginx_usable || missing+=(nginx)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "missing: ${missing[*]}; installing"
  local peers="$ROOT/../shared/bench/install-peers.sh"
  if [[ -x "$peers" ]]; then
    $SUDO "$peers" || die "$peers failed"
  else
    $SUDO apt-get update -qq || die "apt-get update failed"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx curl openssl python3 procps \
      >/dev/null || die "apt-get install failed"
    # Debian starts nginx on port 80 when it installs it; this bench starts its own instances.
    $SUDO service nginx stop >/dev/null 2>&1 || true
  fi
  for t in wrk curl openssl python3 ps; do command -v "$t" >/dev/null || die "$t still missing"; done
  nginx_usable || die "nginx lacks the dav or ssl module (Debian's nginx or nginx-extras has both)"
}
install_missing

if [[ ! -x "$SERVER_BIN" ]]; then
  log "building http-bench-server (release)"
  (cd "$ROOT" && swift build -c release --product http-bench-server) || die "build failed"
fi

# 10,000 idle connections need as many descriptors in the client and in each server.
hard="$(ulimit -Hn)"; [[ "$hard" == unlimited ]] && hard=65536
ulimit -n "$hard" 2>/dev/null || true
if (( $(ulimit -n) < IDLE_CONNECTIONS + 200 )); then
  IDLE_CONNECTIONS=$(( $(ulimit -n) - 200 ))
  log "open-file limit $(ulimit -n): idle test reduced to $IDLE_CONNECTIONS connections"
fi

# --- processes and cleanup -------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/http-bench.XXXXXX")" || die "mktemp failed"
PIDS=()  # every server this script started

stop_pid() { # pid: TERM, up to 5 s, then KILL
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  local kept=() p
  for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  return 0
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done  # stop_pid edits PIDS; the loop holds a copy
  rm -rf -- "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_healthy() { # url
  local i
  for ((i = 0; i < 100; i++)); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1")" == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

# --- content: a 4 KiB file (the same 4096 × "x" ours serves from memory), the big upload ------
mkdir -p "$TMP/www/files" "$TMP/nginx" "$TMP/nginx-idle" "$TMP/ours" || die "mkdir failed"
head -c 4096 /dev/zero | tr '\0' x >"$TMP/www/4k"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$TMP/big.bin" || die "cannot write $TMP/big.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null || die "openssl req failed"
chmod 600 "$TMP/key.pem"

NGINX_USER=""
if [[ "$(id -u)" -eq 0 ]]; then
  # nginx's workers drop to www-data: let them reach the content and write uploads.
  NGINX_USER="user www-data;"
  chmod 755 "$TMP"
  chown -R www-data "$TMP/www"
fi

# --- nginx ---------------------------------------------------------------------------------
write_nginx_conf() { # dir workers port [tls_port]
  local d="$1" workers="$2" port="$3" tls_port="${4:-}" tls_server=""
  mkdir -p "$d/temp"
  [[ -n "$NGINX_USER" ]] && chown www-data "$d/temp"
  if [[ -n "$tls_port" ]]; then
    tls_server="server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $TMP/cert.pem;
    ssl_certificate_key $TMP/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    include $d/locations.conf;
  }"
  fi
  # PUT: nginx writes the body to client_body_temp_path (same file system) with write(2), no
  # fsync, then renames it into place — what UploadFile does.
  cat >"$d/locations.conf" <<EOF
    root $TMP/www;
    location = /healthz { return 200 "ok\n"; }
    location /upload/ { alias $TMP/www/files/; dav_methods PUT; client_max_body_size 0; }
EOF
  cat >"$d/nginx.conf" <<EOF
$NGINX_USER
worker_processes $workers;
worker_rlimit_nofile 32768;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types {}
  default_type application/octet-stream;
  client_body_temp_path $d/temp/body;
  proxy_temp_path $d/temp/proxy;
  fastcgi_temp_path $d/temp/fastcgi;
  uwsgi_temp_path $d/temp/uwsgi;
  scgi_temp_path $d/temp/scgi;
  server {
    listen 127.0.0.1:$port;
    include $d/locations.conf;
  }
  $tls_server
}
EOF
}

start_nginx() { # dir port -> sets STARTED_PID
  local d="$1" port="$2"
  nginx -t -q -p "$d" -e "$d/error.log" -c "$d/nginx.conf" || die "nginx config refused (see $d/error.log)"
  nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" -g 'daemon off;' >"$d/stdout.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  wait_healthy "http://127.0.0.1:$port/healthz" || die "nginx did not come up (see $d/error.log)"
}

NGINX_PORT="$(free_port)"; NGINX_TLS_PORT="$(free_port)"
write_nginx_conf "$TMP/nginx" auto "$NGINX_PORT" "$NGINX_TLS_PORT"
start_nginx "$TMP/nginx" "$NGINX_PORT"; NGINX_PID=$STARTED_PID

# --- ours ----------------------------------------------------------------------------------
start_ours() { # dir [tls] -> sets STARTED_PID, OURS_PORT_STARTED, OURS_TLS_PORT_STARTED
  local d="$1" out="$1.out" i line=""
  local args=(--directory "$d")
  [[ "${2:-}" == tls ]] && args+=(--tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem")
  "$SERVER_BIN" "${args[@]}" >"$out" 2>"$d.err" &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  for ((i = 0; i < 100; i++)); do
    line="$(grep -m1 '^http-bench-server port' "$out" 2>/dev/null)" && break
    kill -0 "$STARTED_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$line" ]] || die "http-bench-server did not start: $(cat "$d.err")"
  read -r _ _ OURS_PORT_STARTED _ OURS_TLS_PORT_STARTED _ <<<"$line"
}
start_ours "$TMP/ours" tls
OURS_PID=$STARTED_PID; OURS_PORT=$OURS_PORT_STARTED; OURS_TLS_PORT=$OURS_TLS_PORT_STARTED

declare -A URL=(
  [nginx]="http://127.0.0.1:$NGINX_PORT" [task]="http://127.0.0.1:$OURS_PORT" [inline]="http://127.0.0.1:$OURS_PORT"
)
declare -A TLS_URL=(
  [nginx]="https://127.0.0.1:$NGINX_TLS_PORT" [task]="https://127.0.0.1:$OURS_TLS_PORT"
  [inline]="https://127.0.0.1:$OURS_TLS_PORT"
)
declare -A SMALL_PATH=([nginx]=/4k [task]=/4k [inline]=/4k-inline)

for s in nginx task inline; do
  for u in "${URL[$s]}" "${TLS_URL[$s]}"; do
    n="$(curl -sk -o /dev/null -w '%{http_code} %{size_download}' "$u${SMALL_PATH[$s]}")"
    [[ "$n" == "200 4096" ]] || die "$u${SMALL_PATH[$s]} answered '$n', not '200 4096'"
  done
done
for p in "$NGINX_TLS_PORT" "$OURS_TLS_PORT"; do
  log "TLS on port $p: $(openssl s_client -connect "127.0.0.1:$p" -brief </dev/null 2>&1 |
    grep -E '^(Protocol version|Ciphersuite)' | tr '\n' ' ')"
done

# --- measurements --------------------------------------------------------------------------
RESULTS="$TMP/results.txt"   # lines: metric server run value
record() { echo "$1 $2 $3 $4" >>"$RESULTS"; }

run_wrk() { # url connections [seconds] -> "req/s p99_ms errors requests"
  wrk -t"$WRK_THREADS" -c"$2" -d"${3:-$WRK_DURATION}s" --latency "$1" 2>&1 | awk '
    / requests in / { requests = $1 }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" {
      v = $2
      if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
      else if (v ~ /ms$/) { sub(/ms$/, "", v) }
      else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
      p99 = v
    }
    /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { errors += $5 }
    END { if (rps == "") print "0 0 -1 0"; else printf "%s %s %d %d\n", rps, p99, errors, requests }'
}

# cpu_ticks PID... and CLOCK_TICKS: CPU time of the servers (/proc/PID/stat).
source "$ROOT/Benchmarks/proc-cpu.sh"

server_pids() { # server -> the processes doing its work (nginx: the workers)
  if [[ "$1" == nginx ]]; then ps -o pid= --ppid "$NGINX_PID"; else echo "$OURS_PID"; fi
}

rotated() { # run servers... -> the servers, rotated by run-1
  local r="$1"; shift
  local list=("$@") n=$# i
  for ((i = 0; i < n; i++)); do echo "${list[$(((i + r - 1) % n))]}"; done
}

# One curl transfer of the big file: records MB/s and the server's CPU milliseconds for it.
transfer() { # server run put|get pids... -- curl-args...
  local s="$1" r="$2" kind="$3" pids=() before code speed size
  shift 3
  while [[ "$1" != -- ]]; do pids+=("$1"); shift; done
  shift
  settle
  before="$(cpu_ticks "${pids[@]}")"
  read -r code speed size <<<"$(curl -sS --max-time 300 -o /dev/null "$@" \
    -w '%{http_code} %{speed_upload} %{speed_download} %{size_upload} %{size_download}\n' |
    awk -v kind="$kind" '{ if (kind == "put") print $1, $2, $4; else print $1, $3, $5 }')"
  local cpu_ms=$(( ($(cpu_ticks "${pids[@]}") - before) * 1000 / CLOCK_TICKS ))
  if [[ "$kind" == put ]]; then
    [[ "$code" =~ ^20[14]$ && "$size" == "$((BIG_MIB << 20))" ]] || die "PUT to $s: HTTP $code, $size bytes"
  else
    [[ "$code" == 200 && "$size" == "$((BIG_MIB << 20))" ]] || die "GET from $s: HTTP $code, $size bytes"
  fi
  local mbps; mbps="$(python3 -c "print(round($speed / 1e6, 1))")"
  record "${kind}_mbps" "$s" "$r" "$mbps"
  record "${kind}_cpu_ms" "$s" "$r" "$cpu_ms"
  echo "$mbps MB/s (server CPU $cpu_ms ms)"
}

settle() { timeout 60 sync; sleep 1; }  # dirty pages of the last transfer are written first

log "load average at start: $(loadavg)"
record load start 0 "$(loadavg | tr ' ' '/')"
log "warm-up: 2 s of wrk per server, plain and TLS"
for s in nginx task inline; do
  run_wrk "${URL[$s]}${SMALL_PATH[$s]}" 64 2 >/dev/null
  run_wrk "${TLS_URL[$s]}${SMALL_PATH[$s]}" 64 2 >/dev/null
done

for ((r = 1; r <= RUNS; r++)); do
  log "run $r/$RUNS, load average $(loadavg)"
  record load "run$r" "$r" "$(loadavg | tr ' ' '/')"
  for config in c64 c512 tls64; do
    for s in $(rotated "$r" nginx task inline); do
      case "$config" in
        c64) url="${URL[$s]}${SMALL_PATH[$s]}"; c=64 ;;
        c512) url="${URL[$s]}${SMALL_PATH[$s]}"; c=512 ;;
        tls64) url="${TLS_URL[$s]}${SMALL_PATH[$s]}"; c=64 ;;
      esac
      pids=($(server_pids "$s"))
      before="$(cpu_ticks "${pids[@]}")"
      read -r rps p99 errors requests <<<"$(run_wrk "$url" "$c")"
      [[ "$errors" != -1 ]] || die "wrk against $s ($url) printed no result"
      # Server CPU time per request: less sensitive than req/s to what else runs on the CPUs.
      cpu_us="$(python3 -c "print(round(($(cpu_ticks "${pids[@]}") - $before) / $CLOCK_TICKS * 1e6 / max($requests, 1), 1))")"
      log "  wrk $config $s: $rps req/s, p99 $p99 ms, $errors errors, server CPU $cpu_us µs/request"
      record "cpu_$config" "$s" "$r" "$cpu_us"
      record "rps_$config" "$s" "$r" "$rps"
      record "p99_$config" "$s" "$r" "$p99"
      record "errors_$config" "$s" "$r" "$errors"
    done
  done
  for s in $(rotated "$r" nginx ours); do
    if [[ $s == nginx ]]; then base="${URL[nginx]}"; dir="$TMP/www/files"; else base="${URL[task]}"; dir="$TMP/ours"; fi
    pids=($(server_pids "$s"))
    put="$(transfer "$s" "$r" put "${pids[@]}" -- -H 'Expect:' -T "$TMP/big.bin" "$base/upload/big.bin")" || exit 1
    get="$(transfer "$s" "$r" get "${pids[@]}" -- "$base/files/big.bin")" || exit 1
    cmp -s "$TMP/big.bin" "$dir/big.bin" || die "$s stored different bytes"
    log "  $BIG_MIB MiB $s: PUT $put, GET $get"
    rm -f -- "$dir/big.bin"
  done
done

# Idle connections on fresh processes, so memory freed by the runs above cannot hide growth.
stop_pid "$NGINX_PID"; stop_pid "$OURS_PID"
idle_measure() { # server port pid
  local out
  out="$(python3 "$ROOT/Benchmarks/idle-connections.py" 127.0.0.1 "$2" "$3" "$IDLE_CONNECTIONS" /4k)" ||
    die "idle-connections.py against $1 failed"
  log "  idle $1: $(echo "$out" | tr '\n' ' ')"
  record idle_connections "$1" 1 "$(echo "$out" | awk '$1 == "idle_connections" { print $2 }')"
  record idle_bytes_per_connection "$1" 1 "$(echo "$out" | awk '$1 == "rss_per_connection_bytes" { print $2 }')"
}
log "idle: $IDLE_CONNECTIONS keep-alive connections per server, load average $(loadavg)"
mkdir -p "$TMP/ours-idle"
start_ours "$TMP/ours-idle"
idle_measure ours "$OURS_PORT_STARTED" "$STARTED_PID"
stop_pid "$STARTED_PID"
IDLE_PORT="$(free_port)"
write_nginx_conf "$TMP/nginx-idle" 1 "$IDLE_PORT"
start_nginx "$TMP/nginx-idle" "$IDLE_PORT"
worker="$(ps -o pid= --ppid "$STARTED_PID" | head -n 1 | tr -d ' ')"
[[ -n "$worker" ]] || die "no nginx worker found"
idle_measure nginx "$IDLE_PORT" "$worker"
stop_pid "$STARTED_PID"
record load end 0 "$(loadavg | tr ' ' '/')"

# --- report --------------------------------------------------------------------------------
python3 - "$RESULTS" "$RUNS" "$WRK_DURATION" "$BIG_MIB" <<'PY'
import statistics
import sys
from collections import defaultdict

path, runs, duration, big = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
values, loads = defaultdict(list), []
for line in open(path):
    metric, server, _, value = line.split()
    if metric == "load":
        loads.append(value.replace("/", " "))
    else:
        values[(metric, server)].append(float(value))

def med(metric, server):
    v = values.get((metric, server))
    return statistics.median(v) if v else float("nan")

def runs_of(metric, server):
    return "/".join(f"{x:g}" for x in values.get((metric, server), []))

print()
print(f"== HTTP server vs nginx: medians of {runs} runs (wrk -t2 -d{duration}s; {big} MiB transfers; 1 MB = 10^6 B)")
print(f"   load average (1/5/15 min) at start, each run, end: {' | '.join(loads)}")
print()
rows = [
    ("GET 4 KiB, 64 conns (req/s)", "rps_c64"), ("  p99 (ms)", "p99_c64"),
    ("GET 4 KiB, 512 conns (req/s)", "rps_c512"), ("  p99 (ms)", "p99_c512"),
    ("GET 4 KiB TLS, 64 conns (req/s)", "rps_tls64"), ("  p99 (ms)", "p99_tls64"),
    ("server CPU per request, 64 (µs)", "cpu_c64"), ("  512 conns (µs)", "cpu_c512"),
    ("  TLS, 64 conns (µs)", "cpu_tls64"),
]
print(f"{'metric':34} {'nginx':>10} {'ours task':>10} {'ours inline':>11} {'task/nginx':>10} {'inline/nginx':>12}")
for label, metric in rows:
    n, t, i = med(metric, "nginx"), med(metric, "task"), med(metric, "inline")
    print(f"{label:34} {n:10.1f} {t:10.1f} {i:11.1f} {t / n:10.2f} {i / n:12.2f}")
for label, metric in [(f"PUT {big} MiB (MB/s)", "put_mbps"), ("  server CPU (ms)", "put_cpu_ms"),
                      (f"GET {big} MiB (MB/s)", "get_mbps"), ("  server CPU (ms)", "get_cpu_ms")]:
    n, o = med(metric, "nginx"), med(metric, "ours")
    print(f"{label:34} {n:10.1f} {o:10.1f} {'':>11} {o / n:10.2f}")
idle_n, idle_o = med("idle_bytes_per_connection", "nginx"), med("idle_bytes_per_connection", "ours")
print(f"{'idle RSS per connection (bytes)':34} {idle_n:10.0f} {idle_o:10.0f}"
      f"   ({med('idle_connections', 'ours'):.0f} connections; nginx: its one worker)")
errors = sum(sum(v) for (m, _), v in values.items() if m.startswith("errors_"))
print(f"wrk errors (socket errors + non-2xx), all runs: {errors:.0f}")

print()
print("   every run, in order (req/s, p99 ms, server CPU µs per request, MB/s):")
for metric in ["rps_c64", "p99_c64", "cpu_c64", "rps_c512", "p99_c512", "cpu_c512", "rps_tls64", "p99_tls64", "cpu_tls64"]:
    print(f"   {metric:10} nginx {runs_of(metric, 'nginx'):24} task {runs_of(metric, 'task'):24} inline {runs_of(metric, 'inline')}")
for metric in ["put_mbps", "put_cpu_ms", "get_mbps", "get_cpu_ms"]:
    print(f"   {metric:10} nginx {runs_of(metric, 'nginx'):24} ours {runs_of(metric, 'ours')}")

print()
print("== targets")
def target(label, ok, detail):
    print(f"   {'PASS' if ok else 'FAIL'}  {label}: {detail}")
for c in ["c64", "c512"]:
    n = med(f"rps_{c}", "nginx")
    for s in ["task", "inline"]:
        o = med(f"rps_{c}", s)
        target(f"req/s ≥ nginx, {c[1:]} conns, {s}", o >= n, f"{o:.0f} vs {n:.0f} ({o / n:.2f}×)")
for c in ["c64", "c512"]:
    n = med(f"p99_{c}", "nginx")
    for s in ["task", "inline"]:
        o = med(f"p99_{c}", s)
        target(f"p99 ≤ 2× nginx, {c[1:]} conns, {s}", o <= 2 * n, f"{o:.2f} ms vs {n:.2f} ms ({o / n:.2f}×)")
for label, metric in [("PUT", "put_mbps"), ("GET", "get_mbps")]:
    n, o = med(metric, "nginx"), med(metric, "ours")
    target(f"{label} {big} MiB ≥ nginx", o >= n, f"{o:.0f} vs {n:.0f} MB/s ({o / n:.2f}×)")
target("idle ≤ 16 KiB per connection", idle_o <= 16384, f"{idle_o:.0f} bytes (nginx {idle_n:.0f})")
PY
