// Galley's running core: take snapshots from a config source, decide what is
// accepted (reconcile), keep the config and mesh-config buckets equal to it
// (BucketSync), publish change and rejection events, and say what it did in
// logs, metrics and debug endpoints.
import {
  BUCKETS,
  ConfigChangedSchema,
  ConfigRejectedSchema,
  ConfigResourceSchema,
  CredentialSchema,
  MESH_CONFIG_KEY,
  credentialKey,
  MeshConfigSchema,
  SUBJECTS,
  connectBus,
  parseConfigKey,
  type Bus,
  type ConfigKind,
  type ConfigResource,
  type Credential,
  type MeshConfig,
} from '@mesh/contracts';
import { analyzeResources, meshExtensionProviders, supportFindings, type Finding, type SupportFinding } from '@mesh/config';
import { counter, gauge, histogram, type Logger } from '@mesh/telemetry';
import { BucketSync } from './bucket-sync.ts';
import { CredentialDirectory } from './credential-directory.ts';
import { describeCredentials, describeProblems, type CredentialSource } from './credentials.ts';
import { KubernetesCredentials, type KubernetesCredentialsOptions } from './kube-credentials.ts';
import { DEFAULT_MESH_CONFIG, readMeshConfig, watchFile } from './mesh-config.ts';
import { canonicalJson, effectiveState, reconcile, type ReconcileResult, type Rejection } from './reconcile.ts';
import type { ConfigSource, SourceSnapshot } from './source.ts';

const resourcesGauge = gauge('galley_config_resources', 'Resources in the last scan by state (accepted, rejected, ignored)', ['state']);
const originErrors = gauge('galley_config_file_errors', 'Files (origins) with parts that could not be read in the last scan');
const rejectionsTotal = counter('galley_config_rejections_total', 'Rejections reported (each new or changed rejection counts once)', ['kind']);
const scans = counter('galley_config_scans_total', 'Snapshots processed');
const scanSeconds = histogram('galley_config_reconcile_seconds', 'Time to reconcile a snapshot', [], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1]);
const lastScan = gauge('galley_last_scan_timestamp_seconds', 'When the source was last read (unix seconds)');
const unsupportedGauge = gauge(
  'galley_unsupported_config',
  'Fields of accepted resources this mesh does not implement, by kind and severity (error: security configuration that is not enforced)',
  ['kind', 'severity'],
);

export interface GalleyOptions {
  source: ConfigSource;
  natsUrl: string;
  log: Logger;
  /** Mesh config file; defaults when absent. */
  meshConfigFile?: string;
  domainSuffix?: string;
  /** How often the mesh config file is re-read besides file events (0 disables). */
  meshConfigResyncMs?: number;
  /** Connection name in NATS. */
  name?: string;
  /** Directory of TLS credentials for `credentialName` (credentials.ts); none when absent. */
  credentialDir?: string;
  /** Namespace of the credentials directly below credentialDir (default istio-system, the gateways'). */
  credentialNamespace?: string;
  /** Read the credentials from Kubernetes Secrets instead (kube-credentials.ts); exclusive with credentialDir. */
  kubeCredentials?: Omit<KubernetesCredentialsOptions, 'log' | 'onChange'>;
}

export interface Galley {
  /** Resolves once the first complete scan is in NATS. */
  readonly ready: Promise<void>;
  configz(): unknown;
  rejected(): unknown;
  /** The published credentials: namespace/name and which parts they hold, never their contents. */
  credentials(): unknown;
  stop(): Promise<void>;
}

function describeErrors(r: Rejection): string[] {
  return r.errors.map((e, i) => `${e.path}: ${e.message} (line ${r.errorLines[i]})`);
}

