#!/usr/bin/env bash
# etcd snapshot-and-upload, side by side in one run on one machine:
#   A  etcdctl snapshot save                                   (the floor: just the stream)
#   B  the usual runbook: etcdctl snapshot save; zstd; aws s3 cp (Debian's awscli)
#   C  kbackup etcd snapshot (stream → verify → zstd → local file + multipart upload, pipelined)
# against a real etcd 3.6 and MinIO on loopback, at several db sizes. Prints two Markdown tables:
# times (median of RUNS runs; peak RSS of kbackup from /usr/bin/time -v) and the CPU-seconds each
# process spent in A and C (medians), which show whether a run is bound by the machine's cores.
# Usage: bench/etcd_snapshot_bench.sh [SIZE_MIB ...]     (default: 256 1024)
#        RUNS=3 (default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. bench/lib.sh
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(256 1024)
runs=${RUNS:-3}

bash tests/env/install-deps.sh >/dev/null
bash tests/env/build-servers.sh >/dev/null
kb=$(build_bench_kbackup)
aws=/usr/bin/aws

work=$(mktemp -d /tmp/kbackup-bench.XXXXXX)
cleanup() { bash tests/env/down.sh "$work/env" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# CPU-seconds (user + system) a running process has used so far.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
# CPU-seconds of a finished command from /usr/bin/time -f '%U %S' output.
time_cpu() { awk '{printf "%.2f", $1 + $2}' "$1"; }
cpu_rows=()
nproc=$(nproc)

printf '| db size | etcdctl save (A) | runbook save+zstd+aws (B) | kbackup (C) | C/A | B/C | kbackup peak RSS |\n'
printf '|---|---|---|---|---|---|---|\n'
for size in "${sizes[@]}"; do
  bash tests/env/down.sh "$work/env" >/dev/null 2>&1 || true
  rm -rf "$work/env"
  bash tests/env/up.sh "$work/env" etcd36 minio >/dev/null
  # shellcheck disable=SC1091
  source "$work/env/env.sh"
  bash tests/env/seed-etcd.sh -e "$work/env" etcd36 --bytes $((size * 1024 * 1024)) >/dev/null
  export AWS_ACCESS_KEY_ID=$KB_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$KB_TEST_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
  ectl=("$KB_TEST_ETCD36_BIN/etcdctl" --endpoints "$KB_TEST_ETCD36_ENDPOINT" --cacert "$KB_TEST_ETCD36_CACERT"
        --cert "$KB_TEST_ETCD36_CERT" --key "$KB_TEST_ETCD36_KEY")
  loc="s3://$KB_TEST_S3_BUCKET/bench?endpoint=$KB_TEST_S3_ENDPOINT&region=us-east-1&path_style=true"
  etcd_pid=$(cat "$work/env/etcd36.pid") minio_pid=$(cat "$work/env/minio.pid")
  ta=() tb=() tc=() rss=() a_client=() a_etcd=() c_client=() c_etcd=() c_minio=()
  for i in $(seq "$runs"); do
    rm -rf "$work/out"; mkdir -p "$work/out"
    e0=$(proc_cpu "$etcd_pid")
    t0=$(now)
    /usr/bin/time -f '%U %S' -o "$work/out/a-time.txt" "${ectl[@]}" snapshot save "$work/out/a.db" >/dev/null 2>&1
    t1=$(now)
    ta+=("$(echo "$t1 - $t0" | bc)")
    a_client+=("$(time_cpu "$work/out/a-time.txt")")
    a_etcd+=("$(echo "$(proc_cpu "$etcd_pid") - $e0" | bc)")
    rm -f "$work/out/a.db"
    sync
    t0=$(now)
    "${ectl[@]}" snapshot save "$work/out/b.db" >/dev/null 2>&1
    zstd -q "$work/out/b.db" -o "$work/out/b.db.zst"
    "$aws" --endpoint-url "$KB_TEST_S3_ENDPOINT" s3 cp --only-show-errors "$work/out/b.db.zst" "s3://$KB_TEST_S3_BUCKET/runbook/b-$i.db.zst"
    t1=$(now)
    tb+=("$(echo "$t1 - $t0" | bc)")
    rm -f "$work/out/b.db" "$work/out/b.db.zst"
    sync
    e0=$(proc_cpu "$etcd_pid") m0=$(proc_cpu "$minio_pid")
    t0=$(now)
    /usr/bin/time -v -o "$work/out/time.txt" "$kb" --location "$loc" etcd snapshot \
      --etcd-endpoints "$KB_TEST_ETCD36_ENDPOINT" --etcd-cacert "$KB_TEST_ETCD36_CACERT" \
      --etcd-cert "$KB_TEST_ETCD36_CERT" --etcd-key "$KB_TEST_ETCD36_KEY" \
      --cluster-name bench --snapshot-dir "$work/out/snaps" --keep-local 1 >/dev/null
    t1=$(now)
    tc+=("$(echo "$t1 - $t0" | bc)")
    rss+=("$(awk -F': ' '/Maximum resident/ {print $2}' "$work/out/time.txt")")
    c_client+=("$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$work/out/time.txt")")
    c_etcd+=("$(echo "$(proc_cpu "$etcd_pid") - $e0" | bc)")
    c_minio+=("$(echo "$(proc_cpu "$minio_pid") - $m0" | bc)")
  done
  a=$(printf '%s\n' "${ta[@]}" | median); b=$(printf '%s\n' "${tb[@]}" | median)
  c=$(printf '%s\n' "${tc[@]}" | median); r=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  dbsize=$("${ectl[@]}" endpoint status -w json | jq '.[0].Status.dbSize')
  printf '| %d MiB (dbSize %d MiB) | %.2f s | %.2f s | %.2f s | %.2f | %.2f | %d MiB |\n' \
    "$size" $((dbsize / 1048576)) "$a" "$b" "$c" "$(echo "$c / $a" | bc -l)" \
    "$(echo "$b / $c" | bc -l)" $((r / 1024))
  ac=$(median_of "${a_client[@]}") ae=$(median_of "${a_etcd[@]}")
  cc=$(median_of "${c_client[@]}") ce=$(median_of "${c_etcd[@]}") cm=$(median_of "${c_minio[@]}")
  cpu_rows+=("$(printf '| %d MiB | %.2f + %.2f = %.2f | %.2f | %.2f + %.2f + %.2f = %.2f | %.2f |' \
    "$size" "$ac" "$ae" "$(echo "$ac + $ae" | bc)" "$(echo "$nproc * $a" | bc)" \
    "$cc" "$ce" "$cm" "$(echo "$cc + $ce + $cm" | bc)" "$(echo "$nproc * $c" | bc)")")
done
printf '\nCPU-seconds, medians (%d cores):\n\n' "$nproc"
printf '| db size | A: etcdctl + etcd | cores × A time | C: kbackup + etcd + MinIO | cores × C time |\n'
printf '|---|---|---|---|---|\n'
printf '%s\n' "${cpu_rows[@]}"
