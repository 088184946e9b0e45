import { ADMIN_KUBECONFIG, BOOTSTRAP_MARKER, BOOTSTRAP_WAIT_SECONDS, KUBEADM_V1BETA4_MINOR, KUBELET_CONF, NODE_PKI_DIR, NODE_REGISTER_WAIT_SECONDS, NODE_STATE_DIR, POLL_SECONDS } from "./defaults";

// The shell the join runs, as plain text from pure functions: tests shellcheck every script and
// run it against stand-in kubeadm/kubectl. Paths and waits read ECO2_* variables with the real
// values as defaults; on a host the scripts run under `sudo`, which drops those variables, so
// only tests can move them.
//
// Secrets: the join command (it holds a bootstrap token) reaches the node on stdin, is parsed
// by bash builtins and written to a 0600 JoinConfiguration file, so it is never an argument of
// a process (visible in `ps`, audit logs) and never printed (pulumi-command#260, kubeadm#160).

export interface Taint {
    readonly key: string;
    readonly value: string;
    readonly effect: string;
}

const HEADER = "#!/usr/bin/env bash\nset -euo pipefail\n";

/** A word the shell reads back unchanged, whatever it contains. */
export function shellQuote(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line a remote.Command runs: the script under root's bash with strict flags.
 * `sudo -n` fails instead of prompting for a password nobody can type; stdin passes through.
 */
export function asRoot(script: string): string {
    return `sudo -n bash -euo pipefail -c ${shellQuote(script)}`;
}

/**
 * The Node name of a gateway instance. It carries the instance id, so a replacement instance
 * registers under a new name while the old Node is still Ready: kubeadm refuses to join a
 * name that a Ready Node holds (kubernetes#81056, #89512).
 */
export function gatewayNodeName(environment: string, index: number, instanceId: string): string {
    const suffix = instanceId
        .replace(/^i-/, "")
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-");
    const name = `eco2-${environment}-gateway-${index}-${suffix}`.replace(/-+/g, "-").replace(/-$/, "");
    // A Node name is a DNS-1123 subdomain; keep it a single label (63) for hostnames and logs.
    return name.slice(0, 63).replace(/-$/, "");
}

const NODE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Script text embeds the Node name in comments and YAML; only a DNS-1123 label gets that far. */
function checkedNodeName(name: string): string {
    if (!NODE_NAME.test(name)) throw new Error(`not a gateway Node name (DNS-1123 label): ${JSON.stringify(name)}`);
    return name;
}

/** `30m` / `2h` → seconds. */
export function durationSeconds(duration: string): number {
    const m = /^(\d+)(s|m|h)$/.exec(duration);
    if (!m) throw new Error(`not a duration: ${JSON.stringify(duration)} (expected e.g. 30m)`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
}

/** The line after the join command that tells the node when the token stops working. */
export const TOKEN_EXPIRY_PREFIX = "# eco2-mesh token-expires-at=";

/**
 * On the control plane: a fresh bootstrap token and the join command that uses it. Its stdout
 * is the secret the node's join reads; the expiry line lets the join fail with an actionable
 * message instead of kubeadm's JWS error when a stale command from state is replayed (kubeadm#668).
 */
export function joinCommandScript(args: { ttl: string; description: string }): string {
    const ttlSeconds = durationSeconds(args.ttl);
    return `${HEADER}# Creates a ${args.ttl} bootstrap token for one gateway node and prints its join command.
kubeconfig="\${ECO2_KUBECONFIG:-${ADMIN_KUBECONFIG}}"
# Taken before the token exists, so the recorded expiry is never later than the real one.
expires_at=$(( $(date +%s) + ${ttlSeconds} ))
join_command="$(kubeadm token create --kubeconfig "$kubeconfig" --ttl ${shellQuote(args.ttl)} --description ${shellQuote(args.description)} --print-join-command)"
printf '%s\\n' "$join_command"
printf '${TOKEN_EXPIRY_PREFIX}%s\\n' "$expires_at"
`;
}

function kubeadmApiVersion(kubernetesVersion: string): string {
    const minor = Number(kubernetesVersion.split(".")[1]);
    return minor >= KUBEADM_V1BETA4_MINOR ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

/**
 * On the new node: wait for the user data, then `kubeadm join` with the join command read
 * from stdin. A node that already has kubelet.conf is joined: the script does nothing, so
 * re-running it (an update, a retried `pulumi up`) is safe.
 */
export function nodeJoinScript(args: { nodeName: string; kubernetesVersion: string; taint: Taint; replaceHint: string }): string {
    const nodeName = checkedNodeName(args.nodeName);
    const t = args.taint;
    // JSON strings are YAML strings; the quoted heredoc below keeps the shell out of them.
    const registration = [
        "nodeRegistration:",
        `  name: ${JSON.stringify(nodeName)}`,
        // Tainted from the moment it registers, so no other pod lands there before the label step.
        "  taints:",
        `    - key: ${JSON.stringify(t.key)}`,
        `      value: ${JSON.stringify(t.value)}`,
        `      effect: ${JSON.stringify(t.effect)}`,
    ].join("\n");
    return `${HEADER}# Joins this instance to the cluster as ${nodeName}; the join command arrives on stdin.
node=${shellQuote(nodeName)}
# The stack resource that creates the join command; a URN may hold a literal "$".
# shellcheck disable=SC2016
join_command_resource=${shellQuote(args.replaceHint)}
kubelet_conf="\${ECO2_KUBELET_CONF:-${KUBELET_CONF}}"
pki_dir="\${ECO2_PKI_DIR:-${NODE_PKI_DIR}}"
marker="\${ECO2_BOOTSTRAP_MARKER:-${BOOTSTRAP_MARKER}}"
state_dir="\${ECO2_STATE_DIR:-${NODE_STATE_DIR}}"
wait_seconds="\${ECO2_BOOTSTRAP_WAIT_SECONDS:-${BOOTSTRAP_WAIT_SECONDS}}"
poll_seconds="\${ECO2_POLL_SECONDS:-${POLL_SECONDS}}"

fail() { printf 'eco2-mesh join: %s\\n' "$*" >&2; exit 1; }

if [[ -e "$kubelet_conf" ]]; then
  echo "eco2-mesh join: $node is already joined ($kubelet_conf exists); nothing to do"
  exit 0
fi

deadline=$(( $(date +%s) + wait_seconds ))
until [[ -e "$marker" ]]; do
  if (( $(date +%s) >= deadline )); then
    fail "the node bootstrap did not finish within \${wait_seconds}s (no $marker); see /var/log/cloud-init-output.log on the instance"
  fi
  sleep "$poll_seconds"
done

join_line=""
expires_at=""
while IFS= read -r line || [[ -n "$line" ]]; do
  case "$line" in
    "kubeadm join "*) join_line="$line" ;;
    "${TOKEN_EXPIRY_PREFIX}"*) expires_at="\${line#*=}" ;;
  esac
done
[[ -n "$join_line" ]] || fail "no join command on stdin (the join-command step printed none)"
if [[ -n "$expires_at" ]] && (( $(date +%s) >= expires_at )); then
  fail "the join token from the stack state has expired; create a fresh one: pulumi up --replace '$join_command_resource'"
fi

# bash >= 5.1 (Ubuntu 22.04 on) feeds a short here-string through a pipe, not a temporary file.
read -r -a words <<<"$join_line"
endpoint="\${words[2]:-}"
token=""
ca_hash=""
for (( i = 3; i < \${#words[@]}; i++ )); do
  case "\${words[i]}" in
    --token) token="\${words[i + 1]:-}" ;;
    --discovery-token-ca-cert-hash) ca_hash="\${words[i + 1]:-}" ;;
  esac
done
# Checked by shape only; the values themselves are never printed.
[[ "$endpoint" =~ ^[][A-Za-z0-9.:-]+:[0-9]+$ ]] || fail "the join command has no API server endpoint"
[[ "$token" =~ ^[a-z0-9]{6}\\.[a-z0-9]{16}$ ]] || fail "the join command has no well-formed --token"
[[ "$ca_hash" =~ ^sha256:[a-f0-9]{64}$ ]] || fail "the join command has no well-formed --discovery-token-ca-cert-hash"

if [[ -e "$pki_dir/ca.crt" ]]; then
  # An interrupted join left files behind; kubeadm's preflight would refuse to run over them.
  echo "eco2-mesh join: cleaning up an interrupted join"
  kubeadm reset -f
fi

umask 077
mkdir -p "$state_dir"
config="$(mktemp "$state_dir/join.XXXXXX")"
trap 'rm -f "$config"' EXIT
{
  printf 'apiVersion: ${kubeadmApiVersion(args.kubernetesVersion)}\\nkind: JoinConfiguration\\n'
  printf 'discovery:\\n  bootstrapToken:\\n    apiServerEndpoint: "%s"\\n    token: "%s"\\n    caCertHashes: ["%s"]\\n' "$endpoint" "$token" "$ca_hash"
  cat <<'ECO2_NODE_REGISTRATION'
${registration}
ECO2_NODE_REGISTRATION
} >"$config"
kubeadm join --config "$config"
echo "eco2-mesh join: $node joined"
`;
}

/** The kubeconfig, the Node name and an error helper; shared by the control-plane steps. */
function kubectlPrelude(nodeName: string): string {
    return `export KUBECONFIG="\${ECO2_KUBECONFIG:-${ADMIN_KUBECONFIG}}"
node=${shellQuote(checkedNodeName(nodeName))}
fail() { printf 'eco2-mesh: %s\\n' "$*" >&2; exit 1; }
`;
}

/**
 * On the control plane: the gateway label(s) and taint, with --overwrite so a re-run or a
 * changed value converges instead of failing; `--` so no label can be read as a kubectl flag. The gateway chart's nodeSelector and
 * tolerations are built from the same config keys (stacks/istio/values.ts).
 */
export function labelScript(args: { nodeName: string; labels: Record<string, string>; taint: Taint }): string {
    const labels = Object.entries(args.labels).map(([k, v]) => shellQuote(`${k}=${v}`));
    const t = args.taint;
    return `${HEADER}# Labels and taints ${args.nodeName} for the ingress gateway pods.
${kubectlPrelude(args.nodeName)}wait_seconds="\${ECO2_NODE_WAIT_SECONDS:-${NODE_REGISTER_WAIT_SECONDS}}"
poll_seconds="\${ECO2_POLL_SECONDS:-${POLL_SECONDS}}"
deadline=$(( $(date +%s) + wait_seconds ))
until [[ -n "$(kubectl get node "$node" --ignore-not-found -o name)" ]]; do
  if (( $(date +%s) >= deadline )); then
    fail "node $node did not register within \${wait_seconds}s after kubeadm join; check the kubelet on the instance (journalctl -u kubelet)"
  fi
  sleep "$poll_seconds"
done
${labels.length > 0 ? `kubectl label node "$node" --overwrite -- ${labels.join(" ")}\n` : ""}kubectl taint node "$node" --overwrite -- ${shellQuote(`${t.key}=${t.value}:${t.effect}`)}
`;
}

/**
 * On the control plane, when a gateway node goes away: evict its pods (respecting the gateway's
 * PodDisruptionBudget), then remove the Node. A Node that is already gone is not an error; a
 * failed lookup is (the assignment under `set -e` stops the script), so an unreachable API
 * server never passes for "already removed".
 */
export function drainScript(args: { nodeName: string; drainTimeout: string }): string {
    return `${HEADER}# Drains and removes ${args.nodeName}.
${kubectlPrelude(args.nodeName)}found="$(kubectl get node "$node" --ignore-not-found -o name)"
if [[ -z "$found" ]]; then
  echo "eco2-mesh: node $node is not in the cluster; nothing to drain"
  exit 0
fi
kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout=${shellQuote(args.drainTimeout)}
kubectl delete node "$node" --ignore-not-found
`;
}

/** On the node, after it left the cluster: undo the join so nothing of it keeps running. */
export function nodeResetScript(): string {
    return `${HEADER}# Resets kubeadm's state on this instance.
kubelet_conf="\${ECO2_KUBELET_CONF:-${KUBELET_CONF}}"
pki_dir="\${ECO2_PKI_DIR:-${NODE_PKI_DIR}}"
if [[ ! -e "$kubelet_conf" && ! -e "$pki_dir/ca.crt" ]]; then
  echo "eco2-mesh: this instance never joined; nothing to reset"
  exit 0
fi
kubeadm reset -f
`;
}
