// The admission webhooks: kube-apiserver must reach the injector's /inject
// (galley's /validate is not served yet) through Services that exist, on ports their pods serve,
// with a certificate for the Service's name; and injection must select the
// pods Istio would inject, no more, no fewer, and never twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEPLOY_DIR, argValue, containerPort, get, ofKind, podSpec, selects, workloads, type K8sObject } from './load.ts';

const validating = () => ofKind('ValidatingWebhookConfiguration').map((m) => m.obj);
const mutating = () => ofKind('MutatingWebhookConfiguration').map((m) => m.obj);
const allWebhooks = () => [...validating(), ...mutating()].flatMap((c) => c.webhooks.map((w: K8sObject) => ({ config: c, hook: w })));

/** The Deployment behind a webhook's Service, and the container port the Service's port lands on. */
function backend(hook: K8sObject): { deployment: K8sObject; port: K8sObject } {
  const ref = hook.clientConfig.service;
  const svc = get('Service', ref.name, ref.namespace);
  const svcPort = svc.spec.ports.find((p: K8sObject) => p.port === (ref.port ?? 443));
  assert.ok(svcPort, `${hook.name}: Service ${ref.namespace}/${ref.name} has no port ${ref.port ?? 443}`);
  const [deployment] = workloads().filter((w) => w.obj.metadata.namespace === ref.namespace && selects({ matchLabels: svc.spec.selector }, w.obj.spec.template.metadata.labels));
  assert.ok(deployment, `${hook.name}: Service ${ref.name} selects no workload`);
  const port = containerPort(deployment.obj, svcPort.targetPort);
  assert.ok(port, `${hook.name}: ${ref.name} port ${svcPort.port} targets ${svcPort.targetPort}, which the pods do not serve`);
  return { deployment: deployment.obj, port };
}

describe('every admission webhook', () => {
  it('reaches a Service port on 443 whose pods serve HTTPS on 9443', () => {
    assert.equal(allWebhooks().length, 4, "the injector's four (galley's /validate is not served yet)");
    for (const { hook } of allWebhooks()) {
      assert.equal(hook.clientConfig.service.port, 443, hook.name);
      assert.equal(hook.clientConfig.url, undefined, `${hook.name}: use the Service, not a URL`);
      const { deployment, port } = backend(hook);
      assert.equal(port.containerPort, 9443, hook.name);
      const [c] = podSpec(deployment).containers;
      assert.equal(Number(argValue(c, 'port')), 9443, `${hook.name}: the app is told to listen on 9443`);
      assert.ok(argValue(c, 'tls-cert-file') && argValue(c, 'tls-key-file'), `${hook.name}: the app serves the mounted certificate`);
    }
  });

  it('speaks AdmissionReview v1, has no side effects and leaves caBundle to the certificate step', () => {
    for (const { hook } of allWebhooks()) {
      assert.deepEqual(hook.admissionReviewVersions, ['v1'], hook.name);
      assert.equal(hook.sideEffects, 'None', hook.name);
      assert.equal(hook.failurePolicy, 'Fail', hook.name);
      assert.ok(hook.timeoutSeconds <= 30, hook.name);
      assert.equal(hook.clientConfig.caBundle, undefined, `${hook.name}: caBundle is set by deploy/scripts/webhook-certs.sh or cert-manager, never committed`);
    }
  });
});


