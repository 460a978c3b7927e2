// Every policy input, label and annotation, driven through the admission
// handler with a real AdmissionReview; the returned JSONPatch is applied with
// fast-json-patch and the resulting pod compared with the expected pod.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { handleAdmissionReview } from './admission.ts';
import { admit, appPod, applyResponse, container, deps, env, expectedPod, review } from './testing/fixtures.ts';

const notInjected = (r: ReturnType<typeof admit>, pod: unknown) => {
  assert.equal(r.httpStatus, 200);
  assert.equal(r.response.allowed, true);
  assert.equal(r.patched, false, 'no patch expected');
  assert.deepEqual(r.pod, pod);
};

function withAnnotations(a: Record<string, string>, labels: Record<string, string> = {}) {
  const pod = appPod();
  pod.metadata.annotations = { ...a };
  Object.assign(pod.metadata.labels, labels);
  return pod;
}

/** expectedPod() with the pod's own annotations added. */
function expectedWith(a: Record<string, string>) {
  const e = expectedPod();
  e.metadata.annotations = { ...a, ...e.metadata.annotations };
  return e;
}

const initArgs = (pod: any) => container(pod, 'istio-init').args.slice(1);

describe('admission: the injected pod', () => {
  it("is Istio's injected pod, field for field", () => {
    const r = admit(appPod());
    assert.equal(r.response.allowed, true);
    assert.equal(r.response.uid, 'b5c1e6a0-6f0e-4d0a-9a1e-3f3d2c1b0a99');
    assert.equal(r.response.warnings, undefined);
    assert.deepEqual(r.pod, expectedPod());
  });

  it('is idempotent: the injected pod sent again comes back without a patch', () => {
    const once = admit(appPod()).pod;
    notInjected(admit(once), once);
  });

  it('answers admission.k8s.io/v1beta1 reviews in v1beta1', () => {
    const out = handleAdmissionReview(JSON.stringify(review(appPod(), { apiVersion: 'admission.k8s.io/v1beta1' })), deps());
    const body = JSON.parse(out.body);
    assert.equal(body.apiVersion, 'admission.k8s.io/v1beta1');
    assert.deepEqual(applyResponse(appPod(), body.response).pod, expectedPod());
  });

  it('takes images, addresses, identity and defaults from mesh config', () => {
    const r = admit(appPod(), {
      meshConfig: {
        trustDomain: 'example.org',
        meshId: 'mesh-a',
        clusterId: 'east',
        defaultConfig: { discoveryAddress: 'pilot.mesh:15011', proxyMetadata: { DNS_CAPTURE: 'true' } },
        sidecarInjector: {
          image: 'registry.local/proxy:1.2',
          imagePullPolicy: 'IfNotPresent',
          caAddress: 'citadel.mesh:15012',
          proxyLogLevel: 'debug',
          resources: { requests: { cpu: '50m', memory: '64Mi' } },
          excludeOutboundIPRanges: '169.254.169.254/32',
        },
      },
    });
    const proxy = container(r.pod, 'istio-proxy');
    const init = container(r.pod, 'istio-init');
    assert.equal(proxy.image, 'registry.local/proxy:1.2');
    assert.equal(init.image, 'registry.local/proxy:1.2');
    assert.equal(proxy.imagePullPolicy, 'IfNotPresent');
    assert.equal(env(r.pod, 'CA_ADDR'), 'citadel.mesh:15012');
    assert.equal(env(r.pod, 'PROXY_CONFIG'), '{"discoveryAddress":"pilot.mesh:15011","proxyMetadata":{"DNS_CAPTURE":"true"}}\n');
    assert.equal(env(r.pod, 'DNS_CAPTURE'), 'true');
    assert.deepEqual(init.env, [{ name: 'DNS_CAPTURE', value: 'true' }]);
    assert.equal(env(r.pod, 'TRUST_DOMAIN'), 'example.org');
    assert.equal(env(r.pod, 'ISTIO_META_MESH_ID'), 'mesh-a');
    assert.equal(env(r.pod, 'ISTIO_META_CLUSTER_ID'), 'east');
    assert.ok(proxy.args.includes('--proxyLogLevel=debug'));
    assert.deepEqual(proxy.resources, { requests: { cpu: '50m', memory: '64Mi' } });
    assert.deepEqual(initArgs(r.pod).slice(10, 12), ['-x', '169.254.169.254/32']);
  });

  it('mesh id defaults to the trust domain', () => {
    const r = admit(appPod(), { meshConfig: { trustDomain: 'corp.example' } });
    assert.equal(env(r.pod, 'ISTIO_META_MESH_ID'), 'corp.example');
  });
});

