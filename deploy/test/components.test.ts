// What each component's manifests promise: pilot scales on NATS alone, RBAC
// grants each component exactly its job, drains never hang, the gateways are
// reachable where Istio's are, NATS forms one JetStream cluster, and the mesh
// config points every sidecar at the Services that exist.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import {
  CONTROL_PLANE,
  CONTROL_PLANE_NAMESPACE,
  GATEWAYS,
  argValue,
  appVersion,
  find,
  get,
  nameOf,
  ofKind,
  podSpec,
  selects,
  workloads,
  type K8sObject,
} from './load.ts';

const ns = CONTROL_PLANE_NAMESPACE;
/** pilot's xDS port on the istio-pilot Service: mutual TLS only (plaintext 15010 stays on the pod's loopback). */
const XDS_PORTS = ['https-xds'];

function bindingsOf(serviceAccount: string): K8sObject[] {
  return [...ofKind('RoleBinding'), ...ofKind('ClusterRoleBinding')]
    .map((m) => m.obj)
    .filter((b) => (b.subjects ?? []).some((s: K8sObject) => s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === ns));
}

function rulesOf(serviceAccount: string): K8sObject[] {
  return bindingsOf(serviceAccount).flatMap((b) => get(b.roleRef.kind, b.roleRef.name, b.roleRef.kind === 'Role' ? b.metadata.namespace : undefined).rules);
}

/** Whether some rule grants verb on group/resource (optionally for one object name). */
function allows(rules: K8sObject[], group: string, resource: string, verb: string, name?: string): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))),
  );
}

function serviceAccountOf(deployment: string): string {
  return podSpec(get('Deployment', deployment, ns)).serviceAccountName;
}

/** host:port of a Service in the cluster (`svc.ns.svc:port`) -> that Service's port entry. */
function servicePort(address: string): K8sObject {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)$/.exec(address);
  assert.ok(m, `${address} is not <service>.<namespace>.svc:<port>`);
  const svc = get('Service', m[1], m[2]);
  const port = svc.spec.ports.find((p: K8sObject) => p.port === Number(m[3]));
  assert.ok(port, `${address}: Service ${m[2]}/${m[1]} has no port ${m[3]}`);
  return port;
}

function crdPlurals(group: string): string[] {
  return ofKind('CustomResourceDefinition')
    .map((m) => m.obj.spec)
    .filter((s) => s.group === group)
    .map((s) => s.names.plural)
    .sort();
}

describe('pilot', () => {
  it('has no rights on the Kubernetes API and no API token mounted', () => {
    const sa = serviceAccountOf('istio-pilot');
    assert.deepEqual(bindingsOf(sa).map(nameOf), [], 'pilot reads NATS only: no Role/ClusterRole may be bound to it');
    assert.equal(get('ServiceAccount', sa, ns).automountServiceAccountToken, false);
    assert.equal(podSpec(get('Deployment', 'istio-pilot', ns)).automountServiceAccountToken, false);
  });

  it('scales 2..10 on CPU (80%) through an autoscaler that owns the replica count', () => {
    const hpas = ofKind('HorizontalPodAutoscaler').filter((m) => m.obj.spec.scaleTargetRef.name === 'istio-pilot');
    assert.equal(hpas.length, 1);
    const hpa = hpas[0].obj;
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'istio-pilot' });
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 10);
    assert.deepEqual(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    const [c] = podSpec(get('Deployment', 'istio-pilot', ns)).containers;
    assert.ok(c.resources.requests.cpu, 'CPU utilization is measured against the CPU request');
  });

  it("serves Istio's ports and port names", () => {
    const ports = get('Service', 'istio-pilot', ns).spec.ports.map((p: K8sObject) => [p.name, p.port]);
    assert.deepEqual(ports, [['https-xds', 15011], ['http-monitoring', 15014]]);
  });
});

describe('autoscaling', () => {
  it('every autoscaler targets a Deployment that leaves spec.replicas to it', () => {
    for (const { file, obj } of ofKind('HorizontalPodAutoscaler')) {
      const target = get(obj.spec.scaleTargetRef.kind, obj.spec.scaleTargetRef.name, obj.metadata.namespace);
      assert.equal(target.spec.replicas, undefined, `${file}: ${nameOf(target)} sets replicas, which every kubectl apply would reset under the autoscaler`);
      assert.ok(obj.spec.minReplicas >= 2 && obj.spec.maxReplicas > obj.spec.minReplicas, `${file}: min ${obj.spec.minReplicas} max ${obj.spec.maxReplicas}`);
    }
    const targets = ofKind('HorizontalPodAutoscaler').map((m) => m.obj.spec.scaleTargetRef.name).sort();
    assert.deepEqual(targets, ['istio-egressgateway', 'istio-ingressgateway', 'istio-pilot']);
  });
});

