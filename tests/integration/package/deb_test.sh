#!/usr/bin/env bash
# The .deb: built by CPack from BUILD_DIR, installed with dpkg -i on this machine, the agent
# unit's command line started from the installed files and stopped, then removed with dpkg -r.
# Every check fails the test with one line; nothing is skipped.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$1
fail() { echo "deb_test: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "dpkg -i needs root"
# "rc" (removed, its state kept) is fine: only an installed package is in the way.
if [[ "$(dpkg-query -W -f='${Status}' kbackup 2>/dev/null || true)" == *" installed" ]]; then
  fail "a kbackup package is installed here; remove it first (dpkg -r kbackup)"
fi
work=$(mktemp -d /tmp/kbackup-deb-test.XXXXXX)
cleanup() {
  dpkg --purge kbackup >/dev/null 2>&1 || true  # leaves the machine as it was (no "rc" entry)
  rm -rf "$work"
}
trap cleanup EXIT

# Build the package from the installed files of the build.
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$work"/kbackup_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no kbackup_*.deb in $work"
# (Whole outputs into variables: `cmd | grep -q` would kill cmd with SIGPIPE under pipefail.)
info=$(dpkg-deb --info "$deb")
grep -q "Depends: .*libgrpc" <<<"$info" || fail "Depends: lacks the libraries (shlibdeps)"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/kbackup ./usr/lib/systemd/system/kbackup-agent.service \
         ./usr/share/doc/kbackup/config.example.yaml ./usr/share/doc/kbackup/agent.md; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in the package"
done

# Install it.
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
[ -x /usr/bin/kbackup ] || fail "/usr/bin/kbackup not installed"
version=$(/usr/bin/kbackup --version)
grep -q "0\." <<<"$version" || fail "kbackup --version said: $version"
[ -d /etc/kbackup ] || fail "postinst did not create /etc/kbackup"
[ "$(stat -c %a /etc/kbackup)" = 700 ] || fail "/etc/kbackup is not mode 0700"
/usr/bin/kbackup config validate /usr/share/doc/kbackup/config.example.yaml >/dev/null \
  || fail "the sample config does not validate"
unit=/usr/lib/systemd/system/kbackup-agent.service
[ -f "$unit" ] || unit=/lib/systemd/system/kbackup-agent.service
[ -f "$unit" ] || fail "kbackup-agent.service not installed"

# The unit's command line, with a throwaway config instead of /etc/kbackup/config.yaml.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ "$exec_start" == "/usr/bin/kbackup agent --config /etc/kbackup/config.yaml" ]] \
  || fail "unexpected ExecStart: $exec_start"
cat >"$work/config.yaml" <<CFG
cluster: debtest
snapshot_dir: $work/snapshots
state_dir: $work/state
locations:
  disk: {url: "file://$work/backups"}
etcd_snapshots: {schedule: never, location: disk}
agent: {metrics_address: ""}
CFG
read -r -a argv <<<"${exec_start//\/etc\/kbackup\/config.yaml/$work/config.yaml}"
"${argv[@]}" >"$work/agent.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do grep -q "agent started" "$work/agent.log" && break; sleep 0.2; done
grep -q "agent started" "$work/agent.log" || { cat "$work/agent.log" >&2; fail "the agent did not start"; }
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat "$work/agent.log" >&2; fail "the agent exited $rc on SIGTERM"; }

# Remove it: the files go, the user's config dir stays.
dpkg -r kbackup >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log" >&2; fail "dpkg -r"; }
[ ! -e /usr/bin/kbackup ] || fail "/usr/bin/kbackup left after dpkg -r"
[ ! -e "$unit" ] || fail "$unit left after dpkg -r"
[ -d /etc/kbackup ] || fail "/etc/kbackup (the user's) was removed"
echo "deb_test: ok ($(basename "$deb"))"
