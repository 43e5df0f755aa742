#!/usr/bin/env bash
# Stops every server that up.sh started in DIR (DIR/*.pid): TERM, then KILL after 5 s.
# Idempotent: missing DIR, stale pid files and dead pids are fine. Data and logs are kept;
# DIR/env.sh is removed so tests do not pick up dead endpoints.
# Usage: down.sh DIR
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: down.sh DIR" >&2; exit 2; }
[ -d "$1" ] || exit 0
dir=$(cd "$1" && pwd)

pids=()
for f in "$dir"/*.pid; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .pid)
  pid=$(cat "$f")
  # Only a live process whose command line names DIR/NAME/ (guards against pid reuse).
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$dir/$name/"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
    echo "down.sh: stopping $name (pid $pid)" >&2
  fi
  rm -f "$f"
done

deadline=$((SECONDS + 5))
for pid in "${pids[@]}"; do
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "down.sh: pid $pid still running after 5s, sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
done
rm -rf "$dir/env.sh" "$dir/env.d"
