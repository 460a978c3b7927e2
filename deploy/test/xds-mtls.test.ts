// Proxies reach pilot over mutual TLS only (15011), each with a workload
// certificate from citadel: pilot serves 15011 with its own certificate and
// keeps plaintext 15010 on the pod's loopback; the gateways and injected
// sidecars are told 15011, have what the certificate needs (citadel's
// address, a projected token of the audience citadel checks, the mesh's
// roots where the proxy looks for them, their namespace and service account),
// and expect pilot's identity as pilot's service account makes it. galley
// reads the Secrets gateways' credentialName refers to. Checked against the
// apps' own --help (flag defaults) and the injector's own output.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { CONTROL_PLANE_NAMESPACE, GATEWAYS, REPO_ROOT, argValue, get, ofKind, podSpec, type K8sObject } from './load.ts';

const ns = CONTROL_PLANE_NAMESPACE;
const mesh = YAML.parse(get('ConfigMap', 'istio', ns).data.mesh);
const citadel = podSpec(get('Deployment', 'istio-citadel', ns)).containers[0];
const tokenAudience = argValue(citadel, 'token-audience') ?? 'istio-ca';

function help(app: string): string {
  const res = spawnSync(process.execPath, [`apps/${app}/src/main.ts`, '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NATS_URL: '' } });
  assert.equal(res.status, 0, `${app} --help failed: ${res.stderr}`);
  return res.stdout;
}

/** A flag's default as the app's --help prints it. */
function flagDefault(helpText: string, flag: string): string {
  const line = helpText.split('\n').find((l) => l.trimStart().startsWith(`--${flag} `));
  assert.ok(line, `--${flag} is not declared`);
  const m = /\(default "([^"]*)"\)\s*$/.exec(line);
  assert.ok(m, `--${flag} has no default: ${line}`);
  return m[1];
}

/** host:port of an istio-system Service -> the Service port's name. */
function servicePortName(address: string): string {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)$/.exec(address);
  assert.ok(m, `${address} is not <service>.<namespace>.svc:<port>`);
  const port = get('Service', m[1], m[2]).spec.ports.find((p: K8sObject) => p.port === Number(m[3]));
  assert.ok(port, `${address}: no such Service port`);
  return port.name;
}

function env(container: K8sObject, name: string): K8sObject | undefined {
  return (container.env ?? []).find((e: K8sObject) => e.name === name);
}

/** The volume mounted at the directory holding `file`, and the key/path the file is inside it. */
function volumeFor(pod: K8sObject, container: K8sObject, file: string): { volume: K8sObject; item: string } {
  const mount = (container.volumeMounts ?? []).find((m: K8sObject) => path.posix.dirname(file) === m.mountPath);
  assert.ok(mount, `${container.name}: nothing is mounted at ${path.posix.dirname(file)} (for ${file})`);
  const volume = pod.volumes.find((v: K8sObject) => v.name === mount.name);
  assert.ok(volume, `${container.name}: volume ${mount.name} is not defined`);
  return { volume, item: path.posix.basename(file) };
}

/** What a container needs to get a workload certificate from citadel with the proxy's / pilot's default file locations. */
function assertCertificateInputs(who: string, pod: K8sObject, container: K8sObject, defaults: { token: string; roots: string }, caAddress: string | undefined): void {
  assert.ok(caAddress, `${who}: no citadel address`);
  assert.equal(servicePortName(caAddress), 'https-ca', `${who}: ${caAddress} is not citadel's signing port`);
  const token = volumeFor(pod, container, defaults.token);
  const projected = token.volume.projected?.sources?.find((s: K8sObject) => s.serviceAccountToken)?.serviceAccountToken;
  assert.ok(projected, `${who}: ${defaults.token} is not a projected service-account token`);
  assert.equal(projected.path, token.item, `${who}: the token lands at ${projected.path}, the app reads ${token.item}`);
  assert.equal(projected.audience, tokenAudience, `${who}: citadel accepts only tokens for audience ${tokenAudience}`);
  assert.ok(projected.expirationSeconds <= 86_400, `${who}: a short-lived token`);
  const roots = volumeFor(pod, container, defaults.roots);
  assert.equal(roots.volume.configMap?.name, 'istio-ca-root-cert', `${who}: the roots come from the ConfigMap citadel writes into every namespace`);
  assert.equal(roots.item, 'root-cert.pem', "the ConfigMap's key");
  for (const name of ['POD_NAMESPACE', 'SERVICE_ACCOUNT']) {
    assert.ok(env(container, name)?.valueFrom?.fieldRef, `${who}: ${name} (the certificate's identity) comes from the downward API`);
  }
  assert.equal(env(container, 'SERVICE_ACCOUNT')!.valueFrom.fieldRef.fieldPath, 'spec.serviceAccountName');
}

