// The bodies Envoy sends when it answers a request itself, so clients and
// tests see the same text from this proxy as from Envoy.

export const NO_HEALTHY_UPSTREAM = 'no healthy upstream';
export const UPSTREAM_TIMEOUT = 'upstream request timeout';
export const FAULT_ABORT = 'fault filter abort';
export const STREAM_TIMEOUT = 'stream timeout';

export function upstreamResetBody(reason: 'connection failure' | 'connection termination' | 'overflow' | 'remote reset' | 'remote refused stream reset' | 'protocol error', retried: boolean): string {
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
  /** Denied (or failed) by the external authorization service (ext_authz). */
  UNAUTHORIZED_EXTERNAL_SERVICE: 'UAEX',
} as const;

/** gRPC status codes used in local replies. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The grpc-status a local reply with this HTTP status carries to a gRPC client (Envoy's
 * Grpc::Utility::httpToGrpcStatus, after gRPC's http-grpc-status-mapping.md).
 */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return GRPC_STATUS.INTERNAL;
    case 401:
      return GRPC_STATUS.UNAUTHENTICATED;
    case 403:
      return GRPC_STATUS.PERMISSION_DENIED;
    case 404:
      return GRPC_STATUS.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS.UNAVAILABLE;
    default:
      return GRPC_STATUS.UNKNOWN;
  }
}

/** A gRPC request (Envoy's Grpc::Common::isGrpcRequestHeaders): content-type application/grpc, +proto/+json..., or with parameters. */
export function isGrpcContentType(ct: string): boolean {
  if (!ct.startsWith('application/grpc')) return false;
  if (ct.length === 16) return true;
  const c = ct.charCodeAt(16);
  return c === 43 /* + */ || c === 59 /* ; */;
}

/** grpc-message is percent-encoded (gRPC's PROTOCOL-HTTP2.md): bytes outside printable ASCII, and '%'. */
export function encodeGrpcMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text)) out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

/** The grpc-timeout header (gRPC's PROTOCOL-HTTP2.md: 1-8 digits and a unit) in milliseconds; undefined when malformed. */
export function parseGrpcTimeout(value: string): number | undefined {
  const n = value.length;
  if (n < 2 || n > 9) return undefined;
  let v = 0;
  for (let i = 0; i < n - 1; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  switch (value.charCodeAt(n - 1)) {
    case 72 /* H */:
      return v * 3_600_000;
    case 77 /* M */:
      return v * 60_000;
    case 83 /* S */:
      return v * 1_000;
    case 109 /* m */:
      return v;
    case 117 /* u */:
      return Math.ceil(v / 1_000);
    case 110 /* n */:
      return Math.ceil(v / 1_000_000);
    default:
      return undefined;
  }
}
