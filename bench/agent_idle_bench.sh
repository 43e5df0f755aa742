#!/usr/bin/env bash
# The agent's idle footprint: `kbackup agent` with three schedules configured (an etcd snapshot
# schedule and two resource backup schedules, none due during the measurement) runs for
# IDLE_SECONDS (default 300); then its peak and current RSS (/proc/PID/status VmHWM, VmRSS) and
# the CPU-seconds it used while idle (utime + stime from /proc/PID/stat, after the start-up
# second) are printed as a Markdown table. Targets (issue 10): RSS <= 20 MiB, idle CPU <= 0.5 s.
# No server is needed: nothing runs while idle, and the locations are local directories. With
# BENCH_ETCD_ENDPOINT (and BENCH_ETCD_CACERT/_CERT/_KEY) the agent joins its leader election in
# that etcd and keeps its lease alive while idle, as on a real node; without, it tries the
# default https://127.0.0.1:2379 and retries with backoff.
# Usage: bench/agent_idle_bench.sh            Env: IDLE_SECONDS=300, KB_BENCH_KBACKUP=PATH
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
idle=${IDLE_SECONDS:-300}
kb=${KB_BENCH_KBACKUP:-$(build_bench_kbackup)}
work=$(mktemp -d /tmp/kbackup-idle-bench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cat >"$work/config.yaml" <<CFG
cluster: bench
snapshot_dir: $work/snapshots
state_dir: $work/state
locations:
  disk: {url: "file://$work/backups"}
etcd_snapshots: {schedule: "@daily", location: disk, keep_local: 3, expiry: 30d}
resource_backups:
- {name: nightly, schedule: "0 3 * * *", location: disk, expiry: 720h}
- {name: weekly, schedule: "@weekly", location: disk, expiry: 3mo}
agent: {metrics_address: "", control_socket: "$work/run/agent.sock"}
CFG
if [ -n "${BENCH_ETCD_ENDPOINT:-}" ]; then
  cat >>"$work/config.yaml" <<CFG
etcd:
  endpoints: [$BENCH_ETCD_ENDPOINT]
  cacert: "${BENCH_ETCD_CACERT:-}"
  cert: "${BENCH_ETCD_CERT:-}"
  key: "${BENCH_ETCD_KEY:-}"
CFG
fi
"$kb" agent --config "$work/config.yaml" >"$work/agent.log" 2>&1 &
pid=$!
sleep 1
ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{printf "%.3f", ($14 + $15) / t}' "/proc/$pid/stat"; }
before=$(cpu)
echo "agent_idle_bench: pid $pid idle for ${idle}s ..." >&2
sleep "$idle"
after=$(cpu)
kb_of() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
hwm=$(kb_of VmHWM); rss=$(kb_of VmRSS); anon=$(kb_of RssAnon); file=$(kb_of RssFile)
leader=no; grep -q "leader now" "$work/agent.log" && leader=yes
kill -TERM "$pid"; wait "$pid" || true; pid=""
idle_cpu=$(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.3f", a - b}')
echo "| idle seconds | schedules | election joined | peak RSS | RSS at the end | of it anonymous / file-backed | CPU-seconds while idle |"
echo "|---|---|---|---|---|---|---|"
echo "| $idle | 3 | $leader | $((hwm / 1024)) MiB ($hwm KiB) | $((rss / 1024)) MiB ($rss KiB) | $anon / $file KiB | $idle_cpu s |"
