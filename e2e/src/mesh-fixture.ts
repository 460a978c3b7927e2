// Runs the local mesh for a test against a private copy of examples/local
// whose ports are rewritten to free ones, so tests never collide with a mesh
// the developer has running (or with each other).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { WORKSPACE_ROOT } from '@mesh/testing';

export interface MeshFixture {
  mesh: LocalMesh;
  configDir: string;
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
  edit('hello.yaml', (t) => t.replace('http: 9081', `http: ${ports.helloV1}`).replace('http: 9082', `http: ${ports.helloV2}`));

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
