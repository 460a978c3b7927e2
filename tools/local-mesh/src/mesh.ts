// The local mesh: NATS, galley, pilot, citadel, injector, an ingress gateway,
// optionally an egress gateway, and (with an example) workloads, each behind
// its own sidecar, every one a separate process on 127.0.0.1, started in
// dependency order and each waited for until it says it is ready.
//
// A workload's sidecar runs without traffic capture (INTERCEPTION_MODE NONE)
// and gets from pilot the listeners of the Sidecar resource that selects it
// (by app + version labels): an ingress listener that the workload's
// WorkloadEntry points at and that forwards to the application, and an egress
// listener the application uses as its HTTP proxy. See docs/pilot-sidecars.md.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startNats, startProcess, waitFor, WORKSPACE_ROOT, type ManagedProcess, type NatsServer, type LogLine } from '@mesh/testing';
import { PortAllocator, portIsFree } from './ports.ts';

/** One workload of an example: an optional application process and the sidecar in front of it. */
export interface WorkloadSpec {
  /** The workload's name (`reviews-v2`): the application's process name, the sidecar's is `<name>-sidecar`. */
  name: string;
  namespace?: string;
  /** The labels the Sidecar resource and the WorkloadEntry select on (app, version). */
  labels: Record<string, string>;
  /** The application, if the workload has one (a client like `sleep` has none). */
  app?: {
    script: string;
    args: string[];
    env?: Record<string, string>;
    /** Where it listens (the Sidecar's ingress `defaultEndpoint`): must be exactly this port. */
    port: number;
    /** Readiness path on that port (`/health`, `/healthz`). */
    healthPath: string;
  };
  /** The ports of the Sidecar resource's ingress and egress listeners (they are in the YAML, so exact). */
  listenerPorts: number[];
  /** Name of the Sidecar resource that selects this workload (default: the workload's name). */
  sidecarResource?: string;
  /** The workload's service account: its SPIFFE identity is spiffe://cluster.local/ns/<namespace>/sa/<this> (default: the app label, else the name). */
  serviceAccount?: string;
}

/** The side ports of a workload's sidecar (not in any YAML: the next free port is taken when one is busy). */
export interface SidecarPorts {
  admin: number;
  status: number;
  stats: number;
  agent: number;
}

export interface RunningWorkload {
  spec: WorkloadSpec;
  sidecar: SidecarPorts;
}

export interface LocalMeshOptions {
  /** Directory of Istio YAML that galley watches. */
  configDir: string;
  /** Start the hello example's workloads (hello v1/v2, each behind a sidecar) and the `sleep` client sidecar. */
  sample: boolean;
  /** More workloads to start, each behind its own sidecar (the Bookinfo example). */
  workloads?: WorkloadSpec[];
  /** Use this NATS instead of starting nats-server. */
  natsUrl?: string;
  /** Where persistent local state lives (citadel's root of trust). */
  stateDir: string;
  /** Run apps from their built bundles (apps/X/dist/main.js) instead of their TypeScript sources. */
  fromDist?: boolean;
  /** Every process's output lines. */
  onLine?: (component: string, text: string, line: LogLine) => void;
  /** Progress messages for the person waiting. */
  onProgress?: (msg: string) => void;
  /** Log level for every component. */
  logLevel?: string;
  /**
   * Prefer these ports (tests pass free ones); Istio's numbers otherwise. Given ports also move the workload
   * sidecars' side ports (admin, status, stats, agent) from 15400 up to ports the OS hands out, so meshes
   * started side by side cannot both find 15400 free and race for it.
   */
  ports?: Partial<MeshPorts>;
  /** Log every request in the sidecars (Envoy-style access log lines). */
  accessLog?: boolean;
  /** Called by stop() after every process has stopped (removing a temporary config directory). */
  cleanup?: () => void;
  /**
   * TLS credentials for Gateway/DestinationRule credentialName, given to galley as --credential-dir:
   * `<dir>/<name>/{tls.crt,tls.key,ca.crt}` (namespace istio-system, the gateway's) or `<dir>/<namespace>/<name>/...`.
   */
  credentialDir?: string;
  /** Istio's mesh config (MeshConfig YAML, or the `istio` ConfigMap), given to galley as --mesh-config; galley watches it. */
  meshConfigFile?: string;
  /** The workload certificate lifetime every proxy asks citadel for (the proxy's --secret-ttl, renewed at half; default 24h). */
  secretTtl?: string;
  /**
   * Also run an egress gateway (labels istio=egressgateway, app=istio-egressgateway, namespace istio-system), registered
   * as the Service istio-egressgateway.istio-system.svc.cluster.local with ports 80 and 443, as Istio's egress tasks assume.
   */
  egressGateway?: boolean;
  /**
   * The egress gateway's own loopback address (its "pod IP"; default 127.0.0.2): its Gateway servers bind there, so its
   * port 80 (bound at 8080) never collides with the ingress gateway's on 127.0.0.1. 8080 and 8443 must be free on it.
   */
  egressGatewayAddress?: string;
  /**
   * The ingress gateway's own loopback address (default: none, its servers bind every address as Istio's do). With
   * one, Istio's fixed gateway ports (31400 of the TCP tasks, 80, 443) can be used as written beside other meshes.
   */
  ingressGatewayAddress?: string;
}

