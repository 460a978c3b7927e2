// The agent's workload certificate with a real citadel process: the proxy
// process gets its SPIFFE certificate, shows it on /certs and /config_dump
// (never the key), renews it at half its lifetime, is not ready without it,
// follows a root rotation, and refuses a start that could never get one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitCertificates } from '@mesh/pki';
import { createLogger } from '@mesh/telemetry';
import { freePort, startProcess, waitFor, type LogLine, type ManagedProcess } from '@mesh/testing';
import { ProxySecrets } from '../secrets/proxy-secrets.ts';
import type { SecretRef } from '../secrets/secret-lookup.ts';
import { request } from '../test-fixtures.ts';
import { TrustBundle } from './trust-bundle.ts';
import { WorkloadIdentity } from './workload-identity.ts';

const MAIN = 'apps/proxy/src/main.ts';
const SPIFFE = 'spiffe://cluster.local/ns/default/sa/bookinfo';

interface DumpedSecret {
  name: string;
  versionInfo: string;
  lastUpdated?: string;
  secret: {
    name: string;
    tlsCertificate?: { certificateChain?: { inlineBytes: string }; privateKey?: { inlineString: string } };
    validationContext?: { trustedCa?: { inlineBytes: string } };
  };
}
interface CertDetails {
  path: string;
  serial_number: string;
  subject_alt_names: Array<{ uri?: string }>;
  days_until_expiration: string;
  valid_from: string;
  expiration_time: string;
}

const installed = (l: LogLine) => typeof l.msg === 'string' && l.msg.startsWith('workload certificate installed');
const norm = (serial: unknown) => String(serial).toLowerCase().replace(/^0+/, '');
const cn = (pem: string) => new X509Certificate(pem).subject.split('\n').find((l) => l.startsWith('CN='))!;

