#!/usr/bin/env bash
# The whole test suite on a fresh machine: install packages, build the Go test servers (cached
# under ~/.cache/kbackup), build kbackup, start real etcd/MinIO/kube-apiserver/Velero on loopback,
# run unit and integration tests, then the same suite again under ASan+UBSan.
# Usage: tests/run.sh            (everything)
#        KB_SKIP_SANITIZE=1 tests/run.sh   (skip the ASan+UBSan pass, for quick local runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${KB_JOBS:-2}
start=$(date +%s)
stamp() { echo "== $(( $(date +%s) - start ))s: $*"; }

stamp "install packages"
bash tests/env/install-deps.sh
stamp "build test servers (cached)"
bash tests/env/build-servers.sh
if [ -f tests/env/kube/build.sh ]; then bash tests/env/kube/build.sh; fi
bash tests/env/velero/build.sh

envdir=$(mktemp -d /tmp/kbackup-test-env.XXXXXX)
cleanup() {
  bash tests/env/velero/down.sh "$envdir" b >/dev/null 2>&1 || true
  bash tests/env/etcd-cluster.sh down "$envdir/etcd-cluster" >/dev/null 2>&1 || true
  bash tests/env/down.sh "$envdir" >/dev/null 2>&1 || true
  for c in a b; do
    [ -f tests/env/kube/down.sh ] && bash tests/env/kube/down.sh "$envdir/kube" "$c" >/dev/null 2>&1 || true
  done
  rm -rf "$envdir"
}
trap cleanup EXIT

run_suite() {  # $1 build dir, $2 extra cmake flags
  local dir=$1; shift
  stamp "configure and build in $dir"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  ninja -C "$dir" -j "$jobs"
  stamp "tests in $dir"
  (cd "$dir" && ctest --output-on-failure --timeout 900 -j 1)
}

stamp "start servers"
bash tests/env/up.sh "$envdir"
# shellcheck disable=SC1091
source "$envdir/env.sh"
bash tests/env/etcd-cluster.sh up "$envdir/etcd-cluster"  # 3 members, for the leader election
# shellcheck disable=SC1091
source "$envdir/etcd-cluster/env.sh"
if [ -f tests/env/kube/up.sh ]; then
  for c in a b; do
    # Cluster b lists straight from etcd (no watch cache): expired continue tokens are testable.
    extra=""; [ "$c" = b ] && extra=--watch-cache=false
    KB_KUBE_APISERVER_ARGS=$extra bash tests/env/kube/up.sh "$envdir/kube" "$c"
    # shellcheck disable=SC1090
    source "$envdir/kube/$c/env.sh"
  done
  stamp "load the kube fixtures into cluster a"
  bash tests/env/kube/load-fixtures.sh "$KB_TEST_KUBE_A_KUBECONFIG" >/dev/null
  stamp "start a Velero server on cluster b"
  bash tests/env/velero/up.sh "$envdir" b --prefix velero-dr
  # shellcheck disable=SC1091
  source "$envdir/velero-b/env.sh"
fi

run_suite build-ci
if [ "${KB_SKIP_SANITIZE:-0}" != 1 ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build-ci-asan -DKB_SANITIZE=ON -DKB_BUILD_BENCH=OFF
fi
stamp "all tests passed"
