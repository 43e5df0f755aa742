#!/usr/bin/env bash
# Run a real Velero server (v1.18.3, built by build.sh) as a local process against the test
# cluster NAME started by tests/env/kube/up.sh DIR/kube NAME, with a BackupStorageLocation
# "default" on the MinIO started by tests/env/up.sh DIR minio.  No kubelet, no pods, no
# node-agent, no VolumeSnapshotLocation: resource backups/restores only.
#
# Usage: up.sh DIR NAME [--bucket B] [--prefix P]
#   bucket default: $KB_VELERO_BUCKET, else $KB_TEST_S3_BUCKET (kbackup-test)
#   prefix default: $KB_VELERO_PREFIX, else none (BSL root = bucket root).  The BSL is
#          Unavailable when that root holds any top-level prefix other than backups/,
#          restores/, restic/, metadata/, plugins/, kopia/: give a prefix of its own on a
#          bucket other tests write to.
#
# Reads DIR/env.sh (KB_TEST_S3_*) and DIR/kube/NAME/env.sh (KB_TEST_KUBE_<NAME>_KUBECONFIG,
# KB_TEST_KUBECTL) unless those variables are already set.
#
# Does: applies Velero's CRDs (velero install --crds-only --dry-run -o yaml, server-side
# apply), namespace velero, BSL default (provider aws, region=minio, s3ForcePathStyle=true,
# s3Url=$KB_TEST_S3_ENDPOINT); writes the MinIO keys to DIR/velero-NAME/credentials (an AWS
# shared credentials file, mode 600, passed as AWS_SHARED_CREDENTIALS_FILE as `velero install`
# does for the pod); starts `velero server` in the background and waits until the BSL is
# Available.
#
# Layout under DIR/velero-NAME/:
#   pid, log            server pid and log (plugins log into the same file; appended
#                       to, each run starts with a "==== <time> velero/up.sh" line)
#   env.sh              exports KB_TEST_VELERO_<NAME>_* (see README.md)
#   velero              wrapper: the CLI with --kubeconfig and -n velero preset
#   credentials, home/, tmp/, ports
#
# Limitation: velero v1.18.3 leaves controller-runtime's metrics server at its default
# :8080 (all interfaces, no flag), so only ONE Velero server can run on the machine at a
# time; up.sh refuses to start when :8080 is taken.
#
# Env:
#   KB_VELERO_BIN_DIR         use binaries from here instead of running build.sh
#   KB_VELERO_READY_TIMEOUT   seconds to wait for the BSL to be Available (default 120)
#   KB_VELERO_SYNC_PERIOD     --backup-sync-period (default 5s)
#   KB_VELERO_VALIDATION_FREQUENCY  --store-validation-frequency (default 10s)
#   KB_VELERO_SERVER_ARGS     extra `velero server` flags (e.g. --log-level=debug)
set -euo pipefail