describe('workload certificate from citadel (real citadel and proxy processes)', () => {
  let dir: string;
  let rootDir: string;
  let rootFile: string;
  let tokenFile: string;
  let emptyConfig: string;
  let citadel: ManagedProcess;
  let caPort: number;
  let citadelAdmin: number;
  const procs: ManagedProcess[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'workload-cert-'));
    rootDir = path.join(dir, 'citadel');
    rootFile = path.join(rootDir, 'root-cert.pem');
    tokenFile = path.join(dir, 'istio-token');
    emptyConfig = path.join(dir, 'empty.json');
    writeFileSync(emptyConfig, '{}');
    [caPort, citadelAdmin] = [await freePort(), await freePort()];
    citadel = startProcess('citadel', 'apps/citadel/src/main.ts', [
      '--ca-port', String(caPort),
      '--monitoring-port', '0',
      '--admin-port', String(citadelAdmin),
      '--root-dir', rootDir,
      '--nats-url', '',
      // Short lifetimes so renewals and a whole root rotation fit in a test.
      '--workload-cert-ttl', '10s',
      '--max-workload-cert-ttl', '10s',
      '--rotation-propagation-delay', '1s',
      '--rotation-retire-grace', '0s',
      '--rotation-auto-fraction', '0',
    ]);
    await citadel.waitForLine((l) => l.msg === 'ready', 30_000);
    const res = await fetch(`http://127.0.0.1:${citadelAdmin}/token?namespace=default&serviceAccount=bookinfo`, { method: 'POST' });
    writeFileSync(tokenFile, ((await res.json()) as { token: string }).token + '\n');
  });

  after(async () => {
    for (const p of procs) await p.stop();
    await citadel?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sidePorts = ['--admin-port', '0', '--status-port', '0', '--stats-port', '0', '--agent-port', '0'];
  const start = (args: string[], env: Record<string, string> = {}) => {
    const p = startProcess('proxy', MAIN, args, { env });
    procs.push(p);
    return p;
  };
  const ports = async (p: ManagedProcess) => {
    const l = await p.waitForLine((x) => x.msg === 'proxy starting', 20_000);
    return { admin: Number(l.adminPort), status: Number(l.statusPort), agent: Number(l.agentPort) };
  };
  const json = async <T>(port: number, p: string): Promise<T> => JSON.parse((await request(port, { path: p })).body) as T;
  const secretsOf = async (admin: number) => {
    const dump = await json<{ configs: Array<{ '@type': string; dynamicActiveSecrets?: DumpedSecret[]; dynamicWarmingSecrets?: Array<{ name: string }> }> }>(admin, '/config_dump');
    return dump.configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump')!;
  };
  const pemOf = (b64: string) => Buffer.from(b64, 'base64').toString();

  it('installs the SPIFFE certificate: /certs and /config_dump show it chained to citadel\'s root, never the key; renews at half its lifetime', async () => {
    const proc = start([
      '--static-config', emptyConfig, ...sidePorts,
      '--ca-address', `127.0.0.1:${caPort}`,
      '--ca-root-cert', rootFile,
      '--ca-token-file', tokenFile,
      '--pod-namespace', 'default',
      '--service-account', 'bookinfo',
      '--secret-ttl', '4s',
    ]);
    const { admin, status, agent } = await ports(proc);
    const first = await proc.waitForLine(installed, 20_000);
    assert.equal(first.spiffeId, SPIFFE);
    assert.match(String(first.msg), new RegExp(`^workload certificate installed ${SPIFFE} serial [0-9A-F]+ expires \\S+Z renews at \\S+Z$`));
    const lifetime = Date.parse(String(first.notAfter)) - Date.parse(String(first.renewAt));
    assert.ok(lifetime > 1_000 && lifetime <= 2_100, `renewal at half of the 4s lifetime (renewAt is ${lifetime} ms before expiry)`);

    await proc.waitForLine((l) => l.msg === 'static config applied', 20_000);
    assert.equal((await request(status, { path: '/healthz/ready' })).status, 200);
    assert.equal((await request(agent, { path: '/healthz/ready' })).status, 200);

    // /config_dump: 'default' (leaf without the root, key redacted) and 'ROOTCA' (citadel's root).
    const secrets = await secretsOf(admin);
    const byName = new Map(secrets.dynamicActiveSecrets!.map((s) => [s.name, s]));
    assert.deepEqual([...byName.keys()].sort(), ['ROOTCA', 'default']);
    const def = byName.get('default')!;
    assert.equal(def.secret.tlsCertificate!.privateKey!.inlineString, '[redacted]');
    const chain = splitCertificates(pemOf(def.secret.tlsCertificate!.certificateChain!.inlineBytes));
    assert.equal(chain.length, 1, 'the self-signed root is not part of the served chain');
    const leaf = new X509Certificate(chain[0]);
    assert.equal(leaf.subjectAltName, `URI:${SPIFFE}`);
    assert.equal(norm(def.versionInfo), norm(leaf.serialNumber));
    const leafFile = path.join(dir, 'leaf.pem');
    writeFileSync(leafFile, chain[0]);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', rootFile, leafFile], { encoding: 'utf8' }), /leaf\.pem: OK/);
    const rootca = splitCertificates(pemOf(byName.get('ROOTCA')!.secret.validationContext!.trustedCa!.inlineBytes));
    assert.deepEqual(rootca.map((r) => new X509Certificate(r).fingerprint256), splitCertificates(readFileSync(rootFile, 'utf8')).map((r) => new X509Certificate(r).fingerprint256));

    // /certs as Envoy's: the CA and the chain, with SANs, serial and validity.
    const certs = await json<{ certificates: Array<{ ca_cert: CertDetails[]; cert_chain: CertDetails[] }> }>(admin, '/certs');
    assert.equal(certs.certificates.length, 1);
    const [c] = certs.certificates;
    assert.deepEqual(c.cert_chain[0].subject_alt_names, [{ uri: SPIFFE }]);
    assert.equal(c.cert_chain[0].serial_number, leaf.serialNumber.toLowerCase());
    assert.equal(c.cert_chain[0].expiration_time, leaf.validToDate.toISOString());
    assert.equal(c.cert_chain[0].days_until_expiration, '0');
    assert.equal(c.ca_cert.length, 1);
    assert.equal(c.ca_cert[0].serial_number, new X509Certificate(rootca[0]).serialNumber.toLowerCase());

    // Renewal at half of the 4s lifetime: a new serial, shown everywhere.
    const second = await proc.waitForLine((l) => installed(l) && l.serial !== first.serial, 10_000);
    await waitFor('the renewed certificate on /certs', async () => {
      const now = await json<{ certificates: Array<{ cert_chain: CertDetails[] }> }>(admin, '/certs');
      return norm(now.certificates[0].cert_chain[0].serial_number) === norm(second.serial);
    });
    const metrics = (await request(admin, { path: '/stats/prometheus' })).body;
    const expiry = /mesh_agent_cert_expiry_timestamp_seconds\{resource_name="default"\} (\d+)/.exec(metrics);
    assert.ok(expiry && Math.abs(Number(expiry[1]) * 1000 - Date.parse(String(second.notAfter))) < 5_000, 'the expiry gauge follows the renewed certificate');
    assert.match(metrics, /mesh_ca_client_requests_total\{result="ok"\} [2-9]/);

    // The key never leaves the process: not in any log line, not in the dump.
    const dumpText = (await request(admin, { path: '/config_dump' })).body;
    const decoded = [...dumpText.matchAll(/"inlineBytes": "([^"]+)"/g)].map((m) => pemOf(m[1])).join('');
    for (const text of [proc.output(), dumpText, decoded, (await request(admin, { path: '/certs' })).body]) assert.doesNotMatch(text, /PRIVATE KEY/);
    assert.equal(await proc.stop(), 0);
  });

  it('logs and retries while citadel is unreachable or the token is missing, and is not ready until the certificate arrives', async () => {
    const lateToken = path.join(dir, 'late-token');
    const down = await freePort();
    const proc = start([
      '--static-config', emptyConfig, ...sidePorts,
      '--ca-address', `127.0.0.1:${down}`,
      '--ca-root-cert', rootFile,
      '--ca-token-file', lateToken,
      '--pod-namespace', 'default',
      '--service-account', 'bookinfo',
    ]);
    const { status, agent, admin } = await ports(proc);
    const failure = (attempt: number) => (l: LogLine) => l.msg === 'certificate request failed; keeping the current certificate' && l.attempt === attempt;
    const firstFailure = await proc.waitForLine(failure(1), 20_000);
    assert.match(String(firstFailure.err), /cannot read the CA token file .*late-token: ENOENT/);
    await proc.waitForLine((l) => l.msg === 'static config applied', 20_000);
    const notReady = await request(status, { path: '/healthz/ready' });
    assert.equal(notReady.status, 503);
    assert.match(notReady.body, new RegExp(`workload certificate for ${SPIFFE} not yet issued by citadel at 127\\.0\\.0\\.1:${down}`));
    assert.equal((await request(agent, { path: '/healthz/ready' })).status, 503);
    const warming = await secretsOf(admin);
    assert.deepEqual(warming.dynamicActiveSecrets!.map((s) => s.name), ['ROOTCA']);
    assert.deepEqual(warming.dynamicWarmingSecrets!.map((s) => s.name), ['default']);

    // With a token but citadel still down: the next attempts fail on the connection, and are retried.
    writeFileSync(lateToken, readFileSync(tokenFile));
    const second = await proc.waitForLine(failure(2), 20_000);
    assert.doesNotMatch(String(second.err), /token/);
    assert.equal((await request(status, { path: '/healthz/ready' })).status, 503);
    assert.equal(await proc.stop(), 0);
  });

  it('refuses to start without a service account, a namespace or the root certificate, saying which', async () => {
    const base = ['--static-config', emptyConfig, ...sidePorts, '--ca-address', `127.0.0.1:${caPort}`, '--ca-token-file', tokenFile];
    const noSa = start([...base, '--ca-root-cert', rootFile, '--pod-namespace', 'default']);
    assert.equal(await noSa.exited, 1);
    assert.match(noSa.output(), /--ca-address is set but --service-account \(env SERVICE_ACCOUNT\) is empty/);
    const noNs = start([...base, '--ca-root-cert', rootFile, '--service-account', 'bookinfo']);
    assert.equal(await noNs.exited, 1);
    assert.match(noNs.output(), /--pod-namespace \(env POD_NAMESPACE\) is empty/);
    const noRoot = start([...base, '--ca-root-cert', path.join(dir, 'missing.pem'), '--pod-namespace', 'default', '--service-account', 'bookinfo']);
    assert.equal(await noRoot.exited, 1);
    assert.match(noRoot.output(), /cannot read the CA root certificate .*missing\.pem.*--ca-root-cert <citadel --root-dir>\/root-cert\.pem/);
    // Without --ca-address it starts, and says once what that means.
    const plain = start(['--static-config', emptyConfig, ...sidePorts]);
    const line = await plain.waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('no --ca-address'), 20_000);
    assert.match(String(line.msg), /'default' and 'ROOTCA' never arrive/);
    await plain.waitForLine((l) => l.msg === 'static config applied', 20_000);
    assert.equal(await plain.stop(), 0);
  });

  it('serves the certificate as a SecretLookup: onChange fires on first arrival and on every renewal', async () => {
    const log = createLogger('test', { level: 'error' });
    const bundle = new TrustBundle({ file: rootFile, log });
    bundle.load(true);
    // Citadel checked against its Kubernetes Service name, as a pod reaching it by another address would.
    const identity = new WorkloadIdentity({
      caAddress: `127.0.0.1:${caPort}`,
      serverName: 'istio-citadel.istio-system.svc',
      tokenFile,
      spiffeId: SPIFFE,
      validitySeconds: 2,
      bundle,
      log,
      retry: { initialMs: 50, maxMs: 200 },
    });
    const secrets = new ProxySecrets({ agent: { identity, bundle }, log });
    const seen: Array<{ ref: SecretRef; version?: string }> = [];
    const off = secrets.onChange((ref) => seen.push({ ref, version: secrets.secret(ref)?.version }));
    assert.equal(secrets.secret({ name: 'default', source: 'agent' }), undefined, 'nothing before the first certificate');
    assert.ok(secrets.secret({ name: 'ROOTCA', source: 'agent' })?.ca, 'the bundle from the file is there at once');
    identity.start();
    try {
      await waitFor('a renewal after the first certificate', () => seen.filter((s) => s.ref.name === 'default').length >= 2, { timeoutMs: 10_000 });
      const versions = seen.filter((s) => s.ref.name === 'default').map((s) => s.version);
      assert.notEqual(versions[0], versions[1]);
      assert.ok(seen.every((s) => s.ref.source === 'agent'));
      const material = secrets.secret({ name: 'default', source: 'agent' })!;
      const leaf = new X509Certificate(material.cert!);
      assert.equal(leaf.subjectAltName, `URI:${SPIFFE}`);
      assert.ok(leaf.checkPrivateKey(createPrivateKey(material.key!)), 'the key is the one the certificate is for');
      assert.equal(material.version, identity.current()!.serialHex);
      assert.equal(secrets.secret({ name: 'default', source: 'ads' }), undefined, "pilot's secrets are another source");
    } finally {
      off();
      await identity.stop();
      bundle.stop();
    }
  });

  it("follows citadel's root rotation: both roots trusted during the overlap, the new root signs, the old one leaves", async () => {
    const proc = start(['sidecar', '--domain', 'default.svc.cluster.local', '--statusPort', '0'], {
      // What the injector puts in the pod (the mounts' paths stand in for the volumes).
      CA_ADDR: `127.0.0.1:${caPort}`,
      POD_NAMESPACE: 'default',
      SERVICE_ACCOUNT: 'bookinfo',
      TRUST_DOMAIN: 'cluster.local',
      SECRET_TTL: '3s',
      CA_ROOT_CERT: rootFile,
      CA_TOKEN_FILE: tokenFile,
      STATIC_CONFIG: emptyConfig,
      STATUS_HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      STATUS_PORT: '0',
      STATS_PORT: '0',
    });
    const { admin } = await ports(proc);
    const first = await proc.waitForLine(installed, 20_000);
    assert.equal(first.spiffeId, SPIFFE);
    const rootsNow = async () => {
      const s = await secretsOf(admin);
      const r = s.dynamicActiveSecrets!.find((x) => x.name === 'ROOTCA')!;
      return splitCertificates(pemOf(r.secret.validationContext!.trustedCa!.inlineBytes)).map(cn);
    };
    const leafIssuer = async () => {
      const s = await secretsOf(admin);
      const d = s.dynamicActiveSecrets!.find((x) => x.name === 'default')!;
      return new X509Certificate(splitCertificates(pemOf(d.secret.tlsCertificate!.certificateChain!.inlineBytes))[0]).issuer.split('\n').find((l) => l.startsWith('CN='))!;
    };
    const [oldRoot] = await rootsNow();
    assert.equal(await leafIssuer(), oldRoot);

    assert.equal((await fetch(`http://127.0.0.1:${citadelAdmin}/rotate`, { method: 'POST' })).status, 202);
    const both = await waitFor('both roots in ROOTCA', async () => ((await rootsNow()).length === 2 ? rootsNow() : undefined), { timeoutMs: 15_000 });
    const newRoot = both.find((r) => r !== oldRoot)!;
    await waitFor('a certificate signed by the new root', async () => (await leafIssuer()) === newRoot, { timeoutMs: 15_000 });
    assert.deepEqual((await rootsNow()).sort(), [oldRoot, newRoot].sort(), 'the old root is still trusted while its certificates live');
    // The old root leaves once every certificate it signed has expired (max TTL 10s, no grace).
    await waitFor('the old root retired', async () => (await rootsNow()).join() === newRoot, { timeoutMs: 25_000 });
    assert.ok(proc.lines.some((l) => l.msg === 'trust bundle changed' && l.roots === 1 && l.before === 2));
    // Renewals keep working against the new root only.
    const seen = new Set(proc.lines.filter(installed).map((l) => l.serial));
    const renewed = await proc.waitForLine((l) => installed(l) && !seen.has(l.serial), 10_000);
    assert.equal(await leafIssuer(), newRoot);
    assert.ok(Date.parse(String(renewed.notAfter)) > Date.now());
    assert.equal(await proc.stop(), 0);
  });
});
