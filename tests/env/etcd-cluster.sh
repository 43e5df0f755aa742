#!/usr/bin/env bash
# A 3-member etcd v3.6 cluster on 127.0.0.1 for the leader election tests: plaintext client
# URLs on random free ports, data and logs under DIR.
#
# Usage: etcd-cluster.sh up|down DIR
#   up    starts every member that is not running (one a test killed comes back on its old
#         ports and data dir), waits until each answers `endpoint health`, then writes
#         DIR/env.sh (source it):
#           KB_TEST_ETCD_CLUSTER_ENDPOINTS  http://127.0.0.1:PORT,...  (member order)
#           KB_TEST_ETCD_CLUSTER_NAMES      kbc1,kbc2,kbc3            (same order)
#           KB_TEST_ETCD_CLUSTER_PIDS       pid,pid,pid               (same order)
#           KB_TEST_ETCD_CLUSTER_DIR        DIR (member NAME's pid file: DIR/NAME.pid)
#           KB_TEST_ETCD_CLUSTER_BIN        the etcd/etcdctl directory
#   down  stops the members (TERM, then KILL after 5 s); data and logs are kept, env.sh goes.
# The binaries are build-servers.sh's etcd v3.6 (built when missing). Logs: DIR/NAME.log.
# Env: KB_BIN_CACHE (see build-servers.sh), KB_UP_TIMEOUT (seconds per member, default 60).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 2 ] && { [ "$1" = up ] || [ "$1" = down ]; } || { sed -n '2,18p' "$0" >&2; exit 2; }
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
names=(kbc1 kbc2 kbc3)
timeout_s=${KB_UP_TIMEOUT:-60}
cache=${KB_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin}
bin=$cache/etcd-v3.6
log() { echo "etcd-cluster.sh: $*" >&2; }
die() { log "$*"; exit 1; }

running() {  # running NAME: DIR/NAME.pid names a live etcd of this DIR
  local f=$dir/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "--data-dir $dir/$1/data "
}

if [ "$cmd" = down ]; then
  # shellcheck source=lib/stop.sh
  . "$here/lib/stop.sh"
  for n in "${names[@]}"; do
    stop_pidfile "$dir/$n.pid" "--data-dir $dir/$n/data " 5 etcd-cluster.sh "$n"
  done
  rm -f "$dir/env.sh"
  exit 0
fi

if [ ! -x "$bin/etcd" ] || [ ! -x "$bin/etcdctl" ]; then
  "$here/build-servers.sh" etcd36 >/dev/null
fi
[ -x "$bin/etcd" ] && [ -x "$bin/etcdctl" ] || die "no etcd/etcdctl in $bin"

# Ports are chosen once per DIR and kept, so that a member restarts where its peers expect it.
if [ ! -f "$dir/ports" ]; then
  python3 -c '
import socket
socks = []
for _ in range(6):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' > "$dir/ports.tmp"
  mv "$dir/ports.tmp" "$dir/ports"
fi
read -r -a ports < "$dir/ports"
client_url() { echo "http://127.0.0.1:${ports[$1]}"; }
peer_url() { echo "http://127.0.0.1:${ports[$(($1 + 3))]}"; }
initial=""
for i in 0 1 2; do initial+="${initial:+,}${names[$i]}=$(peer_url "$i")"; done
token=kbc-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)

started=()
trap '[ $? = 0 ] || [ ${#started[@]} = 0 ] || { log "stopping members started by this run"; kill -TERM "${started[@]}" 2>/dev/null || true; }' EXIT
for i in 0 1 2; do
  n=${names[$i]}
  if running "$n"; then continue; fi
  mkdir -p "$dir/$n/data"
  chmod 700 "$dir/$n/data"
  log "starting $n (client $(client_url "$i"), log $dir/$n.log)"
  setsid "$bin/etcd" --name "$n" --data-dir "$dir/$n/data" \
    --listen-client-urls "$(client_url "$i")" --advertise-client-urls "$(client_url "$i")" \
    --listen-peer-urls "$(peer_url "$i")" --initial-advertise-peer-urls "$(peer_url "$i")" \
    --initial-cluster "$initial" --initial-cluster-token "$token" --initial-cluster-state new \
    --unsafe-no-fsync --logger=zap --log-outputs=stderr \
    </dev/null >>"$dir/$n.log" 2>&1 &
  echo $! > "$dir/$n.pid"
  started+=($!)
done

for i in 0 1 2; do
  n=${names[$i]}
  deadline=$((SECONDS + timeout_s))
  until "$bin/etcdctl" --endpoints "$(client_url "$i")" --command-timeout=2s endpoint health \
      >/dev/null 2>&1; do
    if ! running "$n"; then
      log "$n exited before becoming healthy; last lines of $dir/$n.log:"
      tail -n 15 "$dir/$n.log" >&2 || true
      exit 1
    fi
    [ $SECONDS -lt $deadline ] || { log "$n not healthy after ${timeout_s}s (log $dir/$n.log)"; exit 1; }
    sleep 0.2
  done
done

endpoints="" pids=""
for i in 0 1 2; do
  endpoints+="${endpoints:+,}$(client_url "$i")"
  pids+="${pids:+,}$(cat "$dir/${names[$i]}.pid")"
done
{
  echo "# Written by tests/env/etcd-cluster.sh; source it."
  printf 'export %s=%q\n' KB_TEST_ETCD_CLUSTER_ENDPOINTS "$endpoints" \
    KB_TEST_ETCD_CLUSTER_NAMES "$(IFS=,; echo "${names[*]}")" KB_TEST_ETCD_CLUSTER_PIDS "$pids" \
    KB_TEST_ETCD_CLUSTER_DIR "$dir" KB_TEST_ETCD_CLUSTER_BIN "$bin"
} > "$dir/.env.sh.tmp"
mv "$dir/.env.sh.tmp" "$dir/env.sh"
log "ready: $endpoints (source $dir/env.sh)"