usage() { echo "usage: $0 DIR NAME [--bucket B] [--prefix P]" >&2; exit 2; }
[ $# -ge 2 ] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
base=$(cd "$1" && pwd)
name=$2
shift 2
bucket=${KB_VELERO_BUCKET:-}
prefix=${KB_VELERO_PREFIX:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --bucket) [ $# -ge 2 ] || usage; bucket=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --bucket=*) bucket=${1#*=}; shift ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    *) usage ;;
  esac
done
[[ "$name" =~ ^[a-z0-9_]+$ ]] || { echo "up.sh: NAME must match [a-z0-9_]+ (got '$name')" >&2; exit 2; }
NAME=$(echo "$name" | tr 'a-z' 'A-Z')
d=$base/velero-$name
ns=velero
timeout=${KB_VELERO_READY_TIMEOUT:-120}

log() { echo "velero/up.sh[$name]: $*" >&2; }
started=0
die() {
  echo "velero/up.sh[$name]: ERROR: $*" >&2
  if [ "$started" = 1 ]; then "$here/down.sh" "$base" "$name" >/dev/null 2>&1 || true; fi
  exit 1
}
pid_alive() { # pidfile
  local p
  [ -f "$1" ] || return 1
  p=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- " server .*--namespace $ns"
}

# ---------------------------------------------------------------- inputs
kc_var=KB_TEST_KUBE_${NAME}_KUBECONFIG
if [ -z "${!kc_var:-}" ] || [ -z "${KB_TEST_KUBECTL:-}" ]; then
  [ -f "$base/kube/$name/env.sh" ] || die "no $base/kube/$name/env.sh: start the cluster with tests/env/kube/up.sh $base/kube $name"
  # shellcheck disable=SC1090
  . "$base/kube/$name/env.sh"
fi
kubeconfig=${!kc_var}
kubectl=$KB_TEST_KUBECTL
[ -f "$kubeconfig" ] || die "kubeconfig $kubeconfig missing"
[ -x "$kubectl" ] || die "kubectl $kubectl missing"
if [ -z "${KB_TEST_S3_ENDPOINT:-}" ] || [ -z "${KB_TEST_S3_ACCESS_KEY:-}" ]; then
  [ -f "$base/env.sh" ] || die "no $base/env.sh: start MinIO with tests/env/up.sh $base minio"
  # shellcheck disable=SC1090,SC1091
  . "$base/env.sh"
fi
[ -n "${KB_TEST_S3_ENDPOINT:-}" ] || die "KB_TEST_S3_ENDPOINT not set (is MinIO running? tests/env/up.sh $base minio)"
bucket=${bucket:-${KB_TEST_S3_BUCKET:-}}
[ -n "$bucket" ] || die "no bucket (--bucket, KB_VELERO_BUCKET or KB_TEST_S3_BUCKET)"
prefix=${prefix#/}; prefix=${prefix%/}
k() { "$kubectl" --kubeconfig "$kubeconfig" "$@"; }
k get --raw /readyz >/dev/null 2>&1 || die "cluster $name not reachable with $kubeconfig"

if [ -n "${KB_VELERO_BIN_DIR:-}" ]; then
  bindir=$KB_VELERO_BIN_DIR
else
  bindir=$("$here/build.sh" | tail -n1)
fi
velero=$bindir/velero
plugins=$bindir/plugins
[ -x "$velero" ] || die "missing $velero (run $here/build.sh)"
[ -x "$plugins/velero-plugin-for-aws" ] || die "missing $plugins/velero-plugin-for-aws (run $here/build.sh)"

mkdir -p "$d/home" "$d/tmp"
chmod 700 "$d"

if pid_alive "$d/pid" && [ -f "$d/env.sh" ]; then
  log "already running (pid $(cat "$d/pid"), see $d/env.sh); run down.sh first to restart"
  echo "$d/env.sh"
  exit 0
fi
"$here/down.sh" "$base" "$name" >/dev/null 2>&1 || true

# controller-runtime metrics: fixed :8080 (see the header)
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null || ss -Hltn 'sport = :8080' 2>/dev/null | grep -q .; then
  other=$(ss -Hltnp 'sport = :8080' 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 || true)
  die "port 8080 is in use (${other:-unknown process}); velero server binds controller-runtime metrics to :8080, so only one Velero server can run at a time (stop the other with tests/env/velero/down.sh)"
fi

# ---------------------------------------------------------------- cluster objects
log "applying Velero CRDs, namespace $ns, BSL default (s3://$bucket${prefix:+/$prefix} at $KB_TEST_S3_ENDPOINT)"
HOME=$d/home "$velero" install --crds-only --dry-run -o yaml > "$d/crds.yaml" 2> "$d/install.err" ||
  { cat "$d/install.err" >&2; die "velero install --crds-only --dry-run failed"; }
k apply --server-side --force-conflicts --field-manager=kbackup-test-velero -f "$d/crds.yaml" > "$d/apply.log" 2>&1 ||
  { cat "$d/apply.log" >&2; die "applying the Velero CRDs failed"; }
k wait --for=condition=Established --timeout=60s -f "$d/crds.yaml" >/dev/null 2>&1 ||
  die "Velero CRDs not Established after 60s"
k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >/dev/null

(umask 077; printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
  "$KB_TEST_S3_ACCESS_KEY" "$KB_TEST_S3_SECRET_KEY" > "$d/credentials")
: > "$d/aws-config"

prefix_line=""
[ -n "$prefix" ] && prefix_line="    prefix: \"$prefix\""
cat > "$d/bsl.yaml" <<EOF
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata:
  name: default
  namespace: $ns
spec:
  provider: aws
  default: true
  objectStorage:
    bucket: "$bucket"
$prefix_line
  config:
    region: minio
    s3ForcePathStyle: "true"
    s3Url: "$KB_TEST_S3_ENDPOINT"
# The BSL CRD has no status subresource: the status is seeded here.  The server syncs
# backups once at start and then only every minute (backup_sync_controller.go hard-codes a
# 1-minute enqueue period; --backup-sync-period only throttles), and skips an Unavailable
# BSL; a fresh BSL has no phase, so without this seed the first sync would come a minute
# after start.  The server's own validation (at start, then every
# --store-validation-frequency) overwrites it; the wait below wants a lastValidationTime
# from this server run.
status:
  phase: Available
EOF
# Stand-in for the Deployment `velero install` creates (never runs: replicas 0, and these
# clusters have no kubelet): the restore's PodVolumeRestoreAction reads Deployment "velero"
# for the restore-helper image, and every restore fails without it
# ("deployments.apps \"velero\" not found").
velero_version=$("$velero" version --client-only 2>/dev/null | awk '/Version:/{print $2}')
k apply -f - >/dev/null <<DEPLOY || die "creating the stand-in Deployment velero failed"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: velero
  namespace: $ns
  labels: {component: velero}
  annotations: {kbackup.test/note: "stand-in; the server runs as a local process (tests/env/velero/up.sh)"}
spec:
  replicas: 0
  selector:
    matchLabels: {deploy: velero}
  template:
    metadata:
      labels: {component: velero, deploy: velero}
    spec:
      containers:
      - name: velero
        image: velero/velero:${velero_version:-v1.18.3}
        command: [/velero]
        args: [server]
DEPLOY
# client-side apply: a prefix dropped since the last run is removed too
k apply -f "$d/bsl.yaml" >/dev/null || die "creating the BackupStorageLocation failed"

# ---------------------------------------------------------------- server
read -r metrics_port profiler_port <<<"$(python3 -c '
import socket
socks = []
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
printf 'METRICS_PORT=%s\nPROFILER_PORT=%s\n' "$metrics_port" "$profiler_port" > "$d/ports"

server_args=(
  server
  --namespace "$ns"
  --kubeconfig "$kubeconfig"
  --plugin-dir "$plugins"
  --backup-sync-period "${KB_VELERO_SYNC_PERIOD:-5s}"
  --store-validation-frequency "${KB_VELERO_VALIDATION_FREQUENCY:-10s}"
  --metrics-address "127.0.0.1:$metrics_port"
  --profiler-address "127.0.0.1:$profiler_port"
  --default-backup-storage-location default
  --log-level info
)
if [ -n "${KB_VELERO_SERVER_ARGS:-}" ]; then
  read -r -a extra_args <<< "$KB_VELERO_SERVER_ARGS"
  server_args+=("${extra_args[@]}")
fi
log "starting velero server ${velero_version:-?} (log $d/log)"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "==== $started_at velero/up.sh: velero server ${velero_version:-?} for cluster $name, BSL s3://$bucket${prefix:+/$prefix}" >> "$d/log"
# Isolated HOME (no ~/.config/velero, ~/.aws), TMPDIR (credential store, restore downloads);
# no AWS_* from the caller: the shared credentials file is the only source.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
  -u AWS_REGION -u AWS_DEFAULT_REGION -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 \
  -u VELERO_NAMESPACE -u KUBECONFIG \
  HOME="$d/home" TMPDIR="$d/tmp" KUBECONFIG="$kubeconfig" \
  AWS_SHARED_CREDENTIALS_FILE="$d/credentials" AWS_CONFIG_FILE="$d/aws-config" \
  AWS_EC2_METADATA_DISABLED=true \
  setsid "$velero" "${server_args[@]}" < /dev/null >> "$d/log" 2>&1 &
echo $! > "$d/pid"
started=1

# CLI wrapper
cat > "$d/velero" <<EOF
#!/bin/sh
# velero CLI for cluster $name (generated by tests/env/velero/up.sh)
HOME='$d/home' exec '$velero' --kubeconfig '$kubeconfig' -n $ns "\$@"
EOF
chmod 755 "$d/velero"

this_run_log() { awk -v m="==== $started_at velero/up.sh" 'index($0, m) == 1 {f = 1} f' "$d/log"; }
start=$(date +%s)
deadline=$(( start + timeout ))
phase="" validated=""
while :; do
  pid_alive "$d/pid" || { this_run_log | tail -n 30 >&2; die "velero server exited; log: $d/log"; }
  read -r phase validated < <(k -n "$ns" get backupstoragelocation default \
    -o jsonpath='{.status.phase} {.status.lastValidationTime}{"\n"}' 2>/dev/null || echo)
  # RFC 3339 UTC with seconds: string order is time order
  if [ "${phase:-}" = Available ] && [ -n "${validated:-}" ] && ! [[ "$validated" < "$started_at" ]]; then break; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    msg=$(k -n "$ns" get backupstoragelocation default -o jsonpath='{.status.message}' 2>/dev/null || true)
    this_run_log | grep -E 'level=(error|fatal)' | tail -n 10 >&2 || true
    die "BSL default not Available after ${timeout}s (phase '${phase:-none}'${msg:+: $msg}); log: $d/log"
  fi
  sleep 0.5
done
log "BSL default Available after $(( $(date +%s) - start ))s"

cat > "$d/env.sh" <<EOF
# generated by tests/env/velero/up.sh $base $name
export KB_TEST_VELERO_${NAME}_BIN=$velero
export KB_TEST_VELERO_${NAME}_CLI=$d/velero
export KB_TEST_VELERO_${NAME}_PLUGIN_DIR=$plugins
export KB_TEST_VELERO_${NAME}_NAMESPACE=$ns
export KB_TEST_VELERO_${NAME}_KUBECONFIG=$kubeconfig
export KB_TEST_VELERO_${NAME}_BSL=default
export KB_TEST_VELERO_${NAME}_BUCKET=$bucket
export KB_TEST_VELERO_${NAME}_PREFIX=$prefix
export KB_TEST_VELERO_${NAME}_LOCATION='s3://$bucket${prefix:+/$prefix}?endpoint=$KB_TEST_S3_ENDPOINT&region=us-east-1&path_style=true'
export KB_TEST_VELERO_${NAME}_LOG=$d/log
export KB_TEST_VELERO_${NAME}_PID=$(cat "$d/pid")
export KB_TEST_VELERO_${NAME}_METRICS=http://127.0.0.1:$metrics_port/metrics
export KB_TEST_VELERO_${NAME}_DIR=$d
EOF
log "up: source $d/env.sh"
echo "$d/env.sh"
