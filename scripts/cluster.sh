#!/usr/bin/env bash
# cluster.sh — a real Kubernetes control plane on loopback, no containers:
# etcd + kube-apiserver + kube-controller-manager (no kubelet, no scheduler:
# Pods never run, Deployments never become Ready; namespaces, CRDs, RBAC,
# ConfigMaps, garbage collection and finalizers all behave for real).
#
# Usage: scripts/cluster.sh start|stop|status|env|verify
#   start   build (once, cached) and start; prints the kubeconfig path
#   stop    stop the processes of this cluster dir and wait for them
#   status  show processes and /readyz
#   env     print 'export KUBECONFIG=...' (eval "$(scripts/cluster.sh env)")
#   verify  /version, namespace create+delete (finalized), CRD + object
#
# Env: ECO2_CLUSTER_DIR   data, certs, logs, pids (default ${TMPDIR:-/tmp}/eco2-cluster-$UID)
#      ECO2_CLUSTER_TIMEOUT seconds to wait for /readyz (default 180)
#      ECO2_KUBE_VERSION, ECO2_CACHE (see build-kube.sh)
set -euo pipefail

here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

CLUSTER_DIR="${ECO2_CLUSTER_DIR:-${TMPDIR:-/tmp}/eco2-cluster-$(id -u)}"
TIMEOUT="${ECO2_CLUSTER_TIMEOUT:-180}"
KUBECONFIG_PATH="$CLUSTER_DIR/kubeconfig"
COMPONENTS=(etcd kube-apiserver kube-controller-manager)

