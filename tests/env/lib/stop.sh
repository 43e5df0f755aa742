# Sourced by the down.sh scripts: stop one server named by a pid file.
#
# stop_pidfile FILE WANT GRACE PREFIX [NAME]
#   When FILE names a live process whose command line matches the grep pattern WANT (a guard
#   against pid reuse): SIGTERM, then SIGKILL after GRACE seconds. Says what it did on stderr,
#   each line starting with PREFIX and naming NAME (default WANT). Removes FILE. Returns 0.
stop_pidfile() {
  local f=$1 want=$2 grace=$3 prefix=$4 name=${5:-$2} p
  [ -f "$f" ] || return 0
  p=$(cat "$f" 2>/dev/null)
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "$want"; then
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 $((grace * 10))); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
      echo "$prefix: $name (pid $p) still alive after ${grace}s, sending KILL" >&2
      kill -KILL "$p" 2>/dev/null
      sleep 0.2
    fi
    echo "$prefix: stopped $name (pid $p)" >&2
  fi
  rm -f "$f"
  return 0
}
