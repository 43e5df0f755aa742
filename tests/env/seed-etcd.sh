#!/usr/bin/env bash
# Fills an etcd started by up.sh with test data.
#
# Usage: seed-etcd.sh [-e DIR] NAME COUNT      COUNT keys PREFIXkey-<i>, VALUE_BYTES each
#        seed-etcd.sh [-e DIR] NAME --bytes N  1 MiB values PREFIXblob-<i> until the db
#                                              reaches about N bytes (dbSize)
#   NAME: etcd34 | etcd36 | etcdauth   (endpoint and credentials from DIR/env.sh)
#   -e DIR             env dir (default: $KB_TEST_ENV_DIR, or the KB_TEST_* already exported)
#   --prefix P         key prefix (default /registry/test/)
#   --value-bytes B    value size (default 300 for COUNT, 1048576 for --bytes; etcd's default
#                      request limit is 1.5 MiB, so keep --bytes values below that)
#   --start I          first index (default 1)
#   --jobs J           parallel etcdctl processes (default 2)
# Values are base64 of /dev/urandom (so they barely compress). Prints what it did.
set -euo pipefail

usage() { sed -n '2,15p' "$0" >&2; exit 2; }
env_dir=${KB_TEST_ENV_DIR:-}
name='' count='' bytes='' prefix=/registry/test/ vbytes='' start=1 jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    -e) env_dir=$2; shift 2 ;;
    --bytes) bytes=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --value-bytes) vbytes=$2; shift 2 ;;
    --start) start=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "seed-etcd.sh: unknown option $1" >&2; usage ;;
    *) if [ -z "$name" ]; then name=$1; elif [ -z "$count" ]; then count=$1; else usage; fi; shift ;;
  esac
done
[ -n "$name" ] || usage
[ -n "$count$bytes" ] || usage
if [ -n "$count" ] && [ -n "$bytes" ]; then usage; fi
for v in $count $bytes $start $jobs ${vbytes:-1}; do [[ "$v" =~ ^[0-9]+$ ]] || usage; done

up=${name^^}
ep_var=KB_TEST_${up}_ENDPOINT
if [ -z "${!ep_var:-}" ]; then
  [ -n "$env_dir" ] && [ -f "$env_dir/env.sh" ] || {
    echo "seed-etcd.sh: $ep_var not set and no env.sh (pass -e DIR or set KB_TEST_ENV_DIR)" >&2; exit 1; }
  # shellcheck disable=SC1091
  . "$env_dir/env.sh"
fi
[ -n "${!ep_var:-}" ] || { echo "seed-etcd.sh: $name is not running (no $ep_var in env.sh)" >&2; exit 1; }

bin_var=KB_TEST_${up}_BIN
ctl=("${!bin_var}/etcdctl" --endpoints "${!ep_var}" --command-timeout=60s)
case "$name" in
  etcdauth)
    export ETCDCTL_USER=$KB_TEST_ETCDAUTH_USER ETCDCTL_PASSWORD=$KB_TEST_ETCDAUTH_PASSWORD ;;
  *)
    ca=KB_TEST_${up}_CACERT cert=KB_TEST_${up}_CERT key=KB_TEST_${up}_KEY
    ctl+=(--cacert "${!ca}" --cert "${!cert}" --key "${!key}") ;;
esac

db_size() {
  "${ctl[@]}" endpoint status -w json | grep -o '"dbSize":[0-9]*' | head -1 | cut -d: -f2
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS

if [ -n "$count" ]; then
  # etcdctl txn reads from stdin: compares, blank line, success ops, blank line, failure ops,
  # blank line. etcd allows 128 ops per txn (--max-txn-ops), so batches of 128 puts.
  vbytes=${vbytes:-300}
  head -c $(( (count * vbytes * 3 + 3) / 4 + 3 )) /dev/urandom | base64 -w "$vbytes" | head -n "$count" |
    awk -v dir="$tmp" -v prefix="$prefix" -v start="$start" -v batch=128 '
      (NR - 1) % batch == 0 { if (f) { printf "\n\n" > f; close(f) }
                              f = sprintf("%s/txn-%07d", dir, (NR - 1) / batch); printf "\n" > f }
      { printf "put %skey-%d %s\n", prefix, start + NR - 1, $0 > f }
      END { if (f) printf "\n\n" > f }'
  [ "$(cat "$tmp"/txn-* 2>/dev/null | grep -c '^put ')" = "$count" ] || { echo "seed-etcd.sh: value generation failed" >&2; exit 1; }
  # xargs exits non-zero if any etcdctl failed.
  # shellcheck disable=SC2016  # $0 and $@ are for the inner sh
  find "$tmp" -name 'txn-*' -print0 | sort -z |
    xargs -0 -P "$jobs" -I{} sh -c '"$@" txn < "$0" > /dev/null' {} "${ctl[@]}"
  echo "seed-etcd.sh: $name: put $count keys ${prefix}key-$start..$((start + count - 1)) ($vbytes B values) in $((SECONDS - t0))s, dbSize $(db_size)" >&2
else
  # One etcdctl per value (a value is too big for a txn batch); J in flight at a time.
  vbytes=${vbytes:-1048576}
  raw=$(( vbytes * 3 / 4 ))
  put_one() {  # put_one INDEX: value from stdin (etcdctl put KEY reads it when no value given)
    head -c "$raw" /dev/urandom | base64 -w0 | "${ctl[@]}" put "${prefix}blob-$1" > /dev/null
  }
  i=$start size=$(db_size)
  while [ "$size" -lt "$bytes" ]; do
    # Enough puts to reach the target if each adds one value, at most 64 per status check.
    n=$(( (bytes - size + vbytes - 1) / vbytes ))
    [ "$n" -le 64 ] || n=64
    running=0
    for ((k = 0; k < n; k++)); do
      put_one "$((i + k))" &
      running=$((running + 1))
      if [ "$running" -ge "$jobs" ]; then wait -n || { echo "seed-etcd.sh: put failed" >&2; exit 1; }; running=$((running - 1)); fi
    done
    while [ "$running" -gt 0 ]; do
      wait -n || { echo "seed-etcd.sh: put failed" >&2; exit 1; }
      running=$((running - 1))
    done
    i=$((i + n))
    size=$(db_size)
  done
  echo "seed-etcd.sh: $name: put $((i - start)) values of $vbytes B (${prefix}blob-$start..$((i - 1))) in $((SECONDS - t0))s, dbSize $size" >&2
fi
