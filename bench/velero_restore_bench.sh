#!/usr/bin/env bash
# Resource restore (and backup) side by side in one run on one machine, against real
# kube-apiservers (each on its own etcd), a real MinIO and the real Velero server, all from
# tests/env on 127.0.0.1, at two sizes of tests/env/kube/bulk-fixtures.sh.
#
# Per size: cluster `src` is filled with bulk fixtures and Velero's BSL gets a prefix of its own.
#   Backups of src (whole cluster, each tool's defaults), timed:
#     K  kbackup backup create                          (into the BSL prefix on MinIO)
#     V  the Velero server on src: velero backup create --snapshot-volumes=false --wait
#   Restores of the bulk-* namespaces into cluster `dst`, torn down and recreated empty before
#   each one, timed:
#     K  kbackup restore create --from-backup <K's backup> --include-namespaces 'bulk-*'
#     S  the kubectl script: `kubectl get <type> -A -o json` of src made beforehand (bulk-*
#        objects only, server-set fields stripped with jq as Velero strips them), then
#        `kubectl create -f` one type at a time in Velero's priority order (namespaces,
#        secrets, configmaps, services, deployments)
#     V  the Velero server on dst (its defaults) restoring K's backup (KB_BENCH_VELERO_FROM=velero:
#        its own backup) with --include-namespaces <the bulk namespaces>, --wait, until the
#        Restore's phase is Completed or PartiallyFailed
#   After each restore, dst must hold exactly src's bulk-* objects (namespaces, ConfigMaps,
#   Secrets, Services, Deployments; and the same ConfigMap and Secret data): else the script fails.
# CPU-seconds (user + system): kbackup and the kubectl script from /usr/bin/time -v; the
# kube-apiserver, its etcd and the Velero server (with its plugin processes) from /proc/<pid>/stat
# before and after. Peak RSS of kbackup from /usr/bin/time -v.
# Prints Markdown tables (medians of RUNS runs; peak RSS: the max) on stdout; progress on stderr.
#
# Usage: bench/velero_restore_bench.sh [NAMESPACES_x_PER_NS ...]   (default: 10x100 100x100:
#        2,030 and 20,300 restored objects with the namespaces)
# Env:   RUNS=1 (default; Velero restores tens of objects per second)
#        KB_BENCH_SKIP_KBACKUP_RESTORE=1  no K restore (a kbackup without `restore create`)
#        KB_BENCH_VELERO_FROM=kbackup|velero  the backup Velero restores (default kbackup: the same
#                                             one kbackup restores)
#        KB_BENCH_TIMEOUT=3600  seconds allowed to each backup or restore
#        KB_BENCH_KEEP=1  keep the work dir (logs) on exit; servers are stopped all the same
#        KB_BENCH_KBACKUP=PATH  this kbackup binary instead of the Release build into build-bench/
#        KB_BENCH_WAIT_8080=900  seconds to wait, each time a Velero server is started here, for
#                                another Velero (the test suite's) to free :8080, then fail
# The Velero server needs :8080 (controller-runtime metrics, all interfaces, no flag moves it:
# one Velero server per machine, tests/env/velero/README.md); everything else listens on
# 127.0.0.1 only. Run the benchmark apart from the tests: their times share the cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib.sh
. bench/lib.sh
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10x100 100x100)
for size in "${sizes[@]}"; do
  [[ "$size" =~ ^[0-9]+x[0-9]+$ ]] || { echo "usage: $0 [NxM ...] (got '$size')" >&2; exit 2; }
done
runs=${RUNS:-1}
skip_k=${KB_BENCH_SKIP_KBACKUP_RESTORE:-0}
velero_from=${KB_BENCH_VELERO_FROM:-kbackup}
case "$velero_from" in kbackup|velero) ;; *) echo "KB_BENCH_VELERO_FROM: kbackup or velero" >&2; exit 2 ;; esac
op_timeout=${KB_BENCH_TIMEOUT:-3600}
wait_8080=${KB_BENCH_WAIT_8080:-900}