export interface MeshPorts {
  nats: number;
  /** pilot's plaintext ADS port: loopback tools (grpc-js-xds, debugging); no proxy uses it. */
  pilotXds: number;
  /** pilot's mTLS ADS port: every proxy connects here with its workload certificate. */
  pilotSecureXds: number;
  pilotMonitoring: number;
  galleyMonitoring: number;
  citadelGrpc: number;
  citadelMonitoring: number;
  /** citadel's loopback admin port: the launcher mints each proxy's bootstrap token there. */
  citadelAdmin: number;
  injectorWebhook: number;
  injectorMonitoring: number;
  gatewayAdmin: number;
  gatewayStatus: number;
  gatewayStats: number;
  /** The agent's status port (app probes, merged metrics, /quitquitquit). */
  gatewayAgent: number;
  /** The gateway's HTTP port: the Gateway server's port 80, bound at 8080 in local mode. */
  gatewayHttp: number;
  /** The egress gateway's side ports (only with `egressGateway`; its traffic ports are 8080/8443 on its own address). */
  egressGatewayAdmin: number;
  egressGatewayStatus: number;
  egressGatewayStats: number;
  egressGatewayAgent: number;
  /** The `sleep` client sidecar's egress listener (its Sidecar resource's egress port): an HTTP proxy into the mesh. */
  sidecarOutbound: number;
  sidecarAdmin: number;
  sidecarStatus: number;
  sidecarStats: number;
  sidecarAgent: number;
  /** The hello applications. */
  helloV1: number;
  helloV2: number;
  /** The hello sidecars' ingress listeners (the WorkloadEntries' ports). */
  helloV1Ingress: number;
  helloV2Ingress: number;
  /** The hello sidecars' egress listeners (HTTP proxies for the applications). */
  helloV1Egress: number;
  helloV2Egress: number;
}

export interface LocalMesh {
  readonly ports: MeshPorts;
  readonly processes: ReadonlyMap<string, ManagedProcess>;
  /** Every workload started, by name, with its sidecar's ports. */
  readonly workloads: ReadonlyMap<string, RunningWorkload>;
  readonly natsUrl: string;
  /** The egress gateway, when started: where its Gateway servers bind (port 80 at `http`, 443 at `https`). */
  readonly egressGateway?: EgressGatewayInfo;
  stop(): Promise<void>;
}

export interface EgressGatewayInfo {
  address: string;
  /** Where the Service's port 80 lands (a Gateway server on port 80 binds port+8000 in local mode). */
  http: number;
  /** Where the Service's port 443 lands. */
  https: number;
}