describe('RBAC', () => {
  it('every binding refers to a role and service accounts that are defined', () => {
    for (const { file, obj } of [...ofKind('RoleBinding'), ...ofKind('ClusterRoleBinding')]) {
      assert.ok(find(obj.roleRef.kind, obj.roleRef.name, obj.roleRef.kind === 'Role' ? obj.metadata.namespace : undefined), `${file}: ${obj.roleRef.kind} ${obj.roleRef.name} is not defined`);
      for (const s of obj.subjects) assert.ok(find('ServiceAccount', s.name, s.namespace), `${file}: ServiceAccount ${s.namespace}/${s.name} is not defined`);
    }
  });

  it('no rule uses a wildcard', () => {
    for (const { file, obj } of [...ofKind('Role'), ...ofKind('ClusterRole')]) {
      for (const r of obj.rules) {
        for (const field of ['apiGroups', 'resources', 'verbs']) assert.ok(!r[field].includes('*'), `${file}: ${nameOf(obj)} ${field} has *`);
      }
    }
  });

  it('only galley and citadel are bound to roles; pilot, the injector and the gateways have none', () => {
    const bound = new Set([...ofKind('RoleBinding'), ...ofKind('ClusterRoleBinding')].flatMap((m) => m.obj.subjects.map((s: K8sObject) => s.name)));
    assert.deepEqual([...bound].sort(), [serviceAccountOf('istio-citadel'), serviceAccountOf('istio-galley')].sort());
    for (const name of ['istio-sidecar-injector', ...GATEWAYS]) {
      assert.equal(podSpec(get('Deployment', name, ns)).automountServiceAccountToken, false, `${name} needs no API token`);
    }
  });

  it('galley reads every Istio config kind, the registry and Secrets (credentialName), and writes only status', () => {
    const rules = rulesOf(serviceAccountOf('istio-galley'));
    for (const group of ['networking.istio.io', 'security.istio.io']) {
      for (const plural of crdPlurals(group)) {
        for (const verb of ['get', 'list', 'watch']) assert.ok(allows(rules, group, plural, verb), `galley cannot ${verb} ${plural}.${group}`);
        assert.ok(allows(rules, group, `${plural}/status`, 'update'), `galley cannot update ${plural}/status`);
        for (const verb of ['create', 'update', 'patch', 'delete']) assert.ok(!allows(rules, group, plural, verb), `galley may ${verb} ${plural} specs`);
      }
    }
    for (const [group, resource] of [['', 'services'], ['', 'namespaces'], ['', 'pods'], ['discovery.k8s.io', 'endpointslices']]) {
      for (const verb of ['get', 'list', 'watch']) assert.ok(allows(rules, group, resource, verb), `galley cannot ${verb} ${resource}`);
      assert.ok(!allows(rules, group, resource, 'update'), `galley may update ${resource}`);
    }
    for (const verb of ['get', 'list', 'watch']) assert.ok(allows(rules, '', 'secrets', verb), `galley cannot ${verb} secrets`);
    for (const verb of ['create', 'update', 'patch', 'delete']) assert.ok(!allows(rules, '', 'secrets', verb), `galley may ${verb} secrets`);
  });

  it('citadel: its own CA Secret only, TokenReviews, and the root ConfigMap in every namespace', () => {
    const rules = rulesOf(serviceAccountOf('istio-citadel'));
    assert.ok(allows(rules, '', 'secrets', 'get', 'istio-ca-secret'));
    assert.ok(allows(rules, '', 'secrets', 'update', 'istio-ca-secret'));
    assert.ok(allows(rules, '', 'secrets', 'create'));
    assert.ok(!allows(rules, '', 'secrets', 'get', 'some-other-secret'), 'citadel may read any Secret');
    assert.ok(!allows(rules, '', 'secrets', 'list'), 'citadel may list Secrets');
    const secretBindings = bindingsOf(serviceAccountOf('istio-citadel')).filter((b) =>
      get(b.roleRef.kind, b.roleRef.name, b.roleRef.kind === 'Role' ? b.metadata.namespace : undefined).rules.some((r: K8sObject) => r.resources.includes('secrets')),
    );
    assert.deepEqual(secretBindings.map((b) => `${b.kind} ${b.metadata.namespace}`), [`RoleBinding ${ns}`], 'Secret access is a Role in istio-system, not cluster-wide');
    assert.ok(allows(rules, 'authentication.k8s.io', 'tokenreviews', 'create'));
    assert.ok(allows(rules, '', 'configmaps', 'create'));
    assert.ok(allows(rules, '', 'configmaps', 'update', 'istio-ca-root-cert'));
    assert.ok(!allows(rules, '', 'configmaps', 'update', 'kube-root-ca.crt'), 'citadel may rewrite any ConfigMap');
    assert.ok(allows(rules, '', 'namespaces', 'watch'));
  });
});