const proxyHelp = help('proxy');
const pilotHelp = help('pilot');
const proxyDefaults = { token: flagDefault(proxyHelp, 'ca-token-file'), roots: flagDefault(proxyHelp, 'ca-root-cert') };
const pilotDeployment = get('Deployment', 'istio-pilot', ns);
const pilotPod = podSpec(pilotDeployment);
const pilot = pilotPod.containers[0];
const pilotId = `spiffe://${mesh.trustDomain}/ns/${pilotDeployment.metadata.namespace}/sa/${pilotPod.serviceAccountName}`;

/** What a proxy verifies pilot by: --pilot-san / PILOT_SAN, else its default for the trust domain. */
function expectedPilotIds(container: K8sObject, trustDomain: string, extraEnv: Record<string, string> = {}): string[] {
  const given = argValue(container, 'pilot-san') ?? env(container, 'PILOT_SAN')?.value ?? extraEnv.PILOT_SAN;
  if (given) return given.split(',').map((s: string) => s.trim());
  assert.match(proxyHelp, /--pilot-san .*\(empty: spiffe:\/\/<trust-domain>\/ns\/istio-system\/sa\/istiod\)/, "the proxy's --pilot-san default changed: update this test");
  return [`spiffe://${trustDomain}/ns/istio-system/sa/istiod`];
}

/** Istio's agent (and the proxy's --xds-tls auto) speaks TLS to these discovery ports. */
function autoTls(address: string): boolean {
  assert.match(proxyHelp, /auto: when the --pilot port is 15011 or 15012/, "the proxy's --xds-tls auto rule changed: update this test");
  return ['15011', '15012'].includes(address.split(':').at(-1)!);
}

describe('pilot serves xDS over mutual TLS on 15011 (deploy/kubernetes/pilot)', () => {
  it('binds 15011 on every interface and plaintext 15010 on loopback only; the Service exposes 15011 and not 15010', () => {
    assert.equal(argValue(pilot, 'secure-xds-host'), '0.0.0.0');
    assert.equal(argValue(pilot, 'secure-xds-port'), '15011');
    assert.equal(argValue(pilot, 'xds-host') ?? flagDefault(pilotHelp, 'xds-host'), '127.0.0.1', 'the plaintext port authenticates no one');
    const svc = get('Service', 'istio-pilot', ns);
    assert.deepEqual(
      svc.spec.ports.filter((p: K8sObject) => /xds/.test(p.name)).map((p: K8sObject) => [p.name, p.port, p.targetPort]),
      [['https-xds', 15011, 15011]],
    );
    assert.ok(!svc.spec.ports.some((p: K8sObject) => p.targetPort === 15010 || p.port === 15010), 'no Service reaches the plaintext port');
    assert.ok(!pilot.ports.some((p: K8sObject) => p.containerPort === 15010), 'the plaintext port is not declared as a pod port');
    assert.ok(pilot.ports.some((p: K8sObject) => p.name === 'https-xds' && p.containerPort === 15011));
  });

  it("gets its serving certificate from citadel: citadel's address, a projected istio-ca token, the mesh roots, its namespace and service account", () => {
    assertCertificateInputs('pilot', pilotPod, pilot, { token: argValue(pilot, 'ca-token-file') ?? flagDefault(pilotHelp, 'ca-token-file'), roots: argValue(pilot, 'ca-root-cert') ?? flagDefault(pilotHelp, 'ca-root-cert') }, argValue(pilot, 'ca-address'));
    assert.equal(argValue(pilot, 'trust-domain'), mesh.trustDomain);
    assert.equal(pilotPod.automountServiceAccountToken, false, 'the istio-ca token is not an API token: pilot still has no API access');
  });
});

