// What the kubelet would do with an injected pod's istio-proxy container, on
// loopback: resolve its env (fieldRefs), expand $(VAR) in its args, and run
// our proxy image's entry point with them.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { WORKSPACE_ROOT } from '@mesh/testing';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  args: string[];
  env?: EnvVar[];
}

export function kubeInject(podYaml: string, meshConfigFile: string): { sidecar: Container; init: Container } {
  const out = execFileSync(process.execPath, ['apps/injector/src/main.ts', 'kube-inject', '-f', '-', '--mesh-config', meshConfigFile], {
    cwd: WORKSPACE_ROOT,
    input: podYaml,
    encoding: 'utf8',
  });
  const pod = parse(out);
  return {
    sidecar: pod.spec.containers.find((c: Container) => c.name === 'istio-proxy'),
    init: pod.spec.initContainers.find((c: Container) => c.name === 'istio-init'),
  };
}

/** The container's env as the kubelet would set it for a pod with these facts. */
export function resolveEnv(container: Container, fields: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = path !== undefined ? (fields[path] ?? '') : (e.value ?? '');
  }
  return env;
}

/** Kubernetes' $(VAR) expansion in args. */
export function expandArgs(args: string[], env: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m));
}

/**
 * What the kubelet mounts for the proxy's identity, in a directory instead of /var/run/secrets: the projected
 * service-account token (here a bootstrap token minted by citadel's admin port) and the istio-ca-root-cert
 * ConfigMap, plus CA_ADDR pointing at the test's citadel. The env entries override the injected container's.
 */
export async function podIdentityEnv(o: {
  dir: string;
  citadelAdmin: number;
  caAddress: string;
  rootCert: string;
  namespace: string;
  serviceAccount: string;
  /** The name citadel's serving certificate is checked against, when the address is not in it. */
  caServerName?: string;
}): Promise<Record<string, string>> {
  const url = `http://127.0.0.1:${o.citadelAdmin}/token?namespace=${encodeURIComponent(o.namespace)}&serviceAccount=${encodeURIComponent(o.serviceAccount)}`;
  const res = await fetch(url, { method: 'POST' });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new Error(`citadel issued no token for ${o.namespace}/${o.serviceAccount}: ${body.error ?? res.status}`);
  const token = path.join(o.dir, 'istio-token');
  writeFileSync(token, body.token, { mode: 0o644 });
  // The ConfigMap's copy of the root (citadel's own directory is private to citadel).
  const root = path.join(o.dir, 'root-cert.pem');
  copyFileSync(o.rootCert, root);
  chmodSync(root, 0o644);
  return {
    CA_ADDR: o.caAddress,
    CA_ROOT_CERT: root,
    CA_TOKEN_FILE: token,
    ...(o.caServerName ? { ISTIOD_SAN: o.caServerName } : {}),
  };
}
