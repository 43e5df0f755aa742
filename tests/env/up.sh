#!/usr/bin/env bash
# Starts real test servers on 127.0.0.1 (random free ports), data and logs under DIR, and
# writes DIR/env.sh with the KB_TEST_* variables the integration tests read.
#
# Usage: up.sh DIR [COMPONENT...]
#   COMPONENT: etcd34 etcd36 etcdauth minio minio_tls   (default: all)
#   etcd34    Debian etcd 3.4, TLS as kubeadm lays it out (DIR/etcd34/pki), client-cert auth
#   etcd36    etcd v3.6 built by build-servers.sh, same TLS layout, same CA
#   etcdauth  etcd v3.6 over plain http with auth enabled (user root)
#   minio     MinIO over http with bucket kbackup-test
#   minio_tls MinIO over https (cert from DIR/pki/ca.crt), same keys and bucket
# A component already running from DIR is left alone; data dirs are kept across down/up.
# Logs: DIR/<name>.log, pid files: DIR/<name>.pid. Stop with down.sh DIR.
# Env: KB_ETCD34_BIN (default /usr/bin), KB_BIN_CACHE (see build-servers.sh),
#      KB_UP_TIMEOUT (seconds per server, default 60).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
all=(etcd34 etcd36 etcdauth minio minio_tls)
[ $# -ge 1 ] && [ "$1" != -h ] && [ "$1" != --help ] || { sed -n '2,16p' "$0"; exit 2; }
mkdir -p "$1"
dir=$(cd "$1" && pwd)
shift
comps=("$@")
[ ${#comps[@]} -gt 0 ] || comps=("${all[@]}")
for c in "${comps[@]}"; do
  [[ " ${all[*]} " == *" $c "* ]] || { echo "up.sh: unknown component: $c (known: ${all[*]})" >&2; exit 2; }
done
timeout_s=${KB_UP_TIMEOUT:-60}
etcd34_bin=${KB_ETCD34_BIN:-/usr/bin}
cache=${KB_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kbackup/bin}
etcd36_bin=$cache/etcd-v3.6
minio_bin=$cache/minio
region=us-east-1
bucket=kbackup-test

log() { echo "up.sh: $*" >&2; }
die() { log "$*"; exit 1; }
for t in openssl curl python3 setsid; do command -v "$t" >/dev/null || die "$t not found (run tests/env/install-deps.sh)"; done
aws_cli=$(command -v aws || true)

# Build (or find cached) what the chosen components need.
need=()
for c in "${comps[@]}"; do
  case "$c" in
    etcd36|etcdauth) [[ " ${need[*]-} " == *" etcd36 "* ]] || need+=(etcd36) ;;
    minio|minio_tls) [[ " ${need[*]-} " == *" minio "* ]] || need+=(minio) ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then "$here/build-servers.sh" "${need[@]}" >/dev/null; fi

# Test credentials: random once per DIR, kept in DIR/secrets.env (mode 600), never printed.
umask 077
if [ ! -f "$dir/secrets.env" ]; then
  {
    echo "s3_access_key=kbtest$(openssl rand -hex 6)"
    echo "s3_secret_key=$(openssl rand -hex 20)"
    echo "etcdauth_password=$(openssl rand -hex 16)"
  } > "$dir/secrets.env"
fi
s3_access_key=$(sed -n 's/^s3_access_key=//p' "$dir/secrets.env")
s3_secret_key=$(sed -n 's/^s3_secret_key=//p' "$dir/secrets.env")
etcdauth_password=$(sed -n 's/^etcdauth_password=//p' "$dir/secrets.env")
umask 022

# --- PKI: one CA for every server, plus an unrelated CA for the "bad" client cert ---------
pki=$dir/pki
mkdir -p "$pki"
new_ca() {  # new_ca PREFIX CN
  [ -f "$1.crt" ] && return
  printf '[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=%s\n[ext]\n%s\n%s\n%s\n' \
    "$2" 'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' \
    'subjectKeyIdentifier=hash' > "$1.cnf"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -config "$1.cnf" \
    -keyout "$1.key" -out "$1.crt" 2>/dev/null
  rm -f "$1.cnf"
  chmod 600 "$1.key"
}
new_cert() {  # new_cert PREFIX CA-PREFIX CN EXTENDED-KEY-USAGE [SUBJECT-ALT-NAMES]
  [ -f "$1.crt" ] && return
  local out=$1 ca=$2 cn=$3 eku=$4 san=${5-}
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$out.key" -out "$out.csr" 2>/dev/null
  {
    echo 'basicConstraints=CA:FALSE'
    echo 'keyUsage=critical,digitalSignature,keyEncipherment'
    echo "extendedKeyUsage=$eku"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } > "$out.ext"
  openssl x509 -req -sha256 -days 3650 -in "$out.csr" -CA "$ca.crt" -CAkey "$ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -extfile "$out.ext" -out "$out.crt" 2>/dev/null
  rm -f "$out.csr" "$out.ext"
  chmod 600 "$out.key"
}
new_ca "$pki/ca" etcd-ca
new_ca "$pki/bad-ca" kbackup-test-wrong-ca
new_cert "$pki/bad-client" "$pki/bad-ca" kube-etcd-healthcheck-client clientAuth

# kubeadm's /etc/kubernetes/pki/etcd layout, one per TLS etcd.
etcd_pki() {  # etcd_pki NAME
  local p=$dir/$1/pki
  mkdir -p "$p"
  [ -f "$p/ca.crt" ] || cp "$pki/ca.crt" "$pki/ca.key" "$p/"
  new_cert "$p/server" "$p/ca" localhost serverAuth,clientAuth 'DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1'
  new_cert "$p/healthcheck-client" "$p/ca" kube-etcd-healthcheck-client clientAuth
}

# --- process helpers ---------------------------------------------------------------------
started=()   # pids started by this run, stopped again if a later step fails
on_exit() {
  local rc=$?
  if [ "$rc" != 0 ] && [ ${#started[@]} -gt 0 ]; then
    log "stopping servers started by this run (pids ${started[*]})"
    kill -TERM "${started[@]}" 2>/dev/null || true
  fi
}
trap on_exit EXIT

running() {  # running NAME: true if DIR/NAME.pid names a live server of this DIR
  local f=$dir/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "$dir/$1/"
}

start() {  # start NAME CMD...: detached from this shell, output to DIR/NAME.log
  local name=$1; shift
  log "starting $name (log $dir/$name.log)"
  setsid "$@" </dev/null >>"$dir/$name.log" 2>&1 &
  echo $! > "$dir/$name.pid"
  started+=($!)
}

wait_healthy() {  # wait_healthy NAME CHECK-CMD...
  local name=$1 pid; shift
  pid=$(cat "$dir/$name.pid")
  local deadline=$((SECONDS + timeout_s))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      fail_log "$name" "exited before becoming healthy"
    fi
    [ $SECONDS -lt $deadline ] || fail_log "$name" "not healthy after ${timeout_s}s"
    sleep 0.2
  done
}

fail_log() {  # fail_log NAME WHY: last log lines (secrets masked), then exit
  log "$1 $2; log: $dir/$1.log (last lines below)"
  tail -n 15 "$dir/$1.log" 2>/dev/null |
    sed -e "s/$s3_secret_key/****/g" -e "s/$etcdauth_password/****/g" >&2 || true
  exit 1
}

free_ports() {  # free_ports N: N distinct free TCP ports on 127.0.0.1
  python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

mkdir -p "$dir/env.d"
write_env() {  # write_env NAME VAR=VALUE...
  local name=$1 kv; shift
  for kv in "$@"; do printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"; done > "$dir/env.d/$name.sh"
}

# --- etcd ----------------------------------------------------------------------------------
start_etcd() {  # start_etcd NAME BIN-DIR tls|auth
  local name=$1 bin=$2 mode=$3 cport pport scheme data=$dir/$1/data p=$dir/$1/pki
  [ -x "$bin/etcd" ] && [ -x "$bin/etcdctl" ] || die "$name: no etcd/etcdctl in $bin"
  if running "$name" && [ -f "$dir/env.d/$name.sh" ]; then
    log "$name already running (pid $(cat "$dir/$name.pid"))"
    return
  fi
  mkdir -p "$data"
  chmod 700 "$data"
  read -r cport pport <<<"$(free_ports 2)"
  local args=(--name "$name" --data-dir "$data"
    --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport"
    --initial-cluster "$name=http://127.0.0.1:$pport" --initial-cluster-state new
    --quota-backend-bytes=8589934592 --snapshot-count=10000 --logger=zap --log-outputs=stderr)
  # Debian's 3.4.23 accepts --unsafe-no-fsync but its --help omits it: look in the binary.
  if grep -qaF unsafe-no-fsync "$bin/etcd"; then args+=(--unsafe-no-fsync); fi
  local ctl=("$bin/etcdctl" --endpoints)
  if [ "$mode" = tls ]; then
    etcd_pki "$name"
    scheme=https
    args+=(--cert-file "$p/server.crt" --key-file "$p/server.key"
      --client-cert-auth=true --trusted-ca-file "$p/ca.crt")
    ctl+=("$scheme://127.0.0.1:$cport" --cacert "$p/ca.crt" --cert "$p/healthcheck-client.crt"
      --key "$p/healthcheck-client.key")
  else
    scheme=http
    ctl+=("$scheme://127.0.0.1:$cport")
  fi
  args+=(--listen-client-urls "$scheme://127.0.0.1:$cport" --advertise-client-urls "$scheme://127.0.0.1:$cport")
  start "$name" "$bin/etcd" "${args[@]}"
  if [ "$mode" = auth ]; then
    local marker=$dir/$name/auth-enabled
    if [ -f "$marker" ]; then
      wait_healthy "$name" env ETCDCTL_USER=root ETCDCTL_PASSWORD="$etcdauth_password" "${ctl[@]}" endpoint health
    else
      wait_healthy "$name" "${ctl[@]}" endpoint health
      "${ctl[@]}" user add root --new-user-password="$etcdauth_password" >/dev/null
      "${ctl[@]}" user grant-role root root >/dev/null
      "${ctl[@]}" auth enable >/dev/null
      touch "$marker"
    fi
    # Proves the password works and that anonymous access is refused.
    env ETCDCTL_USER=root ETCDCTL_PASSWORD="$etcdauth_password" "${ctl[@]}" get --keys-only --limit=1 / >/dev/null ||
      fail_log "$name" "root login failed"
    if "${ctl[@]}" get --keys-only --limit=1 / >/dev/null 2>&1; then fail_log "$name" "auth is not enforced"; fi
  else
    wait_healthy "$name" "${ctl[@]}" endpoint health
  fi
  local up=${name^^} pid
  pid=$(cat "$dir/$name.pid")
  if [ "$mode" = tls ]; then
    write_env "$name" "KB_TEST_${up}_ENDPOINT=$scheme://127.0.0.1:$cport" \
      "KB_TEST_${up}_CACERT=$p/ca.crt" "KB_TEST_${up}_CERT=$p/healthcheck-client.crt" \
      "KB_TEST_${up}_KEY=$p/healthcheck-client.key" "KB_TEST_${up}_BIN=$bin" \
      "KB_TEST_${up}_DATA_DIR=$data" "KB_TEST_${up}_PID=$pid" "KB_TEST_${up}_PKI_DIR=$p"
  else
    write_env "$name" "KB_TEST_${up}_ENDPOINT=$scheme://127.0.0.1:$cport" \
      "KB_TEST_${up}_USER=root" "KB_TEST_${up}_PASSWORD=$etcdauth_password" \
      "KB_TEST_${up}_BIN=$bin" "KB_TEST_${up}_DATA_DIR=$data" "KB_TEST_${up}_PID=$pid"
  fi
  log "$name healthy at $scheme://127.0.0.1:$cport"
}

# --- MinIO -----------------------------------------------------------------------------------
s3() {  # s3 ENDPOINT [aws args...]: awscli with the test keys
  AWS_ACCESS_KEY_ID=$s3_access_key AWS_SECRET_ACCESS_KEY=$s3_secret_key AWS_DEFAULT_REGION=$region \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER='' \
    "$aws_cli" --endpoint-url "$@"
}

start_minio() {  # start_minio NAME http|https
  local name=$1 scheme=$2 aport cport data=$dir/$1/data certs=$dir/$1/certs
  [ -x "$minio_bin" ] || die "$name: no $minio_bin (build-servers.sh failed?)"
  [ -n "$aws_cli" ] || die "$name: aws (awscli) not found, needed to create the bucket"
  if running "$name" && [ -f "$dir/env.d/$name.sh" ]; then
    log "$name already running (pid $(cat "$dir/$name.pid"))"
    return
  fi
  mkdir -p "$data"
  read -r aport cport <<<"$(free_ports 2)"
  local args=(server "$data" --address "127.0.0.1:$aport" --console-address "127.0.0.1:$cport"
    --certs-dir "$certs")
  local curl_args=(-fsS --max-time 2) aws_tls=()
  if [ "$scheme" = https ]; then
    mkdir -p "$certs"
    new_cert "$certs/cert" "$pki/ca" localhost serverAuth 'DNS:localhost,IP:127.0.0.1'
    cp "$certs/cert.crt" "$certs/public.crt"
    cp "$certs/cert.key" "$certs/private.key"
    curl_args+=(--cacert "$pki/ca.crt")
    aws_tls=(--ca-bundle "$pki/ca.crt")
  else
    mkdir -p "$certs"  # empty: without --certs-dir MinIO would read ~/.minio/certs
  fi
  local url=$scheme://127.0.0.1:$aport
  start "$name" env MINIO_ROOT_USER="$s3_access_key" MINIO_ROOT_PASSWORD="$s3_secret_key" \
    MINIO_UPDATE=off MINIO_BROWSER=off "$minio_bin" "${args[@]}"
  wait_healthy "$name" curl "${curl_args[@]}" "$url/minio/health/live"
  # MinIO may answer live before its object layer is ready: retry the bucket call a while.
  local deadline=$((SECONDS + timeout_s))
  until s3 "$url" "${aws_tls[@]}" s3api head-bucket --bucket "$bucket" >/dev/null 2>&1 ||
    s3 "$url" "${aws_tls[@]}" s3api create-bucket --bucket "$bucket" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail_log "$name" "cannot create bucket $bucket"
    sleep 0.5
  done
  local pid up=S3
  pid=$(cat "$dir/$name.pid")
  if [ "$scheme" = https ]; then
    write_env "$name" "KB_TEST_S3TLS_ENDPOINT=$url" "KB_TEST_S3TLS_CA=$pki/ca.crt" \
      "KB_TEST_S3TLS_ACCESS_KEY=$s3_access_key" "KB_TEST_S3TLS_SECRET_KEY=$s3_secret_key" \
      "KB_TEST_S3TLS_BUCKET=$bucket" "KB_TEST_S3TLS_REGION=$region" "KB_TEST_S3TLS_PID=$pid" \
      "KB_TEST_S3TLS_DATA_DIR=$data"
  else
    write_env "$name" "KB_TEST_${up}_ENDPOINT=$url" "KB_TEST_${up}_ACCESS_KEY=$s3_access_key" \
      "KB_TEST_${up}_SECRET_KEY=$s3_secret_key" "KB_TEST_${up}_BUCKET=$bucket" \
      "KB_TEST_${up}_REGION=$region" "KB_TEST_MINIO_PID=$pid" "KB_TEST_MINIO_BIN=$minio_bin" \
      "KB_TEST_MINIO_DATA_DIR=$data"
  fi
  log "$name healthy at $url (bucket $bucket)"
}

for c in "${comps[@]}"; do
  case "$c" in
    etcd34) start_etcd etcd34 "$etcd34_bin" tls ;;
    etcd36) start_etcd etcd36 "$etcd36_bin" tls ;;
    etcdauth) start_etcd etcdauth "$etcd36_bin" auth ;;
    minio) start_minio minio http ;;
    minio_tls) start_minio minio_tls https ;;
  esac
done

# env.sh = common lines + every running component's env.d file (mode 600: it holds test keys).
{
  echo "# Written by tests/env/up.sh; source it. Test-only credentials."
  printf 'export %s=%q\n' KB_TEST_ENV_DIR "$dir" KB_TEST_ETCD_BAD_CERT "$pki/bad-client.crt" \
    KB_TEST_ETCD_BAD_KEY "$pki/bad-client.key"
  for c in "${all[@]}"; do
    if [ -f "$dir/env.d/$c.sh" ] && running "$c"; then cat "$dir/env.d/$c.sh"; fi
  done
} > "$dir/.env.sh.tmp"
chmod 600 "$dir/.env.sh.tmp"
mv "$dir/.env.sh.tmp" "$dir/env.sh"
log "ready: source $dir/env.sh"
