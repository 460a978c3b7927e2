// Test fixtures: a pod as the API server sends it to the webhook, the pod
// Istio 1.2x's injector makes of it (written out in full, field for field),
// and helpers that run a real AdmissionReview through the handler and apply
// the returned JSONPatch with fast-json-patch.
import jsonpatch from 'fast-json-patch';
import { handleAdmissionReview, type AdmissionDeps } from '../admission.ts';
import { DEFAULT_SETTINGS, settingsFromMeshConfig } from '../mesh-settings.ts';
import type { PodLike } from '../k8s.ts';

/** The pod of Deployment `hello` (ReplicaSet hello-7c9d8f5b6d), after API-server defaulting. */
export function appPod(): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'hello-7c9d8f5b6d-',
      namespace: 'default',
      labels: { app: 'hello', version: 'v1', 'pod-template-hash': '7c9d8f5b6d' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'hello-7c9d8f5b6d', uid: '5f2c', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        {
          name: 'hello',
          image: 'fake.docker.io/google-samples/hello-go-gke:1.0',
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1 },
          livenessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1 },
          resources: {},
        },
      ],
      restartPolicy: 'Always',
      serviceAccountName: 'default',
    },
  };
}

const RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } };

/** What Istio's injector makes of appPod() with default settings (our proxy image and addresses). */
export function expectedPod(): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'hello-7c9d8f5b6d-',
      namespace: 'default',
      labels: {
        app: 'hello',
        version: 'v1',
        'pod-template-hash': '7c9d8f5b6d',
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': 'hello',
        'service.istio.io/canonical-revision': 'v1',
      },
      annotations: {
        'prometheus.io/path': '/stats/prometheus',
        'prometheus.io/port': '15020',
        'prometheus.io/scrape': 'true',
        'istio.io/rev': 'default',
        'kubectl.kubernetes.io/default-logs-container': 'hello',
        'kubectl.kubernetes.io/default-container': 'hello',
        'sidecar.istio.io/status':
          '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}',
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'hello-7c9d8f5b6d', uid: '5f2c', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      initContainers: [
        {
          name: 'istio-init',
          image: 'mesh/proxy:0.1.0',
          args: ['init', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020'],
          resources: RESOURCES,
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
            privileged: false,
            readOnlyRootFilesystem: false,
            runAsGroup: 0,
            runAsNonRoot: false,
            runAsUser: 0,
          },
        },
      ],
      containers: [
        {
          name: 'hello',
          image: 'fake.docker.io/google-samples/hello-go-gke:1.0',
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/app-health/hello/readyz', port: 15020 }, periodSeconds: 10, timeoutSeconds: 1 },
          livenessProbe: { httpGet: { path: '/app-health/hello/livez', port: 15020 }, timeoutSeconds: 1 },
          resources: {},
        },
        {
          name: 'istio-proxy',
          image: 'mesh/proxy:0.1.0',
          ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
          args: [
            'sidecar',
            '--domain',
            '$(POD_NAMESPACE).svc.cluster.local',
            '--proxyLogLevel=warning',
            '--proxyComponentLogLevel=misc:error',
            '--log_output_level=default:info',
          ],
          env: [
            { name: 'CA_ADDR', value: 'istio-citadel.istio-system.svc:15012' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'INSTANCE_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
            { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
            { name: 'PROXY_CONFIG', value: '{"discoveryAddress":"istio-pilot.istio-system.svc:15011"}\n' },
            { name: 'ISTIO_META_POD_PORTS', value: '[\n    {"name":"http","containerPort":80,"protocol":"TCP"}\n]' },
            { name: 'ISTIO_META_APP_CONTAINERS', value: 'hello' },
            { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
            { name: 'ISTIO_META_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
            { name: 'ISTIO_META_WORKLOAD_NAME', value: 'hello' },
            { name: 'ISTIO_META_OWNER', value: 'kubernetes://apis/apps/v1/namespaces/default/deployments/hello' },
            { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
            { name: 'TRUST_DOMAIN', value: 'cluster.local' },
            {
              name: 'ISTIO_KUBE_APP_PROBERS',
              value:
                '{"/app-health/hello/livez":{"tcpSocket":{"port":80},"timeoutSeconds":1},"/app-health/hello/readyz":{"httpGet":{"path":"/ready","port":80,"scheme":"HTTP"},"timeoutSeconds":1}}',
            },
          ],
          startupProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 600 },
          readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 4 },
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsGroup: 1337,
            runAsNonRoot: true,
            runAsUser: 1337,
          },
          resources: RESOURCES,
          volumeMounts: [
            { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
            { mountPath: '/var/lib/istio/data', name: 'istio-data' },
            { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
            { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
            { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
          ],
        },
      ],
      restartPolicy: 'Always',
      serviceAccountName: 'default',
      volumes: [
        { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
        { name: 'istio-data', emptyDir: {} },
        {
          name: 'istio-podinfo',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
            ],
          },
        },
        { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
        { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
      ],
    },
  };
}

/** The container named `name` in a pod (init containers included). */
export function container(pod: any, name: string): any {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c: any) => c.name === name);
}

export function env(pod: any, name: string): string | undefined {
  return container(pod, 'istio-proxy').env.find((e: any) => e.name === name)?.value;
}

export function review(pod: unknown, o: { namespace?: string; apiVersion?: string; uid?: string } = {}): any {
  return {
    apiVersion: o.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: o.uid ?? 'b5c1e6a0-6f0e-4d0a-9a1e-3f3d2c1b0a99',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: o.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: pod,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

export interface DepsOverrides {
  meshConfig?: unknown;
  revision?: string;
  namespaces?: Record<string, Record<string, string>>;
  failurePolicy?: 'open' | 'closed';
}

export function deps(o: DepsOverrides = {}): AdmissionDeps {
  const settings = o.meshConfig === undefined ? DEFAULT_SETTINGS : settingsFromMeshConfig(o.meshConfig);
  return {
    settings: () => settings,
    revision: o.revision ?? 'default',
    failurePolicy: o.failurePolicy ?? 'closed',
    namespaceLabels: (ns) => o.namespaces?.[ns],
  };
}

export interface Admitted {
  httpStatus: number;
  response: any;
  /** The pod after the webhook's JSONPatch was applied (the original when there was none). */
  pod: any;
  patched: boolean;
}

/** Applies an AdmissionReview response's JSONPatch to a pod with fast-json-patch (validating every op). */
export function applyResponse(pod: unknown, response: any): { pod: any; patched: boolean } {
  if (!response.patch) return { pod: structuredClone(pod), patched: false };
  if (response.patchType !== 'JSONPatch') throw new Error(`patchType ${response.patchType}`);
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  const out = jsonpatch.applyPatch(structuredClone(pod) as object, ops, true, false).newDocument;
  return { pod: out, patched: true };
}

export function admit(pod: PodLike | any, o: DepsOverrides & { namespace?: string } = {}): Admitted {
  const out = handleAdmissionReview(JSON.stringify(review(pod, { namespace: o.namespace ?? pod?.metadata?.namespace })), deps(o));
  if (out.httpStatus !== 200) return { httpStatus: out.httpStatus, response: undefined, pod, patched: false };
  const parsed = JSON.parse(out.body);
  return { httpStatus: out.httpStatus, response: parsed.response, ...applyResponse(pod, parsed.response) };
}