say() { echo "velero_restore_bench: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

bash tests/env/install-deps.sh >/dev/null
bash tests/env/build-servers.sh minio >/dev/null
kube_bin=$(bash tests/env/kube/build.sh | tail -1)
velero_bin=$(bash tests/env/velero/build.sh | tail -1)
kubectl=$kube_bin/kubectl
kb=${KB_BENCH_KBACKUP:-$(build_bench_kbackup)}
if [ "$skip_k" != 1 ] && ! "$kb" restore --help >/dev/null 2>&1; then
  die "$kb has no \`restore\` command; set KB_BENCH_SKIP_KBACKUP_RESTORE=1 to run without the K restore"
fi

work=$(mktemp -d /tmp/kbackup-rbench.XXXXXX)
cleanup() {
  local rc=$?
  set +e
  for n in src dst; do bash tests/env/velero/down.sh "$work" "$n" >/dev/null 2>&1; done
  for n in src dst; do bash tests/env/kube/down.sh "$work/kube" "$n" >/dev/null 2>&1; done
  bash tests/env/down.sh "$work" >/dev/null 2>&1
  if [ "${KB_BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash tests/env/up.sh "$work" minio >/dev/null 2>"$work/minio-up.err" ||
  { cat "$work/minio-up.err" >&2; die "MinIO did not start"; }
# shellcheck disable=SC1091
source "$work/env.sh"
export AWS_ACCESS_KEY_ID=$KB_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$KB_TEST_S3_SECRET_KEY
export KB_TEST_KUBECTL=$kubectl

# ---------------------------------------------------------------- helpers
hz=$(getconf CLK_TCK)
# CPU clock ticks (user + system, with reaped children) of a process and of the live members of
# its process group (the Velero server's plugins run in its group; those that exited were reaped
# by the server and are in its children's times).
group_ticks() {
  local t=0 p v
  for p in $({ pgrep -g "$1" 2>/dev/null || true; echo "$1"; } | sort -u); do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}') || v=0
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
ticks() { # PID: ticks of that process alone (with reaped children)
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13 + $14 + $15}'
}
secs() { awk -v t="$1" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}'; }
time_cpu() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1"; }
time_rss_kib() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1f", a / b; else print "-"}'; }
per_sec() { awk -v n="$1" -v t="$2" 'BEGIN {if (t > 0) printf "%.0f", n / t; else print "-"}'; }
max_of() { printf '%s\n' "$@" | sort -n | tail -1; }

kube_up() { # NAME: a fresh empty cluster
  local try
  for try in 1 2 3; do
    bash tests/env/kube/down.sh "$work/kube" "$1" --purge >/dev/null 2>&1 || true
    if KB_KUBE_BIN_DIR=$kube_bin bash tests/env/kube/up.sh "$work/kube" "$1" >/dev/null 2>"$work/kube-up-$1.err"; then
      return 0
    fi
    # up.sh picks random ports that were free when it looked; on a busy machine one may be
    # taken by the time etcd binds it (an outgoing connection's ephemeral port): try new ones
    grep -q 'address already in use' "$work/kube/$1/"*.log 2>/dev/null || break
    say "cluster $1: a port was taken meanwhile; again with new ports"
  done
  cat "$work/kube-up-$1.err" >&2; die "cluster $1 did not start"
}
kc() { echo "$work/kube/$1/admin.kubeconfig"; }
apiserver_pid() { cat "$work/kube/$1/kube-apiserver.pid"; }
etcd_pid() { cat "$work/kube/$1/etcd.pid"; }

port_8080_taken() { (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null || ss -Hltn 'sport = :8080' 2>/dev/null | grep -q .; }
port_8080_owner() { ss -Hltnp 'sport = :8080' 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 || true; }
velero_up() { # NAME PREFIX; waits up to KB_BENCH_WAIT_8080 s for another Velero to free :8080
  local deadline=$((SECONDS + wait_8080)) said=0
  while :; do
    if ! port_8080_taken &&
       KB_VELERO_BIN_DIR=$velero_bin bash tests/env/velero/up.sh "$work" "$1" --prefix "$2" >/dev/null \
         2>"$work/velero-up-$1.err"; then
      return 0
    fi
    # only a taken :8080 is waited out (another Velero, e.g. the test suite's, got there first)
    if [ -s "$work/velero-up-$1.err" ] && ! grep -q 'port 8080 is in use' "$work/velero-up-$1.err"; then
      cat "$work/velero-up-$1.err" >&2; die "the Velero server on $1 did not start"
    fi
    [ $SECONDS -lt $deadline ] ||
      die "port 8080 still in use ($(port_8080_owner)) after ${wait_8080}s; the Velero server needs it: stop the other Velero (tests/env/velero/down.sh DIR NAME) and rerun"
    [ "$said" = 1 ] || say "port 8080 is in use ($(port_8080_owner)): waiting up to ${wait_8080}s for it to be free"
    said=1
    : > "$work/velero-up-$1.err"
    sleep 5
  done
}
velero_down() { bash tests/env/velero/down.sh "$work" "$1" >/dev/null 2>&1 || true; }
velero_cli() { local n=$1; shift; "$work/velero-$n/velero" "$@"; }
velero_pid() { cat "$work/velero-$1/pid"; }

# What a restore must produce, and what dst holds: one line per bulk-* object (kind, namespace,
# name) and the sha256 of the ConfigMaps' and Secrets' data.
inventory() { # KUBECONFIG
  {
    "$kubectl" --kubeconfig "$1" get namespaces -o json |
      jq -r '.items[] | select(.metadata.name | startswith("bulk-")) | "Namespace  \(.metadata.name)"'
    "$kubectl" --kubeconfig "$1" get secrets,configmaps,services,deployments -A -o json |
      jq -r '.items[] | select(.metadata.namespace | startswith("bulk-"))
             | "\(.kind) \(.metadata.namespace) \(.metadata.name)"'
  } | sort
}
data_digest() { # KUBECONFIG
  "$kubectl" --kubeconfig "$1" get secrets,configmaps -A -o json |
    jq -c '[.items[] | select(.metadata.namespace | startswith("bulk-"))
            | [.kind, .metadata.namespace, .metadata.name, .data]] | sort' | sha256sum | cut -c1-16
}
check_restored() { # WHAT: dst must hold src's bulk-* objects with the same data
  local got
  inventory "$(kc dst)" > "$work/dst.inventory"
  if ! cmp -s "$work/src.inventory" "$work/dst.inventory"; then
    say "$1: dst differs from src (< src, > dst; first lines):"
    diff "$work/src.inventory" "$work/dst.inventory" | head -n 10 >&2 || true
    die "$1 did not restore everything: dst has $(wc -l < "$work/dst.inventory") of $(wc -l < "$work/src.inventory") bulk objects"
  fi
  got=$(data_digest "$(kc dst)")
  [ "$got" = "$src_digest" ] || die "$1: ConfigMap/Secret data in dst differ from src (digest $got, src $src_digest)"
  say "$1: dst holds all $(wc -l < "$work/dst.inventory") bulk objects, same data"
}

# kubectl script: strip what the server sets (as Velero's restore does), keep bulk-* only
strip='del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp,
            .metadata.managedFields, .metadata.generation, .metadata.selfLink,
            .metadata.ownerReferences, .metadata.deletionTimestamp, .status,
            .spec.clusterIP, .spec.clusterIPs)'
dump_for_script() { # KUBECONFIG DIR
  local i=0 t sel
  mkdir -p "$2"
  for t in namespaces secrets configmaps services deployments; do
    i=$((i + 1))
    if [ "$t" = namespaces ]; then sel='.metadata.name'; else sel='.metadata.namespace'; fi
    "$kubectl" --kubeconfig "$1" get "$t" -A -o json |
      jq "{apiVersion: \"v1\", kind: \"List\",
           items: [.items[] | select($sel | startswith(\"bulk-\")) | $strip]}" > "$2/$i-$t.json"
  done
}

# ---------------------------------------------------------------- per size
restore_rows=() cpu_rows=() backup_rows=()
for size in "${sizes[@]}"; do
  nns=${size%x*} nper=${size#*x}
  prefix=rbench-$size
  loc="s3://$KB_TEST_S3_BUCKET/$prefix?endpoint=$KB_TEST_S3_ENDPOINT&region=us-east-1&path_style=true"
  say "== $size: cluster src, bulk fixtures (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  kube_up src
  KB_TEST_KUBECTL=$kubectl bash tests/env/kube/bulk-fixtures.sh "$(kc src)" "$nns" "$nper" >/dev/null
  inventory "$(kc src)" > "$work/src.inventory"
  src_digest=$(data_digest "$(kc src)")
  objects=$(wc -l < "$work/src.inventory")
  cluster_objects=$("$kubectl" --kubeconfig "$(kc src)" get configmaps,secrets,deployments,services -A --no-headers | wc -l)
  namespaces=$("$kubectl" --kubeconfig "$(kc src)" get namespaces -o name | sed -n 's|^namespace/||p' | grep '^bulk-' | paste -sd,)

  # ---- backups of src: kbackup, then the Velero server, RUNS times each
  say "$size: Velero server on src (BSL prefix $prefix)"
  velero_up src "$prefix"
  bk_t=() bk_cpu=() bk_api=() bk_etcd=() bk_rss=() bv_t=() bv_cpu=() bv_api=() bv_etcd=()
  bk_items=0 bv_items=0
  for i in $(seq "$runs"); do
    a0=$(ticks "$(apiserver_pid src)") e0=$(ticks "$(etcd_pid src)")
    t0=$(now)
    timeout "$op_timeout" /usr/bin/time -v -o "$work/time.txt" "$kb" --output json --location "$loc" \
      backup create "kb-$size-$i" --kubeconfig "$(kc src)" > "$work/kb-backup.json" 2>"$work/kb-backup.err" ||
      { cat "$work/kb-backup.err" >&2; die "kbackup backup create failed"; }
    t1=$(now)
    bk_t+=("$(elapsed "$t0" "$t1")")
    bk_cpu+=("$(time_cpu "$work/time.txt")") bk_rss+=("$(time_rss_kib "$work/time.txt")")
    bk_api+=("$(secs $(( $(ticks "$(apiserver_pid src)") - a0 )))")
    bk_etcd+=("$(secs $(( $(ticks "$(etcd_pid src)") - e0 )))")
    bk_items=$(jq .items "$work/kb-backup.json")
    say "$size: kbackup backup kb-$size-$i: ${bk_t[-1]} s, $bk_items items"

    v=$(velero_pid src)
    a0=$(ticks "$(apiserver_pid src)") e0=$(ticks "$(etcd_pid src)") c0=$(group_ticks "$v")
    t0=$(now)
    timeout "$op_timeout" "$work/velero-src/velero" backup create "vb-$size-$i" --snapshot-volumes=false \
      --wait > "$work/velero-backup.out" 2>&1 || { cat "$work/velero-backup.out" >&2; die "velero backup create failed"; }
    t1=$(now)
    c1=$(group_ticks "$v")
    bv_t+=("$(elapsed "$t0" "$t1")") bv_cpu+=("$(secs $((c1 - c0)))")
    bv_api+=("$(secs $(( $(ticks "$(apiserver_pid src)") - a0 )))")
    bv_etcd+=("$(secs $(( $(ticks "$(etcd_pid src)") - e0 )))")
    velero_cli src backup get "vb-$size-$i" -o json > "$work/vb.json"
    phase=$(jq -r .status.phase "$work/vb.json")
    bv_items=$(jq -r '.status.progress.itemsBackedUp // 0' "$work/vb.json")
    [ "$phase" = Completed ] || die "Velero backup vb-$size-$i ended $phase (log: $work/velero-src/log)"
    say "$size: Velero backup vb-$size-$i: ${bv_t[-1]} s, $bv_items items"
  done
  velero_down src
  bkt=$(median_of "${bk_t[@]}") bvt=$(median_of "${bv_t[@]}")
  backup_rows+=("$(printf '| %s (%s) | %s s | %s s | %s | %s / %s | %s + %s + %s | %s + %s + %s | %d MiB |' \
    "$cluster_objects" "$size" "$bkt" "$bvt" "$(ratio "$bvt" "$bkt")" "$bk_items" "$bv_items" \
    "$(median_of "${bk_cpu[@]}")" "$(median_of "${bk_api[@]}")" "$(median_of "${bk_etcd[@]}")" \
    "$(median_of "${bv_cpu[@]}")" "$(median_of "${bv_api[@]}")" "$(median_of "${bv_etcd[@]}")" \
    $(( $(max_of "${bk_rss[@]}") / 1024 )))")

  # ---- the kubectl script's input: src dumped per type, server fields stripped
  dump_for_script "$(kc src)" "$work/dump"
  bash tests/env/kube/down.sh "$work/kube" src --purge >/dev/null 2>&1 || true

  if [ "$velero_from" = velero ]; then vsrc=vb-$size-1; else vsrc=kb-$size-1; fi
  rk_t=() rk_cpu=() rk_api=() rk_etcd=() rk_rss=()
  rs_t=() rs_cpu=() rs_api=() rs_etcd=()
  rv_t=() rv_cpu=() rv_api=() rv_etcd=()
  for i in $(seq "$runs"); do
    # ---- K: kbackup restore
    if [ "$skip_k" != 1 ]; then
      kube_up dst
      a0=$(ticks "$(apiserver_pid dst)") e0=$(ticks "$(etcd_pid dst)")
      t0=$(now)
      rc=0
      timeout "$op_timeout" /usr/bin/time -v -o "$work/time.txt" "$kb" --location "$loc" --output json \
        restore create "kr-$size-$i" --from-backup "kb-$size-1" --kubeconfig "$(kc dst)" \
        --include-namespaces 'bulk-*' > "$work/kb-restore.json" 2>"$work/kb-restore.err" || rc=$?
      t1=$(now)
      [ "$rc" = 0 ] || { tail -n 20 "$work/kb-restore.err" >&2; cat "$work/kb-restore.json" >&2; die "kbackup restore create exited $rc"; }
      rk_t+=("$(elapsed "$t0" "$t1")")
      rk_cpu+=("$(time_cpu "$work/time.txt")") rk_rss+=("$(time_rss_kib "$work/time.txt")")
      rk_api+=("$(secs $(( $(ticks "$(apiserver_pid dst)") - a0 )))")
      rk_etcd+=("$(secs $(( $(ticks "$(etcd_pid dst)") - e0 )))")
      say "$size: kbackup restore: ${rk_t[-1]} s, $(jq -c '{phase, created, failed}' "$work/kb-restore.json" 2>/dev/null)"
      check_restored "kbackup restore"
    fi

    # ---- S: the kubectl script
    kube_up dst
    a0=$(ticks "$(apiserver_pid dst)") e0=$(ticks "$(etcd_pid dst)")
    t0=$(now)
    timeout "$op_timeout" /usr/bin/time -v -o "$work/time.txt" bash -c '
      set -e
      for f in "$2"/*.json; do "$1" --kubeconfig "$3" create -f "$f" -o name > /dev/null; done' \
      script "$kubectl" "$work/dump" "$(kc dst)" 2>"$work/script.err" ||
      { tail -n 20 "$work/script.err" >&2; die "the kubectl script failed"; }
    t1=$(now)
    rs_t+=("$(elapsed "$t0" "$t1")") rs_cpu+=("$(time_cpu "$work/time.txt")")
    rs_api+=("$(secs $(( $(ticks "$(apiserver_pid dst)") - a0 )))")
    rs_etcd+=("$(secs $(( $(ticks "$(etcd_pid dst)") - e0 )))")
    say "$size: kubectl script: ${rs_t[-1]} s"
    check_restored "kubectl script"

    # ---- V: the Velero server on dst
    kube_up dst
    velero_up dst "$prefix"
    deadline=$((SECONDS + 120))
    until velero_cli dst backup get "$vsrc" >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || die "Velero on dst did not sync backup $vsrc within 120 s"
      sleep 1
    done
    v=$(velero_pid dst)
    a0=$(ticks "$(apiserver_pid dst)") e0=$(ticks "$(etcd_pid dst)") c0=$(group_ticks "$v")
    t0=$(now)
    timeout "$op_timeout" "$work/velero-dst/velero" restore create "vr-$size-$i" --from-backup "$vsrc" \
      --include-namespaces "$namespaces" --wait > "$work/velero-restore.out" 2>&1 ||
      { cat "$work/velero-restore.out" >&2; die "velero restore create failed"; }
    t1=$(now)
    c1=$(group_ticks "$v")
    rv_t+=("$(elapsed "$t0" "$t1")") rv_cpu+=("$(secs $((c1 - c0)))")
    rv_api+=("$(secs $(( $(ticks "$(apiserver_pid dst)") - a0 )))")
    rv_etcd+=("$(secs $(( $(ticks "$(etcd_pid dst)") - e0 )))")
    velero_cli dst restore get "vr-$size-$i" -o json > "$work/vr.json"
    phase=$(jq -r .status.phase "$work/vr.json")
    case "$phase" in Completed|PartiallyFailed) ;; *) die "Velero restore vr-$size-$i ended $phase (log: $work/velero-dst/log)" ;; esac
    say "$size: Velero restore of $vsrc: ${rv_t[-1]} s, phase $phase, $(jq -c '{warnings: .status.warnings, errors: .status.errors}' "$work/vr.json")"
    velero_down dst
    check_restored "Velero restore"
  done
  bash tests/env/kube/down.sh "$work/kube" dst --purge >/dev/null 2>&1 || true
  rm -rf "$work/dump"

  st=$(median_of "${rs_t[@]}") vt=$(median_of "${rv_t[@]}")
  if [ "$skip_k" = 1 ]; then
    kt=pending kcol="pending: kbackup restore" kps=- sk=- vk=- rss=-
  else
    kt=$(median_of "${rk_t[@]}") kcol="$kt s" kps=$(per_sec "$objects" "$kt")
    sk=$(ratio "$st" "$kt") vk=$(ratio "$vt" "$kt") rss="$(( $(max_of "${rk_rss[@]}") / 1024 )) MiB"
  fi
  restore_rows+=("$(printf '| %s (%s) | %s | %s s | %s s | %s | %s | %s | %s | %s | %s |' \
    "$objects" "$size" "$kcol" "$st" "$vt" "$sk" "$vk" "$kps" "$(per_sec "$objects" "$st")" \
    "$(per_sec "$objects" "$vt")" "$rss")")
  if [ "$skip_k" != 1 ]; then
    cpu_rows+=("$(printf '| %s | K: kbackup | %s | %s | %s |' "$objects" "$(median_of "${rk_cpu[@]}")" \
      "$(median_of "${rk_api[@]}")" "$(median_of "${rk_etcd[@]}")")")
  fi
  cpu_rows+=("$(printf '| %s | S: kubectl (+ bash) | %s | %s | %s |' "$objects" "$(median_of "${rs_cpu[@]}")" \
    "$(median_of "${rs_api[@]}")" "$(median_of "${rs_etcd[@]}")")")
  cpu_rows+=("$(printf '| %s | V: Velero server (+ plugins) | %s | %s | %s |' "$objects" "$(median_of "${rv_cpu[@]}")" \
    "$(median_of "${rv_api[@]}")" "$(median_of "${rv_etcd[@]}")")")
done

printf '\nRestore into an empty cluster (bulk-* namespaces; Velero restores %s backup; RUNS=%s, medians):\n\n' \
  "$([ "$velero_from" = velero ] && echo "its own" || echo "kbackup's")" "$runs"
printf '| objects | kbackup (K) | kubectl script (S) | Velero (V) | S/K | V/K | K objects/s | S objects/s | V objects/s | kbackup peak RSS |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
printf '%s\n' "${restore_rows[@]}"
printf '\nCPU-seconds (user + system) during each restore:\n\n'
printf '| objects | tool | tool CPU-s | kube-apiserver CPU-s | etcd CPU-s |\n'
printf '|---|---|---|---|---|\n'
printf '%s\n' "${cpu_rows[@]}"
printf '\nBackup of the whole src cluster (each tool'"'"'s defaults; CPU-seconds: tool + kube-apiserver + etcd):\n\n'
printf '| objects (cm, secrets, deploy, svc) | kbackup (K) | Velero (V) | V/K | items K / V | K CPU-s | V CPU-s | kbackup peak RSS |\n'
printf '|---|---|---|---|---|---|---|---|\n'
printf '%s\n' "${backup_rows[@]}"
printf '\n%s cores; load average (1, 5, 15 min) at the end: %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
