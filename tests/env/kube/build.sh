#!/usr/bin/env bash
# Build kube-apiserver, kubectl (and kube-controller-manager) from k8s.io/kubernetes
# through the Go module proxy, using the wrapper module in this directory
# (go.mod pins k8s.io/kubernetes and replaces every k8s.io staging module
# with the matching v0.Y.Z tag).
#
# Binaries are cached under ${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin/kube-<version>/
# and the build is skipped when that directory's stamp matches the version and
# the hash of go.mod + go.sum.  GOCACHE / GOMODCACHE are left at their defaults,
# so a rebuild after a cache wipe only re-links.
#
# Usage: build.sh [--force] [--print-dir]
#   prints the binary directory as the last line of stdout.
# Env:
#   KB_KUBE_COMPONENTS  space-separated list of cmds to build
#                       (default: "kube-apiserver kubectl kube-controller-manager")
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
force=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --print-dir) ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

command -v go >/dev/null || { echo "build.sh: go not found in PATH" >&2; exit 1; }

version=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
[ -n "$version" ] || { echo "build.sh: cannot find k8s.io/kubernetes version in go.mod" >&2; exit 1; }
components=${KB_KUBE_COMPONENTS:-"kube-apiserver kubectl kube-controller-manager"}
sum=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)
# bump when the build recipe below changes
recipe=2
stamp="recipe=$recipe $version $sum $(go env GOVERSION) ${components}"

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin
out=$cache_root/kube-$version

have_all=1
for c in $components; do [ -x "$out/$c" ] || have_all=0; done
if [ "$force" = 0 ] && [ "$have_all" = 1 ] && [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  echo "build.sh: up to date: $out ($version)" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
tmp=$(mktemp -d "$cache_root/.kube-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

pkgs=()
for c in $components; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done

# Version stamping as upstream's hack/lib/version.sh does, so /version and
# `kubectl version` report v1.Y.Z instead of v0.0.0-master+$Format:%H$.
# buildDate = the module's publication time (reproducible).
build_date=$(cd "$here" && go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)
major=${version#v}; major=${major%%.*}
minor=${version#v*.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${build_date:-1970-01-01T00:00:00Z}"
done

echo "build.sh: building ${components} ($version) into $out ..." >&2
start=$(date +%s)
(
  cd "$here"
  # go.sum is committed; GOFLAGS from the caller stay in effect.
  go build -p "${KB_KUBE_BUILD_JOBS:-2}" -trimpath -buildvcs=false -ldflags="$ldflags" -o "$tmp/" "${pkgs[@]}"
)
echo "$stamp" > "$tmp/.stamp"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "build.sh: built in $(( $(date +%s) - start ))s: $out" >&2
ls -l "$out" >&2
echo "$out"
