// The examples' Istio YAML (examples/local and the Bookinfo registry the
// launcher writes): valid, nothing in it that pilot does not implement, and
// shaped as docs/pilot-sidecars.md says a workload without capture is: a
// WorkloadEntry at its sidecar's ingress port, a Sidecar per workload selected
// by app + version whose ingress forwards to the application, every port
// distinct because every process shares 127.0.0.1.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { analyzeResources, loadResources, supportFindingsFor } from '@mesh/config';
import { BOOKINFO_NETWORKING_DIR, BOOKINFO_START_FILES, BOOKINFO_WORKLOADS, DEFAULT_BOOKINFO_PORTS, bookinfoLocalYaml, bookinfoWorkloadSpecs } from './bookinfo.ts';
import { EGRESS_GATEWAY_HOST, WORKSPACE_ROOT, egressGatewayYaml } from './mesh.ts';

function load(files: Array<{ name: string; text: string }>) {
  const all = files.map(({ name, text }) => ({ name, result: loadResources(text, { source: name }) }));
  for (const { name, result } of all) {
    assert.deepEqual(result.errors, [], name);
    assert.deepEqual(result.rejected.map((r) => ({ id: r.id, errors: r.errors })), [], name);
    assert.deepEqual(result.accepted.flatMap((a) => a.warnings), [], name);
  }
  const resources = all.flatMap(({ result }) => result.accepted.map((a) => a.resource));
  assert.deepEqual(analyzeResources(resources), [], 'istioctl-analyze-like findings');
  assert.deepEqual(supportFindingsFor(resources), [], 'fields pilot does not honour');
  return resources as any[];
}

/** Every Sidecar selects exactly one WorkloadEntry, which points at the Sidecar's ingress port. */
function checkSidecars(resources: any[], expectWorkloads: string[]) {
  const sidecars = resources.filter((r) => r.kind === 'Sidecar');
  const entries = resources.filter((r) => r.kind === 'WorkloadEntry');
  const ports: number[] = [];
  for (const sc of sidecars) {
    const sel = sc.spec.workloadSelector.labels;
    const selected = entries.filter((e) => Object.entries(sel).every(([k, v]) => e.spec.labels[k] === v));
    for (const l of [...(sc.spec.ingress ?? []), ...(sc.spec.egress ?? [])]) {
      assert.equal(l.captureMode, 'NONE', `${sc.metadata.name}: no capture`);
      ports.push(l.port.number);
    }
    for (const e of sc.spec.egress ?? []) assert.equal(e.bind, '127.0.0.1', `${sc.metadata.name}: egress bound on loopback`);
    if (!sc.spec.ingress) continue;
    assert.equal(selected.length, 1, `${sc.metadata.name} selects one workload`);
    assert.deepEqual(Object.keys(sel).sort(), ['app', 'version']);
    const [ingress] = sc.spec.ingress;
    assert.equal(selected[0].spec.ports.http, ingress.port.number, `${selected[0].metadata.name}'s WorkloadEntry points at its sidecar's ingress`);
    assert.match(ingress.defaultEndpoint, /^127\.0\.0\.1:[0-9]+$/);
    ports.push(Number(ingress.defaultEndpoint.split(':')[1]));
  }
  assert.deepEqual(sidecars.map((s) => s.metadata.name).sort(), [...expectWorkloads].sort());
  assert.equal(new Set(ports).size, ports.length, `every listener and application port distinct: ${ports}`);
}

describe('examples/local', () => {
  const dir = path.join(WORKSPACE_ROOT, 'examples/local');
  const resources = load(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((name) => ({ name, text: readFileSync(path.join(dir, name), 'utf8') })));

  it('puts hello v1/v2 behind sidecars (ingress 15081/15082 -> 9081/9082) and gives sleep an egress listener on 15001', () => {
    checkSidecars(resources, ['hello-v1', 'hello-v2', 'sleep']);
    const sleep = resources.find((r) => r.kind === 'Sidecar' && r.metadata.name === 'sleep');
    assert.deepEqual(sleep.spec.egress.map((e: any) => [e.port.number, e.hosts]), [[15001, ['*/*']]]);
    const v1 = resources.find((r) => r.kind === 'Sidecar' && r.metadata.name === 'hello-v1');
    assert.equal(v1.spec.ingress[0].defaultEndpoint, '127.0.0.1:9081');
  });
});

describe('the Bookinfo example', () => {
  const networking = BOOKINFO_START_FILES.map((name) => ({ name, text: readFileSync(path.join(BOOKINFO_NETWORKING_DIR, name), 'utf8') }));
  const resources = load([...networking, { name: 'bookinfo-local.yaml', text: bookinfoLocalYaml() }]);

  it('registers the four services on 9080 and a workload per version, each behind a Sidecar with ingress and egress', () => {
    assert.deepEqual(
      resources.filter((r) => r.kind === 'ServiceEntry').map((r) => [r.spec.hosts, r.spec.ports]),
      ['productpage', 'details', 'reviews', 'ratings'].map((s) => [[`${s}.default.svc.cluster.local`], [{ number: 9080, name: 'http', protocol: 'HTTP' }]]),
    );
    checkSidecars(resources, BOOKINFO_WORKLOADS.map((w) => w.name));
    for (const sc of resources.filter((r) => r.kind === 'Sidecar')) assert.equal(sc.spec.egress.length, 1);
  });

  it("runs each application on the Sidecar's defaultEndpoint, calling out through its egress listener", () => {
    for (const spec of bookinfoWorkloadSpecs()) {
      const ports = DEFAULT_BOOKINFO_PORTS[spec.name];
      const sc = resources.find((r) => r.kind === 'Sidecar' && r.metadata.name === spec.name);
      assert.equal(sc.spec.ingress[0].defaultEndpoint, `127.0.0.1:${spec.app!.port}`);
      assert.equal(sc.spec.egress[0].port.number, ports.egress);
      assert.deepEqual(spec.listenerPorts, [ports.ingress, ports.egress]);
      const calls = ['productpage', 'reviews'].includes(spec.labels.app);
      assert.equal(spec.app!.env?.BOOKINFO_HTTP_PROXY, calls ? `http://127.0.0.1:${ports.egress}` : undefined, spec.name);
      if (spec.labels.app === 'reviews') assert.deepEqual(spec.app!.args.slice(-2), ['--version', spec.labels.version]);
    }
  });
});

describe("the egress gateway's registration (--egress-gateway)", () => {
  const resources = load([{ name: 'istio-egressgateway.yaml', text: egressGatewayYaml('127.0.0.2') }]);

  it("is Istio's istio-egressgateway Service (80 -> 8080, 443 -> 8443) at the gateway's own address, without the tlsMode label a gateway pod lacks", () => {
    const se = resources.find((r) => r.kind === 'ServiceEntry');
    assert.deepEqual(se.spec.hosts, [EGRESS_GATEWAY_HOST]);
    assert.deepEqual(se.spec.ports.map((p: any) => [p.number, p.name, p.targetPort]), [[80, 'http2', 8080], [443, 'https', 8443]]);
    const we = resources.find((r) => r.kind === 'WorkloadEntry');
    assert.equal(we.metadata.namespace, 'istio-system');
    assert.equal(we.spec.address, '127.0.0.2');
    assert.deepEqual(we.spec.labels, { istio: 'egressgateway', app: 'istio-egressgateway' });
    assert.equal(we.spec.serviceAccount, 'istio-egressgateway-service-account');
  });
});
