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
# shellcheck source=../lib/stop.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/stop.sh"

stop_pidfile "$d/kube-controller-manager.pid" kube-controller-manager "$grace" down.sh
stop_pidfile "$d/kube-apiserver.pid" kube-apiserver "$grace" down.sh
stop_pidfile "$d/etcd.pid" etcd "$grace" down.sh
if [ "$purge" = 1 ]; then
  rm -rf "$d"
  echo "down.sh: removed $d" >&2
fi
exit 0
