// Workload certificates rotating under load: every proxy of the local mesh asks
// citadel for a certificate that lives 6 s (--secret-ttl, renewed at half its
// lifetime), and sleep calls httpbin sidecar to sidecar over mutual TLS
// (STRICT: a plaintext fallback would fail) without pause, on keep-alive
// connections and on connections made for a single request (a DestinationRule
// with maxRequestsPerConnection: 1), while both sidecars renew several times.
// No request may fail, the server must present each new certificate (its
// serial on /certs changes), and the client identity the server sees on new
// connections must be each new certificate (XFCC's Hash= changes).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeMeshPorts, startLocalMesh, type LocalMesh } from '@mesh/local-mesh';
import { waitFor } from '@mesh/testing';
import { freeHttpbinSleepPorts, HTTPBIN_PORT, httpbinSleepWorkloads, httpbinSleepYaml, type HttpbinSleepPorts } from './httpbin-sleep.ts';

const SECRET_TTL = '6s';
const PORT = HTTPBIN_PORT;
const KEEP_ALIVE_HOST = `httpbin.default.svc.cluster.local:${PORT}`;
const FRESH_HOST = `httpbin-fresh.default.svc.cluster.local:${PORT}`;

/** httpbin and sleep in `default` (./httpbin-sleep.ts), the same workload under a second name whose every request opens a new sidecar-to-sidecar connection, and STRICT. */
function meshYaml(p: HttpbinSleepPorts): string {
  return (
    httpbinSleepYaml('default', p) +
    [
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-fresh, namespace: default}
spec:
  hosts: [httpbin-fresh.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: httpbin}}
`,
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin-fresh, namespace: default}
spec:
  host: httpbin-fresh.default.svc.cluster.local
  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 1}}}
`,
      `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec:
  mtls: {mode: STRICT}
`,
    ]
      .map((d) => `---\n${d}`)
      .join('')
  );
}

interface Outcome {
  status: number;
  /** When the answer (or the failure) came (Date.now()). */
  at?: number;
  /** XFCC's Hash= as httpbin received it: the SHA-256 of the client certificate of that sidecar-to-sidecar connection. */
  hash?: string;
  error?: string;
}

/** GET /headers on `host` through sleep's egress listener (an HTTP proxy: absolute URI). */
function get(egress: number, host: string, agent: Agent | false): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: egress, path: `http://${host}/headers`, headers: { host }, agent, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString();
        try {
          const xfcc = (JSON.parse(body) as { headers: Record<string, string | undefined> }).headers['x-forwarded-client-cert'] ?? '';
          resolve({ status, hash: /(?:^|;)Hash=([0-9a-f]{64})/.exec(xfcc)?.[1] });
        } catch {
          resolve({ status, error: `not httpbin's JSON: ${body.slice(0, 200)}` });
        }
      });
      res.on('error', (err) => resolve({ status: 0, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end();
  });
}

