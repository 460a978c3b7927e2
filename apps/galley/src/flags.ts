// Galley's flags and environment variables (see README.md for the table).
import type { FlagSpec } from '@mesh/service';

export const SERVE_FLAGS = {
  configDir: { type: 'string', help: 'directory of Istio YAML/JSON, watched recursively (required; in a cluster, a mounted ConfigMap)', env: 'GALLEY_CONFIG_DIR', default: '' },
  meshConfig: { type: 'string', help: "mesh config file (Istio's `mesh` ConfigMap data, or the ConfigMap itself); defaults when empty", env: 'GALLEY_MESH_CONFIG', default: '' },
  natsUrl: { type: 'string', help: 'NATS server with JetStream', env: 'NATS_URL', default: 'nats://127.0.0.1:4222' },
  monitoringHost: { type: 'string', help: 'address the monitoring server binds (0.0.0.0 in a cluster)', env: 'GALLEY_MONITORING_HOST', default: '127.0.0.1' },
  monitoringPort: { type: 'number', help: 'monitoring port (/metrics, /healthz, /ready, /debug/configz, /debug/rejected)', env: 'GALLEY_MONITORING_PORT', default: 15014 },
  defaultNamespace: { type: 'string', help: 'namespace of resources whose metadata.namespace is absent', env: 'GALLEY_DEFAULT_NAMESPACE', default: 'default' },
  strict: { type: 'boolean', help: 'reject resources with unknown fields (otherwise a warning, and the field is dropped)', env: 'GALLEY_STRICT', default: false },
  debounceMs: { type: 'number', help: 'quiet time after a file change before the directory is rescanned', env: 'GALLEY_DEBOUNCE_MS', default: 100 },
  resyncSeconds: { type: 'number', help: 'full rescan interval, a safety net for missed file events (0 disables)', env: 'GALLEY_RESYNC_SECONDS', default: 60 },
  domainSuffix: { type: 'string', help: 'cluster domain suffix for short host names in cross-resource checks', env: 'GALLEY_DOMAIN_SUFFIX', default: 'cluster.local' },
  credentialDir: {
    type: 'string',
    help: "TLS credentials for credentialName (Gateway servers, DestinationRule TLS at gateways): <dir>/<name>/{tls.crt,tls.key,ca.crt} (or a generic Secret's cert, key, cacert), or <dir>/<namespace>/<name>/...; none when empty",
    env: 'GALLEY_CREDENTIAL_DIR',
    default: '',
  },
  credentialNamespace: { type: 'string', help: 'namespace of the credentials directly below --credential-dir (the gateways\' namespace)', env: 'GALLEY_CREDENTIAL_NAMESPACE', default: 'istio-system' },
  credentialSource: {
    type: 'string',
    help: 'where credentialName credentials come from: dir (--credential-dir; none when it is empty) or kubernetes (Secrets of type kubernetes.io/tls, or Opaque with tls.crt/tls.key/ca.crt or cert/key/cacert, listed and watched)',
    env: 'GALLEY_CREDENTIAL_SOURCE',
    default: 'dir',
  },
  credentialNamespaces: { type: 'list', help: '--credential-source=kubernetes: namespaces whose Secrets are read (empty: all namespaces)', env: 'GALLEY_CREDENTIAL_NAMESPACES', default: [] },
  kubeconfig: { type: 'string', help: 'kubeconfig file for --credential-source=kubernetes (empty: ~/.kube/config if it exists, else in cluster with the pod\'s service account)', env: 'KUBECONFIG', default: '' },
} satisfies Record<string, FlagSpec>;

export const VALIDATE_FLAGS = {
  strict: { type: 'boolean', help: 'unknown fields are errors, as istioctl validate does (--no-strict: warnings)', default: true },
  defaultNamespace: { type: 'string', help: 'namespace of resources whose metadata.namespace is absent', default: 'default' },
  domainSuffix: { type: 'string', help: 'cluster domain suffix for short host names in cross-resource checks', default: 'cluster.local' },
} satisfies Record<string, FlagSpec>;
