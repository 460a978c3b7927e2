// The Kubernetes manifest and Istio's networking files: they parse, the
// networking files are accepted by the mesh's own validation, and every host
// and subset they name exists in bookinfo.yaml with matching labels.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import YAML from 'yaml';
import { loadResources } from '@mesh/config';
import { parseServiceArgs, isService } from './config.ts';

const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

function documents(text: string): any[] {
  const docs = YAML.parseAllDocuments(text);
  const out: any[] = [];
  for (const doc of docs) {
    assert.deepEqual(doc.errors, []);
    const value = doc.toJSON();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

const kube = documents(read('platform/kube/bookinfo.yaml'));
const byKind = (kind: string) => kube.filter((d) => d.kind === kind);
const services = new Map(byKind('Service').map((s) => [s.metadata.name as string, s]));
const deployments = byKind('Deployment');

const NETWORKING = readdirSync(new URL('networking/', root))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('platform/kube/bookinfo.yaml', () => {
  it("has Istio's four services on port 9080 named http, each with its bookinfo-<app> service account", () => {
    assert.deepEqual([...services.keys()].sort(), ['details', 'productpage', 'ratings', 'reviews']);
    for (const [name, svc] of services) {
      assert.equal(svc.apiVersion, 'v1');
      assert.deepEqual(svc.spec.ports, [{ port: 9080, name: 'http' }], name);
      assert.deepEqual(svc.spec.selector, { app: name });
      assert.deepEqual(svc.metadata.labels, { app: name, service: name });
    }
    assert.deepEqual(
      byKind('ServiceAccount').map((a) => [a.metadata.name, a.metadata.labels.account]).sort(),
      [['bookinfo-details', 'details'], ['bookinfo-productpage', 'productpage'], ['bookinfo-ratings', 'ratings'], ['bookinfo-reviews', 'reviews']],
    );
  });

  it('has one Deployment per version, labelled app/version, running mesh/bookinfo with arguments the service accepts', () => {
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
    for (const d of deployments) {
      const { app, version } = d.metadata.labels;
      assert.equal(d.metadata.name, `${app}-${version}`);
      assert.deepEqual(d.spec.selector.matchLabels, { app, version });
      assert.deepEqual(d.spec.template.metadata.labels, { app, version });
      assert.equal(d.spec.template.spec.serviceAccountName, `bookinfo-${app}`);
      const [container] = d.spec.template.spec.containers;
      assert.equal(container.image, 'mesh/bookinfo:latest');
      assert.deepEqual(container.ports, [{ containerPort: 9080 }]);
      const [service, ...flags] = container.args;
      assert.equal(service, app);
      assert.ok(isService(service));
      const parsed = parseServiceArgs(service, flags, {});
      assert.equal(parsed.help, false);
      if (parsed.help) continue;
      assert.equal(parsed.config.port, 9080);
      assert.equal(parsed.config.bind, '0.0.0.0');
      if (parsed.config.service === 'reviews') assert.equal(parsed.config.version, version);
      assert.equal(container.readinessProbe.httpGet.path, '/health');
    }
  });
});

describe('networking/ (Istio files)', () => {
  const all = NETWORKING.map((file) => ({ file, docs: documents(read(`networking/${file}`)) }));
  const subsets = new Map<string, Map<string, Record<string, string>>>();
  for (const { docs } of all) {
    for (const dr of docs.filter((d) => d.kind === 'DestinationRule')) {
      subsets.set(dr.spec.host, new Map(dr.spec.subsets.map((s: any) => [s.name, s.labels])));
    }
  }

  it('holds the files the Bookinfo tasks apply', () => {
    for (const f of [
      'bookinfo-gateway.yaml',
      'destination-rule-all.yaml',
      'virtual-service-all-v1.yaml',
      'virtual-service-reviews-test-v2.yaml',
      'virtual-service-reviews-50-v3.yaml',
      'virtual-service-reviews-v3.yaml',
      'virtual-service-ratings-test-delay.yaml',
      'virtual-service-ratings-test-abort.yaml',
      'virtual-service-reviews-80-20.yaml',
      'virtual-service-reviews-90-10.yaml',
      'virtual-service-reviews-jason-v2-v3.yaml',
    ]) {
      assert.ok(NETWORKING.includes(f), f);
    }
  });

  for (const { file } of all) {
    it(`${file} is accepted by the mesh's validation`, () => {
      const result = loadResources(read(`networking/${file}`), { source: file });
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.ignored, []);
      assert.deepEqual(result.rejected.map((r) => ({ id: r.id, errors: r.errors })), []);
      assert.ok(result.accepted.length > 0);
    });
  }

  it('every DestinationRule is for a bookinfo service and every subset the Deployments provide is defined', () => {
    for (const [host, defined] of subsets) {
      assert.ok(services.has(host), host);
      for (const d of deployments.filter((x) => x.metadata.labels.app === host)) {
        assert.deepEqual(defined.get(d.metadata.labels.version), { version: d.metadata.labels.version }, `${host} ${d.metadata.labels.version}`);
      }
    }
  });

  it("every route goes to a bookinfo service's port, and to a subset that a Deployment's labels select", () => {
    let routes = 0;
    for (const { file, docs } of all) {
      for (const vs of docs.filter((d) => d.kind === 'VirtualService')) {
        for (const host of vs.spec.hosts) assert.ok(host === '*' || services.has(host), `${file}: host ${host}`);
        for (const http of vs.spec.http) {
          for (const { destination } of http.route) {
            routes++;
            const svc = services.get(destination.host);
            assert.ok(svc, `${file}: destination ${destination.host}`);
            if (destination.port) assert.ok(svc.spec.ports.some((p: any) => p.port === destination.port.number), `${file}: port`);
            if (destination.subset === undefined) continue;
            const labels = subsets.get(destination.host)?.get(destination.subset);
            assert.ok(labels, `${file}: subset ${destination.host}/${destination.subset} has no DestinationRule`);
            const selected = deployments.filter(
              (d) => d.spec.template.metadata.labels.app === destination.host && Object.entries(labels).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
            );
            assert.equal(selected.length, 1, `${file}: subset ${destination.host}/${destination.subset} selects no Deployment`);
          }
        }
      }
    }
    assert.ok(routes >= 20);
  });

  it("the gateway exposes productpage's page, login, logout and API on port 8080", () => {
    const [gw, vs] = all.find((f) => f.file === 'bookinfo-gateway.yaml')!.docs;
    assert.equal(gw.kind, 'Gateway');
    assert.equal(gw.spec.servers[0].port.number, 8080);
    assert.deepEqual(vs.spec.gateways, ['bookinfo-gateway']);
    const matches = vs.spec.http[0].match.map((m: any) => m.uri);
    for (const path of ['/productpage', '/login', '/logout']) assert.ok(matches.some((u: any) => u.exact === path), path);
    assert.ok(matches.some((u: any) => u.prefix === '/api/v1/products'));
  });
});

describe('platform/local/bookinfo.yaml (ServiceEntry + WorkloadEntry registry)', () => {
  const text = read('platform/local/bookinfo.yaml');
  const docs = documents(text);

  it("is accepted by the mesh's validation", () => {
    const result = loadResources(text, { source: 'platform/local/bookinfo.yaml' });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.rejected.map((r) => ({ id: r.id, errors: r.errors })), []);
    assert.equal(result.accepted.length, 10);
  });

  it("registers bookinfo.yaml's services and one workload per Deployment, with the same labels, on distinct ports", () => {
    const entries = docs.filter((d) => d.kind === 'ServiceEntry');
    assert.deepEqual(entries.map((e) => e.spec.hosts[0]).sort(), [...services.keys()].sort().map((s) => `${s}.default.svc.cluster.local`));
    for (const e of entries) assert.deepEqual(e.spec.ports, [{ number: 9080, name: 'http', protocol: 'HTTP' }]);
    const workloads = docs.filter((d) => d.kind === 'WorkloadEntry');
    assert.deepEqual(
      workloads.map((w) => `${w.spec.labels.app}-${w.spec.labels.version}`).sort(),
      deployments.map((d) => d.metadata.name).sort(),
    );
    const ports = workloads.map((w) => w.spec.ports.http);
    assert.equal(new Set(ports).size, ports.length);
    // The comment tells how to start each workload; the ports there match the entries.
    for (const w of workloads) {
      const { app, version } = w.spec.labels;
      const flags = app === 'reviews' ? ` --version ${version}` : '';
      assert.ok(text.includes(`main.ts ${app}${flags} --port ${w.spec.ports.http}`), `${app}-${version}`);
    }
  });
});
