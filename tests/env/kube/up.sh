#!/usr/bin/env bash
# Start a throw-away Kubernetes control plane NAME on loopback:
#   etcd (plain http, own data dir) + kube-apiserver (TLS, RBAC, client-cert and
#   static-token auth).  No kubelet, no scheduler; kube-controller-manager only
#   with KB_KUBE_WITH_KCM=1 (namespace deletion then finishes, GC works).
#
# Usage: up.sh DIR NAME          (NAME: [a-z0-9_]+, e.g. a, b)
#
# Layout under DIR/NAME/:
#   etcd/                 etcd data dir
#   pki/                  ca.{crt,key}, apiserver.{crt,key}, admin.{crt,key}, sa.{key,pub}
#   tokens.csv            static token file (kbackup-token-admin is in system:masters;
#                         kbackup-limited is in no group: only what RBAC binds to it)
#   ports                 etcd client/peer and apiserver ports (reused on restart)
#   admin.kubeconfig      client cert + CA embedded as data
#   token.kubeconfig      bearer token, CA as a file path
#   env.sh                exports KB_TEST_KUBE_<NAME>_* and KB_TEST_KUBECTL
#   *.log, *.pid          one per process
#
# Env:
#   KB_KUBE_BIN_DIR        use binaries from here instead of running build.sh
#   KB_KUBE_READY_TIMEOUT  seconds to wait for etcd/readyz (default 180)
#   KB_KUBE_WITH_KCM=1     also start kube-controller-manager (needs it built)
#   KB_ETCD_BIN            etcd binary (default: etcd in PATH, /usr/bin/etcd)
set -euo pipefail

usage() { echo "usage: $0 DIR NAME" >&2; exit 2; }
[ $# -eq 2 ] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
base=$(cd "$1" && pwd)
name=$2
[[ "$name" =~ ^[a-z0-9_]+$ ]] || { echo "up.sh: NAME must match [a-z0-9_]+ (got '$name')" >&2; exit 2; }
NAME=$(echo "$name" | tr 'a-z' 'A-Z')
d=$base/$name
timeout=${KB_KUBE_READY_TIMEOUT:-180}

log() { echo "up.sh[$name]: $*" >&2; }
started=0
die() {
  echo "up.sh[$name]: ERROR: $*" >&2
  # do not leave a half-started control plane behind (logs stay in place)
  if [ "$started" = 1 ]; then "$here/down.sh" "$base" "$name" >/dev/null 2>&1 || true; fi
  exit 1
}

pid_alive() { # pidfile expected-comm-substring
  local f=$1 want=$2 p
  [ -f "$f" ] || return 1
  p=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "$want"
}

# ---------------------------------------------------------------- binaries
if [ -n "${KB_KUBE_BIN_DIR:-}" ]; then
  bindir=$KB_KUBE_BIN_DIR
else
  bindir=$("$here/build.sh" | tail -n1)
fi
apiserver=$bindir/kube-apiserver
kubectl=$bindir/kubectl
kcm=$bindir/kube-controller-manager
[ -x "$apiserver" ] || die "missing $apiserver (run $here/build.sh)"
[ -x "$kubectl" ] || die "missing $kubectl (run $here/build.sh)"
etcd_bin=${KB_ETCD_BIN:-$(command -v etcd || echo /usr/bin/etcd)}
[ -x "$etcd_bin" ] || die "etcd not found (install the Debian package etcd-server, or set KB_ETCD_BIN)"
command -v openssl >/dev/null || die "openssl not found"
command -v curl >/dev/null || die "curl not found"

mkdir -p "$d/etcd" "$d/pki"
chmod 700 "$d/etcd" "$d/pki"

if pid_alive "$d/kube-apiserver.pid" kube-apiserver && pid_alive "$d/etcd.pid" etcd && [ -f "$d/env.sh" ]; then
  log "already running (see $d/env.sh); run down.sh first to restart"
  echo "$d/env.sh"
  exit 0
fi
# Half-started leftovers: stop them first.
"$here/down.sh" "$base" "$name" >/dev/null 2>&1 || true

# ---------------------------------------------------------------- ports
port_free() {
  ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q . || return 1
  # bash: a successful connect means something listens
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    case " ${taken:-} " in *" $p "*) continue ;; esac
    if port_free "$p"; then taken="${taken:-} $p"; echo "$p"; return 0; fi
  done
  die "no free port found"
}
taken=""
ETCD_CLIENT_PORT="" ETCD_PEER_PORT="" APISERVER_PORT=""
if [ -f "$d/ports" ]; then
  # shellcheck disable=SC1091
  . "$d/ports"
  for p in "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT"; do
    if [ -z "$p" ] || ! port_free "$p"; then ETCD_CLIENT_PORT=""; break; fi
  done