pid_of() { cat "$CLUSTER_DIR/pids/$1.pid" 2>/dev/null || true; }
# Alive and really ours: a recorded PID may have been reused after a reboot.
# No pipe into `grep -q` here: under pipefail, grep exiting at its first match can kill `tr`
# with SIGPIPE mid-write and the pipeline then fails, calling a live process dead (it did, now
# and then, in CI for kube-apiserver's long command line).
alive() {
  local p cmd
  p="$(pid_of "$1")"
  [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null || return 1
  cmd="$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"/$1 "* ]]
}

# Free TCP ports on 127.0.0.1, all held open at once so they are distinct;
# chosen per start so that two clusters (two CI jobs) never collide.
free_ports() { # <count>
  node -e '
    const net = require("net"); const n = +process.argv[1]; const servers = [];
    (async () => {
      for (let i = 0; i < n; i++) {
        const s = net.createServer(); servers.push(s);
        await new Promise(r => s.listen(0, "127.0.0.1", r));
      }
      console.log(servers.map(s => s.address().port).join(" "));
      servers.forEach(s => s.close());
    })();' "$1"
}

api() { # <method> <path> [curl args...]: call the API server with the admin token
  local method="$1" path="$2"; shift 2
  # shellcheck source=/dev/null
  source "$CLUSTER_DIR/cluster.env"
  curl -sS --cacert "$CLUSTER_DIR/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -X "$method" "https://127.0.0.1:$API_PORT$path" "$@"
}

make_pki() {
  local pki="$CLUSTER_DIR/pki"
  mkdir -p "$pki"
  # One CA signs the serving cert; clients verify against it (kubeconfig).
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=eco2-local-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$pki/apiserver.ext"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
  # Service-account token signing pair (apiserver signs, controller-manager
  # mints tokens for the SA controllers with the same private key).
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
}

write_kubeconfig() { # <path> <token> <user>
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: eco2-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$CLUSTER_DIR/pki/ca.crt")
users:
- name: $3
  user:
    token: $2
contexts:
- name: eco2-local
  context: {cluster: eco2-local, user: $3}
current-context: eco2-local
EOF
  chmod 600 "$1"
}

launch() { # <name> <binary> <args...>: detached, logged, pid recorded
  local name="$1"; shift
  # setsid: the processes outlive this script and a Ctrl-C in the caller's
  # terminal; 'stop' ends them by recorded PID.
  setsid "$@" >"$CLUSTER_DIR/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$CLUSTER_DIR/pids/$name.pid"
  # Until the forked shell has exec'd the binary, /proc/<pid>/cmdline is still this script's,
  # and 'alive' would call the component dead (seen on a loaded CI machine): wait for the exec.
  local i
  for ((i = 0; i < 100; i++)); do
    alive "$name" && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

wait_ready() {
  local start=$SECONDS code
  while ((SECONDS - start < TIMEOUT)); do
    # Dead means gone (kill -0), not "command line not what we expect": this check runs within
    # the first second of the process's life, and a first CI run now and then called a starting
    # kube-apiserver dead with nothing in its log.
    if ! kill -0 "$(pid_of kube-apiserver)" 2>/dev/null; then
      echo "error: kube-apiserver exited; last lines of $CLUSTER_DIR/logs/kube-apiserver.log:" >&2
      tail -n 30 "$CLUSTER_DIR/logs/kube-apiserver.log" >&2
      echo "recorded pid $(pid_of kube-apiserver): $(tr '\0' ' ' <"/proc/$(pid_of kube-apiserver)/cmdline" 2>&1 | cut -c1-200)" >&2
      pgrep -af "kube-apiserver|etcd" | cut -c1-200 >&2 || true
      return 1
    fi
    code="$(api GET /readyz -o /dev/null -w '%{http_code}' 2>/dev/null || true)"
    if [[ "$code" == 200 ]]; then
      eco2_log "kube-apiserver ready after $((SECONDS - start))s"
      return 0
    fi
    sleep 1
  done
  echo "error: kube-apiserver not ready after ${TIMEOUT}s; /readyz says:" >&2
  api GET '/readyz?verbose' 2>&1 | grep -v '\[+\]' >&2 || true
  echo "last lines of $CLUSTER_DIR/logs/kube-apiserver.log:" >&2
  tail -n 30 "$CLUSTER_DIR/logs/kube-apiserver.log" >&2
  return 1
}

cmd_start() {
  if alive kube-apiserver; then
    eco2_log "already running in $CLUSTER_DIR"
    echo "$KUBECONFIG_PATH"; return 0
  fi
  eco2_need openssl openssl
  eco2_need curl curl
  eco2_need setsid util-linux
  local bin
  bin="$("$here/build-kube.sh")"

  # A fresh data dir each start: a throwaway cluster, never stale state.
  cmd_stop >/dev/null 2>&1 || true
  # Never wipe a directory that is not ours (ECO2_CLUSTER_DIR is user input).
  if [[ -d "$CLUSTER_DIR" && -n "$(ls -A "$CLUSTER_DIR")" && ! -f "$CLUSTER_DIR/cluster.env" ]]; then
    echo "error: $CLUSTER_DIR exists and is not a cluster dir of this script; refusing to wipe it" >&2
    return 1
  fi
  rm -rf "$CLUSTER_DIR"
  mkdir -p "$CLUSTER_DIR"/{logs,pids,etcd}
  chmod 700 "$CLUSTER_DIR" "$CLUSTER_DIR/etcd"
  make_pki

  local ports
  read -r -a ports <<<"$(free_ports 4)"
  ETCD_PORT="${ports[0]}" ETCD_PEER_PORT="${ports[1]}" API_PORT="${ports[2]}" KCM_PORT="${ports[3]}"
  ADMIN_TOKEN="$(openssl rand -hex 24)"
  local kcm_token
  kcm_token="$(openssl rand -hex 24)"
  # Both identities are in system:masters: the controller-manager then runs
  # every controller with its own credentials, which avoids minting one
  # service account per controller (--use-service-account-credentials).
  printf '%s,eco2-admin,eco2-admin,"system:masters"\n%s,system:kube-controller-manager,kcm,"system:masters"\n' \
    "$ADMIN_TOKEN" "$kcm_token" >"$CLUSTER_DIR/pki/tokens.csv"
  cat >"$CLUSTER_DIR/cluster.env" <<EOF
ETCD_PORT=$ETCD_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
ADMIN_TOKEN=$ADMIN_TOKEN
KUBE_BIN=$bin
EOF
  chmod 600 "$CLUSTER_DIR/cluster.env"
  write_kubeconfig "$KUBECONFIG_PATH" "$ADMIN_TOKEN" eco2-admin
  write_kubeconfig "$CLUSTER_DIR/kcm.kubeconfig" "$kcm_token" kube-controller-manager

  launch etcd "$bin/etcd" --name eco2 --data-dir "$CLUSTER_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "eco2=http://127.0.0.1:$ETCD_PEER_PORT" \
    --quota-backend-bytes 1073741824 --log-level warn

  local pki="$CLUSTER_DIR/pki"
  # --endpoint-reconciler-type=none: the 'kubernetes' Service endpoint would
  # be 127.0.0.1, which Endpoints validation rejects (loopback), spamming the log.
  launch kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --cert-dir "$pki" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --token-auth-file "$pki/tokens.csv" --authorization-mode RBAC \
    --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --endpoint-reconciler-type none --allow-privileged --profiling=false

  if ! wait_ready; then cmd_stop >/dev/null 2>&1 || true; return 1; fi

  launch kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$CLUSTER_DIR/kcm.kubeconfig" \
    --authentication-kubeconfig "$CLUSTER_DIR/kcm.kubeconfig" \
    --authorization-kubeconfig "$CLUSTER_DIR/kcm.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --profiling=false
  sleep 2
  if ! kill -0 "$(pid_of kube-controller-manager)" 2>/dev/null; then
    echo "error: kube-controller-manager exited:" >&2
    tail -n 30 "$CLUSTER_DIR/logs/kube-controller-manager.log" >&2
    cmd_stop >/dev/null 2>&1 || true
    return 1
  fi
  eco2_log "cluster up: $("$bin/kube-apiserver" --version) on https://127.0.0.1:$API_PORT"
  echo "$KUBECONFIG_PATH"
}

cmd_stop() {
  local name p i
  # Reverse order: controllers first, etcd last, so nothing logs errors
  # about a vanished backend.
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    name="${COMPONENTS[i]}"
    p="$(pid_of "$name")"
    [[ -n "$p" ]] || continue
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$p" 2>/dev/null; then
        eco2_log "$name (pid $p) ignored SIGTERM for 15s: SIGKILL"
        kill -KILL "$p" 2>/dev/null || true
      fi
      eco2_log "stopped $name (pid $p)"
    fi
    rm -f "$CLUSTER_DIR/pids/$name.pid"
  done
}

cmd_status() {
  local name rc=0
  for name in "${COMPONENTS[@]}"; do
    if alive "$name"; then echo "$name: running (pid $(pid_of "$name"))"; else echo "$name: stopped"; rc=1; fi
  done
  if alive kube-apiserver; then
    echo "readyz: $(api GET /readyz 2>&1 || true)"
    echo "kubeconfig: $KUBECONFIG_PATH"
  fi
  return "$rc"
}

cmd_env() {
  [[ -f "$KUBECONFIG_PATH" ]] || { echo "error: no cluster in $CLUSTER_DIR (run start)" >&2; return 1; }
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
  echo "export ECO2_CLUSTER_DIR=$CLUSTER_DIR"
}

# End-to-end checks of the control plane itself, with curl only.
cmd_verify() {
  alive kube-apiserver || { echo "error: cluster not running" >&2; return 1; }
  local ns="eco2-verify-$$" out i
  out="$(api GET /version)"
  echo "version: $(echo "$out" | tr -d '\n ')"
  echo "$out" | grep -Eq "\"gitVersion\": *\"$ECO2_KUBE_VERSION\"" ||
    { echo "FAIL: /version does not report $ECO2_KUBE_VERSION" >&2; return 1; }

  api POST /api/v1/namespaces -H 'Content-Type: application/json' \
    -d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" -o /dev/null -f
  api POST "/api/v1/namespaces/$ns/configmaps" -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"probe"},"data":{"a":"b"}}' -o /dev/null -f
  api DELETE "/api/v1/namespaces/$ns" -o /dev/null -f
  # The namespace controller (controller-manager) empties and finalizes it;
  # without it the namespace would stay Terminating forever.
  for i in $(seq 1 60); do
    [[ "$(api GET "/api/v1/namespaces/$ns" -o /dev/null -w '%{http_code}')" == 404 ]] && break
    sleep 1
  done
  [[ "$(api GET "/api/v1/namespaces/$ns" -o /dev/null -w '%{http_code}')" == 404 ]] ||
    { echo "FAIL: namespace $ns not finalized after 60s" >&2; return 1; }
  echo "namespace: created, deleted, finalized in ~${i}s"

  api POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions -H 'Content-Type: application/json' -f -o /dev/null -d '{
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.verify.eco2.local"},
    "spec":{"group":"verify.eco2.local","scope":"Namespaced",
      "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer"}}}}}}}]}}'
  for _ in $(seq 1 30); do
    [[ "$(api GET /apis/verify.eco2.local/v1/namespaces/default/widgets -o /dev/null -w '%{http_code}')" == 200 ]] && break
    sleep 1
  done
  api POST /apis/verify.eco2.local/v1/namespaces/default/widgets -H 'Content-Type: application/json' -f -o /dev/null \
    -d '{"apiVersion":"verify.eco2.local/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":3}}'
  out="$(api GET /apis/verify.eco2.local/v1/namespaces/default/widgets/w1 -f)"
  echo "$out" | grep -Eq '"size": *3' || { echo "FAIL: custom object not read back" >&2; return 1; }
  api DELETE /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.verify.eco2.local -f -o /dev/null
  echo "crd: created, object stored and read back, CRD deleted"
  echo "verify: OK"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  verify) cmd_verify ;;
  *) echo "usage: $0 start|stop|status|env|verify" >&2; exit 2 ;;
esac
