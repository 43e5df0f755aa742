#!/usr/bin/env bash
# Bulk objects for scale benchmarks: N_NAMESPACES namespaces bulk-0001.., each with
# N_PER_NS ConfigMaps and N_PER_NS Secrets of ~2 KiB payload each, plus
# KB_BULK_WORKLOADS (default 1) Deployment+Service pairs per namespace.
#   100 x 100  ->  10,000 ConfigMaps + 10,000 Secrets + 100 Deployments + 100 Services
#
# Usage: bulk-fixtures.sh KUBECONFIG N_NAMESPACES N_PER_NS
# Env:
#   KB_TEST_KUBECTL     kubectl binary (default: build.sh's cache, or PATH)
#   KB_BULK_MODE        apply (default: server-side apply, idempotent) | create (fails on existing)
#   KB_BULK_PARALLEL    kubectl processes in parallel (default 4)
#   KB_BULK_WORKLOADS   Deployment+Service pairs per namespace (default 1)
#   KB_BULK_PREFIX      namespace prefix (default bulk)
#   KB_BULK_SEED        payload seed (default 1): same seed -> same content
#
# Labels: every object has kbackup.test/bulk=true and app=bulk; ConfigMaps/Secrets
# alternate tier=frontend / tier=backend; the even-numbered ones have parity=even.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KUBECONFIG N_NAMESPACES N_PER_NS" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export KUBECONFIG=$1
nns=$2
nper=$3
mode=${KB_BULK_MODE:-apply}
par=${KB_BULK_PARALLEL:-4}
nwl=${KB_BULK_WORKLOADS:-1}
prefix=${KB_BULK_PREFIX:-bulk}
seed=${KB_BULK_SEED:-1}
[ -r "$KUBECONFIG" ] || { echo "bulk-fixtures.sh: cannot read $KUBECONFIG" >&2; exit 1; }

kubectl=${KB_TEST_KUBECTL:-}
if [ -z "$kubectl" ]; then
  v=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
  c=${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin/kube-$v/kubectl
  if [ -x "$c" ]; then kubectl=$c; else kubectl=$(command -v kubectl || true); fi
fi
[ -n "$kubectl" ] && [ -x "$kubectl" ] || { echo "bulk-fixtures.sh: kubectl not found (set KB_TEST_KUBECTL)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s.%N)

# ---- generate one multi-document YAML per namespace (awk: fast, deterministic)
awk -v nns="$nns" -v nper="$nper" -v nwl="$nwl" -v prefix="$prefix" -v seed="$seed" -v dir="$tmp" '
function randstr(n, alphabet,   s, i, L) {
  L = length(alphabet); s = ""
  for (i = 0; i < n; i++) s = s substr(alphabet, int(rand() * L) + 1, 1)
  return s
}
BEGIN {
  srand(seed)
  txt = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:"
  b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  # pools twice the payload size; each object takes a window at a different offset
  ptxt = randstr(8192, txt)
  pb64 = randstr(8192, b64)
  nsf = dir "/00-namespaces.yaml"
  for (n = 1; n <= nns; n++) {
    ns = sprintf("%s-%04d", prefix, n)
    printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    kbackup.test/bulk: \"true\"\n---\n", ns > nsf
    f = sprintf("%s/ns-%04d.yaml", dir, n)
    for (i = 1; i <= nper; i++) {
      tier = (i % 2) ? "frontend" : "backend"
      par = (i % 2) ? "" : "\n    parity: even"
      off = (n * 7919 + i * 104729) % 4096
      printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%05d\n  namespace: %s\n  labels:\n    kbackup.test/bulk: \"true\"\n    app: bulk\n    tier: %s%s\ndata:\n  index: \"%d\"\n  payload: \"%s\"\n---\n", i, ns, tier, par, i, substr(ptxt, off + 1, 2048) > f
      off = (n * 104729 + i * 7919) % 4096
      # 2732 base64 chars (multiple of 4, no padding) decode to 2049 bytes
      printf "apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-%05d\n  namespace: %s\n  labels:\n    kbackup.test/bulk: \"true\"\n    app: bulk\n    tier: %s%s\ntype: Opaque\ndata:\n  payload: \"%s\"\n---\n", i, ns, tier, par, substr(pb64, off + 1, 2732) > f
    }
    for (w = 1; w <= nwl; w++) {
      printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%02d\n  namespace: %s\n  labels:\n    kbackup.test/bulk: \"true\"\n    app: bulk-app-%02d\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: bulk-app-%02d\n  template:\n    metadata:\n      labels:\n        app: bulk-app-%02d\n    spec:\n      containers:\n      - name: main\n        image: registry.example.com/bulk:1.0\n        envFrom:\n        - configMapRef:\n            name: cm-00001\n---\n", w, ns, w, w, w > f
      printf "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-%02d\n  namespace: %s\n  labels:\n    kbackup.test/bulk: \"true\"\n    app: bulk-app-%02d\nspec:\n  selector:\n    app: bulk-app-%02d\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n---\n", w, ns, w, w > f
    }
    close(f)
  }
  close(nsf)
}'
t1=$(date +%s.%N)

case "$mode" in
  apply)  verb=(apply --server-side --force-conflicts --field-manager=kbackup-bulk) ;;
  create) verb=(create) ;;
  *) echo "bulk-fixtures.sh: KB_BULK_MODE must be apply or create" >&2; exit 2 ;;
esac

"$kubectl" "${verb[@]}" -f "$tmp/00-namespaces.yaml" -o name > /dev/null
# one kubectl per namespace file, $par at a time
run_one() {
  "$kubectl" "${verb[@]}" -f "$1" -o name > /dev/null 2> "$1.err" || { cat "$1.err" >&2; return 1; }
}
fail=0 running=0
for f in "$tmp"/ns-*.yaml; do
  if [ "$running" -ge "$par" ]; then
    wait -n || fail=$((fail + 1))
    running=$((running - 1))
  fi
  run_one "$f" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || fail=$((fail + 1))
  running=$((running - 1))
done
t2=$(date +%s.%N)

total=$(( nns * (2 * nper + 2 * nwl) ))
awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$total" -v m="$mode" -v p="$par" 'BEGIN{
  printf "bulk-fixtures.sh: %d objects (+namespaces) via %s, parallel %d: generate %.1fs, load %.1fs (%.0f objects/s)\n",
         n, m, p, b-a, c-b, n/((c-b) > 0 ? (c-b) : 1) }'
[ "$fail" -eq 0 ] || { echo "bulk-fixtures.sh: $fail namespace file(s) failed" >&2; exit 1; }
