#!/usr/bin/env bash
# sync-client-bench.sh — `coffre sync --once` between two devices of one account through a release
# coffred on loopback, on the scenarios of Syncthing's anchor in /work/shared/bench/BASELINE.md
# ("Sync engine anchor: Syncthing"), with Syncthing itself run on the same data in the same run
# (Benchmarks/syncthing-anchor.py: two instances in a loopback-only network namespace; needs root
# and the `syncthing` package, which `make bench-sync-client` installs; SYNCTHING=0 skips it and
# prints the baseline's figures instead). Called by `make bench-sync-client`; not part of `make test`.
#
# End to end = device A's `sync --once` (scan, seal, upload, commit) + device B's `sync --once`
# (feed, download, open, place), each a fresh process: comparable to Syncthing's "explicit scan"
# rows (no watcher delay). Accounts use `--kdf-cost test`, so the per-command password
# derivation (about 0.3 s at the standard cost) is not counted.
#
# Scenarios (SYNC_CLIENT_BENCH_SKIP="small big delta noop" leaves some out):
#   small  SMALL_FILES (10000) × 4 KiB in 100 folders        (Syncthing a.: 13.3 s explicit)
#   big    one BIG_MIB (1024) MiB random file                (Syncthing b.: 5.98 s)
#   delta  10 bytes changed in the middle of the big file    (Syncthing c.: 5.50 s, 1.09 MB sent)
#   noop   NOOP_FILES (100000) × 100 B, then a pass with nothing changed (Syncthing d.: 2.73 s rescan)
# Each sync is logged with its wall time, the load average, its own user/system CPU and peak RSS
# (time(1)) and the server's CPU meanwhile (/proc/PID/stat): CPU well below wall time is waiting.
# Env: COFFRE_BIN_DIR (.build/release; point it at an older build for a before/after in the same
# minutes), SYNCTHING (1: run the anchor; 0: quote BASELINE.md). Everything it starts is stopped by PID and its temp dir removed on exit, error or Ctrl-C.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${COFFRE_BIN_DIR:-$ROOT/.build/release}"
SMALL_FILES="${SMALL_FILES:-10000}"
BIG_MIB="${BIG_MIB:-1024}"
NOOP_FILES="${NOOP_FILES:-100000}"
SKIP=" ${SYNC_CLIENT_BENCH_SKIP:-} "
SYNCTHING="${SYNCTHING:-1}"

