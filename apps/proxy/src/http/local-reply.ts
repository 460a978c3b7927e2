// The bodies Envoy sends when it answers a request itself, so clients and
// tests see the same text from this proxy as from Envoy.

export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';
export const UPSTREAM_TIMEOUT = 'upstream request timeout';
export const FAULT_ABORT = 'fault filter abort';
export const STREAM_TIMEOUT = 'stream timeout';

export function upstreamResetBody(reason: 'connection failure' | 'connection termination' | 'overflow' | 'remote reset' | 'protocol error', retried: boolean): string {
  return `upstream connect error or disconnect/reset before headers. ${retried ? 'retried and the latest ' : ''}reset reason: ${reason}`;
}

/** Envoy's response flags (the %RESPONSE_FLAGS% access log field and Istio's response_flags label). */
export const FLAGS = {
  NONE: '-',
  NO_ROUTE: 'NR',
  NO_CLUSTER: 'NC',
  NO_HEALTHY_UPSTREAM: 'UH',
  UPSTREAM_CONNECT_FAILURE: 'UF',
  UPSTREAM_CONNECTION_TERMINATION: 'UC',
  UPSTREAM_REMOTE_RESET: 'UR',
  UPSTREAM_PROTOCOL_ERROR: 'UPE',
  UPSTREAM_TIMEOUT: 'UT',
  UPSTREAM_OVERFLOW: 'UO',
  RETRY_LIMIT_EXCEEDED: 'URX',
  DOWNSTREAM_CONNECTION_TERMINATION: 'DC',
  DELAY_INJECTED: 'DI',
  FAULT_INJECTED: 'FI',
  STREAM_IDLE_TIMEOUT: 'SI',
  DOWNSTREAM_PROTOCOL_ERROR: 'DPE',
} as const;
