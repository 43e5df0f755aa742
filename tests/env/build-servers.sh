#!/usr/bin/env bash
# Builds, once, the Go test servers that Debian does not ship, from the Go module proxy:
#   etcd v3.6 (etcd, etcdctl, etcdutl) -> $KB_BIN_CACHE/etcd-v3.6/
#   MinIO (community, source only)    -> $KB_BIN_CACHE/minio
# KB_BIN_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin. Each output has a
# stamp holding its version and the Go version; a matching stamp skips the build.
# Debian's etcd 3.4 (/usr/bin/etcd, /usr/bin/etcdctl) comes from install-deps.sh instead.
#
# Usage: build-servers.sh [--force] [etcd36] [minio]   (default: both)
# Prints the cache directory as the last line of stdout.
set -euo pipefail

# Pins. etcd: newest v3.6 patch the proxy serves. MinIO: its RELEASE.* tags are not semver and
# the proxy refuses them (and their commits' pseudo-versions); it serves only the tip of master,
# which is RELEASE.2025-10-15T17-29-55Z plus a few fixes and README changes (2026-02-12, the
# last commit of the archived repository).
ETCD36_VERSION=v3.6.16
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_COMMIT=7aac2a2c5b7c882e68c1ce017d8256be2feea27f
MINIO_TIME=2026-02-12T20:18:48Z
# What upstream's Makefile stamps into a build that is not on a release tag.
MINIO_LDFLAGS="-s -w -X github.com/minio/minio/cmd.Version=$MINIO_TIME
 -X github.com/minio/minio/cmd.ReleaseTag=DEVELOPMENT.${MINIO_TIME//:/-}
 -X github.com/minio/minio/cmd.CommitID=$MINIO_COMMIT
 -X github.com/minio/minio/cmd.ShortCommitID=${MINIO_COMMIT:0:12}
 -X github.com/minio/minio/cmd.CopyrightYear=${MINIO_TIME:0:4}"
MINIO_LDFLAGS=${MINIO_LDFLAGS//$'\n'/}

force=0
want=()
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    etcd36|minio) want+=("$a") ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-servers.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done
[ ${#want[@]} -gt 0 ] || want=(etcd36 minio)

command -v go >/dev/null || { echo "build-servers.sh: go not found in PATH" >&2; exit 1; }

cache=${KB_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin}
mkdir -p "$cache"
gover=$(go env GOVERSION)
jobs=${KB_BUILD_JOBS:-2}
# The machine has 2 cores; keep the go command and the compiler within them.
export GOMAXPROCS=${GOMAXPROCS:-$jobs}
# A module's go.mod "toolchain" line must not make the go command download another Go.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# sum.golang.org itself is not reachable here; the go command reaches it through the proxy
# (GOPROXY/sumdb/...), so GOSUMDB stays on. Set GOSUMDB=off only if that fails too.
gobuild_flags=(-p "$jobs" -trimpath -buildvcs=false -ldflags=-s\ -w)

tmps=()
trap 'rm -rf "${tmps[@]}"' EXIT
quiet_dl() { grep -Ev '^go: (downloading|added)' >&2 || true; }  # keeps the go command's exit status

stamp_ok() {  # stamp_ok FILE CONTENT
  [ "$force" = 0 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

build_etcd36() {
  local out=$cache/etcd-v3.6 stamp="etcd $ETCD36_VERSION $gover"
  if stamp_ok "$out/.stamp" "$stamp" && [ -x "$out/etcd" ] && [ -x "$out/etcdctl" ] && [ -x "$out/etcdutl" ]; then
    echo "build-servers: etcd $ETCD36_VERSION up to date: $out" >&2
    return
  fi
  local start=$SECONDS tmp
  tmp=$(mktemp -d "$cache/.etcd-v3.6.XXXXXX")
  tmps+=("$tmp")
  echo "build-servers: building etcd $ETCD36_VERSION (etcd, etcdctl, etcdutl) ..." >&2
  # A wrapper module: upstream's own go.mods use relative replaces, so `go install` fails,
  # but their requires are real versions, so the wrapper needs no replaces.
  mkdir "$tmp/mod" "$tmp/bin"
  (
    cd "$tmp/mod"
    go mod init local/etcdbin >/dev/null 2>&1
    go get -tool "go.etcd.io/etcd/server/v3@$ETCD36_VERSION" \
      "go.etcd.io/etcd/etcdctl/v3@$ETCD36_VERSION" "go.etcd.io/etcd/etcdutl/v3@$ETCD36_VERSION" 2>&1 |
      quiet_dl
    go build "${gobuild_flags[@]}" -o "$tmp/bin/" \
      go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3
  )
  # go build names binaries after the last path element that is not a major version: v3 -> server.
  mv "$tmp/bin/server" "$tmp/bin/etcd"
  "$tmp/bin/etcd" --version | sed -n 1p >&2  # sed reads it all: no SIGPIPE under pipefail
  echo "$stamp" > "$tmp/bin/.stamp"
  rm -rf "$out"
  mv "$tmp/bin" "$out"
  echo "build-servers: etcd $ETCD36_VERSION built in $((SECONDS - start))s: $out" >&2
}

build_minio() {
  local stampf=$cache/.minio.stamp
  local stamp flags_sum
  flags_sum=$(echo "$MINIO_LDFLAGS" | sha256sum | cut -c1-12)
  stamp="minio $MINIO_VERSION $gover $flags_sum"
  if stamp_ok "$stampf" "$stamp" && [ -x "$cache/minio" ]; then
    echo "build-servers: minio ${MINIO_COMMIT:0:12} up to date: $cache/minio" >&2
    return
  fi
  local start=$SECONDS tmp
  tmp=$(mktemp -d "$cache/.minio.XXXXXX")
  tmps+=("$tmp")
  echo "build-servers: building minio $MINIO_VERSION (${MINIO_COMMIT:0:12}); first time takes long ..." >&2
  # MinIO's go.mod has no replaces, so go install pkg@version works. The -X flags set what
  # `minio --version` prints instead of DEVELOPMENT.GOGET.
  (
    cd "$tmp"
    GOBIN=$tmp GOFLAGS=-mod=mod go install -p "$jobs" -trimpath -buildvcs=false \
      -ldflags="$MINIO_LDFLAGS" \
      "github.com/minio/minio@$MINIO_VERSION" 2>&1 | quiet_dl
  )
  [ -x "$tmp/minio" ] || { echo "build-servers: minio build produced no binary" >&2; exit 1; }
  mv -f "$tmp/minio" "$cache/minio"
  echo "$stamp" > "$stampf"
  echo "build-servers: minio built in $((SECONDS - start))s: $cache/minio" >&2
}

total=$SECONDS
for w in "${want[@]}"; do
  case "$w" in
    etcd36) build_etcd36 ;;
    minio) build_minio ;;
  esac
done
echo "build-servers: done in $((SECONDS - total))s" >&2
echo "$cache"