const DEFAULT_PORTS: MeshPorts = {
  nats: 4222,
  pilotXds: 15010,
  pilotSecureXds: 15011,
  pilotMonitoring: 15014,
  galleyMonitoring: 15015,
  citadelGrpc: 15012,
  citadelMonitoring: 15016,
  citadelAdmin: 15018,
  injectorWebhook: 9443,
  injectorMonitoring: 15017,
  gatewayAdmin: 15000,
  gatewayStatus: 15021,
  gatewayStats: 15090,
  gatewayAgent: 15020,
  gatewayHttp: 8080,
  egressGatewayAdmin: 15300,
  egressGatewayStatus: 15321,
  egressGatewayStats: 15390,
  egressGatewayAgent: 15320,
  sidecarOutbound: 15001,
  sidecarAdmin: 15100,
  sidecarStatus: 15121,
  sidecarStats: 15190,
  sidecarAgent: 15120,
  helloV1: 9081,
  helloV2: 9082,
  helloV1Ingress: 15081,
  helloV2Ingress: 15082,
  helloV1Egress: 15181,
  helloV2Egress: 15182,
};

/** Bootstrap tokens only get the first certificate; renewals present the current one. A day covers restarts of a proxy. */
const TOKEN_TTL_SECONDS = 86_400;

/** The service account a workload's certificate names. */
export function workloadServiceAccount(spec: WorkloadSpec): string {
  return spec.serviceAccount ?? spec.labels.app ?? spec.name;
}

export const EGRESS_GATEWAY_HOST = 'istio-egressgateway.istio-system.svc.cluster.local';
const EGRESS_GATEWAY_DEFAULT_ADDRESS = '127.0.0.2';
const EGRESS_GATEWAY_SERVICE_ACCOUNT = 'istio-egressgateway-service-account';
/** The file, next to a link to the user's directory, that registers the egress gateway's Service for galley. */
export const EGRESS_GATEWAY_FILE = 'istio-egressgateway.yaml';

/**
 * The egress gateway's Service as Istio installs it (ports 80 `http2` and 443 `https`, targetPorts 8080/8443),
 * registered the way the local mesh registers every workload: a ServiceEntry selecting a WorkloadEntry at the
 * gateway's own loopback address. The entry carries no `security.istio.io/tlsMode` label, as a gateway pod does not,
 * so auto mTLS sends it plaintext; a DestinationRule with ISTIO_MUTUAL asks for mutual TLS.
 */
export function egressGatewayYaml(address: string): string {
  return `# The egress gateway of the local mesh (npm start -- --egress-gateway), written by the launcher: Istio's
# istio-egressgateway Service (80 -> 8080, 443 -> 8443) at the gateway's own loopback address ${address}. Gateway
# servers on ports 80 and 443 bind ${address}:8080 and ${address}:8443 (ports below 1024 get +8000 in local mode).
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  hosts: [${EGRESS_GATEWAY_HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 80, name: http2, protocol: HTTP2, targetPort: 8080}
  - {number: 443, name: https, protocol: HTTPS, targetPort: 8443}
  workloadSelector: {labels: {istio: egressgateway}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  address: ${address}
  serviceAccount: ${EGRESS_GATEWAY_SERVICE_ACCOUNT}
  labels: {istio: egressgateway, app: istio-egressgateway}
`;
}

/** Where the side ports of the n-th workload sidecar start (admin, status, stats, agent: +0..+3). */
const SIDECAR_PORT_BASE = 15400;

