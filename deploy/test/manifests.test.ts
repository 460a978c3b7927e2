// Structural checks over every manifest under deploy/kubernetes: what
// `kubectl apply` would reject, or what would leave a pod unreachable,
// unready or running the wrong image, without a cluster to find out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  APPS,
  CONTROL_PLANE,
  CONTROL_PLANE_NAMESPACE,
  GATEWAYS,
  K8S_DIR,
  appVersion,
  argValue,
  containerPort,
  containers,
  envValue,
  find,
  get,
  kustomizations,
  manifests,
  meshImage,
  nameOf,
  ofKind,
  podSpec,
  selects,
  workloads,
  type K8sObject,
} from './load.ts';

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

/** Every string anywhere in an object (args, env values, ConfigMap data). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('every manifest', () => {
  it('parses, and every document has apiVersion, kind and metadata.name', () => {
    assert.ok(manifests().length > 50, `expected the whole mesh under ${K8S_DIR}, found ${manifests().length} documents`);
    for (const { file, index, obj } of manifests()) {
      const where = `${file} document ${index + 1}`;
      assert.equal(typeof obj.apiVersion, 'string', `${where}: apiVersion missing`);
      assert.equal(typeof obj.kind, 'string', `${where}: kind missing`);
      assert.equal(typeof obj.metadata?.name, 'string', `${where}: metadata.name missing`);
      assert.match(obj.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${where}: metadata.name is not a DNS name`);
    }
  });

  it('names its namespace when it is namespaced; the control plane lives in istio-system', () => {
    for (const { file, obj } of manifests()) {
      if (CLUSTER_SCOPED.has(obj.kind)) {
        assert.equal(obj.metadata.namespace, undefined, `${file}: ${obj.kind} is cluster-scoped and must not name a namespace`);
        continue;
      }
      assert.ok(obj.metadata.namespace, `${file}: ${nameOf(obj)} has no metadata.namespace (kubectl would put it in the current namespace)`);
      if (!file.startsWith('samples/')) assert.equal(obj.metadata.namespace, CONTROL_PLANE_NAMESPACE, `${file}: ${nameOf(obj)}`);
    }
  });

  it('never shares kind, namespace and name with another object', () => {
    const seen = new Map<string, string>();
    for (const { file, obj } of manifests()) {
      const key = `${obj.apiVersion.split('/')[0]}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      assert.ok(!seen.has(key), `${nameOf(obj)} is defined in both ${seen.get(key)} and ${file}`);
      seen.set(key, file);
    }
  });

  it('pins every container image to a tag', () => {
    for (const { file, obj } of workloads()) {
      for (const c of containers(obj)) {
        assert.match(c.image, /:[\w][\w.-]*$/, `${file}: container ${c.name} image ${c.image} has no tag`);
        assert.doesNotMatch(c.image, /:latest$/, `${file}: container ${c.name} uses :latest`);
      }
    }
  });
});

describe('kustomize', () => {
  it('every kustomization lists only files and directories that exist', () => {
    for (const [dir, k] of kustomizations()) {
      assert.equal(k.kind, 'Kustomization', `${dir || '.'}/kustomization.yaml`);
      for (const r of k.resources ?? []) {
        const target = path.join(K8S_DIR, dir, r);
        assert.ok(existsSync(target), `${dir || '.'}/kustomization.yaml lists ${r}, which does not exist`);
        if (statSync(target).isDirectory()) assert.ok(existsSync(path.join(target, 'kustomization.yaml')), `${r} is a directory without kustomization.yaml`);
      }
    }
  });

  it('every manifest file is listed by its directory kustomization (none is left out of an apply)', () => {
    const ks = kustomizations();
    const dirs = new Set(manifests().map((m) => path.dirname(m.file)));
    for (const dir of dirs) {
      const k = ks.get(dir === '.' ? '' : dir);
      assert.ok(k, `${dir} has manifests but no kustomization.yaml`);
      const listed = new Set(k.resources ?? []);
      for (const f of readdirSync(path.join(K8S_DIR, dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
        assert.ok(listed.has(f), `${dir}/${f} is not listed in ${dir}/kustomization.yaml`);
      }
    }
  });

  it('the top-level kustomization installs every component; samples and cert-manager stay opt-in', () => {
    const top = kustomizations().get('')!;
    assert.deepEqual(new Set(top.resources), new Set(['crds', 'istio-system', 'nats', 'citadel', 'galley', 'pilot', 'injector', 'ingressgateway', 'egressgateway']));
  });
});

describe('workloads and services', () => {
  it('each workload selector matches its own pod template', () => {
    for (const { file, obj } of workloads()) {
      assert.ok(obj.spec.selector?.matchLabels, `${file}: ${nameOf(obj)} has no selector.matchLabels`);
      assert.ok(selects(obj.spec.selector, obj.spec.template.metadata.labels), `${file}: ${nameOf(obj)} selector does not match its pod labels`);
    }
  });

  it('every Service selects one workload, and every targetPort is a port its containers declare', () => {
    for (const { file, obj: svc } of ofKind('Service')) {
      const selected = workloads().filter((w) => w.obj.metadata.namespace === svc.metadata.namespace && selects({ matchLabels: svc.spec.selector }, w.obj.spec.template.metadata.labels));
      // Two hello versions stand behind one sample Service; every control-plane Service fronts exactly one workload.
      if (svc.metadata.namespace === CONTROL_PLANE_NAMESPACE) assert.equal(selected.length, 1, `${file}: ${nameOf(svc)} selects ${selected.length} workloads`);
      else assert.ok(selected.length >= 1, `${file}: ${nameOf(svc)} selects no workload`);
      for (const port of svc.spec.ports) {
        assert.ok(port.name, `${file}: ${nameOf(svc)} port ${port.port} has no name (Istio infers the protocol from it)`);
        for (const w of selected) {
          const target = port.targetPort ?? port.port;
          assert.ok(containerPort(w.obj, target), `${file}: ${nameOf(svc)} port ${port.name} targets ${target}, which ${nameOf(w.obj)} does not declare`);
        }
      }
    }
  });

  it('every control-plane Deployment is probed on 15014: readiness /ready, liveness /healthz', () => {
    for (const [app, name] of Object.entries(CONTROL_PLANE)) {
      const d = get('Deployment', name, CONTROL_PLANE_NAMESPACE);
      const [c] = podSpec(d).containers;
      assert.ok(containerPort(d, 15014), `${app}: 15014 is not a declared container port`);
      assert.deepEqual({ path: c.readinessProbe?.httpGet?.path, port: c.readinessProbe?.httpGet?.port }, { path: '/ready', port: 15014 }, `${app} readiness`);
      assert.deepEqual({ path: c.livenessProbe?.httpGet?.path, port: c.livenessProbe?.httpGet?.port }, { path: '/healthz', port: 15014 }, `${app} liveness`);
      assert.equal(d.spec.template.metadata.annotations?.['prometheus.io/port'], '15014', `${app}: metrics are scraped from 15014`);
    }
  });

  it('every probe points at a port the container declares', () => {
    for (const { file, obj } of workloads()) {
      for (const c of containers(obj)) {
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const port = c[probe]?.httpGet?.port;
          if (port !== undefined) assert.ok(containerPort(obj, port), `${file}: ${c.name} ${probe} targets undeclared port ${port}`);
        }
      }
    }
  });

  it('mesh containers run as non-root with a read-only root filesystem and no capabilities', () => {
    for (const { file, obj } of workloads().filter((w) => w.obj.metadata.namespace === CONTROL_PLANE_NAMESPACE)) {
      const pod = podSpec(obj);
      for (const c of containers(obj)) {
        const sc = { ...pod.securityContext, ...c.securityContext };
        assert.equal(sc.runAsNonRoot, true, `${file}: ${c.name} runAsNonRoot`);
        assert.ok(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, `${file}: ${c.name} needs a fixed non-root runAsUser`);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${file}: ${c.name} readOnlyRootFilesystem`);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${file}: ${c.name} allowPrivilegeEscalation`);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${file}: ${c.name} drops ALL capabilities`);
        assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${file}: ${c.name} requests cpu and memory`);
        assert.ok(c.resources?.limits?.memory, `${file}: ${c.name} has a memory limit`);
      }
    }
  });

  it('drains gracefully: a preStop pause shorter than the termination grace period', () => {
    for (const { file, obj } of workloads().filter((w) => w.obj.metadata.namespace === CONTROL_PLANE_NAMESPACE)) {
      const grace = podSpec(obj).terminationGracePeriodSeconds;
      for (const c of podSpec(obj).containers) {
        const cmd: string[] | undefined = c.lifecycle?.preStop?.exec?.command;
        assert.ok(cmd, `${file}: ${c.name} has no preStop hook`);
        const pause = cmd[0] === 'sleep' ? Number(cmd[1]) : 0;
        // Shutdown is bounded at 10 s in the control plane (@mesh/service), at the drain time + 5 s in the
        // proxy, at lame-duck 30 s + grace 10 s in NATS.
        const drain = argValue(c, 'drain-seconds');
        const shutdown = obj.metadata.name === 'nats' ? 40 : meshImage(c.image)?.app === 'proxy' ? Number(drain ?? 5) + 5 : 10;
        assert.ok(grace >= pause + shutdown, `${file}: terminationGracePeriodSeconds ${grace} < preStop ${pause}s + shutdown ${shutdown}s`);
      }
    }
  });

  it('every volume mount names a volume of its pod, and every service account exists', () => {
    for (const { file, obj } of workloads()) {
      const pod = podSpec(obj);
      const volumes = new Set((pod.volumes ?? []).map((v: K8sObject) => v.name));
      const claims = new Set((obj.spec.volumeClaimTemplates ?? []).map((v: K8sObject) => v.metadata.name));
      for (const c of containers(obj)) {
        for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name) || claims.has(m.name), `${file}: ${c.name} mounts unknown volume ${m.name}`);
      }
      if (pod.serviceAccountName) assert.ok(find('ServiceAccount', pod.serviceAccountName, obj.metadata.namespace), `${file}: ServiceAccount ${pod.serviceAccountName} is not defined`);
    }
  });

  it('every NATS client points at the nats Service and may pass its NetworkPolicy', () => {
    const nats = get('Service', 'nats', CONTROL_PLANE_NAMESPACE);
    const policy = get('NetworkPolicy', 'nats', CONTROL_PLANE_NAMESPACE);
    const clientRule = policy.spec.ingress.find((r: K8sObject) => r.ports.some((p: K8sObject) => p.port === 4222));
    let clients = 0;
    for (const { file, obj } of workloads()) {
      for (const c of containers(obj)) {
        const url = envValue(c, 'NATS_URL');
        if (url === undefined) continue;
        clients++;
        const u = new URL(url);
        assert.equal(u.hostname, `nats.${CONTROL_PLANE_NAMESPACE}.svc`, `${file}: NATS_URL ${url}`);
        assert.ok(nats.spec.ports.some((p: K8sObject) => p.port === Number(u.port)), `${file}: NATS_URL port ${u.port} is not a port of Service nats`);
        assert.ok(
          clientRule.from.some((f: K8sObject) => selects(f.podSelector, obj.spec.template.metadata.labels)),
          `${file}: ${nameOf(obj)} uses NATS but its pods are not allowed by NetworkPolicy nats (label nats-client: "true")`,
        );
      }
    }
    assert.equal(clients, 4, 'galley, pilot, citadel and the injector talk to NATS');
  });
});

describe('images', () => {
  it('every mesh image is mesh/<app>:<version of apps/<app>/package.json>, wherever it is named', () => {
    let seen = 0;
    for (const { file, obj } of manifests()) {
      for (const s of strings(obj)) {
        for (const [ref] of s.matchAll(/\bmesh\/[a-z-]+:[\w.-]+/g)) {
          const img = meshImage(ref)!;
          assert.ok((APPS as readonly string[]).includes(img.app), `${file}: ${ref} names no app (expected one of ${APPS.join(', ')})`);
          assert.equal(img.tag, appVersion(img.app), `${file}: ${ref} is not the version in apps/${img.app}/package.json`);
          seen++;
        }
      }
    }
    assert.ok(seen >= 7, `expected the five apps' images to be referenced, found ${seen} references`);
  });

  it('each control-plane Deployment runs its own app, each gateway the proxy', () => {
    for (const [app, name] of Object.entries(CONTROL_PLANE)) {
      const images = podSpec(get('Deployment', name, CONTROL_PLANE_NAMESPACE)).containers.map((c: K8sObject) => meshImage(c.image)?.app);
      assert.deepEqual(images, [app], `${name} runs ${images.join(', ')}`);
    }
    for (const name of GATEWAYS) {
      const d = get('Deployment', name, CONTROL_PLANE_NAMESPACE);
      const [c] = podSpec(d).containers;
      assert.equal(meshImage(c.image)?.app, 'proxy', name);
      assert.equal({ ...podSpec(d).securityContext, ...c.securityContext }.runAsUser, 1337, `${name}: the proxy runs as uid 1337, as Istio's`);
    }
  });
});