describe('gateways use pilot on 15011 with their workload certificate (deploy/kubernetes/*gateway)', () => {
  for (const name of GATEWAYS) {
    it(`${name}: --pilot is 15011 with --xds-tls on, a certificate from citadel, and pilot's identity as pilot's service account makes it`, () => {
      const d = get('Deployment', name, ns);
      const pod = podSpec(d);
      const [c] = pod.containers;
      const pilotAddress = argValue(c, 'pilot')!;
      assert.equal(servicePortName(pilotAddress), 'https-xds');
      assert.equal(argValue(c, 'xds-tls'), 'on', 'TLS is asked for, not inferred from the port');
      assertCertificateInputs(name, pod, c, proxyDefaults, argValue(c, 'ca-address') ?? env(c, 'CA_ADDR')?.value);
      const td = argValue(c, 'trust-domain') ?? env(c, 'TRUST_DOMAIN')?.value ?? 'cluster.local';
      assert.equal(td, mesh.trustDomain);
      assert.deepEqual(expectedPilotIds(c, td), [pilotId], `${name} would refuse pilot's certificate`);
      assert.equal(pod.automountServiceAccountToken, false);
    });
  }
});

describe('injected sidecars use pilot on 15011 (the injector with the deployed mesh config)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-inject-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("get 15011 (TLS by the proxy's auto rule), citadel's address, the istio-ca token and roots where the proxy reads them, and expect pilot's identity", () => {
    const meshFile = path.join(dir, 'mesh.yaml');
    writeFileSync(meshFile, get('ConfigMap', 'istio', ns).data.mesh);
    const sample = ofKind('Deployment').find((m) => m.obj.metadata.namespace === 'sample')!;
    assert.ok(sample, 'a sample Deployment to inject');
    const input = path.join(dir, 'workload.yaml');
    writeFileSync(input, YAML.stringify(sample.obj));
    const res = spawnSync(process.execPath, ['apps/injector/src/main.ts', 'kube-inject', '-f', input, '--mesh-config', meshFile], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(res.status, 0, res.stderr);
    const injected = YAML.parse(res.stdout);
    const pod = podSpec(injected);
    const proxy = pod.containers.find((c: K8sObject) => c.name === 'istio-proxy');
    assert.ok(proxy, 'the sidecar was injected');
    const discovery = JSON.parse(env(proxy, 'PROXY_CONFIG')!.value).discoveryAddress;
    assert.equal(discovery, mesh.defaultConfig.discoveryAddress);
    assert.equal(servicePortName(discovery), 'https-xds');
    assert.ok(autoTls(discovery), `${discovery}: the sidecar would speak plaintext`);
    assertCertificateInputs('the injected sidecar', pod, proxy, proxyDefaults, env(proxy, 'CA_ADDR')?.value);
    const td = env(proxy, 'TRUST_DOMAIN')?.value;
    assert.equal(td, mesh.trustDomain);
    assert.deepEqual(expectedPilotIds(proxy, td!, mesh.defaultConfig.proxyMetadata ?? {}), [pilotId], 'the sidecar would refuse pilot\'s certificate');
  });
});

describe('galley reads credentialName Secrets (deploy/kubernetes/galley)', () => {
  it('runs with the Kubernetes credential source, and its ClusterRole may get/list/watch Secrets and nothing more on them', () => {
    const [c] = podSpec(get('Deployment', 'istio-galley', ns)).containers;
    assert.equal(argValue(c, 'credential-source'), 'kubernetes');
    assert.equal(argValue(c, 'credential-dir'), undefined);
    const sa = podSpec(get('Deployment', 'istio-galley', ns)).serviceAccountName;
    const roles = ofKind('ClusterRoleBinding')
      .map((m) => m.obj)
      .filter((b) => b.subjects.some((s: K8sObject) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === ns))
      .map((b) => get('ClusterRole', b.roleRef.name));
    const verbs = new Set(roles.flatMap((r) => r.rules).filter((r: K8sObject) => r.apiGroups.includes('') && r.resources.includes('secrets')).flatMap((r: K8sObject) => r.verbs));
    assert.deepEqual([...verbs].sort(), ['get', 'list', 'watch']);
  });
});
