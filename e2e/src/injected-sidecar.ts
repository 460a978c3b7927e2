// What the kubelet would do with an injected pod's istio-proxy container, on
// loopback: resolve its env (fieldRefs), expand $(VAR) in its args, and run
// our proxy image's entry point with them.
import { execFileSync } from 'node:child_process';
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
