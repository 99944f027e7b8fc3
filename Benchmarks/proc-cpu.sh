# proc-cpu.sh — CPU time of processes from /proc, for the bench scripts (sourced, not run).
# proc(5): utime and stime are fields 14 and 15 of /proc/PID/stat, counted after the ")" that
# closes the command name (which may hold spaces). A process that is gone counts 0.

# cpu_ticks PID...: user + system CPU time of the processes together, in clock ticks.
cpu_ticks() {
  local pid total=0 stat rest
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    rest="${stat##*) }"
    read -r -a f <<<"$rest"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

CLOCK_TICKS="$(getconf CLK_TCK)"

# cpu_seconds PID...: the same in seconds, two decimals.
cpu_seconds() {
  awk -v t="$(cpu_ticks "$@")" -v hz="$CLOCK_TICKS" 'BEGIN { printf "%.2f", t / hz }'
}
