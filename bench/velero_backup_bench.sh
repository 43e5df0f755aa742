#!/usr/bin/env bash
# Resource backup, side by side in one run on one machine, against a real kube-apiserver (its own
# etcd) filled by tests/env/kube/bulk-fixtures.sh, at two sizes:
#   S  the usual script: `kubectl get <each listable resource> -A -o json > <resource>.json`,
#      then `tar czf` of the files (kubectl built from k8s.io/kubernetes by tests/env/kube/build.sh)
#   K  kbackup backup create (discovery, parallel paged lists, Velero tarball streamed through the
#      multipart upload into a real MinIO, velero-backup.json last)
# Prints a Markdown table: median of RUNS runs, kbackup's peak RSS (max) from /usr/bin/time -v.
# Usage: bench/velero_backup_bench.sh [NAMESPACES_x_PER_NS ...]   (default: 10x100 100x100)
#        each NxM makes N namespaces with M ConfigMaps + M Secrets (~2 KiB) + a Deployment and
#        a Service each: 10x100 = 2,020 objects, 100x100 = 20,200.   RUNS=3 (default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. bench/lib.sh
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10x100 100x100)
runs=${RUNS:-3}

bash tests/env/install-deps.sh >/dev/null
bash tests/env/build-servers.sh minio >/dev/null
kube_bin=$(bash tests/env/kube/build.sh | tail -1)
kubectl=$kube_bin/kubectl
kb=$(build_bench_kbackup)

work=$(mktemp -d /tmp/kbackup-vbench.XXXXXX)
cleanup() {
  bash tests/env/kube/down.sh "$work/kube" bench >/dev/null 2>&1 || true
  bash tests/env/down.sh "$work/env" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bash tests/env/up.sh "$work/env" minio >/dev/null
# shellcheck disable=SC1091
source "$work/env/env.sh"
export AWS_ACCESS_KEY_ID=$KB_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$KB_TEST_S3_SECRET_KEY

printf '| objects | kubectl script (S) | kbackup (K) | S/K | kbackup peak RSS | tarball |\n'
printf '|---|---|---|---|---|---|\n'
for size in "${sizes[@]}"; do
  nns=${size%x*} nper=${size#*x}
  bash tests/env/kube/down.sh "$work/kube" bench --purge >/dev/null 2>&1 || true
  KB_KUBE_BIN_DIR=$kube_bin bash tests/env/kube/up.sh "$work/kube" bench >/dev/null 2>&1
  kubeconfig=$work/kube/bench/admin.kubeconfig
  KB_TEST_KUBECTL=$kubectl bash tests/env/kube/bulk-fixtures.sh "$kubeconfig" "$nns" "$nper" >/dev/null
  objects=$("$kubectl" --kubeconfig "$kubeconfig" get configmaps,secrets,deployments,services -A --no-headers | wc -l)
  ts=() tk=() rss=() tarball=0
  for i in $(seq "$runs"); do
    rm -rf "$work/out"; mkdir -p "$work/out/dump"
    t0=$(now)
    for r in $("$kubectl" --kubeconfig "$kubeconfig" api-resources --verbs=list -o name); do
      "$kubectl" --kubeconfig "$kubeconfig" get "$r" -A -o json > "$work/out/dump/$r.json" 2>/dev/null || true
    done
    tar czf "$work/out/dump.tgz" -C "$work/out" dump
    t1=$(now)
    ts+=("$(echo "$t1 - $t0" | bc)")
    loc="s3://$KB_TEST_S3_BUCKET/vbench-$size-$i?endpoint=$KB_TEST_S3_ENDPOINT&region=us-east-1&path_style=true"
    t0=$(now)
    /usr/bin/time -v -o "$work/out/time.txt" "$kb" --output json --location "$loc" \
      backup create "bench-$i" --kubeconfig "$kubeconfig" > "$work/out/kb.json"
    t1=$(now)
    tk+=("$(echo "$t1 - $t0" | bc)")
    rss+=("$(awk -F': ' '/Maximum resident/ {print $2}' "$work/out/time.txt")")
    tarball=$(jq .tarball_bytes "$work/out/kb.json")
  done
  s=$(printf '%s\n' "${ts[@]}" | median); k=$(printf '%s\n' "${tk[@]}" | median)
  r=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  printf '| %d (%s) | %.2f s | %.2f s | %.1f | %d MiB | %d KiB |\n' "$objects" "$size" "$s" "$k" \
    "$(echo "$s / $k" | bc -l)" $((r / 1024)) $((tarball / 1024))
done