describe("the injector's mutating webhook", () => {
  it('injects pods on create through /inject, never reinvoked', () => {
    for (const hook of mutating()[0].webhooks) {
      assert.equal(hook.clientConfig.service.name, 'istio-sidecar-injector');
      assert.equal(hook.clientConfig.service.path, '/inject');
      assert.deepEqual(hook.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }]);
      assert.equal(hook.reinvocationPolicy, 'Never');
    }
  });

  // [namespace labels, pod labels, injected?] — Istio's rules for the default revision.
  const cases: Array<[string, Record<string, string>, Record<string, string>, boolean]> = [
    ['namespace istio-injection=enabled', { 'istio-injection': 'enabled' }, {}, true],
    ['namespace enabled, pod opts out', { 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'false' }, false],
    ['namespace istio-injection=disabled, even if the pod opts in', { 'istio-injection': 'disabled' }, { 'sidecar.istio.io/inject': 'true' }, false],
    ['unlabelled namespace', {}, {}, false],
    ['unlabelled namespace, pod opts in', {}, { 'sidecar.istio.io/inject': 'true' }, true],
    ['namespace istio.io/rev=default', { 'istio.io/rev': 'default' }, {}, true],
    ['namespace of another revision', { 'istio.io/rev': 'canary' }, {}, false],
    ['namespace istio.io/rev=default, pod opts out', { 'istio.io/rev': 'default' }, { 'sidecar.istio.io/inject': 'false' }, false],
    ['unlabelled namespace, pod istio.io/rev=default', {}, { 'istio.io/rev': 'default' }, true],
    ['unlabelled namespace, pod of another revision', {}, { 'istio.io/rev': 'canary' }, false],
    ['both namespace labels: istio-injection wins', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }, {}, true],
  ];
  for (const [name, nsLabels, podLabels, injected] of cases) {
    it(`${name}: ${injected ? 'injected once' : 'not injected'}`, () => {
      const matching = mutating()[0].webhooks.filter((h: K8sObject) => selects(h.namespaceSelector, nsLabels) && selects(h.objectSelector, podLabels));
      assert.equal(matching.length, injected ? 1 : 0, `matched by ${matching.map((h: K8sObject) => h.name).join(', ') || 'none'}`);
    });
  }

  it('injects the sample namespace and never the control plane', () => {
    const hooks = mutating()[0].webhooks;
    const count = (ns: K8sObject, pod: Record<string, string>) => hooks.filter((h: K8sObject) => selects(h.namespaceSelector, ns.metadata.labels ?? {}) && selects(h.objectSelector, pod)).length;
    const sample = get('Namespace', 'sample');
    for (const m of workloads().filter((w) => w.obj.metadata.namespace === 'sample')) assert.equal(count(sample, m.obj.spec.template.metadata.labels), 1, m.obj.metadata.name);
    const system = get('Namespace', 'istio-system');
    for (const m of workloads().filter((w) => w.obj.metadata.namespace === 'istio-system')) {
      assert.equal(count(system, m.obj.spec.template.metadata.labels), 0, m.obj.metadata.name);
      assert.equal(count(system, { ...m.obj.spec.template.metadata.labels, 'sidecar.istio.io/inject': 'true' }), 0, `${m.obj.metadata.name} even when a pod asks`);
    }
  });
});

describe('webhook serving certificates', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'webhook-certs-'));
    execFileSync('bash', [path.join(DEPLOY_DIR, 'scripts/webhook-certs.sh'), '--dry-run', dir, 'all'], { stdio: 'pipe' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const components = [
    ['injector', 'istio-sidecar-injector', 'istio-sidecar-injector-webhook-certs'],
  ] as const;

  for (const [component, deployment, secret] of components) {
    it(`${component}: the script's certificate is for the Service the webhooks call, signed by the caBundle it patches in`, () => {
      const hooks = allWebhooks().filter(({ hook }) => hook.clientConfig.service.name === deployment).map(({ hook }) => hook);
      const { namespace } = hooks[0].clientConfig.service;
      const out = path.join(dir, component);
      const verify = execFileSync('openssl', ['verify', '-CAfile', path.join(out, 'ca-bundle.pem'), path.join(out, 'tls.crt')], { encoding: 'utf8' });
      assert.match(verify, /: OK/);
      const sans = execFileSync('openssl', ['x509', '-in', path.join(out, 'tls.crt'), '-noout', '-ext', 'subjectAltName'], { encoding: 'utf8' });
      assert.match(sans, new RegExp(`DNS:${deployment}\\.${namespace}\\.svc(,|\\s|$)`), 'kube-apiserver checks the certificate against <service>.<namespace>.svc');
      const patch = JSON.parse(readFileSync(path.join(out, 'cabundle-patch.json'), 'utf8'));
      assert.deepEqual(patch.webhooks.map((w: K8sObject) => w.name), hooks.map((h) => h.name), 'every webhook of the configuration gets the caBundle');
      const bundle = Buffer.from(patch.webhooks[0].clientConfig.caBundle, 'base64').toString('utf8');
      assert.equal(bundle, readFileSync(path.join(out, 'ca-bundle.pem'), 'utf8'));
    });

    it(`${component}: the Secret the script and cert-manager write is the one the pods mount`, () => {
      const script = readFileSync(path.join(DEPLOY_DIR, 'scripts/webhook-certs.sh'), 'utf8');
      assert.match(script, new RegExp(`${component}\\) echo "${deployment} ${secret} `));
      const volumes: K8sObject[] = podSpec(get('Deployment', deployment, 'istio-system')).volumes;
      assert.ok(volumes.some((v) => v.secret?.secretName === secret), `${deployment} mounts Secret ${secret}`);
      const cert = ofKind('Certificate').find((m) => m.obj.spec.secretName === secret)?.obj;
      assert.ok(cert, `cert-manager/ has a Certificate for ${secret}`);
      assert.ok(cert.spec.dnsNames.includes(`${deployment}.istio-system.svc`));
    });
  }
});