/** The serial of the workload certificate a proxy presents now (Envoy's /certs on the admin port). */
async function servingSerial(admin: number): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${admin}/certs`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { certificates: Array<{ cert_chain: Array<{ serial_number: string; path: string }> }> };
  return body.certificates.flatMap((c) => c.cert_chain).find((c) => c.path.includes('default'))?.serial_number;
}

/** Distinct values in the order they first appeared. */
const distinct = (xs: Array<string | undefined>) => [...new Set(xs.filter((x): x is string => !!x))];

describe(`workload certificates living ${SECRET_TTL} rotate under continuous sidecar-to-sidecar mutual TLS traffic`, { timeout: 150_000 }, () => {
  let mesh: LocalMesh;
  let configDir: string;
  let stateDir: string;
  let ports: HttpbinSleepPorts;

  before(async () => {
    configDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-rotation-config-'));
    stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-rotation-state-'));
    ports = await freeHttpbinSleepPorts();
    writeFileSync(path.join(configDir, 'httpbin.yaml'), meshYaml(ports));
    mesh = await startLocalMesh({
      configDir,
      stateDir,
      sample: false,
      secretTtl: SECRET_TTL,
      ports: await freeMeshPorts(),
      logLevel: 'info',
      workloads: httpbinSleepWorkloads('default', ports),
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
  });
  after(async () => {
    await mesh?.stop();
    for (const d of [configDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('no request fails while both sidecars renew at least twice; the server presents each new certificate and sees each new client certificate on new connections', async (t) => {
    const serverAdmin = mesh.workloads.get('httpbin-default')!.sidecar.admin;
    const clientAdmin = mesh.workloads.get('sleep-default')!.sidecar.admin;
    // Config reaches the sidecars asynchronously: traffic counts from the first mutual TLS answer on both names.
    for (const host of [KEEP_ALIVE_HOST, FRESH_HOST]) {
      let last: Outcome | undefined;
      await waitFor(`a 200 with a client certificate from ${host}`, async () => {
        last = await get(ports.egress, host, false);
        return last.status === 200 && !!last.hash;
      }, { timeoutMs: 30_000, intervalMs: 100 }).catch((err: Error) => {
        throw new Error(`${err.message}; the last answer: ${JSON.stringify(last)}`);
      });
    }

    const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });
    const results = { keepAlive: [] as Outcome[], fresh: [] as Outcome[] };
    const serials = { server: [] as Array<string | undefined>, client: [] as Array<string | undefined> };
    let running = true;
    const loop = async (into: Outcome[], call: () => Promise<Outcome>) => {
      while (running) into.push({ ...(await call()), at: Date.now() });
    };
    /** When the watcher first saw each client certificate (by serial). */
    const clientSerialSeen = new Map<string, number>();
    const traffic = [
      loop(results.keepAlive, () => get(ports.egress, KEEP_ALIVE_HOST, keepAlive)),
      loop(results.keepAlive, () => get(ports.egress, KEEP_ALIVE_HOST, keepAlive)),
      loop(results.fresh, () => get(ports.egress, FRESH_HOST, false)),
    ];
    const watching = (async () => {
      while (running) {
        serials.server.push(await servingSerial(serverAdmin).catch(() => undefined));
        const client = await servingSerial(clientAdmin).catch(() => undefined);
        serials.client.push(client);
        if (client && !clientSerialSeen.has(client)) clientSerialSeen.set(client, Date.now());
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      // Two renewals of each side = three certificates seen while the traffic flows; and at least one whole lifetime,
      // so a keep-alive connection the pool kept open outlives the certificates it was opened with (as in Envoy, a
      // rotation changes what new handshakes present; it does not cut established connections).
      const started = Date.now();
      await waitFor(
        'three server certificates, three client certificates and three client certificate hashes on new connections',
        () =>
          Date.now() - started > 6_500 &&
          distinct(serials.server).length >= 3 &&
          distinct(serials.client).length >= 3 &&
          distinct(results.fresh.map((r) => r.hash)).length >= 3 &&
          // and traffic of both kinds went on for a moment after the client's third certificate arrived
          [...clientSerialSeen.values()].length >= 3 &&
          [results.keepAlive, results.fresh].every((list) => list.some((r) => r.at! > [...clientSerialSeen.values()][2] + 500)),
        { timeoutMs: 40_000, intervalMs: 200 },
      );
    } finally {
      running = false;
      await Promise.all([...traffic, watching]);
      keepAlive.destroy();
    }

    t.diagnostic(
      `${results.keepAlive.length} keep-alive requests (client certificates seen: ${distinct(results.keepAlive.map((r) => r.hash)).length}), ${results.fresh.length} on new connections; server serials ${distinct(serials.server).join(' ')}; client serials ${distinct(serials.client).join(' ')}`,
    );
    const failed = [...results.keepAlive, ...results.fresh].filter((r) => r.status !== 200 || !r.hash);
    assert.deepEqual(failed, [], `every request answered 200 over mutual TLS (${results.keepAlive.length} keep-alive, ${results.fresh.length} on new connections)`);
    // The traffic spans two renewals: both kinds answered before the client's second certificate and after its third.
    const [, second, third] = [...clientSerialSeen.values()];
    for (const [kind, list] of Object.entries(results)) {
      assert.ok(list.some((r) => r.at! < second) && list.some((r) => r.at! > third + 500), `${kind} requests were answered before and after the renewals`);
    }
    assert.ok(distinct(serials.server).length >= 3, `the server sidecar presented ${distinct(serials.server).join(', ')}`);
    assert.ok(distinct(serials.client).length >= 3, `the client sidecar presented ${distinct(serials.client).join(', ')}`);
    const freshHashes = distinct(results.fresh.map((r) => r.hash));
    assert.ok(freshHashes.length >= 3, `httpbin saw the client certificates ${freshHashes.join(', ')} on new connections`);
    // Once renewed, a certificate is not used for new connections again: each hash is one contiguous run of requests.
    const runs = results.fresh.map((r) => r.hash).filter((h, i, all) => i === 0 || h !== all[i - 1]);
    assert.deepEqual(runs, freshHashes, 'new connections never go back to an older client certificate');
  });
});
