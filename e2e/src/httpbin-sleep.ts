// The workloads of Istio's security tasks on the local mesh: `httpbin` (the
// sample app, echoing what it received) and `sleep` (a client with only a
// sidecar: the test calls through its egress listener, as `kubectl exec sleep
// -- curl` would) in one namespace, registered as Istio registers VMs
// (ServiceEntry + WorkloadEntry) and configured by Sidecar resources.
import { request as httpRequest } from 'node:http';
import type { WorkloadSpec } from '@mesh/local-mesh';
import { freePort } from '@mesh/testing';

export const HTTPBIN_PORT = 8000;

export interface HttpbinSleepPorts {
  /** httpbin's application. */
  app: number;
  /** httpbin's sidecar ingress listener, the WorkloadEntry's port (without a sidecar: the app's port). */
  ingress: number;
  /** sleep's sidecar egress listener. */
  egress: number;
}

export async function freeHttpbinSleepPorts(): Promise<HttpbinSleepPorts> {
  return { app: await freePort(), ingress: await freePort(), egress: await freePort() };
}

export function httpbinHost(ns: string): string {
  return `httpbin.${ns}.svc.cluster.local`;
}

/** The registry and Sidecars of one namespace; without sidecars httpbin is plain (no tlsMode label) and sleep is the test itself. */
export function httpbinSleepYaml(ns: string, p: HttpbinSleepPorts, withSidecars = true): string {
  const docs = [
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: ${ns}}
spec:
  hosts: [${httpbinHost(ns)}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${HTTPBIN_PORT}, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: httpbin}}
`,
    `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: httpbin, namespace: ${ns}}
spec:
  address: 127.0.0.1
  ports: {http: ${withSidecars ? p.ingress : p.app}}
  serviceAccount: httpbin
  labels:
    app: httpbin
${withSidecars ? '    security.istio.io/tlsMode: istio\n' : ''}`,
  ];
  if (withSidecars) {
    docs.push(
      `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: httpbin, namespace: ${ns}}
spec:
  workloadSelector: {labels: {app: httpbin}}
  ingress:
  - port: {number: ${p.ingress}, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:${p.app}
    captureMode: NONE
  egress:
  - hosts: ["./*"]
`,
      `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep, namespace: ${ns}}
spec:
  workloadSelector: {labels: {app: sleep}}
  egress:
  - port: {number: ${p.egress}, protocol: HTTP, name: http-egress}
    bind: 127.0.0.1
    captureMode: NONE
    hosts: ["*/*"]
`,
    );
  }
  return docs.map((d) => `---\n${d}`).join('');
}

/** httpbin (the sample app) and sleep, each behind its sidecar, for startLocalMesh. */
export function httpbinSleepWorkloads(ns: string, p: HttpbinSleepPorts): WorkloadSpec[] {
  return [
    {
      name: `httpbin-${ns}`,
      namespace: ns,
      labels: { app: 'httpbin' },
      sidecarResource: 'httpbin',
      serviceAccount: 'httpbin',
      app: { script: 'tools/local-mesh/src/sample-app.ts', args: ['--service', 'httpbin', '--version', ns, '--port', String(p.app)], port: p.app, healthPath: '/healthz' },
      listenerPorts: [p.ingress],
    },
    { name: `sleep-${ns}`, namespace: ns, labels: { app: 'sleep' }, sidecarResource: 'sleep', serviceAccount: 'sleep', listenerPorts: [p.egress] },
  ];
}

export interface Answer {
  /** The HTTP status, or 0 when the connection failed (curl's 000). */
  status: number;
  body: string;
}

/**
 * One request to httpbin.<ns>:8000<path>: through a sidecar's egress listener (`viaProxy`: an absolute-form
 * request, as an app using it as its HTTP proxy sends) or straight to a listener (a client without a sidecar).
 */
export function callHttpbin(port: number, ns: string, o: { path?: string; headers?: Record<string, string>; viaProxy?: boolean } = {}): Promise<Answer> {
  const host = `${httpbinHost(ns)}:${HTTPBIN_PORT}`;
  const target = o.path ?? '/headers';
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: (o.viaProxy ?? true) ? `http://${host}${target}` : target, headers: { host, ...o.headers }, agent: false, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}
