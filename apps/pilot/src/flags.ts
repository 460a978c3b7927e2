// Pilot's flags and their environment variables (README documents the same list).
import type { FlagSpec } from '@mesh/service';

export const PILOT_FLAGS = {
  natsUrl: { type: 'string', env: 'NATS_URL', default: 'nats://127.0.0.1:4222', help: 'NATS server(s) holding config, registry, mesh config and trust bundle' },
  xdsHost: { type: 'string', env: 'PILOT_XDS_HOST', default: '127.0.0.1', help: 'address the ADS gRPC server listens on (0.0.0.0 in a cluster)' },
  xdsPort: { type: 'number', env: 'PILOT_XDS_PORT', default: 15010, help: 'ADS gRPC port (plaintext)' },
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
