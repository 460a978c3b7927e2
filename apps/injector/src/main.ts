// injector: the sidecar injection webhook (default), or `kube-inject` offline.
//   node apps/injector/src/main.ts [webhook] [flags]
//   node apps/injector/src/main.ts kube-inject -f deploy.yaml [--mesh-config F] [--revision R]
import { readFile, writeFile } from 'node:fs/promises';
import { FlagError, parseFlags, startService, usage, type FlagSpec } from '@mesh/service';
import { fileMeshConfig, fileNamespaces, natsMeshConfig, readMeshConfigFile, type Source } from './config-sources.ts';
import { kubeInject, KubeInjectError } from './kube-inject.ts';
import { DEFAULT_SETTINGS, type InjectionSettings } from './mesh-settings.ts';
import { loadServingCert, selfSignedCert, watchServingCert } from './serving-cert.ts';
import { startWebhookServer } from './webhook-server.ts';
import type { FailurePolicy } from './admission.ts';

const WEBHOOK_FLAGS = {
  host: { type: 'string', help: 'address the webhook binds (0.0.0.0 in a cluster)', env: 'INJECTOR_HOST', default: '127.0.0.1' },
  port: { type: 'number', help: 'HTTPS port of the webhook (POST /inject)', env: 'INJECTOR_PORT', default: 9443 },
  tlsCertFile: { type: 'string', help: 'PEM serving certificate; re-read when it changes', env: 'INJECTOR_TLS_CERT_FILE', default: '' },
  tlsKeyFile: { type: 'string', help: 'PEM private key of the serving certificate', env: 'INJECTOR_TLS_KEY_FILE', default: '' },
  selfSignedHosts: {
    type: 'list',
    help: 'without cert files: names/IPs of the self-signed certificate made at start',
    env: 'INJECTOR_SELF_SIGNED_HOSTS',
    default: ['localhost', '127.0.0.1', 'istio-sidecar-injector.istio-system.svc'],
  },
  selfSignedCertOut: { type: 'string', help: 'write the self-signed certificate here (for a webhook caBundle or a client)', env: 'INJECTOR_SELF_SIGNED_CERT_OUT', default: '' },
  meshConfig: { type: 'string', help: 'local mode: mesh config YAML/JSON file, reloaded on change (instead of NATS)', env: 'MESH_CONFIG_FILE', default: '' },
  natsUrl: { type: 'string', help: 'NATS holding mesh config (when --mesh-config is not given)', env: 'NATS_URL', default: 'nats://127.0.0.1:4222' },
  namespaces: { type: 'string', help: 'YAML of Namespace objects whose labels drive the policy (else the webhook configuration selects)', env: 'INJECTOR_NAMESPACES_FILE', default: '' },
  revision: { type: 'string', help: 'the istio.io/rev this injector serves', env: 'INJECTOR_REVISION', default: 'default' },
  failurePolicy: { type: 'string', help: 'when injection fails: closed denies the pod, open admits it unchanged with a warning', env: 'INJECTOR_FAILURE_POLICY', default: 'closed' },
  monitoringHost: { type: 'string', help: 'address the monitoring server binds (0.0.0.0 in a cluster, for kubelet probes)', env: 'INJECTOR_MONITORING_HOST', default: '127.0.0.1' },
  monitoringPort: { type: 'number', help: 'monitoring port (/metrics, /healthz, /ready, /debug); 0 picks a free one', env: 'MONITORING_PORT', default: 15014 },
} satisfies Record<string, FlagSpec>;

const KUBE_INJECT_FLAGS = {
  filename: { type: 'list', help: 'input YAML file(s), `-` for stdin (also -f)', default: [] as string[] },
  meshConfig: { type: 'string', help: 'mesh config YAML/JSON file (default: built-in defaults)', default: '' },
  revision: { type: 'string', help: 'the istio.io/rev to inject as', default: 'default' },
} satisfies Record<string, FlagSpec>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** kube-inject; resolves with the exit code. Only YAML goes to stdout. */
export async function runKubeInject(argv: string[]): Promise<number> {
  const args = argv.flatMap((a, i) => (a === '-f' ? ['--filename'] : a.startsWith('-f') && a.length > 2 && argv[i - 1] !== '-f' ? ['--filename', a.slice(2)] : [a]));
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage('injector kube-inject', 'injects the sidecar into workloads in YAML, offline, writing YAML to stdout', KUBE_INJECT_FLAGS));
    return 0;
  }
  let flags;
  try {
    flags = parseFlags(KUBE_INJECT_FLAGS, args, {});
    if (flags._.length) throw new FlagError(`unexpected argument ${flags._[0]}; give files with -f`);
    if (flags.filename.length === 0) throw new FlagError('-f FILE (or -f - for stdin) is required');
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`kube-inject: ${err.message}\n`);
    return 2;
  }
  try {
    const settings: InjectionSettings = flags.meshConfig ? await readMeshConfigFile(flags.meshConfig) : DEFAULT_SETTINGS;
    const outputs: string[] = [];
    for (const file of flags.filename) {
      const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      const result = kubeInject(text, { settings, revision: flags.revision, source: file === '-' ? 'stdin' : file });
      for (const m of result.messages) process.stderr.write(`kube-inject: ${m}\n`);
      if (result.yaml) outputs.push(result.yaml);
    }
    process.stdout.write(outputs.join('---\n'));
    return 0;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message = err instanceof KubeInjectError ? e.message : e.code === 'ENOENT' ? `cannot read ${e.path}: no such file` : e.message;
    process.stderr.write(`kube-inject: ${message}\n`);
    return 1;
  }
}

