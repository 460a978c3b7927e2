// Pilot's flags and their environment variables (README documents the same list).
import type { FlagSpec } from '@mesh/service';

export const PILOT_FLAGS = {
  natsUrl: { type: 'string', env: 'NATS_URL', default: 'nats://127.0.0.1:4222', help: 'NATS server(s) holding config, registry, mesh config and trust bundle' },
  xdsHost: { type: 'string', env: 'PILOT_XDS_HOST', default: '127.0.0.1', help: 'address of the plaintext ADS port; it authenticates no one, so keep it loopback (tools, local mode) and let proxies use --secure-xds-port' },
  xdsPort: { type: 'number', env: 'PILOT_XDS_PORT', default: 15010, help: 'ADS gRPC port (plaintext, no authentication)' },
  secureXdsHost: { type: 'string', env: 'PILOT_SECURE_XDS_HOST', default: '127.0.0.1', help: 'address of the mTLS ADS port (0.0.0.0 in a cluster)' },
  secureXdsPort: {
    type: 'number',
    env: 'PILOT_SECURE_XDS_PORT',
    default: 15011,
    help: "ADS gRPC over mutual TLS: clients present a certificate from the mesh CA, and a stream's node must claim the namespace and service account of that certificate (else PERMISSION_DENIED); needs --ca-address; 0 disables",
  },
  caAddress: { type: 'string', env: 'CA_ADDR', default: '', help: "citadel's certificate service (host:port) that issues pilot's serving certificate for --secure-xds-port; empty: no mTLS port" },
  caRootCert: { type: 'string', env: 'CA_ROOT_CERT', default: '/var/run/secrets/istio/root-cert.pem', help: "PEM roots that verify citadel, trusted for client certificates too together with the trust bundle from NATS (local mode: <citadel --root-dir>/root-cert.pem)" },
  caTokenFile: { type: 'string', env: 'CA_TOKEN_FILE', default: '/var/run/secrets/tokens/istio-token', help: "bearer token for pilot's first certificate, re-read per request (Kubernetes: the projected service-account token; local mode: a citadel bootstrap token)" },
  caServerName: { type: 'string', env: 'CA_SERVER_NAME', default: '', help: "name citadel's serving certificate is checked against; empty: the host of --ca-address" },
  podNamespace: { type: 'string', env: 'POD_NAMESPACE', default: 'istio-system', help: "pilot's namespace: its certificate is spiffe://<trust-domain>/ns/<this>/sa/<service-account>" },
  serviceAccount: { type: 'string', env: 'SERVICE_ACCOUNT', default: 'istiod', help: "pilot's service account (its SPIFFE id, which proxies verify with --pilot-san)" },
  trustDomain: { type: 'string', env: 'TRUST_DOMAIN', default: 'cluster.local', help: "trust domain of pilot's certificate and of every client certificate the mTLS port accepts" },
  secretTtl: { type: 'string', env: 'SECRET_TTL', default: '24h', help: "requested lifetime of pilot's serving certificate (renewed at half of it without dropping streams)" },
  monitoringHost: { type: 'string', env: 'PILOT_MONITORING_HOST', default: '127.0.0.1', help: 'address of the monitoring server' },
  monitoringPort: { type: 'number', env: 'PILOT_MONITORING_PORT', default: 15014, help: 'monitoring server: /healthz /ready /metrics /debug/*' },
  bindHost: { type: 'string', env: 'PILOT_BIND_HOST', default: '127.0.0.1', help: "address proxies' listeners bind unless node metadata BIND_ADDRESS says otherwise" },
  outboundPort: { type: 'number', env: 'PILOT_OUTBOUND_PORT', default: 15001, help: "a sidecar's outbound HTTP listener port when node metadata OUTBOUND_PORT is absent" },
  privilegedPortOffset: { type: 'number', env: 'PILOT_PRIVILEGED_PORT_OFFSET', default: 8000, help: 'gateway server ports below 1024 bind at port + this (80 → 8080); 0 binds them as they are' },
  debounceAfter: { type: 'number', env: 'PILOT_DEBOUNCE_AFTER', default: 100, help: 'ms to wait after the last config change before pushing' },
  debounceMax: { type: 'number', env: 'PILOT_DEBOUNCE_MAX', default: 1000, help: 'ms after the first change by which a push happens even if changes keep coming' },
  domainSuffix: { type: 'string', env: 'PILOT_DOMAIN_SUFFIX', default: 'cluster.local', help: 'DNS suffix of short host names (name → name.namespace.svc.<suffix>)' },
  pilotId: { type: 'string', env: 'POD_NAME', default: '', help: 'this replica\'s name in proxy status and responses (default pilot-<host>-<pid>)' },
  proxyStatusTtl: { type: 'number', env: 'PILOT_PROXY_STATUS_TTL', default: 300, help: 'seconds a proxy status entry lives without a refresh' },
} satisfies Record<string, FlagSpec>;
