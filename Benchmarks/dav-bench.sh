#!/usr/bin/env bash
# dav-bench.sh — `coffre dav` (issue 7) measured by /work/shared/bench/webdav-bench.sh, side by
# side in one run with the established encrypting gateway of /work/shared/bench/BASELINE.md
# ("Encrypting gateway anchor"): `rclone serve webdav` over an rclone `crypt` remote whose storage
# is the nginx WebDAV peer, and with that nginx serving plain files for the PROPFIND target.
# Called by `make bench-dav` (release builds of coffred, coffre, coffre-admin); not in `make test`.
#
# Processes, all on loopback, all started here and stopped by PID on exit, error or Ctrl-C:
#   coffred serve (port 0, data in the temp dir) ← coffre dav --vault bench (port 0, Basic auth);
#   nginx peer (run-peers.sh start nginx, its own PEERS_DIR in the temp dir, a free port);
#   rclone serve webdav dbcrypt: → [dbcrypt] type=crypt over [dbdav] type=webdav (the nginx peer),
#   with the settings of the anchor (defaults, --vfs-cache-mode off, random crypt password).
# The account uses `--kdf-cost test` (the password derivation is not what is measured).
#
# Each run prints webdav-bench.sh's metrics for the three servers, then one verdict line per
# target of issue 7:  "<target> coffre=<v> anchor=<v> ratio=<r> target=<t> PASS|FAIL":
#   put_4k_seq      small PUTs/s            ≥ 20 × rclone+crypt
#   wrk_get_4k_rps  4 KiB GET req/s          ≥ 100 × rclone+crypt
#   put_big         PUT BIG_MIB MiB, MB/s   ≥ 2 × rclone+crypt
#   get_big         GET BIG_MIB MiB, MB/s   ≥ 1.5 × rclone+crypt
#   propfind_d1     PROPFIND Depth:1 on SMALL_N files, ms  ≤ 2 × nginx serving plain files
# After the runs, unless the big phase is skipped, DAV_BENCH_CPU_TRIES (2) more PUTs of BIG_MIB MiB
# through coffre dav with the CPU seconds of coffred, the gateway and curl (/proc/PID/stat, time(1)):
# their sum over two cores is the shortest time the PUT could take with both cores busy throughout,
# printed as the highest MB/s this CPU cost allows and its ratio to the anchor's put_big.
# Env: RUNS (1: repetitions of the whole comparison, each with its verdicts), DAV_BENCH_SKIP
# ("coffre anchor nginx": leave a server out; its ratios print NaN), DAV_BENCH_PHASES_SKIP
# (webdav-bench.sh's SKIP for every server, e.g. "small propfind wrk" for the big files only), COFFRE_BIN_DIR
# (.build/release), LOG_DIR (keep the servers' logs there), plus webdav-bench.sh knobs (BIG_MIB,
# SMALL_N, WRK_CONN, WRK_DUR, ...), which apply to every server alike.
# Needs: nginx-extras, rclone, wrk, curl, python3; root (the nginx peer runs its workers as
# www-data). Disk: about 3 × BIG_MIB under TMPDIR.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${COFFRE_BIN_DIR:-$ROOT/.build/release}"
SHARED_BENCH="${SHARED_BENCH:-$ROOT/../shared/bench}"
RUNS="${RUNS:-1}"
SKIP=" ${DAV_BENCH_SKIP:-} "

log() { echo "[dav-bench] $*" >&2; }
die() { log "error: $*"; exit 1; }
skipped() { [[ "$SKIP" == *" $1 "* ]]; }
for tool in coffred coffre coffre-admin; do
  skipped coffre || [[ -x "$BIN/$tool" ]] || die "build first: make bench-dav (release builds of coffred, coffre, coffre-admin)"
