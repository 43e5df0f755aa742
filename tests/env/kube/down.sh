#!/usr/bin/env bash
# Stop a control plane started by up.sh: kube-controller-manager, kube-apiserver,
# then etcd (SIGTERM, then SIGKILL after a grace period).  Data, certs and
# kubeconfigs stay in DIR/NAME unless --purge is given.
#
# Usage: down.sh DIR NAME [--purge]
# Env:   KB_KUBE_STOP_GRACE  seconds between TERM and KILL (default 15)
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 DIR NAME [--purge]" >&2; exit 2; }
d=$1/$2
purge=0
[ "${3:-}" = "--purge" ] && purge=1
grace=${KB_KUBE_STOP_GRACE:-15}

stop() { # pidfile comm-substring
  local f=$1 want=$2 p i
  [ -f "$f" ] || return 0
  p=$(cat "$f" 2>/dev/null)
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "$want"; then
    kill -TERM "$p" 2>/dev/null
    for i in $(seq 1 $((grace * 10))); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
      echo "down.sh: $want (pid $p) still alive after ${grace}s, sending KILL" >&2
      kill -KILL "$p" 2>/dev/null
      sleep 0.2
    fi
    echo "down.sh: stopped $want (pid $p)" >&2
  fi
  rm -f "$f"
}

[ -d "$d" ] || { echo "down.sh: $d does not exist; nothing to stop" >&2; exit 0; }
stop "$d/kube-controller-manager.pid" kube-controller-manager
stop "$d/kube-apiserver.pid" kube-apiserver
stop "$d/etcd.pid" etcd
if [ "$purge" = 1 ]; then
  rm -rf "$d"
  echo "down.sh: removed $d" >&2
fi
exit 0