describe('admission: policy', () => {
  const enabled = { default: { 'istio-injection': 'enabled' } };

  it('namespace istio-injection=enabled: injected', () => {
    assert.deepEqual(admit(appPod(), { namespaces: enabled }).pod, expectedPod());
  });

  it('namespace istio-injection=disabled: not injected, even when the pod opts in', () => {
    const pod = withAnnotations({ 'sidecar.istio.io/inject': 'true' });
    notInjected(admit(pod, { namespaces: { default: { 'istio-injection': 'disabled' } } }), pod);
  });

  it('namespace without labels: not injected unless the pod opts in or namespaces are enabled by default', () => {
    notInjected(admit(appPod(), { namespaces: { default: {} } }), appPod());
    const optIn = appPod();
    optIn.metadata.labels['sidecar.istio.io/inject'] = 'true';
    const e = expectedPod();
    e.metadata.labels['sidecar.istio.io/inject'] = 'true';
    assert.deepEqual(admit(optIn, { namespaces: { default: {} } }).pod, e);
    assert.deepEqual(admit(appPod(), { namespaces: { default: {} }, meshConfig: { sidecarInjector: { enableNamespacesByDefault: true } } }).pod, expectedPod());
  });

  it('pod annotation sidecar.istio.io/inject=false overrides an enabled namespace', () => {
    const pod = withAnnotations({ 'sidecar.istio.io/inject': 'false' });
    notInjected(admit(pod, { namespaces: enabled }), pod);
  });

  it('the pod label sidecar.istio.io/inject wins over the annotation', () => {
    const off = withAnnotations({ 'sidecar.istio.io/inject': 'true' }, { 'sidecar.istio.io/inject': 'false' });
    notInjected(admit(off, { namespaces: enabled }), off);
    const on = withAnnotations({ 'sidecar.istio.io/inject': 'false' }, { 'sidecar.istio.io/inject': 'true' });
    const e = expectedWith({ 'sidecar.istio.io/inject': 'false' });
    e.metadata.labels['sidecar.istio.io/inject'] = 'true';
    assert.deepEqual(admit(on, { namespaces: enabled }).pod, e);
  });

  it('an invalid inject value is reported and ignored', () => {
    const pod = withAnnotations({ 'sidecar.istio.io/inject': 'maybe' });
    const r = admit(pod, { namespaces: enabled });
    assert.deepEqual(r.response.warnings, ['annotation sidecar.istio.io/inject="maybe" ignored: expected true or false']);
    assert.deepEqual(r.pod, expectedWith({ 'sidecar.istio.io/inject': 'maybe' }));
  });

  it('mesh policy disabled: only pods that opt in', () => {
    const meshConfig = { sidecarInjector: { policy: 'disabled' } };
    notInjected(admit(appPod(), { namespaces: enabled, meshConfig }), appPod());
    const pod = withAnnotations({ 'sidecar.istio.io/inject': 'true' });
    assert.deepEqual(admit(pod, { namespaces: enabled, meshConfig }).pod, expectedWith({ 'sidecar.istio.io/inject': 'true' }));
  });

  it('namespace istio.io/rev selects the injector of that revision', () => {
    const namespaces = { default: { 'istio.io/rev': 'canary' } };
    notInjected(admit(appPod(), { namespaces }), appPod());
    const r = admit(appPod(), { namespaces, revision: 'canary' });
    assert.equal(r.pod.metadata.annotations['istio.io/rev'], 'canary');
    assert.equal(JSON.parse(r.pod.metadata.annotations['sidecar.istio.io/status']).revision, 'canary');
  });

  it('pod label istio.io/rev selects the revision; istio-injection=enabled takes precedence over it', () => {
    const pod = appPod();
    pod.metadata.labels['istio.io/rev'] = 'canary';
    assert.equal(admit(pod, { namespaces: { default: {} }, revision: 'canary' }).patched, true);
    notInjected(admit(pod, { namespaces: { default: {} } }), pod);
    assert.equal(admit(pod, { namespaces: enabled }).patched, true);
    notInjected(admit(pod, { namespaces: enabled, revision: 'canary' }), pod);
  });

  it('hostNetwork pods are never injected', () => {
    const pod = appPod();
    pod.spec.hostNetwork = true;
    notInjected(admit(pod, { namespaces: enabled }), pod);
  });

  it('kube-system is never injected', () => {
    const pod = appPod();
    pod.metadata.namespace = 'kube-system';
    notInjected(admit(pod, { namespace: 'kube-system' }), pod);
  });

  it('pods that are not being created, and objects that are not pods, are admitted untouched', () => {
    const r = review(appPod());
    r.request.operation = 'UPDATE';
    const out = JSON.parse(handleAdmissionReview(JSON.stringify(r), deps()).body);
    assert.deepEqual(out.response, { uid: r.request.uid, allowed: true });
  });
});

