// Builders for pilot's tests: config resources as galley stores them, and proxies.
import type { ConfigResource } from '@mesh/contracts';
import { createLogger } from '@mesh/telemetry';
import { PushContext } from './model/push-context.ts';
import { proxyFromNode, type Proxy } from './model/proxy.ts';
import { generateResources, type GeneratedResources } from './generators/index.ts';

let seq = 0;
export function res(kind: ConfigResource['kind'], name: string, spec: Record<string, unknown>, namespace = 'default'): ConfigResource {
  seq++;
  return {
    apiVersion: ['WorkloadEntry', 'ServiceEntry', 'VirtualService', 'DestinationRule', 'Gateway', 'Sidecar'].includes(kind) ? 'networking.istio.io/v1' : 'security.istio.io/v1',
    kind,
    metadata: { name, namespace, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() },
    spec,
  };
}

export const testLog = createLogger('pilot-test', { level: (process.env.LOG_LEVEL as 'debug') ?? 'error' });

export function push(configs: ConfigResource[], meshConfig?: Record<string, unknown>): PushContext {
  return new PushContext({ configs, meshConfig: meshConfig as any }, { domainSuffix: 'cluster.local', version: 'test' });
}

export const SIDECAR_ID = 'sidecar~127.0.0.1~sleep.default~default.svc.cluster.local';
export const GATEWAY_ID = 'router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local';

/** A sidecar without traffic capture (INTERCEPTION_MODE NONE, what the local mesh's proxies send); with no Sidecar resource it gets the compatibility mode. */
export function sidecar(metadata: Record<string, unknown> = {}): Proxy {
  return proxyFromNode({ id: SIDECAR_ID, metadata: { LABELS: { app: 'sleep' }, INTERCEPTION_MODE: 'NONE', ...metadata } }, { bindHost: '127.0.0.1', outboundPort: 15001 });
}

/** An injected pod's sidecar: iptables capture (INTERCEPTION_MODE REDIRECT), its IP in the node id and INSTANCE_IPS. */
export function capturedSidecar(ip = '10.1.0.5', labels: Record<string, string> = { app: 'sleep' }, namespace = 'default', metadata: Record<string, unknown> = {}): Proxy {
  return proxyFromNode(
    { id: `sidecar~${ip}~${labels.app ?? 'app'}-0.${namespace}~${namespace}.svc.cluster.local`, metadata: { LABELS: labels, NAMESPACE: namespace, INTERCEPTION_MODE: 'REDIRECT', INSTANCE_IPS: ip, ...metadata } },
    { bindHost: '127.0.0.1', outboundPort: 15001 },
  );
}

export function gateway(labels: Record<string, string> = { istio: 'ingressgateway' }, metadata: Record<string, unknown> = {}): Proxy {
  return proxyFromNode({ id: GATEWAY_ID, metadata: { ...metadata, LABELS: labels } }, { bindHost: '127.0.0.1', outboundPort: 15001 });
}

export function grpcClient(): Proxy {
  return proxyFromNode({ id: 'sidecar~127.0.0.1~client.default~default.svc.cluster.local', metadata: { GENERATOR: 'grpc' } }, { bindHost: '127.0.0.1', outboundPort: 15001 });
}

export function generate(p: PushContext, proxy: Proxy): GeneratedResources & { byName: (list: object[], name: string) => any } {
  const errors: string[] = [];
  const r = generateResources(p, proxy, { privilegedPortOffset: 8000, log: { error: (m, f) => errors.push(`${m} ${JSON.stringify(f)}`) } });
  if (errors.length) throw new Error(errors.join('\n'));
  return { ...r, byName: (list, name) => (list as any[]).find((x) => (x.name ?? x.clusterName) === name) };
}

/** The sample mesh of examples/local: hello v1/v2 behind a gateway with a canary header and an 80/20 split. */
export function sampleConfig(v1Port = 9081, v2Port = 9082): ConfigResource[] {
  return [
    res('ServiceEntry', 'hello', {
      hosts: ['hello.default.svc.cluster.local'],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
      workloadSelector: { labels: { app: 'hello' } },
    }),
    res('WorkloadEntry', 'hello-v1', { address: '127.0.0.1', ports: { http: v1Port }, labels: { app: 'hello', version: 'v1' } }),
    res('WorkloadEntry', 'hello-v2', { address: '127.0.0.1', ports: { http: v2Port }, labels: { app: 'hello', version: 'v2' } }),
    res('DestinationRule', 'hello', {
      host: 'hello.default.svc.cluster.local',
      trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    }),
    res('Gateway', 'hello-gateway', {
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
    }),
    res('VirtualService', 'hello', {
      hosts: ['hello.example.com', 'hello.default.svc.cluster.local'],
      gateways: ['hello-gateway', 'mesh'],
      http: [
        { name: 'canary-header', match: [{ headers: { 'x-canary': { exact: 'true' } } }], route: [{ destination: { host: 'hello.default.svc.cluster.local', subset: 'v2' } }] },
        {
          name: 'weighted',
          route: [
            { destination: { host: 'hello.default.svc.cluster.local', subset: 'v1' }, weight: 80 },
            { destination: { host: 'hello.default.svc.cluster.local', subset: 'v2' }, weight: 20 },
          ],
        },
      ],
    }),
  ];
}