log() { echo "[sync-client-bench] $*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in coffred coffre coffre-admin; do
  [[ -x "$BIN/$tool" ]] || die "build first: make bench-sync-client (release builds of coffred, coffre, coffre-admin)"
done
if [[ "$SYNCTHING" == 1 ]]; then
  command -v syncthing >/dev/null || die "syncthing is not installed (make bench-sync-client installs it; SYNCTHING=0 skips it)"
  [[ "$(id -u)" == 0 ]] || die "running Syncthing in a network namespace needs root (SYNCTHING=0 skips it)"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/sync-client-bench.XXXXXX")" || die "mktemp failed"
SERVER_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf -- "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN/coffred" serve --data "$TMP/data" --listen 127.0.0.1:0 >"$TMP/coffred.out" 2>"$TMP/coffred.err" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 300); do
  URL="$(sed -n 's/^coffred listening on //p' "$TMP/coffred.out" | head -1)"
  [[ -n "$URL" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "coffred exited: $(cat "$TMP/coffred.err")"
  sleep 0.1
done
[[ -n "$URL" ]] || die "coffred did not start"

export COFFRE_PASSWORD="bench-password-$$"
INVITE="$("$BIN/coffre-admin" --data "$TMP/data" user add alice --quota unlimited | grep -o 'cfi_[A-Za-z0-9_-]*' | head -1)"
[[ -n "$INVITE" ]] || die "user add failed"
COFFRE_HOME="$TMP/home-a" "$BIN/coffre" account setup --server "$URL" --user alice --invite "$INVITE" \
  --device-name laptop --kdf-cost test >/dev/null || die "account setup failed"
COFFRE_HOME="$TMP/home-b" "$BIN/coffre" login --server "$URL" --user alice --device-name phone --kdf-cost test >/dev/null ||
  die "login failed"

declare -A TOTAL SPLIT SENT
ORDER=()
now() { date +%s.%N; }
source "$ROOT/Benchmarks/proc-cpu.sh"
# server_cpu: coffred's user+system CPU seconds so far.
server_cpu() { cpu_seconds "$SERVER_PID"; }
# sync DEVICE FOLDER VAULT: one `coffre sync --once`; prints its summary line, the client's CPU
# and peak RSS (time(1)) and the server's CPU to the log; sets SECONDS_TAKEN, LAST_SUMMARY, LAST_RSS_MIB.
sync_once() {
  local start end out server_before
  server_before="$(server_cpu)"
  start="$(now)"
  out="$(COFFRE_HOME="$TMP/home-$1" /usr/bin/time -f 'client-cpu %U user %S sys, peak RSS %M KiB' -o "$TMP/time.out" \
    "$BIN/coffre" sync "$TMP/$2" --vault "$3" --once 2>&1)" || die "sync $1 $2 failed: $out"
  end="$(now)"
  SECONDS_TAKEN="$(printf '%.2f' "$(echo "$end - $start" | bc)")"
  LAST_SUMMARY="$(echo "$out" | head -1)"
  LAST_RSS_MIB="$(awk '{ printf "%.0f", $(NF-1) / 1024 }' "$TMP/time.out")"
  log "$1 ($SECONDS_TAKEN s, load $(cut -d' ' -f1 /proc/loadavg)): $LAST_SUMMARY"
  log "   $(cat "$TMP/time.out"); server-cpu $(echo "$(server_cpu) - $server_before" | bc) s"
}
# pair KEY VAULT: A then B; records the scenario KEY's total, A / B split and what A sent.
pair() {
  sync_once a "a-$2" "$2"; local up="$SECONDS_TAKEN" upline="$LAST_SUMMARY"
  sync_once b "b-$2" "$2"; local down="$SECONDS_TAKEN"
  diff -r --exclude=.coffre "$TMP/a-$2" "$TMP/b-$2" >/dev/null || die "$1: the two folders differ"
  TOTAL[$1]="$(printf '%.2f' "$(echo "$up + $down" | bc)")"; SPLIT[$1]="$up / $down"; SENT[$1]="${upline%%,*}"
  ORDER+=("$1")
}
# anchor SCENARIOS: Syncthing on the same sizes, right after Coffre's run of them; one JSON line per
# scenario in $TMP/anchor.jsonl.
anchor() {
  [[ "$SYNCTHING" == 1 ]] || return 0
  log "Syncthing: $1"
  python3 "$ROOT/Benchmarks/syncthing-anchor.py" "$TMP/syncthing" "$1" --files "$SMALL_FILES" --mib "$BIG_MIB" \
    --noop-files "$NOOP_FILES" >>"$TMP/anchor.jsonl" || die "the Syncthing anchor failed"
  rm -rf "$TMP/syncthing"
}
# anchor_value SCENARIO FIELD: a figure of this run's Syncthing measurement, empty if none.
anchor_value() {
  [[ -s "$TMP/anchor.jsonl" ]] || return 0
  python3 -c 'import json, sys
for line in open(sys.argv[1]):
    row = json.loads(line)
    if row["scenario"] == sys.argv[2]: print(row.get(sys.argv[3], ""))' "$TMP/anchor.jsonl" "$1" "$2"
}
vault() { COFFRE_HOME="$TMP/home-a" "$BIN/coffre" vault create "$1" >/dev/null || die "vault create $1 failed"; }

if [[ "$SKIP" != *" small "* ]]; then
  vault small; mkdir -p "$TMP/a-small"
  python3 "$ROOT/Benchmarks/bench_trees.py" "$TMP/a-small" "$SMALL_FILES" small || die "writing the small files failed"
  pair small small
  anchor small
fi
if [[ "$SKIP" != *" big "* || "$SKIP" != *" delta "* ]]; then
  vault big; mkdir -p "$TMP/a-big"
  head -c "$((BIG_MIB << 20))" /dev/urandom >"$TMP/a-big/big.bin"
  [[ "$SKIP" == *" big "* ]] && { sync_once a a-big big; sync_once b b-big big; } ||
    pair big big
  if [[ "$SKIP" != *" delta "* ]]; then
    printf '0123456789' | dd of="$TMP/a-big/big.bin" bs=1 seek="$(((BIG_MIB << 20) / 2))" conv=notrunc status=none
    pair delta big
  fi
  scenarios=""
  [[ "$SKIP" != *" big "* ]] && scenarios="big"
  [[ "$SKIP" != *" delta "* ]] && scenarios="big,delta"
  [[ -n "$scenarios" ]] && anchor "$scenarios"
fi
if [[ "$SKIP" != *" noop "* ]]; then
  vault noop; mkdir -p "$TMP/a-noop"
  python3 "$ROOT/Benchmarks/bench_trees.py" "$TMP/a-noop" "$NOOP_FILES" noop || die "writing the noop files failed"
  pair initial noop
  sync_once a a-noop noop
  TOTAL[noop]="$SECONDS_TAKEN"; SPLIT[noop]="— (peak RSS $LAST_RSS_MIB MiB)"; SENT[noop]="${LAST_SUMMARY%%,*}"; ORDER+=(noop)
  NOOP_RSS_MIB="$LAST_RSS_MIB"
  anchor noop
fi

# The issue's targets, as a ratio of Syncthing's time (and for delta, bytes; for noop, RSS).
declare -A LABEL=([small]="$SMALL_FILES × 4 KiB in 100 folders" [big]="one $BIG_MIB MiB random file"
  [delta]="10 B changed mid-file" [initial]="initial: $NOOP_FILES × 100 B" [noop]="pass over $NOOP_FILES unchanged files")
declare -A BASELINE=([small]=13.3 [big]=5.98 [delta]=5.50 [initial]=206.4 [noop]=2.73)
declare -A TARGET=([small]=0.5 [big]=1.0 [delta]=0.5 [noop]=0.5)

echo
echo "coffre sync --once, device A then device B, release build, loopback, $(nproc) cores (times in s), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "$SYNCTHING" == 1 ]]; then
  echo "Syncthing $(syncthing --version | awk '{print $2}'): measured in this run (explicit scan; Benchmarks/syncthing-anchor.py)"
else
  echo "Syncthing: the figures of /work/shared/bench/BASELINE.md (SYNCTHING=0)"
fi
echo
echo "| scenario | Coffre | A / B | A sent | Syncthing | ratio | target | verdict |"
echo "|---|---|---|---|---|---|---|---|"
for key in "${ORDER[@]}"; do
  st="$(anchor_value "$key" seconds)"; source_note=""
  # The baseline's figures hold only for its sizes (the defaults).
  if [[ -z "$st" && "$SMALL_FILES/$BIG_MIB/$NOOP_FILES" == 10000/1024/100000 ]]; then
    st="${BASELINE[$key]}"; source_note=" (BASELINE.md)"
  fi
  if [[ -z "$st" ]]; then
    echo "| ${LABEL[$key]} | ${TOTAL[$key]} | ${SPLIT[$key]} | ${SENT[$key]} | — | — | — | — |"
    continue
  fi
  ratio="$(python3 -c "print(round(${TOTAL[$key]} / $st, 2))")"
  target="—"; verdict="—"
  if [[ -n "${TARGET[$key]:-}" ]]; then
    target="≤ ${TARGET[$key]}×"
    verdict="$(python3 -c "print('PASS' if $ratio <= ${TARGET[$key]} else 'FAIL')")"
  fi
  extra=""
  if [[ "$key" == delta ]]; then
    sent="$(anchor_value delta sent_bytes)"; [[ -n "$sent" ]] && extra=" (sent $(python3 -c "print(round($sent / 1e6, 2))") MB)"
    target="$target, ≤ 2.5 MiB sent"
    # The byte target too: what A sent, as its summary line gives it ("(1.2 MiB sent)").
    sent_mib="$(python3 -c 'import re, sys
m = re.search(r"\(([0-9.]+) (B|KiB|MiB|GiB) sent\)", sys.argv[1])
print(float(m.group(1)) * {"B": 1 / 1048576, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[m.group(2)] if m else "")' "${SENT[$key]}")"
    if [[ -z "$sent_mib" ]] || python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 2.5 else 1)" "$sent_mib"; then
      verdict="FAIL (sent)"
    fi
  fi
  if [[ "$key" == noop ]]; then
    target="$target, RSS ≤ 100 MiB"
    [[ "${NOOP_RSS_MIB:-0}" -le 100 ]] || verdict="FAIL (RSS)"
  fi
  echo "| ${LABEL[$key]} | ${TOTAL[$key]} | ${SPLIT[$key]} | ${SENT[$key]} | $st$extra$source_note | $ratio | $target | $verdict |"
done
