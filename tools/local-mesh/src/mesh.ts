// The local mesh: NATS, galley, pilot, citadel, injector, an ingress gateway
// and (with the sample) two versions of a service plus a client sidecar, each
// a separate process on 127.0.0.1, started in dependency order and each waited
// for until it says it is ready.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort, startNats, startProcess, waitFor, WORKSPACE_ROOT, type ManagedProcess, type NatsServer, type LogLine } from '@mesh/testing';
import { PortAllocator } from './ports.ts';

export interface LocalMeshOptions {
  /** Directory of Istio YAML that galley watches. */
  configDir: string;
  /** Start the sample workloads (hello v1/v2) and a client sidecar. */
  sample: boolean;
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
  /** Prefer these ports (tests pass free ones); Istio's numbers otherwise. */
  ports?: Partial<MeshPorts>;
}

export interface MeshPorts {
  nats: number;
  pilotXds: number;
  pilotMonitoring: number;
  galleyMonitoring: number;
  citadelGrpc: number;
  citadelMonitoring: number;
  injectorWebhook: number;
  injectorMonitoring: number;
  gatewayAdmin: number;
  gatewayStatus: number;
  gatewayStats: number;
  /** The agent's status port (app probes, merged metrics, /quitquitquit). */
  gatewayAgent: number;
  /** The gateway's HTTP port: the Gateway server's port 80, bound at 8080 in local mode. */
  gatewayHttp: number;
  sidecarOutbound: number;
  sidecarAdmin: number;
  sidecarStatus: number;
  sidecarStats: number;
  sidecarAgent: number;
  helloV1: number;
  helloV2: number;
}

export interface LocalMesh {
  readonly ports: MeshPorts;
  readonly processes: ReadonlyMap<string, ManagedProcess>;
  readonly natsUrl: string;
  stop(): Promise<void>;
}

const DEFAULT_PORTS: MeshPorts = {
  nats: 4222,
  pilotXds: 15010,
  pilotMonitoring: 15014,
  galleyMonitoring: 15015,
  citadelGrpc: 15012,
  citadelMonitoring: 15016,
  injectorWebhook: 9443,
  injectorMonitoring: 15017,
  gatewayAdmin: 15000,
  gatewayStatus: 15021,
  gatewayStats: 15090,
  gatewayAgent: 15020,
  gatewayHttp: 8080,
  sidecarOutbound: 15001,
  sidecarAdmin: 15100,
  sidecarStatus: 15121,
  sidecarStats: 15190,
  sidecarAgent: 15120,
  helloV1: 9081,
  helloV2: 9082,
};

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

export async function startLocalMesh(options: LocalMeshOptions): Promise<LocalMesh> {
  const progress = options.onProgress ?? (() => {});
  const alloc = new PortAllocator();
  const want = { ...DEFAULT_PORTS, ...options.ports };
  const ports = {} as MeshPorts;
  // Ports other processes are configured with (Gateway and WorkloadEntry ports in the YAML) must be exact.
  const exact: Array<keyof MeshPorts> = options.sample ? ['gatewayHttp', 'helloV1', 'helloV2'] : ['gatewayHttp'];
  for (const key of Object.keys(want) as Array<keyof MeshPorts>) {
    if (key === 'nats' && options.natsUrl) continue;
    ports[key] = exact.includes(key) ? await alloc.require(want[key], key) : await alloc.take(want[key]);
  }

  const processes = new Map<string, ManagedProcess>();
  let nats: NatsServer | undefined;
  const stop = async () => {
    // Data plane first, control plane next, NATS last: the reverse of start.
    const order = ['gateway', 'sidecar', 'hello-v1', 'hello-v2', 'injector', 'pilot', 'galley', 'citadel'];
    for (const name of order) await processes.get(name)?.stop();
    await nats?.stop();
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

    const citadelDir = path.join(options.stateDir, 'citadel');
    mkdirSync(citadelDir, { recursive: true });

    progress('starting the control plane: citadel, galley, pilot, injector');
    launch('citadel', script('citadel'), ['--ca-port', String(ports.citadelGrpc), '--monitoring-port', String(ports.citadelMonitoring), '--root-dir', citadelDir]);
    launch('galley', script('galley'), ['--config-dir', options.configDir, '--monitoring-port', String(ports.galleyMonitoring)]);
    launch('pilot', script('pilot'), ['--xds-port', String(ports.pilotXds), '--monitoring-port', String(ports.pilotMonitoring)]);
    launch('injector', script('injector'), ['--port', String(ports.injectorWebhook), '--monitoring-port', String(ports.injectorMonitoring)]);
    if (options.sample) {
      launch('hello-v1', 'tools/local-mesh/src/sample-app.ts', ['--service', 'hello', '--version', 'v1', '--port', String(ports.helloV1)]);
      launch('hello-v2', 'tools/local-mesh/src/sample-app.ts', ['--service', 'hello', '--version', 'v2', '--port', String(ports.helloV2)]);
    }
    await Promise.all([
      ready('citadel', `http://127.0.0.1:${ports.citadelMonitoring}/ready`),
      ready('galley', `http://127.0.0.1:${ports.galleyMonitoring}/ready`),
      ready('pilot', `http://127.0.0.1:${ports.pilotMonitoring}/ready`),
      ready('injector', `http://127.0.0.1:${ports.injectorMonitoring}/ready`),
      ...(options.sample
        ? [ready('hello-v1', `http://127.0.0.1:${ports.helloV1}/healthz`), ready('hello-v2', `http://127.0.0.1:${ports.helloV2}/healthz`)]
        : []),
    ]);

    progress('starting the data plane: ingress gateway' + (options.sample ? ' and a client sidecar' : ''));
    const pilot = `127.0.0.1:${ports.pilotXds}`;
    launch('gateway', script('proxy'), [
      '--mode', 'gateway',
      '--pilot', pilot,
      '--node-id', 'router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local',
      '--labels', 'istio=ingressgateway,app=istio-ingressgateway',
      '--admin-port', String(ports.gatewayAdmin),
      '--status-port', String(ports.gatewayStatus),
      '--stats-port', String(ports.gatewayStats),
      '--agent-port', String(ports.gatewayAgent),
    ]);
    if (options.sample) {
      launch('sidecar', script('proxy'), [
        '--mode', 'sidecar',
        '--pilot', pilot,
        '--node-id', 'sidecar~127.0.0.1~sleep.default~default.svc.cluster.local',
        '--labels', 'app=sleep',
        '--outbound-port', String(ports.sidecarOutbound),
        '--admin-port', String(ports.sidecarAdmin),
        '--status-port', String(ports.sidecarStatus),
        '--stats-port', String(ports.sidecarStats),
        '--agent-port', String(ports.sidecarAgent),
      ]);
    }
    await Promise.all([
      ready('gateway', `http://127.0.0.1:${ports.gatewayStatus}/healthz/ready`),
      ...(options.sample ? [ready('sidecar', `http://127.0.0.1:${ports.sidecarStatus}/healthz/ready`)] : []),
    ]);
    return { ports, processes, natsUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export { WORKSPACE_ROOT };