describe('webhook-certs.sh against a cluster (a recording kubectl)', () => {
  let dir: string;
  let calls: string[][];
  let patch: K8sObject;
  const oldCa = '-----BEGIN CERTIFICATE-----\nT0xEQ0E=\n-----END CERTIFICATE-----\n';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'webhook-certs-kubectl-'));
    // Answers the reads the script makes (webhook names, current caBundle), records every call.
    writeFileSync(
      path.join(dir, 'kubectl'),
      `#!/usr/bin/env bash
# One write per call: the script pipes one kubectl into another, and two appends each would interleave.
record=$(printf '%s\\x01' "$@"); printf '%s\\n' "$record" >> "${dir}/calls"
case "$*" in
  *"range .webhooks"*) printf 'rev.namespace.sidecar-injector.istio.io\\nnamespace.sidecar-injector.istio.io\\n' ;;
  *"caBundle"*) printf '%s' "$(printf '%b' '${oldCa.replaceAll('\n', '\\n')}' | base64 -w0)" ;;
  "create secret tls"*) echo "kind: Secret" ;;
  "apply -f -") cat > "${dir}/applied.yaml" ;;
esac
`,
    );
    chmodSync(path.join(dir, 'kubectl'), 0o755);
    execFileSync('bash', [path.join(DEPLOY_DIR, 'scripts/webhook-certs.sh'), 'injector'], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, stdio: 'pipe' });
    calls = readFileSync(path.join(dir, 'calls'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\x01').filter(Boolean));
    const patchCall = calls.find((c) => c[0] === 'patch')!;
    patch = JSON.parse(patchCall[patchCall.indexOf('-p') + 1]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trusts the new CA before serving the new certificate, then restarts the injector', () => {
    const order = calls.map((c) => c.slice(0, 2).join(' '));
    const at = (prefix: string) => order.findIndex((c) => c.startsWith(prefix));
    assert.ok(at('patch mutatingwebhookconfiguration') >= 0, order.join('; '));
    assert.ok(at('patch') < at('apply -f'), 'caBundle first, Secret second');
    assert.ok(at('apply -f') < calls.findIndex((c) => c.includes('restart')), 'Secret before the restart');
    const secret = calls.find((c) => c[0] === '-n' && c.includes('secret'))!;
    assert.ok(secret.includes('istio-sidecar-injector-webhook-certs'), secret.join(' '));
  });

  it('keeps the previous CA in every webhook\'s caBundle during a rotation', () => {
    assert.deepEqual(patch.webhooks.map((w: K8sObject) => w.name), ['rev.namespace.sidecar-injector.istio.io', 'namespace.sidecar-injector.istio.io']);
    for (const w of patch.webhooks) {
      const bundle = Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8');
      const certs = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      assert.equal(certs.length, 2, 'the new CA and the previous one');
      assert.ok(bundle.endsWith(oldCa), 'the previous CA stays trusted');
      assert.notEqual(certs[0], certs[1]);
    }
  });
});
