#!/usr/bin/env bash
# Stop the Velero server started by up.sh DIR NAME (SIGTERM, SIGKILL after a grace period),
# then any plugin process left in its process group.  The cluster objects (CRDs, namespace
# velero, BSL, Backup/Restore CRs) and DIR/velero-NAME stay unless --purge is given, which
# removes DIR/velero-NAME (the cluster is left alone).
#
# Usage: down.sh DIR NAME [--purge]
# Env:   KB_VELERO_STOP_GRACE  seconds between TERM and KILL (default 15)
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 DIR NAME [--purge]" >&2; exit 2; }
d=$1/velero-$2
purge=0
[ "${3:-}" = "--purge" ] && purge=1
grace=${KB_VELERO_STOP_GRACE:-15}

[ -d "$d" ] || { echo "velero/down.sh: $d does not exist; nothing to stop" >&2; exit 0; }
if [ -f "$d/pid" ]; then
  p=$(cat "$d/pid" 2>/dev/null)
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- ' server .*--namespace '; then
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 $((grace * 10))); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
      echo "velero/down.sh: velero server (pid $p) still alive after ${grace}s, sending KILL" >&2
      kill -KILL "$p" 2>/dev/null
      sleep 0.2
    fi
    echo "velero/down.sh: stopped velero server (pid $p)" >&2
  fi
  # up.sh starts the server with setsid: its pid is the process group of the plugins.
  if [ -n "$p" ] && pgrep -g "$p" >/dev/null 2>&1; then
    kill -KILL -- "-$p" 2>/dev/null || true
    echo "velero/down.sh: killed leftover plugin processes of group $p" >&2
  fi
  rm -f "$d/pid"
fi
rm -f "$d/env.sh"
if [ "$purge" = 1 ]; then
  rm -rf "$d"
  echo "velero/down.sh: removed $d" >&2
fi
exit 0
