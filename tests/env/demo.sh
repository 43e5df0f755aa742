#!/usr/bin/env bash
# The main job on a throwaway etcd and MinIO: install, build, start, back up, list, restore into
# a new data dir, start etcd on it, and show that the keys and revision match.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "install packages and build the test servers (cached under ~/.cache/kbackup)"
bash tests/env/install-deps.sh
bash tests/env/build-servers.sh
say "build kbackup"
cmake -S . -B build-demo -G Ninja -DKB_BUILD_TESTS=OFF -DKB_BUILD_BENCH=OFF >/dev/null
ninja -C build-demo -j2 kbackup
kb=$root/build-demo/kbackup

envdir=$(mktemp -d /tmp/kbackup-demo.XXXXXX)
restored_pid=
cleanup() {
  [ -n "$restored_pid" ] && kill "$restored_pid" 2>/dev/null || true
  bash tests/env/down.sh "$envdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
say "start etcd 3.6 (TLS, kubeadm layout) and MinIO on loopback in $envdir"
bash tests/env/up.sh "$envdir" etcd36 minio
# shellcheck disable=SC1091
source "$envdir/env.sh"
etcdctl() { "$KB_TEST_ETCD36_BIN/etcdctl" --endpoints "$KB_TEST_ETCD36_ENDPOINT" \
  --cacert "$KB_TEST_ETCD36_CACERT" --cert "$KB_TEST_ETCD36_CERT" --key "$KB_TEST_ETCD36_KEY" "$@"; }

say "seed etcd with 2,000 keys"
bash tests/env/seed-etcd.sh -e "$envdir" etcd36 2000
etcdctl put /demo/hello "kbackup was here" >/dev/null
# A range's count is the total whatever the limit (etcdctl 3.6 takes --count-only only with -w fields).
src=$(etcdctl get / --prefix --keys-only --limit 1 -w json)
src_keys=$(jq .count <<<"$src"); src_rev=$(jq .header.revision <<<"$src")
echo "source etcd: $src_keys keys at revision $src_rev"

export AWS_ACCESS_KEY_ID=$KB_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$KB_TEST_S3_SECRET_KEY
location="s3://$KB_TEST_S3_BUCKET/demo?endpoint=$KB_TEST_S3_ENDPOINT&region=us-east-1&path_style=true"
etcd_flags=(--etcd-endpoints "$KB_TEST_ETCD36_ENDPOINT" --etcd-cacert "$KB_TEST_ETCD36_CACERT"
            --etcd-cert "$KB_TEST_ETCD36_CERT" --etcd-key "$KB_TEST_ETCD36_KEY")

say "kbackup etcd snapshot (stream, verify, zstd, local copy + multipart upload to MinIO)"
"$kb" --location "$location" etcd snapshot "${etcd_flags[@]}" --cluster-name demo \
  --snapshot-dir "$envdir/snapshots"
say "kbackup etcd list"
"$kb" --location "$location" etcd list
name=$("$kb" --location "$location" --output json etcd list | jq -r '.[0].name')

say "kbackup etcd verify $name (re-downloads from MinIO and checks every hash)"
"$kb" --location "$location" etcd verify "$name" --snapshot-dir "$envdir/empty"

say "kbackup etcd restore into a new data dir"
data_dir=$envdir/restored.etcd
peer_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
client_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$kb" --location "$location" etcd restore --from "$name" --data-dir "$data_dir" \
  --name restored --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --etcd-tool "$KB_TEST_ETCD36_BIN/etcdutl" --snapshot-dir "$envdir/empty"

say "start etcd on the restored data dir and compare"
"$KB_TEST_ETCD36_BIN/etcd" --name restored --data-dir "$data_dir" \
  --listen-client-urls "http://127.0.0.1:$client_port" --advertise-client-urls "http://127.0.0.1:$client_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  >"$envdir/restored.log" 2>&1 &
restored_pid=$!
for _ in $(seq 50); do
  "$KB_TEST_ETCD36_BIN/etcdctl" --endpoints "http://127.0.0.1:$client_port" endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
dst=$("$KB_TEST_ETCD36_BIN/etcdctl" --endpoints "http://127.0.0.1:$client_port" get / --prefix --keys-only --limit 1 -w json)
dst_keys=$(jq .count <<<"$dst"); dst_rev=$(jq .header.revision <<<"$dst")
hello=$("$KB_TEST_ETCD36_BIN/etcdctl" --endpoints "http://127.0.0.1:$client_port" get /demo/hello --print-value-only)
printf '%-10s %8s %10s\n' "" KEYS REVISION source "$src_keys" "$src_rev" restored "$dst_keys" "$dst_rev"
echo "/demo/hello on the restored etcd: $hello"
if [ "$src_keys" = "$dst_keys" ] && [ "$src_rev" = "$dst_rev" ]; then
  say "OK: the restored etcd serves the same keys and revision"
else
  say "MISMATCH"; exit 1
fi