done
for tool in rclone nginx wrk curl python3 timeout; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[[ -x "$SHARED_BENCH/webdav-bench.sh" && -x "$SHARED_BENCH/run-peers.sh" ]] || die "no webdav-bench.sh / run-peers.sh in $SHARED_BENCH"
[[ "$(id -u)" == 0 ]] || die "the nginx peer needs root (its workers run as www-data)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/dav-bench.XXXXXX")" || die "mktemp failed"
# The nginx workers (www-data) reach their data dir below this one.
chmod 711 "$TMP"
mkdir -p "$TMP/log" "$TMP/spool" "$TMP/rclone-cache"
export PEERS_DIR="$TMP/peers"
SERVER_PID="" DAV_PID="" RCLONE_PID="" NGINX_STARTED=0

# stop PID: TERM, up to 10 s, then KILL.
stop() {
  local pid="$1" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop "$RCLONE_PID"
  stop "$DAV_PID"
  stop "$SERVER_PID"
  [[ "$NGINX_STARTED" == 1 ]] && "$SHARED_BENCH/run-peers.sh" stop nginx >&2
  if [[ -n "${LOG_DIR:-}" ]]; then mkdir -p "$LOG_DIR" && cp -r "$TMP/log/." "$LOG_DIR/" 2>/dev/null; fi
  rm -rf -- "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_line FILE SED_EXPR PID: the first line of FILE matching SED_EXPR (printed by it), waiting
# up to 30 s while PID lives.
wait_line() {
  local found="" i
  for ((i = 0; i < 300; i++)); do
    found="$(sed -n "$2" "$1" | head -1)"
    [[ -n "$found" ]] && break
    kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  echo "$found"
}
wait_up() { # URL [curl args]: OPTIONS answers within 15 s
  local url="$1" i; shift
  for ((i = 0; i < 150; i++)); do
    curl -s -o /dev/null --max-time 1 -X OPTIONS "$@" "$url" && return 0
    sleep 0.1
  done
  return 1
}

# --- coffred + coffre dav ------------------------------------------------------------------
COFFRE_URL=""
if ! skipped coffre; then
  "$BIN/coffred" serve --data "$TMP/data" --listen 127.0.0.1:0 >"$TMP/log/coffred.out" 2>"$TMP/log/coffred.err" &
  SERVER_PID=$!
  SERVER_URL="$(wait_line "$TMP/log/coffred.out" 's/^coffred listening on //p' "$SERVER_PID")"
  [[ -n "$SERVER_URL" ]] || die "coffred did not start: $(tail -3 "$TMP/log/coffred.err")"
  export COFFRE_PASSWORD="bench-password-$$" COFFRE_HOME="$TMP/home"
  INVITE="$("$BIN/coffre-admin" --data "$TMP/data" user add alice --quota unlimited | grep -o 'cfi_[A-Za-z0-9_-]*' | head -1)"
  [[ -n "$INVITE" ]] || die "user add failed"
  "$BIN/coffre" account setup --server "$SERVER_URL" --user alice --invite "$INVITE" --device-name bench \
    --kdf-cost test >/dev/null || die "account setup failed"
  "$BIN/coffre" vault create bench >/dev/null || die "vault create failed"
  DAV_PASS="dav-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
  (umask 077; echo "$DAV_PASS" >"$TMP/dav-password")
  "$BIN/coffre" dav --vault bench --password-file "$TMP/dav-password" >"$TMP/log/dav.out" 2>"$TMP/log/dav.err" &
  DAV_PID=$!
  COFFRE_URL="$(wait_line "$TMP/log/dav.out" 's/^WebDAV: //p' "$DAV_PID")"
  [[ -n "$COFFRE_URL" ]] || die "coffre dav did not start: $(tail -3 "$TMP/log/dav.err")"
  DAV_USER="$(sed -n 's/^user: //p' "$TMP/log/dav.out" | head -1)"
  log "coffred $SERVER_URL (pid $SERVER_PID); coffre dav $COFFRE_URL (pid $DAV_PID)"
fi

# --- nginx peer + rclone serve webdav over crypt -------------------------------------------
NGINX_URL="" ANCHOR_URL=""
if ! skipped anchor || ! skipped nginx; then
  export NGINX_PORT; NGINX_PORT="$(free_port)"
  "$SHARED_BENCH/run-peers.sh" start nginx >&2 || die "the nginx peer did not start"
  NGINX_STARTED=1
  NGINX_URL="$("$SHARED_BENCH/run-peers.sh" url nginx)"
  log "nginx peer $NGINX_URL"
fi
if ! skipped anchor; then
  COL="dbench-$(date +%s)-$$"
  code=$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' -X MKCOL "${NGINX_URL}${COL}/")
  [[ "$code" =~ ^2 ]] || die "MKCOL ${NGINX_URL}${COL}/ failed: HTTP $code"
  export RCLONE_CONFIG="$TMP/rclone.conf" XDG_CACHE_HOME="$TMP/rclone-cache"
  (umask 077
    cat >"$RCLONE_CONFIG" <<EOF
[dbdav]
type = webdav
url = ${NGINX_URL}
vendor = other

[dbcrypt]
type = crypt
remote = dbdav:${COL}/crypt
password = $(rclone obscure "$(head -c 24 /dev/urandom | base64)")
EOF
  )
  ANCHOR_PORT="$(free_port)"
  # TMPDIR: crypt over webdav (vendor=other) cannot stream; rclone spools each upload there.
  TMPDIR="$TMP/spool" rclone serve webdav dbcrypt: --addr "127.0.0.1:${ANCHOR_PORT}" \
    --log-file "$TMP/log/rclone-serve.log" --log-level NOTICE &
  RCLONE_PID=$!
  ANCHOR_URL="http://127.0.0.1:${ANCHOR_PORT}/"
  wait_up "$ANCHOR_URL" || die "rclone serve webdav did not come up"
  log "rclone serve webdav (pid $RCLONE_PID) $ANCHOR_URL -> crypt -> ${NGINX_URL}${COL}/crypt"
fi

# --- the runs ------------------------------------------------------------------------------
# bench NAME URL [SKIP] [user pass]: webdav-bench.sh's metrics into $TMP/NAME.txt, echoed to stderr.
bench() {
  local name="$1" url="$2" skip="${3:-}"
  log "$name: webdav-bench.sh $url (load $(cut -d' ' -f1-3 /proc/loadavg))"
  WEBDAV_USER="${4:-}" WEBDAV_PASS="${5:-}" SKIP="$skip" timeout 1500 "$SHARED_BENCH/webdav-bench.sh" "$url" >"$TMP/$name.txt"
  sed "s/^/[dav-bench]   $name /" "$TMP/$name.txt" >&2
}
value() { awk -v m="$2" '$1 == m { print $2; f=1 } END { if (!f) print "NaN" }' "$TMP/$1.txt" 2>/dev/null || echo NaN; }
# verdict METRIC COFFRE ANCHOR_NAME ANCHOR OP TARGET [FAULT]: PASS when coffre/anchor is at least
# ("ge") or at most ("le") TARGET and FAULT (what went wrong on coffre's side, if anything) is empty.
verdict() {
  awk -v m="$1" -v c="$2" -v an="$3" -v a="$4" -v op="$5" -v t="$6" -v fault="${7:-}" 'BEGIN {
    r = "NaN"; ok = 0
    if (c ~ /^[0-9.]+$/ && a ~ /^[0-9.]+$/ && a + 0 > 0) {
      r = sprintf("%.2f", c / a); ok = (op == "ge" ? c / a >= t : c / a <= t)
    }
    printf "%-15s coffre=%s %s=%s ratio=%s target=%s%s %s%s\n", m, c, an, a, r, (op == "ge" ? ">=" : "<="), t,
      (ok && fault == "" ? "PASS" : "FAIL"), (fault == "" ? "" : " (" fault ")")
  }'
}