describe('disruption budgets', () => {
  it('every control-plane workload has exactly one, and none can block a node drain forever', () => {
    for (const { file, obj } of workloads().filter((w) => w.obj.metadata.namespace === ns)) {
      const pdbs = ofKind('PodDisruptionBudget').filter((p) => p.obj.metadata.namespace === ns && selects(p.obj.spec.selector, obj.spec.template.metadata.labels));
      assert.equal(pdbs.length, 1, `${file}: ${nameOf(obj)} is covered by ${pdbs.length} PodDisruptionBudgets`);
      const pdb = pdbs[0].obj.spec;
      const hpa = ofKind('HorizontalPodAutoscaler').find((h) => h.obj.spec.scaleTargetRef.name === obj.metadata.name);
      const replicas = hpa ? hpa.obj.spec.minReplicas : (obj.spec.replicas ?? 1);
      if (pdb.minAvailable !== undefined) assert.ok(pdb.minAvailable < replicas, `${nameOf(obj)}: minAvailable ${pdb.minAvailable} with ${replicas} replicas never allows an eviction`);
      else assert.ok(pdb.maxUnavailable >= 1, `${nameOf(obj)}: maxUnavailable ${pdb.maxUnavailable}`);
    }
  });

  it('upgrades one pod at a time without dropping below the current count', () => {
    for (const { file, obj } of ofKind('Deployment').filter((w) => w.obj.metadata.namespace === ns)) {
      assert.deepEqual(obj.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, file);
    }
  });
});

describe('gateways', () => {
  it("the ingress gateway is a LoadBalancer with Istio's ports: 80->8080, 443->8443, status 15021", () => {
    const svc = get('Service', 'istio-ingressgateway', ns);
    assert.equal(svc.spec.type, 'LoadBalancer');
    assert.deepEqual(
      svc.spec.ports.map((p: K8sObject) => [p.name, p.port, p.targetPort]),
      [['status-port', 15021, 15021], ['http2', 80, 8080], ['https', 443, 8443]],
    );
  });

  it('the egress gateway stays inside the cluster (ClusterIP), 80->8080 and 443->8443', () => {
    const svc = get('Service', 'istio-egressgateway', ns);
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.deepEqual(svc.spec.ports.map((p: K8sObject) => [p.port, p.targetPort]), [[80, 8080], [443, 8443]]);
  });

  it('each gateway tells the proxy its own pod labels, which Gateway selectors match', () => {
    for (const [name, label] of [['istio-ingressgateway', 'ingressgateway'], ['istio-egressgateway', 'egressgateway']]) {
      const d = get('Deployment', name, ns);
      const podLabels = d.spec.template.metadata.labels;
      assert.equal(podLabels.istio, label);
      const [c] = podSpec(d).containers;
      assert.equal(argValue(c, 'mode'), 'gateway');
      const told = Object.fromEntries(argValue(c, 'labels')!.split(',').map((kv) => kv.split('=')));
      for (const [k, v] of Object.entries(told)) assert.equal(podLabels[k], v, `${name}: --labels says ${k}=${v}, the pod says ${podLabels[k]}`);
      assert.equal(told.istio, label);
      assert.ok(XDS_PORTS.includes(servicePort(argValue(c, 'pilot')!).name), `${name}: --pilot is not pilot's xDS port`);
      assert.equal(argValue(c, 'bind-address'), '0.0.0.0', `${name}: listeners must bind the pod IP the Service targets`);
      assert.equal(argValue(c, 'status-host'), '0.0.0.0', `${name}: kubelet probes 15021 on the pod IP`);
      assert.equal(c.readinessProbe.httpGet.path, '/healthz/ready');
      assert.equal(c.readinessProbe.httpGet.port, 15021);
    }
  });

  it('the sample Gateway selects the ingress gateway pods', () => {
    const gw = get('Gateway', 'hello-gateway', 'sample');
    const pods = get('Deployment', 'istio-ingressgateway', ns).spec.template.metadata.labels;
    assert.ok(selects({ matchLabels: gw.spec.selector }, pods));
    const exposed = get('Service', 'istio-ingressgateway', ns).spec.ports.find((p: K8sObject) => p.port === gw.spec.servers[0].port.number);
    assert.equal(exposed?.targetPort, gw.spec.servers[0].port.number + 8000, 'Gateway port 80 is bound at 8080 and the Service maps 80 onto it');
  });
});

