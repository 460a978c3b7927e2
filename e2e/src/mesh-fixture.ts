// Runs the local mesh for a test against a private copy of examples/local
// whose ports (the Gateway's, the WorkloadEntries', the Sidecars' listeners and
// the applications behind them) are rewritten to free ones, so tests never
// collide with a mesh the developer has running (or with each other).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { WORKSPACE_ROOT } from '@mesh/testing';

export interface MeshFixture {
  mesh: LocalMesh;
  configDir: string;
  /** The mesh's state: citadel's root of trust is in `citadel/` (root-cert.pem). */
  stateDir: string;
  /** GET through the ingress gateway with Host hello.example.com. */
  get(pathname?: string, headers?: Record<string, string>): Promise<{ status: number; version?: string; body: string }>;
  /** Rewrites a file of the watched config directory. */
  edit(file: string, change: (text: string) => string): void;
  close(): Promise<void>;
}

export async function startMeshFixture(): Promise<MeshFixture> {
  const configDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-config-'));
  const stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-state-'));
  cpSync(path.join(WORKSPACE_ROOT, 'examples/local'), configDir, { recursive: true });

  const ports = await freeMeshPorts();
  const edit = (file: string, change: (text: string) => string) => {
    const p = path.join(configDir, file);
    writeFileSync(p, change(readFileSync(p, 'utf8')));
  };
  // Free ports are above 1024, so the gateway binds the Gateway's port as it is.
  edit('gateway.yaml', (t) => t.replace('number: 80', `number: ${ports.gatewayHttp}`));
  // The WorkloadEntries and the Sidecars' ingress listeners (15081/15082), the applications behind them
  // (9081/9082), the hello sidecars' egress listeners (15181/15182) and the sleep sidecar's (15001).
  const rewrite = (t: string, pairs: Array<[string, number]>) => pairs.reduce((s, [from, to]) => s.replaceAll(from, from.replace(/[0-9]+$/, String(to))), t);
  edit('hello.yaml', (t) =>
    rewrite(t, [
      ['http: 15081', ports.helloV1Ingress],
      ['number: 15081', ports.helloV1Ingress],
      ['defaultEndpoint: 127.0.0.1:9081', ports.helloV1],
      ['number: 15181', ports.helloV1Egress],
      ['http: 15082', ports.helloV2Ingress],
      ['number: 15082', ports.helloV2Ingress],
      ['defaultEndpoint: 127.0.0.1:9082', ports.helloV2],
      ['number: 15182', ports.helloV2Egress],
    ]),
  );
  edit('sleep.yaml', (t) => rewrite(t, [['number: 15001', ports.sidecarOutbound]]));

  const mesh = await startLocalMesh({
    configDir,
    stateDir,
    sample: true,
    ports,
    logLevel: 'debug',
    onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
  });
  const agent = new Agent({ connections: 16 });
  return {
    mesh,
    configDir,
    stateDir,
    edit,
    async get(pathname = '/', headers = {}) {
      const res = await request(`http://127.0.0.1:${ports.gatewayHttp}${pathname}`, { headers: { host: 'hello.example.com', ...headers }, dispatcher: agent });
      const body = await res.body.text();
      let version: string | undefined;
      try {
        version = JSON.parse(body).version;
      } catch {
        // not the sample app's answer (an error page); leave version unset
      }
      return { status: res.statusCode, version, body };
    },
    async close() {
      await agent.close();
      await mesh.stop();
      rmSync(configDir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A proxy's Envoy-style counters (its admin /stats), as [name, value] pairs. */
export async function proxyStats(adminPort: number): Promise<Array<[string, number]>> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).text();
  return text
    .trim()
    .split('\n')
    .map((l): [string, number] => [l.slice(0, l.lastIndexOf(': ')), Number(l.slice(l.lastIndexOf(': ') + 2))]);
}

/** The counters of a workload's sidecar, by workload name (`hello-v1`, `sleep`). */
export function sidecarStats(fx: MeshFixture, workload: string): Promise<Array<[string, number]>> {
  const w = fx.mesh.workloads.get(workload);
  if (!w) throw new Error(`no workload ${workload}; the mesh runs ${[...fx.mesh.workloads.keys()].join(', ')}`);
  return proxyStats(w.sidecar.admin);
}
