// Istio's PeerAuthentication (security.istio.io/v1): which mutual TLS mode a
// sidecar's inbound port accepts.
// https://istio.io/latest/docs/reference/config/security/peer_authentication/
//
// Precedence (Istio's): the oldest policy whose selector matches the workload's
// labels in its namespace (selector policies in the root namespace are
// ignored), over the oldest policy without selector in the workload's
// namespace, over the oldest one without selector in the root namespace (the
// mesh policy). A mode of UNSET (or none) inherits from the level above it;
// with nothing set the mode is PERMISSIVE. `portLevelMtls` (only on selector
// policies) overrides the workload's mode for one workload port.
import type { ConfigResource } from '@mesh/contracts';
import { FieldError, asLabels, asObject, asString, refOf, type ResourceRef } from './errors.ts';
import { labelsMatch } from './services.ts';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';
type SpecMode = MtlsMode | 'UNSET';

const MODES: readonly string[] = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];

export interface PeerAuthenticationModel {
  namespace: string;
  name: string;
  ref: ResourceRef;
  /** matchLabels; undefined (also for an empty selector) means namespace-wide, or mesh-wide in the root namespace. */
  selector?: Record<string, string>;
  mode: SpecMode;
  portLevel: Map<number, SpecMode>;
  creation: string;
}

/** A problem found while reading a policy that does not make it unreadable (reported, the rest applies). */
export type PeerAuthenticationWarn = (field: string, message: string, severity: 'error' | 'warning') => void;

function readMode(v: unknown, field: string, warn: PeerAuthenticationWarn): SpecMode {
  const m = asString(v, field);
  if (m === undefined || m === '') return 'UNSET';
  if (MODES.includes(m)) return m as SpecMode;
  // A mode this code cannot evaluate must not open the port to plaintext: treat it as the strictest.
  warn(field, `"${m}" is not one of UNSET, DISABLE, PERMISSIVE, STRICT; it is enforced as STRICT`, 'error');
  return 'STRICT';
}

export function readPeerAuthentication(r: ConfigResource, warn: PeerAuthenticationWarn): PeerAuthenticationModel {
  const spec = (asObject(r.spec, 'spec') ?? {}) as Record<string, unknown>;
  const selector = asObject(spec.selector, 'spec.selector');
  const labels = selector ? asLabels(selector.matchLabels, 'spec.selector.matchLabels') : undefined;
  const hasSelector = !!labels && Object.keys(labels).length > 0;
  const mtls = asObject(spec.mtls, 'spec.mtls');
  const mode = readMode(mtls?.mode, 'spec.mtls.mode', warn);
  const portLevel = new Map<number, SpecMode>();
  const plm = asObject(spec.portLevelMtls, 'spec.portLevelMtls') ?? {};
  for (const [key, value] of Object.entries(plm)) {
    const field = `spec.portLevelMtls.${key}`;
    const port = Number(key);
    if (!/^\d+$/.test(key) || port < 1 || port > 65535) throw new FieldError(field, `"${key}" is not a port number (1-65535)`);
    portLevel.set(port, readMode(asObject(value, field)?.mode, `${field}.mode`, warn));
  }
  if (portLevel.size && !hasSelector) {
    warn('spec.portLevelMtls', 'portLevelMtls applies only to a policy with a workload selector (Istio ignores it on namespace and mesh policies); it is ignored', 'warning');
    portLevel.clear();
  }
  return {
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    ref: refOf(r),
    ...(hasSelector ? { selector: labels } : {}),
    mode,
    portLevel,
    creation: r.metadata.creationTimestamp ?? '',
  };
}

/** The policies that decided a workload's modes, for error attribution. */
export interface EffectiveMtls {
  /** The workload's mode for ports without a port-level setting. */
  mode: MtlsMode;
  /** Workload port → mode (portLevelMtls of the workload policy). */
  ports: ReadonlyMap<number, MtlsMode>;
  /** The policies that applied (mesh, namespace, workload), most specific last. */
  from: ResourceRef[];
}

export const PERMISSIVE_DEFAULT: EffectiveMtls = { mode: 'PERMISSIVE', ports: new Map(), from: [] };

/** The mode for one workload port. */
export function modeForPort(m: EffectiveMtls, port: number): MtlsMode {
  return m.ports.get(port) ?? m.mode;
}

/**
 * The effective modes for a workload (its namespace and labels). `policies`
 * must be ordered oldest first; `warn` receives the policies that lose to an
 * older one of the same level.
 */
export function effectiveMtls(
  policies: readonly PeerAuthenticationModel[],
  rootNamespace: string,
  namespace: string,
  labels: Record<string, string> | undefined,
  onShadowed?: (loser: PeerAuthenticationModel, winner: PeerAuthenticationModel) => void,
): EffectiveMtls {
  let mesh: PeerAuthenticationModel | undefined;
  let ns: PeerAuthenticationModel | undefined;
  let workload: PeerAuthenticationModel | undefined;
  for (const p of policies) {
    if (!p.selector) {
      if (p.namespace === rootNamespace) {
        if (mesh) onShadowed?.(p, mesh);
        else mesh = p;
      } else if (p.namespace === namespace) {
        if (ns) onShadowed?.(p, ns);
        else ns = p;
      }
    } else if (labels && p.namespace === namespace && p.namespace !== rootNamespace && labelsMatch(p.selector, labels)) {
      if (workload) onShadowed?.(p, workload);
      else workload = p;
    }
  }
  let mode: MtlsMode = 'PERMISSIVE';
  const from: ResourceRef[] = [];
  for (const p of [mesh, ns, workload]) {
    if (!p) continue;
    from.push(p.ref);
    if (p.mode !== 'UNSET') mode = p.mode;
  }
  const ports = new Map<number, MtlsMode>();
  for (const [port, m] of workload?.portLevel ?? []) ports.set(port, m === 'UNSET' ? mode : m);
  return { mode, ports, from };
}