describe('NATS', () => {
  const sts = get('StatefulSet', 'nats', ns);
  const conf: string = get('ConfigMap', 'nats-config', ns).data['nats.conf'];

  it('is a 3-server StatefulSet with a volume each, behind a headless Service', () => {
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'data');
    const mount = podSpec(sts).containers[0].volumeMounts.find((m: K8sObject) => m.name === 'data');
    assert.match(conf, new RegExp(`store_dir:\\s*${mount.mountPath}\\b`), 'JetStream stores on the volume');
    const headless = get('Service', sts.spec.serviceName, ns);
    assert.equal(headless.spec.clusterIP, 'None');
    assert.equal(headless.spec.publishNotReadyAddresses, true, 'servers must find each other before they are ready');
  });

  it('routes every server to every other through the headless Service, with JetStream on', () => {
    assert.match(conf, /jetstream\s*\{/);
    assert.match(conf, /server_name:\s*\$POD_NAME/);
    const routes = [...conf.matchAll(/nats:\/\/([a-z0-9.-]+):(\d+)/g)].map((m) => [m[1], Number(m[2])]);
    const clusterPort = podSpec(sts).containers[0].ports.find((p: K8sObject) => p.name === 'cluster').containerPort;
    assert.deepEqual(
      routes,
      [0, 1, 2].map((i) => [`nats-${i}.${sts.spec.serviceName}.${ns}.svc`, clusterPort]),
    );
  });

  it('is reachable only by the control plane on the client port', () => {
    const policy = get('NetworkPolicy', 'nats', ns);
    assert.ok(selects(policy.spec.podSelector, sts.spec.template.metadata.labels));
    const clientRule = policy.spec.ingress.find((r: K8sObject) => r.ports.some((p: K8sObject) => p.port === 4222));
    const allowed = workloads().filter((w) => clientRule.from.some((f: K8sObject) => selects(f.podSelector, w.obj.spec.template.metadata.labels)));
    assert.deepEqual(allowed.map((w) => w.obj.metadata.name).sort(), Object.values(CONTROL_PLANE).sort());
  });
});

describe('mesh config (ConfigMap istio)', () => {
  const mesh = YAML.parse(get('ConfigMap', 'istio', ns).data.mesh);

  it("sends sidecars to pilot's xDS and to citadel for certificates, with the deployed proxy image", () => {
    assert.ok(XDS_PORTS.includes(servicePort(mesh.defaultConfig.discoveryAddress).name));
    assert.equal(servicePort(mesh.sidecarInjector.caAddress).name, 'https-ca');
    assert.equal(mesh.sidecarInjector.image, `mesh/proxy:${appVersion('proxy')}`);
  });

  it("has citadel's trust domain", () => {
    const [c] = podSpec(get('Deployment', 'istio-citadel', ns)).containers;
    assert.equal(argValue(c, 'trust-domain'), mesh.trustDomain);
  });

  it('is mounted into galley, which publishes it', () => {
    const d = get('Deployment', 'istio-galley', ns);
    const vol = podSpec(d).volumes.find((v: K8sObject) => v.configMap?.name === 'istio');
    const mount = podSpec(d).containers[0].volumeMounts.find((m: K8sObject) => m.name === vol.name);
    assert.equal(argValue(podSpec(d).containers[0], 'mesh-config'), `${mount.mountPath}/mesh`);
  });
});

describe('every workload of the control plane', () => {
  it('is labelled so sidecar injection never touches it', () => {
    assert.equal(get('Namespace', ns).metadata.labels['istio-injection'], 'disabled');
    for (const { obj } of workloads().filter((w) => w.obj.metadata.namespace === ns)) {
      assert.equal(obj.spec.template.metadata.labels['sidecar.istio.io/inject'], 'false', nameOf(obj));
    }
  });
});