for ((run = 1; run <= RUNS; run++)); do
  rm -f "$TMP"/{coffre,anchor,nginx}.txt
  skipped coffre || bench coffre "$COFFRE_URL" "${DAV_BENCH_PHASES_SKIP:-}" "$DAV_USER" "$DAV_PASS"
  skipped anchor || bench anchor "$ANCHOR_URL" "${DAV_BENCH_PHASES_SKIP:-}"
  # nginx only for the PROPFIND reference (the small PUTs create the files it lists).
  skipped nginx || bench nginx "$NGINX_URL" "big wrk"
  echo "# run $run of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg)"
  for name in coffre anchor nginx; do
    [[ -s "$TMP/$name.txt" ]] && sed "s/^/$name /" "$TMP/$name.txt"
  done
  put_errors="$(value coffre put_4k_errors)" wrk_errors="$(value coffre wrk_get_4k_errors)"
  entries="$(value coffre propfind_d1_entries)"
  verdict put_4k_seq "$(value coffre put_4k_seq)" rclone+crypt "$(value anchor put_4k_seq)" ge 20 \
    "$([[ "$put_errors" =~ ^[1-9] ]] && echo "$put_errors PUT errors")"
  verdict wrk_get_4k_rps "$(value coffre wrk_get_4k_rps)" rclone+crypt "$(value anchor wrk_get_4k_rps)" ge 100 \
    "$([[ "$wrk_errors" =~ ^[1-9] ]] && echo "$wrk_errors wrk errors")"
  verdict put_big "$(value coffre put_big)" rclone+crypt "$(value anchor put_big)" ge 2
  verdict get_big "$(value coffre get_big)" rclone+crypt "$(value anchor get_big)" ge 1.5
  verdict propfind_d1 "$(value coffre propfind_d1)" nginx "$(value nginx propfind_d1)" le 2 \
    "$([[ "$entries" == NaN || "$entries" == "$((${SMALL_N:-2000} + 1))" ]] || echo "$entries entries listed")"
