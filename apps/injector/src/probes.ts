// Application probes pointed at the agent. Under STRICT mTLS the kubelet's
// plain HTTP/TCP probes would be captured and rejected by the sidecar, so
// each HTTP, TCP and gRPC probe is rewritten to an HTTP GET on the agent's
// status port (15020) at /app-health/<container>/<readyz|livez|startupz>, and
// the original is handed to the agent in ISTIO_KUBE_APP_PROBERS so it can run
// the real check from inside the pod.
import type { Container, Probe } from './k8s.ts';

const KINDS = [
  ['readinessProbe', 'readyz'],
  ['livenessProbe', 'livez'],
  ['startupProbe', 'startupz'],
] as const;

export interface ProbeRewrite {
  /** path -> the original probe action (numeric port), as ISTIO_KUBE_APP_PROBERS carries it. */
  probers: Record<string, Record<string, unknown>>;
  warnings: string[];
}

function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function original(action: string, fields: Record<string, unknown>, probe: Probe): Record<string, unknown> {
  const out: Record<string, unknown> = { [action]: fields };
  if (probe.timeoutSeconds !== undefined) out.timeoutSeconds = probe.timeoutSeconds;
  return out;
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * Returns the containers with their probes rewritten. Containers and probes
 * that change are copied; the rest are the same objects (the JSONPatch diff
 * skips shared objects without looking inside).
 */
export function rewriteProbes(containers: Container[], statusPort: number): ProbeRewrite & { containers: Container[] } {
  const probers: Record<string, Record<string, unknown>> = {};
  const warnings: string[] = [];
  const out = containers.map((c) => {
    let copy: Container | undefined;
    for (const [kind, suffix] of KINDS) {
      const probe = c[kind];
      if (!probe || typeof probe !== 'object') continue;
      const path = `/app-health/${c.name}/${suffix}`;
      const target = { path, port: statusPort };
      let rewritten: Probe | undefined;
      if (probe.httpGet) {
        const port = resolvePort(c, probe.httpGet.port);
        if (port === undefined) {
          warnings.push(`container ${c.name}: ${kind}.httpGet.port ${JSON.stringify(probe.httpGet.port)} names no container port; probe left as is`);
          continue;
        }
        if (port === statusPort) continue;
        const { path: p, host, scheme, httpHeaders } = probe.httpGet;
        probers[path] = original('httpGet', defined({ path: p, port, host, scheme, httpHeaders }), probe);
        rewritten = { ...probe, httpGet: defined({ ...target, httpHeaders }) as unknown as Probe['httpGet'] };
      } else if (probe.tcpSocket) {
        const port = resolvePort(c, probe.tcpSocket.port);
        if (port === undefined) {
          warnings.push(`container ${c.name}: ${kind}.tcpSocket.port ${JSON.stringify(probe.tcpSocket.port)} names no container port; probe left as is`);
          continue;
        }
        probers[path] = original('tcpSocket', defined({ port, host: probe.tcpSocket.host }), probe);
        rewritten = { ...probe, httpGet: target };
        delete rewritten.tcpSocket;
      } else if (probe.grpc) {
        probers[path] = original('grpc', defined({ port: probe.grpc.port, service: probe.grpc.service }), probe);
        rewritten = { ...probe, httpGet: target };
        delete rewritten.grpc;
      }
      if (rewritten) {
        copy ??= { ...c };
        copy[kind] = rewritten;
      }
    }
    return copy ?? c;
  });
  return { containers: out, probers, warnings };
}

/** The ISTIO_KUBE_APP_PROBERS value: compact JSON with paths sorted, as Istio writes it. */
export function probersEnv(probers: Record<string, Record<string, unknown>>): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(probers).sort()) sorted[key] = probers[key];
  return JSON.stringify(sorted);
}