describe('admission: capture annotations', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['includeOutboundIPRanges', { 'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8,172.16.0.0/12' }, ['-i', '10.0.0.0/8,172.16.0.0/12']],
    ['excludeOutboundIPRanges', { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '169.254.169.254/32' }, ['-x', '169.254.169.254/32']],
    ['includeInboundPorts', { 'traffic.sidecar.istio.io/includeInboundPorts': '80,8080' }, ['-b', '80,8080']],
    ['excludeInboundPorts', { 'traffic.sidecar.istio.io/excludeInboundPorts': '9000,15020' }, ['-d', '15090,15021,15020,9000']],
  ];
  for (const [name, annotations, expected] of cases) {
    it(`${name} sets ${expected[0]}`, () => {
      const r = admit(withAnnotations(annotations));
      const e = expectedWith(annotations);
      const args = container(e, 'istio-init').args;
      args[args.indexOf(expected[0])! + 1] = expected[1];
      assert.deepEqual(r.pod, e);
      assert.equal(r.response.warnings, undefined);
    });
  }

  it('excludeOutboundPorts and includeOutboundPorts add -q and -o', () => {
    const r = admit(withAnnotations({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432,6379', 'traffic.sidecar.istio.io/includeOutboundPorts': '3306' }));
    assert.deepEqual(initArgs(r.pod).slice(16), ['-q', '3306', '-o', '5432,6379']);
  });

  it('invalid values are reported with name and value, and the defaults used', () => {
    const bad = {
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/33',
      'traffic.sidecar.istio.io/excludeOutboundIPRanges': 'fd00::/8',
      'traffic.sidecar.istio.io/includeInboundPorts': 'http',
      'traffic.sidecar.istio.io/excludeInboundPorts': '70000',
      'traffic.sidecar.istio.io/excludeOutboundPorts': '22,ssh',
    };
    const r = admit(withAnnotations(bad));
    assert.deepEqual(r.pod, expectedWith(bad));
    assert.deepEqual(r.response.warnings, [
      'annotation traffic.sidecar.istio.io/includeOutboundIPRanges="10.0.0.0/33" ignored: expected an IPv4 CIDR such as 10.0.0.0/8 or an address such as 10.1.2.3',
      'annotation traffic.sidecar.istio.io/excludeOutboundIPRanges="fd00::/8" ignored: IPv6 ranges are not supported (only IPv4 traffic is captured)',
      'annotation traffic.sidecar.istio.io/includeInboundPorts="http" ignored: expected a port number between 1 and 65535',
      'annotation traffic.sidecar.istio.io/excludeInboundPorts="70000" ignored: expected a port number between 1 and 65535',
      'annotation traffic.sidecar.istio.io/excludeOutboundPorts="22,ssh" ignored: expected a port number between 1 and 65535',
    ]);
  });

  it('interceptionMode NONE: no init container, and the proxy is told', () => {
    const a = { 'sidecar.istio.io/interceptionMode': 'NONE' };
    const r = admit(withAnnotations(a));
    const e = expectedWith(a);
    delete e.spec.initContainers;
    e.metadata.annotations['sidecar.istio.io/status'] = e.metadata.annotations['sidecar.istio.io/status'].replace('["istio-init"]', 'null');
    e.spec.containers[1].env.find((x: any) => x.name === 'ISTIO_META_INTERCEPTION_MODE').value = 'NONE';
    assert.deepEqual(r.pod, e);
  });

  it('interceptionMode TPROXY is reported and REDIRECT used', () => {
    const a = { 'sidecar.istio.io/interceptionMode': 'TPROXY' };
    const r = admit(withAnnotations(a));
    assert.deepEqual(r.pod, expectedWith(a));
    assert.match(r.response.warnings[0], /sidecar\.istio\.io\/interceptionMode="TPROXY" ignored: TPROXY is not supported/);
  });

  it('unknown and unsupported injection annotations are reported; other annotations are not', () => {
    const a = { 'sidecar.istio.io/proxyCpu': '200m', 'sidecar.istio.io/userVolume': '{}', 'example.com/owner': 'team-a', 'sidecar.istio.io/extraStatTags': 'x' };
    const r = admit(withAnnotations(a));
    assert.deepEqual(r.pod, expectedWith(a));
    assert.deepEqual(r.response.warnings, [
      'annotation sidecar.istio.io/proxyCpu="200m" ignored: unknown injection annotation',
      'annotation sidecar.istio.io/userVolume="{}" ignored: not supported by this injector',
    ]);
  });
});

describe('admission: proxy annotations', () => {
  it('proxyCPU/proxyMemory and their limits replace the default resources of both containers', () => {
    const a = {
      'sidecar.istio.io/proxyCPU': '250m',
      'sidecar.istio.io/proxyMemory': '256Mi',
      'sidecar.istio.io/proxyCPULimit': '1',
      'sidecar.istio.io/proxyMemoryLimit': '512Mi',
    };
    const r = admit(withAnnotations(a));
    const e = expectedWith(a);
    const resources = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } };
    container(e, 'istio-proxy').resources = resources;
    container(e, 'istio-init').resources = resources;
    assert.deepEqual(r.pod, e);
  });

  it('only a CPU request: the other defaults are dropped, as in Istio', () => {
    const r = admit(withAnnotations({ 'sidecar.istio.io/proxyCPU': '300m' }));
    assert.deepEqual(container(r.pod, 'istio-proxy').resources, { requests: { cpu: '300m' } });
  });

  it('a bad quantity is reported and the defaults kept', () => {
    const a = { 'sidecar.istio.io/proxyMemory': 'lots' };
    const r = admit(withAnnotations(a));
    assert.deepEqual(r.pod, expectedWith(a));
    assert.deepEqual(r.response.warnings, ['annotation sidecar.istio.io/proxyMemory="lots" ignored: expected a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi']);
  });

  it('proxyImage, logLevel and componentLogLevel', () => {
    const a = { 'sidecar.istio.io/proxyImage': 'my/proxy:dev', 'sidecar.istio.io/logLevel': 'debug', 'sidecar.istio.io/componentLogLevel': 'upstream:debug' };
    const r = admit(withAnnotations(a));
    const e = expectedWith(a);
    container(e, 'istio-proxy').image = 'my/proxy:dev';
    container(e, 'istio-init').image = 'my/proxy:dev';
    container(e, 'istio-proxy').args.splice(3, 2, '--proxyLogLevel=debug', '--proxyComponentLogLevel=upstream:debug');
    assert.deepEqual(r.pod, e);
    const bad = admit(withAnnotations({ 'sidecar.istio.io/logLevel': 'loud' }));
    assert.match(bad.response.warnings[0], /sidecar\.istio\.io\/logLevel="loud" ignored: expected one of trace, debug/);
  });

  it('readiness annotations set the proxy readiness probe', () => {
    const a = {
      'readiness.status.sidecar.istio.io/initialDelaySeconds': '5',
      'readiness.status.sidecar.istio.io/periodSeconds': '3',
      'readiness.status.sidecar.istio.io/failureThreshold': '10',
    };
    const r = admit(withAnnotations(a));
    assert.deepEqual(container(r.pod, 'istio-proxy').readinessProbe, {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 5,
      periodSeconds: 3,
      timeoutSeconds: 3,
      failureThreshold: 10,
    });
  });

  it('status port 0: no proxy probes, no probe rewriting, no metrics merge, 15020 not excluded', () => {
    const a = { 'status.sidecar.istio.io/port': '0' };
    const r = admit(withAnnotations(a));
    const proxy = container(r.pod, 'istio-proxy');
    assert.equal(proxy.readinessProbe, undefined);
    assert.equal(proxy.startupProbe, undefined);
    assert.deepEqual(r.pod.spec.containers[0], appPod().spec.containers[0]);
    assert.equal(r.pod.metadata.annotations['prometheus.io/scrape'], undefined);
    assert.deepEqual(initArgs(r.pod).slice(14), ['-d', '15090,15021']);
  });

  it('proxy.istio.io/config is merged into PROXY_CONFIG and its proxyMetadata becomes env', () => {
    const a = { 'proxy.istio.io/config': '{"discoveryAddress":"pilot-b:15010","proxyMetadata":{"ISTIO_META_DNS_CAPTURE":"true"}}' };
    const r = admit(withAnnotations(a));
    assert.equal(env(r.pod, 'PROXY_CONFIG'), '{"discoveryAddress":"pilot-b:15010","proxyMetadata":{"ISTIO_META_DNS_CAPTURE":"true"}}\n');
    assert.equal(env(r.pod, 'ISTIO_META_DNS_CAPTURE'), 'true');
    const bad = admit(withAnnotations({ 'proxy.istio.io/config': 'concurrency: 2' }));
    assert.match(bad.response.warnings[0], /proxy\.istio\.io\/config="concurrency: 2" ignored: expected a JSON object/);
  });

  it("existing prometheus annotations are handed to the agent and replaced; scrape=false and merge-metrics=false leave them", () => {
    const a = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' };
    const r = admit(withAnnotations(a));
    assert.equal(r.pod.metadata.annotations['prometheus.io/port'], '15020');
    assert.equal(env(r.pod, 'ISTIO_PROMETHEUS_ANNOTATIONS'), '{"scrape":"true","path":"/metrics","port":"9090"}');
    const off = admit(withAnnotations({ 'prometheus.io/scrape': 'false' }));
    assert.equal(off.pod.metadata.annotations['prometheus.io/port'], undefined);
    const noMerge = admit(withAnnotations({ 'prometheus.istio.io/merge-metrics': 'false' }));
    assert.equal(noMerge.pod.metadata.annotations['prometheus.io/scrape'], undefined);
  });
});

