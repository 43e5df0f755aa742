#!/usr/bin/env bash
# Build the velero binary (server + CLI, ./cmd/velero) and the AWS object-store plugin
# (velero-plugin-for-aws) from the Go module proxy.
#
# Both modules are fetched with `go mod download` (velero's go.mod has a replace directive,
# so `go install pkg@version` refuses it), copied to a temp dir and built there with their
# own go.mod/go.sum.  GOCACHE / GOMODCACHE stay at their defaults, so a rebuild after a
# cache wipe mostly re-links.
#
# Output: ${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin/velero-<version>/
#           velero
#           plugins/velero-plugin-for-aws
#           .stamp     (recipe, versions, module sums, Go version); the build is skipped
#                      when it matches
#
# Usage: build.sh [--force] [--print-dir]
#   prints the binary directory as the last line of stdout.
# Env:
#   KB_VELERO_VERSION       default v1.18.3
#   KB_VELERO_AWS_VERSION   default v1.14.3
#   KB_VELERO_BUILD_JOBS    go build -p (default 2)
#   KB_VELERO_PINS          `go get` run in the velero copy before building (default below):
#                           the module proxy here does not serve k8s.io/cli-runtime v0.33.12,
#                           which velero v1.18.3 requires; v0.33.13 (with k8s.io/api,
#                           apimachinery, client-go v0.33.13) is served and builds.
set -euo pipefail

force=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --print-dir) ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

command -v go >/dev/null || { echo "build.sh: go not found in PATH" >&2; exit 1; }

velero_mod=github.com/vmware-tanzu/velero
aws_mod=github.com/vmware-tanzu/velero-plugin-for-aws
version=${KB_VELERO_VERSION:-v1.18.3}
aws_version=${KB_VELERO_AWS_VERSION:-v1.14.3}
jobs=${KB_VELERO_BUILD_JOBS:-2}
pins=${KB_VELERO_PINS-k8s.io/cli-runtime@v0.33.13}
# bump when the build recipe below changes
recipe=1

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin
out=$cache_root/velero-$version

# Module sums come from the module cache / proxy (cheap after the first run).
mod_json() { # MODULE@VERSION -> prints "Dir Sum" (go mod download needs no go.mod here)
  (cd / && GOFLAGS=-mod=mod go mod download -json "$1") |
    python3 -c 'import json,sys; d=json.load(sys.stdin); e=d.get("Error");
if e: sys.exit("build.sh: go mod download: "+e)
print(d["Dir"], d["Sum"])'
}
read -r velero_dir velero_sum <<<"$(mod_json "$velero_mod@$version")"
read -r aws_dir aws_sum <<<"$(mod_json "$aws_mod@$aws_version")"
[ -d "$velero_dir" ] && [ -d "$aws_dir" ] || { echo "build.sh: module download failed" >&2; exit 1; }

stamp="recipe=$recipe velero=$version $velero_sum aws=$aws_version $aws_sum pins=${pins// /,} $(go env GOVERSION)"
if [ "$force" = 0 ] && [ -x "$out/velero" ] && [ -x "$out/plugins/velero-plugin-for-aws" ] &&
   [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  echo "build.sh: up to date: $out (velero $version, aws plugin $aws_version)" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
tmp=$(mktemp -d "$cache_root/.velero-$version.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out/plugins"

copy_src() { # SRC-DIR DEST
  cp -r "$1" "$2"
  chmod -R u+w "$2"
}

echo "build.sh: building velero $version and velero-plugin-for-aws $aws_version into $out ..." >&2
start=$(date +%s)
copy_src "$velero_dir" "$tmp/velero"
copy_src "$aws_dir" "$tmp/aws"

# Version stamping as velero's hack/build.sh does, so `velero version` reports the tag.
# The proxy carries no commit id: GitSHA names the module sum instead.
ldflags="-s -w -X $velero_mod/pkg/buildinfo.Version=$version"
ldflags+=" -X $velero_mod/pkg/buildinfo.GitSHA=modsum-${velero_sum:3:12} -X $velero_mod/pkg/buildinfo.GitTreeState=clean"
(
  cd "$tmp/velero"
  if [ -n "$pins" ]; then
    # shellcheck disable=SC2086
    if ! go get $pins > "$tmp/go-get.log" 2>&1; then
      cat "$tmp/go-get.log" >&2; echo "build.sh: go get $pins failed" >&2; exit 1
    fi
    grep -v '^go: downloading' "$tmp/go-get.log" >&2 || true
  fi
  # the module's own go.sum (plus the pins); GOFLAGS from the caller stay in effect
  CGO_ENABLED=0 go build -p "$jobs" -trimpath -buildvcs=false -ldflags="$ldflags" \
    -o "$tmp/out/velero" ./cmd/velero
)
echo "build.sh: velero built after $(( $(date +%s) - start ))s" >&2
(
  cd "$tmp/aws"
  CGO_ENABLED=0 go build -p "$jobs" -trimpath -buildvcs=false -ldflags="-s -w" \
    -o "$tmp/out/plugins/velero-plugin-for-aws" ./velero-plugin-for-aws
)
echo "$stamp" > "$tmp/out/.stamp"
chmod -R u+w "$out" 2>/dev/null || true
rm -rf "$out"
mv "$tmp/out" "$out"
echo "build.sh: built in $(( $(date +%s) - start ))s: $out" >&2
ls -l "$out" "$out/plugins" >&2
echo "$out"
