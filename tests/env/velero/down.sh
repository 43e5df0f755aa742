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
# shellcheck source=../lib/stop.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/stop.sh"

[ -d "$d" ] || { echo "velero/down.sh: $d does not exist; nothing to stop" >&2; exit 0; }
p=$(cat "$d/pid" 2>/dev/null || true)
stop_pidfile "$d/pid" ' server .*--namespace ' "$grace" velero/down.sh "velero server"
# up.sh starts the server with setsid: its pid is the process group of the plugins.
if [ -n "$p" ] && pgrep -g "$p" >/dev/null 2>&1; then
  kill -KILL -- "-$p" 2>/dev/null || true
  echo "velero/down.sh: killed leftover plugin processes of group $p" >&2
fi
rm -f "$d/env.sh"
if [ "$purge" = 1 ]; then
  rm -rf "$d"
  echo "velero/down.sh: removed $d" >&2
fi
exit 0