describe('admission: probes, labels and workload identity', () => {
  it('rewrites HTTPS, gRPC and named-port probes; leaves exec probes alone', () => {
    const pod = appPod();
    const c = pod.spec.containers[0];
    c.readinessProbe = { httpGet: { path: '/healthz', port: 8443, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: '1' }] } };
    c.livenessProbe = { exec: { command: ['cat', '/tmp/healthy'] } };
    c.startupProbe = { grpc: { port: 9000 }, failureThreshold: 30 };
    const r = admit(pod);
    const hello = container(r.pod, 'hello');
    assert.deepEqual(hello.readinessProbe, { httpGet: { path: '/app-health/hello/readyz', port: 15020, httpHeaders: [{ name: 'X-Probe', value: '1' }] } });
    assert.deepEqual(hello.livenessProbe, { exec: { command: ['cat', '/tmp/healthy'] } });
    assert.deepEqual(hello.startupProbe, { httpGet: { path: '/app-health/hello/startupz', port: 15020 }, failureThreshold: 30 });
    assert.deepEqual(JSON.parse(env(r.pod, 'ISTIO_KUBE_APP_PROBERS')!), {
      '/app-health/hello/readyz': { httpGet: { path: '/healthz', port: 8443, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: '1' }] } },
      '/app-health/hello/startupz': { grpc: { port: 9000 } },
    });
  });

  it('a probe on an unknown named port is reported and left alone', () => {
    const pod = appPod();
    pod.spec.containers[0].readinessProbe.httpGet.port = 'metrics';
    const r = admit(pod);
    assert.deepEqual(container(r.pod, 'hello').readinessProbe, pod.spec.containers[0].readinessProbe);
    assert.match(r.response.warnings[0], /container hello: readinessProbe\.httpGet\.port "metrics" names no container port/);
  });

  it('sidecar.istio.io/rewriteAppHTTPProbers=false keeps the original probes', () => {
    const a = { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' };
    const r = admit(withAnnotations(a));
    assert.deepEqual(container(r.pod, 'hello'), appPod().spec.containers[0]);
    assert.equal(env(r.pod, 'ISTIO_KUBE_APP_PROBERS'), undefined);
  });

  it('canonical labels come from app.kubernetes.io/* when present, and existing ones are kept', () => {
    const pod = appPod();
    pod.metadata.labels = { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/version': '2.1', 'pod-template-hash': '7c9d8f5b6d' };
    const r = admit(pod);
    assert.equal(r.pod.metadata.labels['service.istio.io/canonical-name'], 'shop');
    assert.equal(r.pod.metadata.labels['service.istio.io/canonical-revision'], '2.1');
    pod.metadata.labels = { 'service.istio.io/canonical-name': 'mine', 'security.istio.io/tlsMode': 'disabled' };
    const kept = admit(pod);
    assert.equal(kept.pod.metadata.labels['service.istio.io/canonical-name'], 'mine');
    assert.equal(kept.pod.metadata.labels['service.istio.io/canonical-revision'], 'latest');
    assert.equal(kept.pod.metadata.labels['security.istio.io/tlsMode'], 'disabled');
  });

  it('an explicit default-container annotation is kept', () => {
    const a = { 'kubectl.kubernetes.io/default-container': 'other' };
    assert.equal(admit(withAnnotations(a)).pod.metadata.annotations['kubectl.kubernetes.io/default-container'], 'other');
  });

  it('workload identity: CronJob, StatefulSet and bare pods', () => {
    const job = appPod();
    job.metadata.ownerReferences = [{ apiVersion: 'batch/v1', kind: 'Job', name: 'report-28456780', controller: true }];
    assert.equal(env(admit(job).pod, 'ISTIO_META_OWNER'), 'kubernetes://apis/batch/v1/namespaces/default/cronjobs/report');
    const sts = appPod();
    sts.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', controller: true }];
    assert.equal(env(admit(sts).pod, 'ISTIO_META_WORKLOAD_NAME'), 'db');
    assert.equal(env(admit(sts).pod, 'ISTIO_META_OWNER'), 'kubernetes://apis/apps/v1/namespaces/default/statefulsets/db');
    const bare = appPod();
    delete bare.metadata.ownerReferences;
    delete bare.metadata.generateName;
    bare.metadata.name = 'debug';
    assert.equal(env(admit(bare).pod, 'ISTIO_META_OWNER'), 'kubernetes://apis/v1/namespaces/default/pods/debug');
  });

  it('a pod with several containers and init containers: istio-init first, istio-proxy last, all ports listed', () => {
    const pod = appPod();
    pod.spec.containers.push({ name: 'worker', image: 'w', ports: [{ containerPort: 9090, protocol: 'TCP' }] });
    pod.spec.initContainers = [{ name: 'migrate', image: 'm' }];
    const r = admit(pod);
    assert.deepEqual(r.pod.spec.initContainers.map((c: any) => c.name), ['istio-init', 'migrate']);
    assert.deepEqual(r.pod.spec.containers.map((c: any) => c.name), ['hello', 'worker', 'istio-proxy']);
    assert.equal(env(r.pod, 'ISTIO_META_APP_CONTAINERS'), 'hello,worker');
    assert.equal(env(r.pod, 'ISTIO_META_POD_PORTS'), '[\n    {"name":"http","containerPort":80,"protocol":"TCP"}\n    ,{"containerPort":9090,"protocol":"TCP"}\n]');
  });
});