export async function startGalley(options: GalleyOptions): Promise<Galley> {
  const { source, log } = options;
  let result: ReconcileResult | undefined;
  let mesh: MeshConfig | undefined = options.meshConfigFile ? undefined : DEFAULT_MESH_CONFIG;
  let meshError: string[] | undefined;
  let bus: Bus | undefined;
  let stopped = false;
  let firstScan = true;
  let initialWriteDone = false;
  // What has been reported, so an unchanged bad file is not reported again at every rescan.
  const reportedRejections = new Map<string, string>();
  const reportedWarnings = new Map<string, string>();
  const reportedOrigins = new Map<string, string>();
  const reportedFindings = new Map<string, string>();
  const reportedUnsupported = new Map<string, string>();
  let lastFindings: Finding[] = [];
  let lastUnsupported: SupportFinding[] = [];
  const unpublished = new Map<string, Rejection>();

  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));

  const configSync = new BucketSync<ConfigResource>({
    bucket: BUCKETS.config,
    log,
    open: async () => (await busReady).kv(BUCKETS.config, ConfigResourceSchema),
    desired: (current) => (result ? effectiveState(result, current) : undefined),
    onWrite: (op, key, revision, value) => {
      const k = parseConfigKey(key);
      const id = k ? `${k.kind} ${k.namespace}/${k.name}` : key;
      // The first pass writes everything: one summary line then, a line per change afterwards.
      const level = initialWriteDone ? 'info' : 'debug';
      if (op === 'put') log[level](`applied ${id}`, { resource: id, file: value?.source, revision });
      else log[level](`removed ${id}`, { resource: id, revision });
      if (k && bus) {
        bus.publish(SUBJECTS.configChanged, ConfigChangedSchema, { op, kind: k.kind as ConfigKind, namespace: k.namespace, name: k.name, revision });
      }
    },
    onSynced: ({ puts, deletes }) => {
      if (!result) return;
      if (!initialWriteDone) {
        initialWriteDone = true;
        log.info(`config in NATS: ${configSync.current?.size ?? 0} resources (${puts} written, ${deletes} removed, the rest unchanged)`, {
          resources: configSync.current?.size,
          written: puts,
          removed: deletes,
        });
      }
      markReady();
    },
  });

  const meshSync = new BucketSync<MeshConfig>({
    bucket: BUCKETS.meshConfig,
    log,
    open: async () => (await busReady).kv(BUCKETS.meshConfig, MeshConfigSchema),
    desired: () => (mesh ? new Map([[MESH_CONFIG_KEY, mesh]]) : undefined),
    onWrite: (op, _key, revision) => log.info(op === 'put' ? 'mesh config written' : 'mesh config removed', { revision }),
  });

  // Credentials are published as they are read; none at all without a source (the bucket is then left alone).
  if (options.credentialDir && options.kubeCredentials) throw new Error('credentials come from a directory or from Kubernetes Secrets, not both');
  let credentials: CredentialSource | undefined;
  const credentialSync = new BucketSync<Credential>({
    bucket: BUCKETS.credentials,
    log,
    open: async () => (await busReady).kv(BUCKETS.credentials, CredentialSchema),
    desired: (inBucket) => {
      const current = credentials?.current;
      if (!current) return undefined;
      const want = new Map(current);
      // A credential that is refused now keeps the version already published, even one published before a restart.
      for (const p of credentials!.problems) {
        const [namespace, name] = p.credential.split('/');
        const key = credentialKey(namespace, name);
        const published = inBucket.get(key);
        if (!want.has(key) && published) want.set(key, published);
      }
      return want;
    },
    // Names only: the values hold private keys.
    onWrite: (op, key, revision) => log.info(op === 'put' ? `credential ${key} published` : `credential ${key} removed`, { credential: key, revision }),
  });

  const busReady = (async () => {
    const b = await connectBus({ servers: options.natsUrl, name: options.name ?? 'galley', log });
    if (stopped) {
      await b.close();
      throw new Error('stopped');
    }
    bus = b;
    void (async () => {
      for await (const s of b.nc.status()) {
        if (s.type === 'reconnect') {
          // The server may have lost its state: re-read both buckets and write what differs.
          configSync.markStale();
          meshSync.markStale();
          credentialSync.markStale();
        }
      }
    })();
    flushRejections();
    return b;
  })();
  busReady.catch(() => {});

  function flushRejections(): void {
    if (!bus) return;
    for (const r of unpublished.values()) {
      bus.publish(SUBJECTS.configRejected, ConfigRejectedSchema, {
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        source: r.origin,
        errors: r.errors,
        time: new Date().toISOString(),
      });
    }
    unpublished.clear();
  }

  function report(res: ReconcileResult): void {
    const seenRejections = new Set<string>();
    for (const r of res.rejections) {
      const sig = canonicalJson({ origin: r.origin, errors: r.errors });
      const reportKey = `${r.key}|${r.origin}`;
      seenRejections.add(reportKey);
      if (reportedRejections.get(reportKey) === sig) continue;
      reportedRejections.set(reportKey, sig);
      const current = configSync.current;
      const kept = r.duplicateOf
        ? `the definition in ${r.duplicateOf} stays in effect`
        : !current
          ? 'the last accepted version (if any) stays in effect'
          : current.has(r.key)
            ? 'keeping the last accepted version'
            : 'not applied (no earlier version was accepted)';
      log.warn(`rejected ${r.id} from ${r.origin}:${r.line}: ${r.errors[0]?.message ?? ''}; ${kept}`, {
        file: r.origin,
        line: r.line,
        resource: r.id,
        errors: describeErrors(r),
      });
      rejectionsTotal.inc({ kind: r.kind });
      unpublished.set(reportKey, r);
    }
    for (const key of [...reportedRejections.keys()]) {
      if (seenRejections.has(key)) continue;
      reportedRejections.delete(key);
      const [configKeyPart, origin] = key.split('|');
      const k = parseConfigKey(configKeyPart);
      if (k && res.desired.get(configKeyPart)?.origin === origin) log.info(`${k.kind} ${k.namespace}/${k.name} is valid again`, { file: origin });
    }

    const seenWarnings = new Set<string>();
    for (const entry of res.desired.values()) {
      if (!entry.warnings.length) continue;
      const sig = canonicalJson(entry.warnings);
      seenWarnings.add(entry.key);
      if (reportedWarnings.get(entry.key) === sig) continue;
      reportedWarnings.set(entry.key, sig);
      log.warn(`accepted ${entry.id} with warnings`, { file: entry.origin, line: entry.line, resource: entry.id, warnings: entry.warnings.map((w) => `${w.path}: ${w.message}`) });
    }
    for (const key of [...reportedWarnings.keys()]) if (!seenWarnings.has(key)) reportedWarnings.delete(key);

    const seenOrigins = new Set<string>();
    for (const p of res.originProblems) {
      seenOrigins.add(p.origin);
      const sig = canonicalJson(p.errors);
      if (reportedOrigins.get(p.origin) === sig) continue;
      reportedOrigins.set(p.origin, sig);
      log.warn(`cannot parse ${p.origin}; the resources it defined before stay in effect`, { file: p.origin, errors: p.errors });
    }
    for (const o of [...reportedOrigins.keys()]) {
      if (seenOrigins.has(o)) continue;
      reportedOrigins.delete(o);
      log.info(`${o} parses again`, { file: o });
    }

    const findings: Finding[] = analyzeResources([...res.desired.values()].map((e) => e.resource as never), { domainSuffix: options.domainSuffix });
    lastFindings = findings;
    const byResource = new Map<string, Finding[]>();
    for (const f of findings) byResource.set(f.resource, [...(byResource.get(f.resource) ?? []), f]);
    for (const [resource, list] of byResource) {
      const sig = canonicalJson(list.map((f) => [f.path, f.message]));
      if (reportedFindings.get(resource) === sig) continue;
      reportedFindings.set(resource, sig);
      log.warn(`analysis: ${resource}: ${list[0].path}: ${list[0].message}${list.length > 1 ? ` (and ${list.length - 1} more)` : ''}`, {
        file: list[0].source,
        resource,
        findings: list.map((f) => `${f.path}: ${f.message}`),
      });
    }
    for (const resource of [...reportedFindings.keys()]) if (!byResource.has(resource)) reportedFindings.delete(resource);
    reportUnsupported(res);
    flushRejections();
  }

  /** What the mesh accepts but does not implement (the findings `galley validate` prints and pilot reports), once per change. */
  function reportUnsupported(res: ReconcileResult): void {
    const all: SupportFinding[] = [];
    const counts = new Map<string, { kind: string; severity: string; n: number }>();
    const seen = new Set<string>();
    for (const entry of res.desired.values()) {
      const list = supportFindings(entry.resource);
      if (!list.length) continue;
      all.push(...list);
      for (const f of list) {
        const c = counts.get(`${f.kind}|${f.severity}`) ?? { kind: f.kind, severity: f.severity, n: 0 };
        c.n++;
        counts.set(`${f.kind}|${f.severity}`, c);
      }
      seen.add(entry.key);
      const sig = canonicalJson(list.map((f) => [f.severity, f.path, f.message]));
      if (reportedUnsupported.get(entry.key) === sig) continue;
      reportedUnsupported.set(entry.key, sig);
      const errors = list.filter((f) => f.severity === 'error');
      const first = errors[0] ?? list[0];
      const text = `${entry.id}: ${first.path}: ${first.message}${list.length > 1 ? ` (and ${list.length - 1} more)` : ''}`;
      const fields = { file: entry.origin, line: entry.line, resource: entry.id, findings: list.map((f) => `${f.severity}: ${f.path}: ${f.message}`) };
      if (errors.length) log.error(`not enforced: ${text}`, fields);
      else log.warn(`not implemented: ${text}`, fields);
    }
    for (const key of [...reportedUnsupported.keys()]) if (!seen.has(key)) reportedUnsupported.delete(key);
    lastUnsupported = all;
    unsupportedGauge.reset();
    for (const { n, ...labels } of counts.values()) unsupportedGauge.set(labels, n);
  }

  // The last snapshot, checked again when the mesh config changes (a CUSTOM policy's provider may appear or go).
  let lastSnapshot: SourceSnapshot | undefined;
  const onSnapshot = (snapshot: SourceSnapshot) => {
    lastSnapshot = snapshot;
    const end = scanSeconds.startTimer();
    const res = reconcile(snapshot, { meshConfig: mesh });
    end();
    scans.inc();
    lastScan.set(snapshot.takenAt / 1000);
    resourcesGauge.set({ state: 'accepted' }, res.desired.size);
    resourcesGauge.set({ state: 'rejected' }, res.rejections.length);
    resourcesGauge.set({ state: 'ignored' }, res.ignored);
    originErrors.set(res.originProblems.length);
    result = res;
    if (firstScan) {
      firstScan = false;
      log.info(`accepted ${res.desired.size} resources (${res.rejections.length} rejected)`, {
        accepted: res.desired.size,
        rejected: res.rejections.length,
        ignored: res.ignored,
        files: res.origins,
        unparseableFiles: res.originProblems.length,
      });
    }
    report(res);
    configSync.trigger();
  };

  const loadMesh = async () => {
    if (!options.meshConfigFile) return;
    const r = await readMeshConfig(options.meshConfigFile);
    if ('errors' in r) {
      const sig = r.errors.join('\n');
      if (meshError?.join('\n') !== sig) {
        log.warn(`rejected mesh config ${options.meshConfigFile}; ${mesh ? 'keeping the last accepted one' : 'the mesh config in NATS (if any) stays'}`, { file: options.meshConfigFile, errors: r.errors });
      }
      meshError = r.errors;
      return;
    }
    if (meshError) log.info('mesh config is valid again', { file: options.meshConfigFile });
    meshError = undefined;
    const changed = !mesh || canonicalJson(mesh) !== canonicalJson(r.config);
    if (changed) {
      log.info('mesh config loaded', { file: options.meshConfigFile, trustDomain: r.config.trustDomain });
      const ignored = meshExtensionProviders(r.config).warnings;
      if (ignored.length) log.warn(`mesh config: ${ignored[0].path}: ${ignored[0].message}${ignored.length > 1 ? ` (and ${ignored.length - 1} more)` : ''}`, { file: options.meshConfigFile, warnings: ignored.map((w) => `${w.path}: ${w.message}`) });
    }
    mesh = r.config;
    if (changed && lastSnapshot) onSnapshot(lastSnapshot);
    meshSync.trigger();
  };

  let unwatchMesh: (() => void) | undefined;
  let meshTimer: NodeJS.Timeout | undefined;
  if (options.meshConfigFile) {
    await loadMesh();
    unwatchMesh = watchFile(options.meshConfigFile, () => void loadMesh());
    const every = options.meshConfigResyncMs ?? 60_000;
    if (every > 0) {
      meshTimer = setInterval(() => void loadMesh(), every);
      meshTimer.unref();
    }
  }
  meshSync.trigger();

  if (options.credentialDir) {
    const dir = new CredentialDirectory({
      dir: options.credentialDir,
      namespace: options.credentialNamespace || 'istio-system',
      log,
      resyncMs: options.meshConfigResyncMs ?? 60_000,
      onChange: () => credentialSync.trigger(),
    });
    credentials = dir;
    await dir.start();
    log.info(`reading TLS credentials from ${options.credentialDir}: ${dir.current.size} valid`, { dir: options.credentialDir, namespace: options.credentialNamespace || 'istio-system' });
    credentialSync.trigger();
  } else if (options.kubeCredentials) {
    const kube = new KubernetesCredentials({ ...options.kubeCredentials, log, onChange: () => credentialSync.trigger() });
    credentials = kube;
    // Returns before the first list: an API server that is away delays the credentials, not the config.
    await kube.start();
    log.info(`reading TLS credentials from ${kube.description}`);
  }

  log.info(`reading config from ${source.description}`, { source: source.description, nats: options.natsUrl, meshConfig: options.meshConfigFile || '(defaults)' });
  await source.start(onSnapshot);

  return {
    ready,
    configz: () => {
      const current = configSync.current;
      const state = current ?? (result ? effectiveState(result, new Map()) : new Map<string, ConfigResource>());
      return {
        synced: configSync.synced && !configSync.lastError,
        lastSyncAt: configSync.lastSyncAt?.toISOString(),
        lastError: configSync.lastError,
        meshConfig: mesh ?? null,
        count: state.size,
        resources: [...state.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, resource]) => ({ key, ...resource })),
      };
    },
    rejected: () => ({
      rejected: (result?.rejections ?? []).map((r) => ({
        resource: r.id,
        file: r.origin,
        line: r.line,
        errors: r.errors.map((e, i) => ({ ...e, line: r.errorLines[i] })),
        inEffect: r.duplicateOf ? `definition in ${r.duplicateOf}` : configSync.current?.has(r.key) ? 'last accepted version' : 'none',
      })),
      unparseableFiles: result?.originProblems ?? [],
      meshConfigErrors: meshError ?? [],
      analysis: lastFindings,
      unsupported: lastUnsupported,
    }),
    credentials: () => ({
      source: credentials?.description ?? null,
      dir: options.credentialDir ?? null,
      listed: credentials ? credentials.current !== undefined : false,
      credentials: credentials?.current ? describeCredentials(credentials.current) : [],
      problems: credentials ? describeProblems(credentials.problems, credentialSync.current) : [],
    }),
    stop: async () => {
      stopped = true;
      credentials?.stop();
      credentialSync.stop();
      await source.stop();
      configSync.stop();
      meshSync.stop();
      unwatchMesh?.();
      clearInterval(meshTimer);
      // Draining needs the server; do not let an outage hold up shutdown.
      if (bus) await Promise.race([bus.close().catch(() => {}), new Promise((r) => setTimeout(r, 2_000).unref())]);
    },
  };
}