done

# --- CPU per big PUT through coffre dav ---------------------------------------------------------
# cpu_seconds PID: user + system CPU seconds of PID.
source "$ROOT/Benchmarks/proc-cpu.sh"
if ! skipped coffre && [[ " ${DAV_BENCH_PHASES_SKIP:-} " != *" big "* ]]; then
  BIG_MIB="${BIG_MIB:-256}"
  anchor_put="$(value anchor put_big)"
  for ((try = 1; try <= ${DAV_BENCH_CPU_TRIES:-2}; try++)); do
    head -c $((BIG_MIB * 1048576)) /dev/urandom >"$TMP/cpu-probe.bin"
    sync; sleep 1
    server_before="$(cpu_seconds "$SERVER_PID")" dav_before="$(cpu_seconds "$DAV_PID")"
    read -r code seconds client_cpu < <(/usr/bin/time -f '%U %S' -o "$TMP/curl-time" \
      curl -sS --max-time 300 -u "$DAV_USER:$DAV_PASS" -o /dev/null -w '%{http_code} %{time_total}' \
      -H 'Content-Type: application/octet-stream' -T "$TMP/cpu-probe.bin" "${COFFRE_URL%/}/cpu-probe-$try.bin"
      echo " $(awk '{ print $1 + $2 }' "$TMP/curl-time")")
    server_cpu="$(awk -v a="$(cpu_seconds "$SERVER_PID")" -v b="$server_before" 'BEGIN { print a - b }')"
    dav_cpu="$(awk -v a="$(cpu_seconds "$DAV_PID")" -v b="$dav_before" 'BEGIN { print a - b }')"
    curl -sS --max-time 60 -u "$DAV_USER:$DAV_PASS" -o /dev/null -X DELETE "${COFFRE_URL%/}/cpu-probe-$try.bin" || true
    [[ "$code" =~ ^2 ]] || { log "CPU probe PUT -> HTTP $code"; continue; }
    awk -v mib="$BIG_MIB" -v t="$seconds" -v g="$dav_cpu" -v s="$server_cpu" -v c="$client_cpu" -v a="$anchor_put" 'BEGIN {
      bytes = mib * 1048576; total = g + s + c; floor = total / 2
      printf "put_big_cpu    %.1f MB/s; CPU-s gateway %.2f + coffred %.2f + curl %.2f = %.2f; both cores busy throughout: >= %.2f s = <= %.1f MB/s",
        bytes / t / 1e6, g, s, c, total, floor, bytes / floor / 1e6
      if (a ~ /^[0-9.]+$/ && a + 0 > 0) printf " = %.2f x the put_big of rclone+crypt (target 2)", bytes / floor / 1e6 / a
      printf "\n"
    }'
  done
  rm -f "$TMP/cpu-probe.bin"
fi
