#!/usr/bin/env bash
# sync-bench.sh — the sync API of coffred (Benchmarks/SyncBench, `sync-bench`) with nginx next to
# it for the blob transfer figures, in one run. Called by `make bench-sync`; what it measures and
# the results are in docs/performance.md ("Sync API"). Not part of `make test`.
#
# nginx is set up as Benchmarks/http-bench.sh does: a static root for GETs and
# a DAV location for PUTs (written to client_body_temp_path and renamed, no fsync), one worker
# per core, access log off, sendfile on.
#
# Env: SYNC_BENCH_ENTRIES (1000000) SYNC_BENCH_RUNS (3) WRK_DURATION (8) SYNC_BENCH_IDLE_POLLS (1000)
#      SYNC_BENCH_WIRE (binary, or json: how commits and feed pages travel)
#      SYNC_BENCH_COMMITS_ONLY (1: only the commit run, the other figures are skipped)
#      COFFRED_BIN / SYNC_BENCH_BIN (default .build/release/coffred and sync-bench)
# Needs wrk, nginx (with the dav module), python3; installed with apt-get when missing.
# Everything it starts is stopped by PID and its temp dir removed on exit, error or Ctrl-C.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COFFRED_BIN="${COFFRED_BIN:-$ROOT/.build/release/coffred}"
SYNC_BENCH_BIN="${SYNC_BENCH_BIN:-$ROOT/.build/release/sync-bench}"
SUDO=""; [[ "$(id -u)" -eq 0 ]] || SUDO="sudo"

log() { echo "[sync-bench] $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v nginx >/dev/null && nginx -V 2>&1 | grep -q -- --with-http_dav_module && command -v wrk >/dev/null ||
  { log "installing nginx and wrk"; $SUDO apt-get update -qq && \
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk python3 >/dev/null || die "apt-get failed"
    $SUDO service nginx stop >/dev/null 2>&1 || true; }
[[ -x "$COFFRED_BIN" && -x "$SYNC_BENCH_BIN" ]] || die "build first: make bench-sync (release builds of coffred and sync-bench)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sync-bench.XXXXXX")" || die "mktemp failed"
NGINX_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$NGINX_PID" ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -TERM "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null
  fi
  rm -rf -- "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$TMP/www/files" "$TMP/nginx/temp" || die "mkdir failed"
USER_LINE=""
if [[ "$(id -u)" -eq 0 ]]; then
  # nginx's workers drop to www-data: let them read the root and write uploads.
  USER_LINE="user www-data;"
  chmod 755 "$TMP"
  chown -R www-data "$TMP/www" "$TMP/nginx/temp"
fi
cat >"$TMP/nginx/nginx.conf" <<CONF
$USER_LINE
worker_processes auto;
worker_rlimit_nofile 32768;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types {}
  default_type application/octet-stream;
  client_body_temp_path $TMP/nginx/temp/body;
  server {
    listen 127.0.0.1:$PORT;
    root $TMP/www;
    location = /healthz { return 200 "ok\n"; }
    location /upload/ { alias $TMP/www/files/; dav_methods PUT; client_max_body_size 0; }
  }
}
CONF
nginx -t -q -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" || die "nginx refused its config"
nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
NGINX_PID=$!
for _ in $(seq 100); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" == 200 ]] && break
  sleep 0.1
done
kill -0 "$NGINX_PID" 2>/dev/null || die "nginx did not start (see $TMP/nginx/error.log)"

# The bench writes its GET files into the root; as root, nginx's workers must be able to read them.
[[ "$(id -u)" -eq 0 ]] && chmod 777 "$TMP/www"
COFFRED_BIN="$COFFRED_BIN" SYNC_BENCH_NGINX_URL="http://127.0.0.1:$PORT" SYNC_BENCH_NGINX_ROOT="$TMP/www" SYNC_BENCH_NGINX_PID="$NGINX_PID" \
  stdbuf -oL "$SYNC_BENCH_BIN"  # line-buffered: progress shows as it happens when piped
