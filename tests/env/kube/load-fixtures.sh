#!/usr/bin/env bash
# Fill a cluster with realistic content from tests/env/kube/fixtures/*.yaml.
# Idempotent (kubectl apply; status patches are merges).
#
# Usage: load-fixtures.sh KUBECONFIG
# Env:   KB_TEST_KUBECTL  kubectl binary (default: kubectl from build.sh's cache, or PATH)
#
# Without a kube-controller-manager nothing binds PVs to PVCs, so the PVs carry
# spec.claimRef, the PVCs spec.volumeName, and this script fills claimRef.uid and
# patches the status subresources to phase Bound.  The TLS secret shop/shop-tls
# is generated here (openssl) the first time, so no private key is committed.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 KUBECONFIG" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fx=$here/fixtures
export KUBECONFIG=$1
[ -r "$KUBECONFIG" ] || { echo "load-fixtures.sh: cannot read $KUBECONFIG" >&2; exit 1; }

kubectl=${KB_TEST_KUBECTL:-}
if [ -z "$kubectl" ]; then
  v=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
  c=${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin/kube-$v/kubectl
  if [ -x "$c" ]; then kubectl=$c; else kubectl=$(command -v kubectl || true); fi
fi
[ -n "$kubectl" ] && [ -x "$kubectl" ] || { echo "load-fixtures.sh: kubectl not found (set KB_TEST_KUBECTL)" >&2; exit 1; }
k() { "$kubectl" "$@"; }

start=$(date +%s.%N)
k apply -f "$fx/00-namespaces.yaml"
k apply -f "$fx/01-crds.yaml"
k wait --for=condition=Established --timeout=60s crd/widgets.example.com crd/regions.example.com
# Discovery can lag the Established condition by a moment; retry apply a few times.
apply_retry() {
  local f=$1 i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    if k apply -f "$f"; then return 0; fi
    echo "load-fixtures.sh: apply $f failed (try $i), retrying" >&2
    sleep 1
  done
  return 1
}
apply_retry "$fx/10-cluster.yaml"

# TLS secret: generate a self-signed cert once per cluster.
if ! k -n shop get secret shop-tls >/dev/null 2>&1; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tmp/tls.key" -out "$tmp/tls.crt" -days 3650 -subj "/CN=shop.example.com" \
    -addext "subjectAltName=DNS:shop.example.com,DNS:www.shop.example.com" 2>/dev/null
  k -n shop create secret tls shop-tls --cert="$tmp/tls.crt" --key="$tmp/tls.key" \
    --dry-run=client -o yaml \
    | k label --local -f - app=web tier=frontend -o yaml \
    | k apply -f -
fi

for f in "$fx"/[2-9][0-9]-*.yaml; do
  apply_retry "$f"
done

# ---- make the pre-bound PV/PVC pairs look Bound
bind() { # pv namespace pvc
  local pv=$1 ns=$2 pvc=$3 uid cap modes
  uid=$(k -n "$ns" get pvc "$pvc" -o jsonpath='{.metadata.uid}')
  k patch pv "$pv" --type=merge -p "{\"spec\":{\"claimRef\":{\"uid\":\"$uid\"}}}" >/dev/null
  k patch pv "$pv" --subresource=status --type=merge -p '{"status":{"phase":"Bound"}}' >/dev/null
  cap=$(k get pv "$pv" -o jsonpath='{.spec.capacity.storage}')
  modes=$(k get pv "$pv" -o jsonpath='{.spec.accessModes}')
  k -n "$ns" patch pvc "$pvc" --subresource=status --type=merge \
    -p "{\"status\":{\"phase\":\"Bound\",\"accessModes\":$modes,\"capacity\":{\"storage\":\"$cap\"}}}" >/dev/null
  echo "bound pv/$pv <-> $ns/pvc/$pvc (uid $uid)"
}
bind pv-shop-web-data shop web-data
bind pv-shop-db-0 shop data-db-0
bind pv-billing-ledger billing ledger
k patch pv pv-spare --subresource=status --type=merge -p '{"status":{"phase":"Available"}}' >/dev/null

# ---- a status on a custom resource (status subresource)
k -n shop patch widget small-red --subresource=status --type=merge \
  -p '{"status":{"phase":"Ready","observedGeneration":1}}' >/dev/null

end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN{printf "load-fixtures.sh: done in %.1fs\n", b-a}' 
