// The pieces added to a pod, shaped field for field like Istio 1.2x's
// sidecar injection template (non-native sidecar, istiod pilotCertProvider,
// third-party JWT): the istio-init init container, the istio-proxy container
// and the five volumes they mount. Values come from mesh settings and the
// pod's annotations; see inject.ts for how they are chosen.

export const INIT_CONTAINER = 'istio-init';
export const PROXY_CONTAINER = 'istio-proxy';
export const INJECTED_VOLUMES = ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'] as const;

/** Our proxy image's modes: `<entrypoint> init <istio-iptables flags>` and `<entrypoint> sidecar <flags>`. */
export const PROXY_INIT_MODE = 'init';
export const PROXY_SIDECAR_MODE = 'sidecar';

export const PROXY_UID = 1337;
export const PROMETHEUS_PORT = 15090;
export const HEALTH_PORT = 15021;

export interface ResourceRequirements {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

const fieldRef = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** The pod-identity env every sidecar gets from the downward API. */
export function downwardEnv(): EnvVar[] {
  return [
    fieldRef('POD_NAME', 'metadata.name'),
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    fieldRef('INSTANCE_IP', 'status.podIP'),
    fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldRef('HOST_IP', 'status.hostIP'),
  ];
}

export function nodeNameEnv(): EnvVar {
  return fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName');
}

export function initContainer(o: { image: string; args: string[]; resources: ResourceRequirements; imagePullPolicy?: string; env: EnvVar[] }) {
  return {
    name: INIT_CONTAINER,
    image: o.image,
    args: [PROXY_INIT_MODE, ...o.args],
    ...(o.env.length ? { env: o.env } : {}),
    ...(o.imagePullPolicy ? { imagePullPolicy: o.imagePullPolicy } : {}),
    resources: o.resources,
    // iptables needs NET_ADMIN and NET_RAW, as root, and nothing else.
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

export interface ProbeTiming {
  initialDelaySeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}

export function proxyContainer(o: {
  image: string;
  args: string[];
  env: EnvVar[];
  resources: ResourceRequirements;
  imagePullPolicy?: string;
  readiness?: ProbeTiming;
  startupFailureThreshold?: number;
}) {
  const ready = { path: '/healthz/ready', port: HEALTH_PORT };
  return {
    name: PROXY_CONTAINER,
    image: o.image,
    ports: [{ containerPort: PROMETHEUS_PORT, protocol: 'TCP', name: 'http-envoy-prom' }],
    args: [PROXY_SIDECAR_MODE, ...o.args],
    env: o.env,
    ...(o.imagePullPolicy ? { imagePullPolicy: o.imagePullPolicy } : {}),
    ...(o.readiness && o.startupFailureThreshold !== undefined
      ? { startupProbe: { httpGet: { ...ready }, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: o.startupFailureThreshold } }
      : {}),
    ...(o.readiness
      ? {
          readinessProbe: {
            httpGet: { ...ready },
            // Zero is left out, as the API server would print it.
            ...(o.readiness.initialDelaySeconds > 0 ? { initialDelaySeconds: o.readiness.initialDelaySeconds } : {}),
            periodSeconds: o.readiness.periodSeconds,
            timeoutSeconds: 3,
            failureThreshold: o.readiness.failureThreshold,
          },
        }
      : {}),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: PROXY_UID,
      runAsNonRoot: true,
      runAsUser: PROXY_UID,
    },
    resources: o.resources,
    volumeMounts: [
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      // SDS socket and bootstrap between the agent and the proxy.
      { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
}

export function injectedVolumes() {
  return [
    { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
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
    {
      name: 'istio-token',
      // A short-lived token the CA accepts (audience istio-ca) to sign the workload's certificate.
      projected: { sources: [{ serviceAccountToken: { path: 'istio-token', expirationSeconds: 43200, audience: 'istio-ca' } }] },
    },
    { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
  ];
}