fi
if [ -z "$ETCD_CLIENT_PORT" ]; then
  ETCD_CLIENT_PORT=$(pick_port); taken="$taken $ETCD_CLIENT_PORT"
  ETCD_PEER_PORT=$(pick_port); taken="$taken $ETCD_PEER_PORT"
  APISERVER_PORT=$(pick_port)
  printf 'ETCD_CLIENT_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\n' \
    "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" > "$d/ports"
fi
etcd_url=http://127.0.0.1:$ETCD_CLIENT_PORT
server=https://127.0.0.1:$APISERVER_PORT

# ---------------------------------------------------------------- certs
pki=$d/pki
if [ ! -s "$pki/ca.crt" ] || [ ! -s "$pki/admin.crt" ] || [ ! -s "$pki/sa.pub" ]; then
  log "generating certificates in $pki"
  (
    cd "$pki"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=kbackup-test-ca-$name" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    # apiserver serving cert
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
      -subj "/CN=kube-apiserver" 2>/dev/null
    cat > apiserver.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
    # admin client cert: user kbackup-admin, group system:masters
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
      -subj "/O=system:masters/CN=kbackup-admin" 2>/dev/null
    cat > admin.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out admin.crt -days 3650 -extfile admin.ext 2>/dev/null
    # service-account signing key pair
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
  ) || die "certificate generation failed"
fi
if [ ! -s "$d/tokens.csv" ]; then
  token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077; echo "$token,kbackup-token-admin,kbackup-token-admin-uid,\"system:masters\"" > "$d/tokens.csv")
fi
# A second user, kbackup-limited, in no group: RBAC grants it only what a test binds to it.
if ! grep -q ',kbackup-limited,' "$d/tokens.csv"; then
  limited=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077; echo "$limited,kbackup-limited,kbackup-limited-uid" >> "$d/tokens.csv")
fi
token=$(grep ',kbackup-token-admin,' "$d/tokens.csv" | cut -d, -f1)
limited_token=$(grep ',kbackup-limited,' "$d/tokens.csv" | cut -d, -f1)

# ---------------------------------------------------------------- etcd
etcd_args=(
  --name "kbackup-$name"
  --data-dir "$d/etcd"
  --listen-client-urls "$etcd_url"
  --advertise-client-urls "$etcd_url"
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT"
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT"
  --initial-cluster "kbackup-$name=http://127.0.0.1:$ETCD_PEER_PORT"
  --initial-cluster-state new
  --quota-backend-bytes $((8 * 1024 * 1024 * 1024))
  --snapshot-count 10000
)
if "$etcd_bin" --help 2>&1 | grep -q -- '--unsafe-no-fsync'; then
  etcd_args+=(--unsafe-no-fsync)
fi
log "starting etcd $("$etcd_bin" --version 2>/dev/null | awk '/etcd Version/{print $3}') on $etcd_url"
nohup "$etcd_bin" "${etcd_args[@]}" > "$d/etcd.log" 2>&1 < /dev/null &
echo $! > "$d/etcd.pid"
started=1