describe('admission: bad input', () => {
  const bad = (body: string) => handleAdmissionReview(body, deps());

  it('rejects malformed AdmissionReviews with 400 and the reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /request body is not JSON/],
      ['[]', /request body: expected an AdmissionReview object/],
      [JSON.stringify({ ...review(appPod()), apiVersion: 'admission.k8s.io/v2' }), /apiVersion: expected admission\.k8s\.io\/v1 or admission\.k8s\.io\/v1beta1, got "admission\.k8s\.io\/v2"/],
      [JSON.stringify({ ...review(appPod()), kind: 'Pod' }), /kind: expected AdmissionReview, got "Pod"/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /request: missing/],
      [JSON.stringify({ ...review(appPod()), request: { ...review(appPod()).request, uid: '' } }), /request\.uid: expected a non-empty string/],
      [JSON.stringify({ ...review(appPod()), request: { ...review(appPod()).request, object: 'pod' } }), /request\.object: expected the pod being created/],
    ];
    for (const [body, reason] of cases) {
      const out = bad(body);
      assert.equal(out.httpStatus, 400, body);
      assert.match(out.body, reason);
      assert.equal(out.result, 'bad-request');
    }
  });

  it('an uninjectable pod is denied with the reason when the failure policy is closed', () => {
    const pod = appPod();
    pod.spec.containers[0].name = '';
    const out = JSON.parse(handleAdmissionReview(JSON.stringify(review(pod)), deps({ failurePolicy: 'closed' })).body);
    assert.equal(out.response.allowed, false);
    assert.equal(out.response.status.code, 400);
    assert.equal(out.response.status.message, 'sidecar injection failed: pod spec.containers[0].name: expected a non-empty string');
  });

  it('an uninjectable pod is admitted unchanged with a warning when the failure policy is open', () => {
    const pod = appPod();
    pod.spec.containers.push({ name: 'istio-proxy', image: 'custom' });
    const r = admit(pod, { failurePolicy: 'open' });
    assert.equal(r.response.allowed, true);
    assert.equal(r.patched, false);
    assert.deepEqual(r.response.warnings, [
      'sidecar injection failed: pod spec.containers[1].name: a container named istio-proxy already exists; overriding the injected containers by name is not supported; admitted without a sidecar (failure policy open)',
    ]);
  });

  it('non-string labels and reserved volume names are reported by field path', () => {
    const pod = appPod();
    pod.metadata.labels.version = 2;
    assert.match(JSON.parse(handleAdmissionReview(JSON.stringify(review(pod)), deps()).body).response.status.message, /metadata\.labels\.version: expected a string, got 2/);
    const vol = appPod();
    vol.spec.volumes = [{ name: 'istio-envoy', emptyDir: {} }];
    assert.match(JSON.parse(handleAdmissionReview(JSON.stringify(review(vol)), deps()).body).response.status.message, /spec\.volumes\[0\]\.name: volume istio-envoy is reserved/);
  });
});