/** A free port for every role, for tests and benchmarks that must not collide with a mesh already running. */
export async function freeMeshPorts(): Promise<MeshPorts> {
  const ports = {} as MeshPorts;
  for (const key of Object.keys(DEFAULT_PORTS) as Array<keyof MeshPorts>) ports[key] = await freePort();
  return ports;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** The hello example's workloads: two versions of the sample app and the `sleep` client, each behind a sidecar. */
function helloWorkloads(ports: MeshPorts): WorkloadSpec[] {
  const hello = (version: 'v1' | 'v2'): WorkloadSpec => {
    const v = version === 'v1' ? { app: ports.helloV1, ingress: ports.helloV1Ingress, egress: ports.helloV1Egress } : { app: ports.helloV2, ingress: ports.helloV2Ingress, egress: ports.helloV2Egress };
    return {
      name: `hello-${version}`,
      labels: { app: 'hello', version },
      app: { script: 'tools/local-mesh/src/sample-app.ts', args: ['--service', 'hello', '--version', version, '--port', String(v.app)], port: v.app, healthPath: '/healthz' },
      listenerPorts: [v.ingress, v.egress],
    };
  };
  return [hello('v1'), hello('v2'), { name: 'sleep', labels: { app: 'sleep' }, listenerPorts: [ports.sidecarOutbound] }];
}

export async function startLocalMesh(options: LocalMeshOptions): Promise<LocalMesh> {
  const progress = options.onProgress ?? (() => {});
  const alloc = new PortAllocator();
  const want = { ...DEFAULT_PORTS, ...options.ports };
  const ports = {} as MeshPorts;
  // Ports other processes are configured with (Gateway, WorkloadEntry and Sidecar ports in the YAML) must be exact.
  const helloKeys: Array<keyof MeshPorts> = ['helloV1', 'helloV2', 'helloV1Ingress', 'helloV2Ingress', 'helloV1Egress', 'helloV2Egress', 'sidecarOutbound'];
  const exact: Array<keyof MeshPorts> = options.sample ? ['gatewayHttp', ...helloKeys] : ['gatewayHttp'];
  const egressKeys: Array<keyof MeshPorts> = ['egressGatewayAdmin', 'egressGatewayStatus', 'egressGatewayStats', 'egressGatewayAgent'];
  for (const key of exact) ports[key] = await alloc.require(want[key], key);
  const extra = options.workloads ?? [];
  for (const w of extra) {
    for (const port of [...(w.app ? [w.app.port] : []), ...w.listenerPorts]) await alloc.require(port, `${w.name}'s ${w.app?.port === port ? 'application' : 'sidecar listener'}`);
  }
  for (const key of Object.keys(want) as Array<keyof MeshPorts>) {
    if ((key === 'nats' && options.natsUrl) || exact.includes(key)) continue;
    // Without the sample its ports are unused; keep them out of the way of the workloads' ports.
    if (!options.sample && helloKeys.includes(key)) continue;
    if (!options.egressGateway && egressKeys.includes(key)) continue;
    ports[key] = await alloc.take(want[key]);
  }
  let egress: EgressGatewayInfo | undefined;
  if (options.egressGateway) {
    egress = { address: options.egressGatewayAddress ?? EGRESS_GATEWAY_DEFAULT_ADDRESS, http: 8080, https: 8443 };
    for (const port of [egress.http, egress.https]) {
      if (!(await portIsFree(port, egress.address))) {
        throw new Error(`port ${port} on ${egress.address} (the egress gateway's) is already in use; stop whatever holds it (\`ss -ltnp 'src ${egress.address}:${port}'\`) or give the egress gateway another loopback address`);
      }
    }
  }
  const specs = [...(options.sample ? helloWorkloads(ports) : []), ...extra];
  const workloads = new Map<string, RunningWorkload>();
  for (const [i, spec] of specs.entries()) {
    const sidecar: SidecarPorts =
      spec.name === 'sleep' && options.sample
        ? { admin: ports.sidecarAdmin, status: ports.sidecarStatus, stats: ports.sidecarStats, agent: ports.sidecarAgent }
        : options.ports !== undefined
          ? { admin: await freePort(), status: await freePort(), stats: await freePort(), agent: await freePort() }
          : {
              admin: await alloc.take(SIDECAR_PORT_BASE + 10 * i),
              status: await alloc.take(SIDECAR_PORT_BASE + 10 * i + 1),
              stats: await alloc.take(SIDECAR_PORT_BASE + 10 * i + 2),
              agent: await alloc.take(SIDECAR_PORT_BASE + 10 * i + 3),
            };
    workloads.set(spec.name, { spec, sidecar });
  }

  const processes = new Map<string, ManagedProcess>();
  let nats: NatsServer | undefined;
  // With an egress gateway galley watches a directory of two entries: a link to the user's directory (edits there
  // apply as before) and the gateway's registration, so nothing is written into the user's directory.
  let galleyDir = options.configDir;
  let generatedDir: string | undefined;
  const stop = async () => {
    // Data plane first (gateways, sidecars, applications), control plane next, NATS last: the reverse of start.
    const stopAll = (names: string[]) => Promise.all(names.map((n) => processes.get(n)?.stop()));
    await stopAll(['gateway', 'egress-gateway']);
    await stopAll([...workloads.keys()].map((n) => `${n}-sidecar`));
    await stopAll([...workloads.keys()]);
    for (const name of ['injector', 'pilot', 'galley', 'citadel']) await processes.get(name)?.stop();
    await nats?.stop();
    if (generatedDir) rmSync(generatedDir, { recursive: true, force: true });
    options.cleanup?.();
  };

  try {
    let natsUrl = options.natsUrl;
    if (!natsUrl) {
      progress(`starting nats-server (JetStream) on 127.0.0.1:${ports.nats}`);
      nats = await startNats({ port: ports.nats });
      natsUrl = nats.url;
    }
    const env = { NATS_URL: natsUrl, LOG_LEVEL: options.logLevel ?? 'info' };
    const script = (app: string) => (options.fromDist ? `apps/${app}/dist/main.js` : `apps/${app}/src/main.ts`);
    const launch = (name: string, file: string, args: string[], extraEnv: Record<string, string> = {}) => {
      const p = startProcess(name, file, args, {
        env: { ...env, ...extraEnv },
        onLine: (text, line) => options.onLine?.(name, text, line),
      });
      processes.set(name, p);
      return p;
    };
    const ready = async (name: string, url: string) => {
      const p = processes.get(name)!;
      await Promise.race([
        waitFor(`${name} to be ready at ${url}`, () => httpOk(url), { timeoutMs: 60_000, intervalMs: 100 }),
        p.exited.then((code) => {
          throw new Error(`${name} exited with code ${code} while starting; its last lines:\n${p.output().split('\n').slice(-15).join('\n')}`);
        }),
      ]);
    };
    const readyWithProgress = async (name: string, url: string) => {
      await ready(name, url);
      progress(`${name} is ready (${url})`);
    };

    const citadelDir = path.join(options.stateDir, 'citadel');
    mkdirSync(citadelDir, { recursive: true });

    progress('starting the control plane: citadel, galley, pilot, injector');
    launch('citadel', script('citadel'), ['--ca-port', String(ports.citadelGrpc), '--monitoring-port', String(ports.citadelMonitoring), '--admin-port', String(ports.citadelAdmin), '--root-dir', citadelDir]);
    if (egress) {
      generatedDir = mkdtempSync(path.join(tmpdir(), 'mesh-config-'));
      symlinkSync(path.resolve(options.configDir), path.join(generatedDir, 'config'), 'dir');
      writeFileSync(path.join(generatedDir, EGRESS_GATEWAY_FILE), egressGatewayYaml(egress.address));
      galleyDir = generatedDir;
      progress(`galley watches ${galleyDir}: ${options.configDir} (linked as config/) and the egress gateway's Service (${EGRESS_GATEWAY_FILE})`);
    }
    launch('galley', script('galley'), [
      '--config-dir', galleyDir,
      '--monitoring-port', String(ports.galleyMonitoring),
      ...(options.credentialDir ? ['--credential-dir', options.credentialDir] : []),
      ...(options.meshConfigFile ? ['--mesh-config', options.meshConfigFile] : []),
    ]);
    launch('injector', script('injector'), ['--port', String(ports.injectorWebhook), '--monitoring-port', String(ports.injectorMonitoring)]);
    const apps = [...workloads.values()].filter((w) => w.spec.app);
    if (apps.length > 0) progress(`starting the applications: ${apps.map((w) => w.spec.name).join(', ')}`);
    for (const { spec } of apps) launch(spec.name, spec.app!.script, spec.app!.args, spec.app!.env);
    // Every proxy and pilot itself get their certificates from citadel, proving who they are with a bootstrap token the
    // launcher mints on citadel's loopback admin port (in Kubernetes: the pod's service-account token).
    const tokenDir = path.join(options.stateDir, 'tokens');
    mkdirSync(tokenDir, { recursive: true, mode: 0o700 });
    const caArgs = async (proc: string, namespace: string, serviceAccount: string): Promise<string[]> => {
      const url = `http://127.0.0.1:${ports.citadelAdmin}/token?namespace=${encodeURIComponent(namespace)}&serviceAccount=${encodeURIComponent(serviceAccount)}&ttlSeconds=${TOKEN_TTL_SECONDS}`;
      const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { token?: string; error?: string };
      if (!res.ok || !body.token) throw new Error(`citadel did not issue a bootstrap token for ${namespace}/${serviceAccount}: ${body.error ?? res.status}`);
      const file = path.join(tokenDir, `${proc}.jwt`);
      writeFileSync(file, body.token, { mode: 0o600 });
      return ['--ca-address', `127.0.0.1:${ports.citadelGrpc}`, '--ca-root-cert', path.join(citadelDir, 'root-cert.pem'), '--ca-token-file', file];
    };
    // pilot's serving certificate for its mTLS port (spiffe://cluster.local/ns/istio-system/sa/istiod) needs citadel first.
    await ready('citadel', `http://127.0.0.1:${ports.citadelMonitoring}/ready`);
    launch('pilot', script('pilot'), [
      '--xds-port', String(ports.pilotXds),
      '--secure-xds-port', String(ports.pilotSecureXds),
      '--monitoring-port', String(ports.pilotMonitoring),
      ...(await caArgs('pilot', 'istio-system', 'istiod')),
    ]);
    await Promise.all([
      ready('galley', `http://127.0.0.1:${ports.galleyMonitoring}/ready`),
      ready('pilot', `http://127.0.0.1:${ports.pilotMonitoring}/ready`),
      ready('injector', `http://127.0.0.1:${ports.injectorMonitoring}/ready`),
      ...apps.map(({ spec }) => readyWithProgress(spec.name, `http://127.0.0.1:${spec.app!.port}${spec.app!.healthPath}`)),
    ]);

    if (workloads.size > 0) {
      // A sidecar that connects before pilot has its Sidecar resource would get the compatibility-mode listener
      // for a moment; wait until pilot holds every workload's Sidecar.
      const names = [...workloads.values()].map((w) => w.spec.sidecarResource ?? w.spec.name);
      progress(`waiting for pilot to hold the Sidecar resources (${names.join(', ')})`);
      await waitFor(
        `pilot to hold the Sidecar resources ${names.join(', ')} (are they in ${options.configDir}?)`,
        async () => {
          const res = await fetch(`http://127.0.0.1:${ports.pilotMonitoring}/debug/configz`, { signal: AbortSignal.timeout(2000) });
          const body = (await res.json()) as { resources?: Array<{ kind: string; name: string }> };
          const have = new Set((body.resources ?? []).filter((r) => r.kind === 'Sidecar').map((r) => r.name));
          return names.every((n) => have.has(n));
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    }

    // A proxy's workload identity; pilot checks the node's claimed namespace and service account against it.
    const identity = async (proc: string, namespace: string, serviceAccount: string): Promise<string[]> => [
      ...(await caArgs(proc, namespace, serviceAccount)),
      '--service-account', serviceAccount,
      '--pod-namespace', namespace,
    ];

    progress('starting the data plane: the ingress gateway' + (egress ? `, the egress gateway (${egress.address})` : '') + (workloads.size > 0 ? ` and the sidecars of ${[...workloads.keys()].join(', ')}` : ''));
    // Over mTLS with the workload certificate ('on': in tests the port is not 15011, which 'auto' would recognise).
    const pilot = `127.0.0.1:${ports.pilotSecureXds}`;
    launch('gateway', script('proxy'), [
      '--mode', 'gateway',
      '--pilot', pilot,
      '--xds-tls', 'on',
      '--node-id', `router~${options.ingressGatewayAddress ?? '127.0.0.1'}~istio-ingressgateway.istio-system~istio-system.svc.cluster.local`,
      ...(options.ingressGatewayAddress ? ['--instance-ip', options.ingressGatewayAddress, '--bind-address', options.ingressGatewayAddress] : []),
      '--labels', 'istio=ingressgateway,app=istio-ingressgateway',
      '--admin-port', String(ports.gatewayAdmin),
      '--status-port', String(ports.gatewayStatus),
      '--stats-port', String(ports.gatewayStats),
      '--agent-port', String(ports.gatewayAgent),
      ...(await identity('gateway', 'istio-system', 'istio-ingressgateway-service-account')),
      ...(options.secretTtl ? ['--secret-ttl', options.secretTtl] : []),
    ]);
    if (egress) {
      launch('egress-gateway', script('proxy'), [
        '--mode', 'gateway',
        '--pilot', pilot,
        '--xds-tls', 'on',
        '--node-id', `router~${egress.address}~istio-egressgateway.istio-system~istio-system.svc.cluster.local`,
        '--instance-ip', egress.address,
        // Its listeners bind its own address, as a pod binds its own IP.
        '--bind-address', egress.address,
        '--labels', 'istio=egressgateway,app=istio-egressgateway',
        '--admin-port', String(ports.egressGatewayAdmin),
        '--status-port', String(ports.egressGatewayStatus),
        '--stats-port', String(ports.egressGatewayStats),
        '--agent-port', String(ports.egressGatewayAgent),
        // What leaves the mesh is what an egress gateway is for: every request is logged.
        '--access-log',
        ...(await identity('egress-gateway', 'istio-system', EGRESS_GATEWAY_SERVICE_ACCOUNT)),
        ...(options.secretTtl ? ['--secret-ttl', options.secretTtl] : []),
      ]);
    }
    for (const { spec, sidecar } of workloads.values()) {
      const ns = spec.namespace ?? 'default';
      launch(`${spec.name}-sidecar`, script('proxy'), [
        '--mode', 'sidecar',
        '--pilot', pilot,
        '--xds-tls', 'on',
        '--node-id', `sidecar~127.0.0.1~${spec.name}.${ns}~${ns}.svc.cluster.local`,
        '--labels', Object.entries(spec.labels).map(([k, v]) => `${k}=${v}`).join(','),
        '--interception-mode', 'NONE',
        '--admin-port', String(sidecar.admin),
        '--status-port', String(sidecar.status),
        '--stats-port', String(sidecar.stats),
        '--agent-port', String(sidecar.agent),
        ...(await identity(`${spec.name}-sidecar`, ns, workloadServiceAccount(spec))),
        ...(options.accessLog ? ['--access-log'] : []),
        ...(options.secretTtl ? ['--secret-ttl', options.secretTtl] : []),
      ]);
    }
    await Promise.all([
      readyWithProgress('gateway', `http://127.0.0.1:${ports.gatewayStatus}/healthz/ready`),
      ...(egress ? [readyWithProgress('egress-gateway', `http://127.0.0.1:${ports.egressGatewayStatus}/healthz/ready`)] : []),
      ...[...workloads.values()].map(({ spec, sidecar }) => readyWithProgress(`${spec.name}-sidecar`, `http://127.0.0.1:${sidecar.status}/healthz/ready`)),
    ]);
    return { ports, processes, workloads, natsUrl, ...(egress ? { egressGateway: egress } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export { WORKSPACE_ROOT };
