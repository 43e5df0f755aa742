#!/usr/bin/env bash
# Installs every Debian package kbackup needs to build, test and benchmark.
# Idempotent: packages already present are skipped quickly. Run as root (CI and dev machines are).
set -euo pipefail

PACKAGES=(
  build-essential dpkg-dev cmake ninja-build pkg-config git ca-certificates curl openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libcurl4-openssl-dev libssl-dev libzstd-dev zstd
  libboost1.81-all-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libarchive-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libsystemd-dev libabsl-dev tzdata
  etcd-server etcd-client awscli time jq bc
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's etcd-server would start a system etcd on :2379; tests start their own on random ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
