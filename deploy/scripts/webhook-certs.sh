#!/usr/bin/env bash
# Serving certificates for the admission webhook (the injector's /inject; galley's
# /validate joins when galley serves it), without cert-manager:
#   deploy/scripts/webhook-certs.sh injector|all            # create/rotate in the cluster
#   deploy/scripts/webhook-certs.sh --dry-run DIR injector|all  # only write the files to DIR
#
# For each component it makes a CA and a serving certificate for the Service's
# DNS names (istio-sidecar-injector.istio-system.svc),
# stores them in the Secret the Deployment mounts (kubernetes.io/tls), and sets
# every webhook's clientConfig.caBundle to the new CA. Re-running it rotates:
# the caBundle keeps the previous CA next to the new one until the pods serve
# the new certificate, so admission calls never fail during a rotation.
# Needs openssl; without --dry-run also kubectl and a cluster where the
# component's manifests are applied.
set -euo pipefail

namespace=istio-system
days=365
dry_run=""
here=$(cd "$(dirname "$0")" && pwd)
manifests="$here/../kubernetes"

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=${2:?--dry-run needs a directory}; shift 2 ;;
    --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    --days) days=${2:?--days needs a number}; shift 2 ;;
    -h|--help) usage ;;
    injector|all) target=$1; shift ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[ -n "${target:-}" ] || usage

# component -> Service (also the Deployment's name), Secret, webhook configuration kind and name, manifest
describe() {
  case "$1" in
    injector) echo "istio-sidecar-injector istio-sidecar-injector-webhook-certs mutatingwebhookconfiguration istio-sidecar-injector injector/mutatingwebhookconfiguration.yaml" ;;
  esac
}

# The names of a configuration's webhooks: from the cluster, or (dry run) from
# the manifest in this repository (the `- name:` entries directly under webhooks:).
webhook_names() {
  local kind=$1 name=$2 file=$3
  if [ -n "$dry_run" ]; then
    awk '/^webhooks:/ {in_hooks=1; next} in_hooks && /^  - name: / {print $3}' "$manifests/$file"
  else
    kubectl get "$kind" "$name" -o jsonpath='{range .webhooks[*]}{.name}{"\n"}{end}'
  fi
}

# The first certificate of the current caBundle, to keep trusting it during a rotation.
previous_ca() {
  local kind=$1 name=$2
  [ -n "$dry_run" ] && return 0
  kubectl get "$kind" "$name" -o jsonpath='{.webhooks[0].clientConfig.caBundle}' 2>/dev/null | base64 -d 2>/dev/null |
    awk '/-----BEGIN CERTIFICATE-----/ {p=1} p {print} /-----END CERTIFICATE-----/ {exit}' || true
}

issue() {
  local component=$1 service secret kind config file dir
  read -r service secret kind config file <<<"$(describe "$component")"
  dir=${dry_run:-$(mktemp -d)}/$component
  mkdir -p "$dir"
  local dns1="$service.$namespace.svc" dns2="$service.$namespace.svc.cluster.local"

  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days "$days" \
    -subj "/O=mesh/CN=$service webhook CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
    -subj "/O=mesh/CN=$dns1" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' \
    "$dns1" "$dns2" >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -sha256 -days "$days" \
    -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
  # A new CA is made on every run, so its key is never needed again.
  rm -f "$dir/tls.csr" "$dir/ext.cnf" "$dir/ca.srl" "$dir/ca.key"

  { cat "$dir/ca.crt"; previous_ca "$kind" "$config"; } >"$dir/ca-bundle.pem"
  local bundle hooks=() patch
  bundle=$(base64 -w0 <"$dir/ca-bundle.pem")
  mapfile -t hooks < <(webhook_names "$kind" "$config" "$file")
  [ "${#hooks[@]}" -gt 0 ] || { echo "$kind/$config has no webhooks" >&2; exit 1; }
  # A strategic merge patch: webhooks merge by name, so each keeps the rest of its settings.
  patch='{"webhooks":['
  for i in "${!hooks[@]}"; do
    [ "$i" -gt 0 ] && patch+=','
    patch+="{\"name\":\"${hooks[$i]}\",\"clientConfig\":{\"caBundle\":\"$bundle\"}}"
  done
  patch+=']}'
  printf '%s\n' "$patch" >"$dir/cabundle-patch.json"

  if [ -n "$dry_run" ]; then
    echo "$component: wrote $dir (ca.crt, tls.crt, tls.key, ca-bundle.pem, cabundle-patch.json)"
    return 0
  fi
  # CA first (old and new both trusted), then the new certificate, then the pods.
  kubectl patch "$kind" "$config" --type=strategic -p "$patch" >/dev/null
  kubectl -n "$namespace" create secret tls "$secret" --cert="$dir/tls.crt" --key="$dir/tls.key" \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  if kubectl -n "$namespace" get deployment "$service" >/dev/null 2>&1; then
    kubectl -n "$namespace" rollout restart deployment "$service" >/dev/null
    kubectl -n "$namespace" rollout status deployment "$service" --timeout=180s ||
      echo "warning: deployment $service did not become ready; the certificate and caBundle are in place" >&2
  fi
  rm -rf "$(dirname "$dir")"
  echo "$component: Secret $namespace/$secret and $kind/$config caBundle updated"
}

case "$target" in
  all) issue injector ;;
  *) issue "$target" ;;
esac