deadline=$(( $(date +%s) + timeout ))
until curl -fsS -m 2 "$etcd_url/health" 2>/dev/null | grep -q '"health":"true"'; do
  pid_alive "$d/etcd.pid" etcd || { tail -n 20 "$d/etcd.log" >&2; die "etcd exited; log: $d/etcd.log"; }
  [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$d/etcd.log" >&2; die "etcd not healthy after ${timeout}s; log: $d/etcd.log"; }
  sleep 0.2
done

# ---------------------------------------------------------------- kube-apiserver
mkdir -p "$d/apiserver-certs"
apiserver_args=(
  --etcd-servers="$etcd_url"
  --bind-address=127.0.0.1
  --advertise-address=127.0.0.1
  --secure-port="$APISERVER_PORT"
  --cert-dir="$d/apiserver-certs"
  --tls-cert-file="$pki/apiserver.crt"
  --tls-private-key-file="$pki/apiserver.key"
  --client-ca-file="$pki/ca.crt"
  --token-auth-file="$d/tokens.csv"
  --authorization-mode=RBAC
  --service-cluster-ip-range=10.0.0.0/24
  --service-account-issuer="$server"
  --service-account-key-file="$pki/sa.pub"
  --service-account-signing-key-file="$pki/sa.key"
  --disable-admission-plugins=ServiceAccount
  --allow-privileged=true
  --endpoint-reconciler-type=none
  --profiling=false
  --v=1
)
# Extra flags, e.g. KB_KUBE_APISERVER_ARGS=--watch-cache=false (lists then come from etcd, so a
# compaction expires continue tokens at once).
if [ -n "${KB_KUBE_APISERVER_ARGS:-}" ]; then
  read -r -a extra_args <<< "$KB_KUBE_APISERVER_ARGS"
  apiserver_args+=("${extra_args[@]}")
fi
log "starting kube-apiserver $("$apiserver" --version 2>/dev/null | awk '{print $2}') on $server"
nohup "$apiserver" "${apiserver_args[@]}" > "$d/kube-apiserver.log" 2>&1 < /dev/null &
echo $! > "$d/kube-apiserver.pid"

# ---------------------------------------------------------------- kubeconfigs
b64() { base64 -w0 < "$1"; }
(umask 077; cat > "$d/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kbackup-$name
  cluster:
    server: $server
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: kbackup-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: kbackup-$name
  context:
    cluster: kbackup-$name
    user: kbackup-admin
current-context: kbackup-$name
EOF
cat > "$d/token.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kbackup-$name
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: kbackup-token-admin
  user:
    token: $token
contexts:
- name: kbackup-$name-token
  context:
    cluster: kbackup-$name
    user: kbackup-token-admin
current-context: kbackup-$name-token
EOF
)

start=$(date +%s)
deadline=$(( start + timeout ))
until [ "$(curl -sS -m 3 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
          "$server/readyz" 2>/dev/null)" = "ok" ]; do
  pid_alive "$d/kube-apiserver.pid" kube-apiserver || {
    tail -n 30 "$d/kube-apiserver.log" >&2; die "kube-apiserver exited; log: $d/kube-apiserver.log"; }
  [ "$(date +%s)" -lt "$deadline" ] || {
    tail -n 30 "$d/kube-apiserver.log" >&2
    curl -sS -m 3 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server/readyz?verbose" 2>&1 | grep -v '\] ok$' >&2 || true
    die "kube-apiserver not ready after ${timeout}s; log: $d/kube-apiserver.log"; }
  sleep 0.5
done
log "kube-apiserver ready after $(( $(date +%s) - start ))s"

# ---------------------------------------------------------------- optional kube-controller-manager
kcm_pid=""
if [ "${KB_KUBE_WITH_KCM:-0}" = 1 ]; then
  [ -x "$kcm" ] || die "KB_KUBE_WITH_KCM=1 but $kcm is missing (build it: KB_KUBE_COMPONENTS includes kube-controller-manager)"
  log "starting kube-controller-manager"
  nohup "$kcm" \
    --kubeconfig="$d/admin.kubeconfig" \
    --authentication-kubeconfig="$d/admin.kubeconfig" \
    --authorization-kubeconfig="$d/admin.kubeconfig" \
    --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=0 \
    --controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller \
    --service-account-private-key-file="$pki/sa.key" \
    --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=false \
    --v=1 > "$d/kube-controller-manager.log" 2>&1 < /dev/null &
  echo $! > "$d/kube-controller-manager.pid"
  kcm_pid=$!
  sleep 1
  pid_alive "$d/kube-controller-manager.pid" kube-controller-manager || {
    tail -n 30 "$d/kube-controller-manager.log" >&2; die "kube-controller-manager exited; log: $d/kube-controller-manager.log"; }
fi

# ---------------------------------------------------------------- env.sh
cat > "$d/env.sh" <<EOF
# generated by tests/env/kube/up.sh $base $name
export KB_TEST_KUBE_${NAME}_KUBECONFIG=$d/admin.kubeconfig
export KB_TEST_KUBE_${NAME}_TOKEN_KUBECONFIG=$d/token.kubeconfig
export KB_TEST_KUBE_${NAME}_SERVER=$server
export KB_TEST_KUBE_${NAME}_CA=$pki/ca.crt
export KB_TEST_KUBE_${NAME}_LIMITED_TOKEN=$limited_token
export KB_TEST_KUBE_${NAME}_ETCD_ENDPOINT=$etcd_url
export KB_TEST_KUBE_${NAME}_PID=$(cat "$d/kube-apiserver.pid")
export KB_TEST_KUBE_${NAME}_ETCD_PID=$(cat "$d/etcd.pid")
export KB_TEST_KUBE_${NAME}_DIR=$d
export KB_TEST_KUBECTL=$kubectl
EOF
[ -n "$kcm_pid" ] && echo "export KB_TEST_KUBE_${NAME}_KCM_PID=$kcm_pid" >> "$d/env.sh"
log "up: source $d/env.sh"
echo "$d/env.sh"
