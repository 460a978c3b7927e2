import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { kubeInject, KubeInjectError } from './kube-inject.ts';
import { DEFAULT_SETTINGS } from './mesh-settings.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(here, 'main.ts');
const INPUT = path.join(here, 'testdata/multi.yaml');
const GOLDEN = path.join(here, 'testdata/multi.yaml.injected');
const opts = { settings: DEFAULT_SETTINGS, revision: 'default', source: 'multi.yaml' };
const run = promisify(execFile);

function podTemplate(doc: any): any {
  if (doc.kind === 'Pod') return doc;
  if (doc.kind === 'CronJob') return doc.spec.jobTemplate.spec.template;
  return doc.spec?.template;
}

describe('kube-inject', () => {
  const input = readFileSync(INPUT, 'utf8');
  const result = kubeInject(input, opts);
  const docs = parseAllDocuments(result.yaml).map((d) => d.toJS());

  it('matches the expected output for a multi-document stream (keys sorted like istioctl)', () => {
    assert.equal(result.yaml, readFileSync(GOLDEN, 'utf8'));
  });

  it('injects every workload kind: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod', () => {
    const injected = docs.filter((d) => podTemplate(d)?.metadata?.annotations?.['sidecar.istio.io/status']).map((d) => d.kind);
    assert.deepEqual(injected, ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);
    assert.equal(result.injected, 7);
    for (const d of docs.filter((x) => injected.includes(x.kind) && x.metadata.name !== 'opted-out')) {
      const spec = podTemplate(d).spec;
      assert.equal(spec.initContainers[0].name, 'istio-init', d.kind);
      assert.equal(spec.containers.at(-1).name, 'istio-proxy', d.kind);
    }
  });

  it('names the workload in the owner env by its kind and namespace', () => {
    const owner = (d: any) => podTemplate(d).spec.containers.at(-1).env.find((e: any) => e.name === 'ISTIO_META_OWNER').value;
    assert.equal(owner(docs[1]), 'kubernetes://apis/apps/v1/namespaces/shop/deployments/hello-v1');
    assert.equal(owner(docs[6]), 'kubernetes://apis/batch/v1/namespaces/default/cronjobs/report');
    assert.equal(owner(docs[7]), 'kubernetes://apis/v1/namespaces/default/pods/debug');
  });

  it('applies pod-template annotations (proxyCPU, excludeOutboundPorts)', () => {
    assert.deepEqual(podTemplate(docs[1]).spec.containers.at(-1).resources, { requests: { cpu: '200m' } });
    assert.deepEqual(podTemplate(docs[5]).spec.initContainers[0].args.slice(-2), ['-o', '5432']);
  });

  it('passes other objects and opted-out workloads through exactly as written', () => {
    const pieces = result.yaml.split('\n---\n');
    assert.equal(pieces[0], input.split('\n---\n')[0]);
    assert.match(result.yaml, /labels: \{app: hello\} {3}# kept exactly as written/);
    assert.ok(result.yaml.endsWith('kind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  answer: "42"\n'));
    assert.ok(result.messages.some((m) => /document 9 \(Deployment opted-out\): not injected: the pod opts out/.test(m)));
  });

  it('is idempotent: injecting its own output changes nothing', () => {
    assert.equal(kubeInject(result.yaml, opts).yaml, result.yaml);
  });

  it('injects the pods of a List', () => {
    const list = kubeInject('apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [{name: a, image: a}]}\n', opts);
    const doc = parseAllDocuments(list.yaml)[0].toJS();
    assert.equal(doc.items[0].spec.containers[1].name, 'istio-proxy');
  });

  it('names the document for invalid YAML or an uninjectable workload', () => {
    assert.throws(() => kubeInject('kind: ConfigMap\n---\na: [\n', opts), (e: Error) => e instanceof KubeInjectError && /multi\.yaml document 2: invalid YAML/.test(e.message));
    assert.throws(() => kubeInject('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n', opts), /document 1 \(Pod p\): spec\.containers: expected at least one container/);
  });
});

describe('kube-inject command', () => {
  it('reads files with -f and writes YAML to stdout', async () => {
    const { stdout, stderr } = await run(process.execPath, [MAIN, 'kube-inject', '-f', INPUT]);
    assert.equal(stdout, readFileSync(GOLDEN, 'utf8'));
    assert.match(stderr, /not injected: the pod opts out/);
  });

  it('reads stdin with -f -, and honours --mesh-config and --revision', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kube-inject-'));
    try {
      const mesh = path.join(dir, 'mesh.yaml');
      writeFileSync(mesh, 'trustDomain: example.org\nsidecarInjector:\n  image: registry.local/proxy:9\n');
      const child = spawn(process.execPath, [MAIN, 'kube-inject', '-f', '-', '--mesh-config', mesh, '--revision', 'canary'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stdin.end('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app, image: app}]}\n');
      const code = await new Promise((r) => child.once('exit', r));
      assert.equal(code, 0);
      const pod = parseAllDocuments(out)[0].toJS();
      assert.equal(pod.spec.containers[1].image, 'registry.local/proxy:9');
      assert.equal(pod.metadata.annotations['istio.io/rev'], 'canary');
      assert.equal(pod.spec.containers[1].env.find((e: any) => e.name === 'TRUST_DOMAIN').value, 'example.org');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with the reason for a missing file or bad mesh config, 2 for bad flags', async () => {
    await assert.rejects(run(process.execPath, [MAIN, 'kube-inject', '-f', '/nonexistent.yaml']), (e: any) => e.code === 1 && /cannot read \/nonexistent\.yaml/.test(e.stderr));
    const dir = mkdtempSync(path.join(tmpdir(), 'kube-inject-'));
    try {
      const mesh = path.join(dir, 'mesh.yaml');
      writeFileSync(mesh, 'sidecarInjector:\n  policy: sometimes\n');
      await assert.rejects(run(process.execPath, [MAIN, 'kube-inject', '-f', INPUT, '--mesh-config', mesh]), (e: any) => e.code === 1 && /sidecarInjector\.policy/.test(e.stderr));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(run(process.execPath, [MAIN, 'kube-inject']), (e: any) => e.code === 2 && /-f FILE/.test(e.stderr));
  });
});