export async function runWebhook(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage('injector', 'sidecar injection webhook (HTTPS POST /inject); `injector kube-inject --help` for offline injection', WEBHOOK_FLAGS));
    return;
  }
  let flags;
  try {
    flags = parseFlags(WEBHOOK_FLAGS, argv);
    if (!['open', 'closed'].includes(flags.failurePolicy)) throw new FlagError(`--failure-policy: expected open or closed, got "${flags.failurePolicy}"`);
    if (Boolean(flags.tlsCertFile) !== Boolean(flags.tlsKeyFile)) throw new FlagError('--tls-cert-file and --tls-key-file go together');
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`injector: ${err.message}\n`);
    process.exit(2);
  }
  const svc = await startService({ component: 'injector', monitoringHost: flags.monitoringHost, monitoringPort: flags.monitoringPort });
  const { log } = svc;
  try {
    const mesh: Source<InjectionSettings> = flags.meshConfig ? await fileMeshConfig(flags.meshConfig, log) : await natsMeshConfig(flags.natsUrl, log);
    svc.onShutdown(() => mesh.close());
    const namespaces = flags.namespaces ? await fileNamespaces(flags.namespaces, log) : undefined;
    if (namespaces) svc.onShutdown(() => namespaces.close());

    let tls;
    if (flags.tlsCertFile) {
      tls = await loadServingCert(flags.tlsCertFile, flags.tlsKeyFile);
    } else {
      tls = selfSignedCert(flags.selfSignedHosts);
      if (flags.selfSignedCertOut) await writeFile(flags.selfSignedCertOut, tls.cert);
      log.info('serving with a self-signed certificate made at start; clients must be given it to trust it', {
        hosts: flags.selfSignedHosts,
        ...(flags.selfSignedCertOut ? { certOut: flags.selfSignedCertOut } : {}),
      });
    }
    const server = await startWebhookServer({
      host: flags.host,
      port: flags.port,
      tls,
      log,
      deps: {
        settings: () => mesh.current(),
        revision: flags.revision,
        failurePolicy: flags.failurePolicy as FailurePolicy,
        namespaceLabels: (ns) => namespaces?.current().get(ns),
      },
    });
    svc.onShutdown(() => server.close());
    if (flags.tlsCertFile) {
      const stop = watchServingCert(
        flags.tlsCertFile,
        flags.tlsKeyFile,
        (c) => {
          server.setCert(c);
          log.info('serving certificate reloaded', { file: flags.tlsCertFile });
        },
        (err) => log.warn('serving certificate not reloaded; keeping the current one', { err: err.message }),
      );
      svc.onShutdown(stop);
    }
    svc.addDebug('/debug/injectz', () => ({
      revision: flags.revision,
      failurePolicy: flags.failurePolicy,
      meshConfig: mesh.describe(),
      settings: mesh.current(),
      namespaces: namespaces ? Object.fromEntries(namespaces.current()) : 'unknown (the webhook configuration selects namespaces)',
    }));
    log.info('injection webhook listening', { address: `https://${flags.host}:${server.port}/inject`, revision: flags.revision, meshConfig: mesh.describe() });
    svc.setReady(true);
  } catch (err) {
    log.error('injector failed to start', { err: (err as Error).message });
    await svc.shutdown('start failed');
    process.exit(1);
  }
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  if (argv[0] === 'kube-inject') process.exitCode = await runKubeInject(argv.slice(1));
  else await runWebhook(argv[0] === 'webhook' ? argv.slice(1) : argv);
}
