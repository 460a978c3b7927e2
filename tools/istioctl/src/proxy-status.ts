// istioctl proxy-status: every proxy connected to the pilots asked and, per xDS
// type, whether it has ACKed what pilot last sent it. The states are
// istioctl's: SYNCED (the last response ACKed), STALE (sent, not ACKed yet, or
// NACKed), STALE (Never Acknowledged) and NOT SENT.
import { CliError, getJson } from './fetch-json.ts';
import { table } from './table.ts';

/** One xDS type of one stream on pilot's /debug/syncz. */
export interface TypeSync {
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  ackedNonce?: string;
  lastError?: string;
}

/** One ADS stream on pilot's /debug/syncz. */
export interface SyncStream {
  proxy: string;
  pilot?: string;
  /** The monitoring URL of the replica this came from (unknown when read from NATS). */
  pilotUrl?: string;
  clusterId?: unknown;
  version?: unknown;
  proxyAdminPort?: unknown;
  types: Record<string, TypeSync | undefined>;
}

const TYPES = ['CDS', 'LDS', 'EDS', 'RDS', 'ECDS'] as const;

export function syncState(t: TypeSync | undefined): string {
  if (t?.sentNonce === undefined) return 'NOT SENT';
  if (t.ackedNonce === t.sentNonce) return 'SYNCED';
  if (t.ackedNonce === undefined) return 'STALE (Never Acknowledged)';
  return 'STALE';
}

/** `pod.namespace` from an Istio node id (`sidecar~ip~pod.namespace~namespace.svc.cluster.local`); other ids as they are. */
export function proxyName(id: string): string {
  const parts = id.split('~');
  return parts.length === 4 ? parts[2] : id;
}

/** The streams of every pilot asked (one monitoring URL per replica). */
export async function fetchStreams(pilots: readonly string[]): Promise<SyncStream[]> {
  const urls = pilots.map((p) => p.replace(/\/$/, ''));
  const answers = await Promise.all(urls.map((u) => getJson(`${u}/debug/syncz`, 'pilot')));
  return answers.flatMap((a, i) => {
    if (!Array.isArray(a)) throw new CliError(`pilot at ${urls[i]}: /debug/syncz is not a list of streams`);
    return (a as SyncStream[]).map((s) => ({ ...s, pilotUrl: urls[i] }));
  });
}

/** The stream of one proxy: by node id, `pod.namespace`, or `pod` in `namespace`. */
export function findStream(streams: readonly SyncStream[], name: string, namespace: string | undefined): SyncStream {
  const wanted = name.includes('~') ? name : name.includes('.') || namespace === undefined ? name : `${name}.${namespace}`;
  const found = streams.filter((s) => s.proxy === wanted || proxyName(s.proxy) === wanted);
  if (found.length === 0 && !name.includes('.') && !name.includes('~') && namespace === undefined) {
    const byPod = streams.filter((s) => proxyName(s.proxy).split('.')[0] === name);
    if (byPod.length === 1) return byPod[0];
    if (byPod.length > 1) throw new CliError(`"${name}" names proxies in several namespaces (${byPod.map((s) => proxyName(s.proxy)).join(', ')}); add .<namespace> or -n`);
  }
  if (found.length === 0) {
    const known = [...new Set(streams.map((s) => proxyName(s.proxy)))].sort();
    throw new CliError(`no proxy "${wanted}" is connected to the pilots asked${known.length ? `; connected: ${known.join(', ')}` : ''}`);
  }
  return found[0];
}

export function proxyStatusTable(streams: readonly SyncStream[]): string {
  const rows = [...streams]
    .sort((a, b) => proxyName(a.proxy).localeCompare(proxyName(b.proxy)))
    .map((s) => [
      proxyName(s.proxy),
      typeof s.clusterId === 'string' ? s.clusterId : 'Kubernetes',
      ...TYPES.map((t) => syncState(s.types[t])),
      s.pilot ?? '-',
      typeof s.version === 'string' && s.version ? s.version : '-',
    ]);
  let out = table(['NAME', 'CLUSTER', ...TYPES, 'ISTIOD', 'VERSION'], rows);
  // A NACK is why a proxy stays STALE: say what it rejected.
  for (const s of streams) {
    for (const [type, t] of Object.entries(s.types)) {
      if (t?.lastError) out += `${proxyName(s.proxy)} rejected ${type} version ${t.sentVersion ?? '?'}: ${t.lastError}\n`;
    }
  }
  return out;
}

/** The versions the proxy runs (its /config_dump) against what its pilot generated for it (/debug/configz?proxy=). */
export function configComparison(pilotVersions: Record<string, string | undefined>, proxyVersions: Record<string, string | undefined>): string {
  const lines: string[] = [];
  for (const [type, label] of [['CDS', 'Clusters'], ['LDS', 'Listeners'], ['RDS', 'Routes']] as const) {
    const want = pilotVersions[type];
    const have = proxyVersions[type];
    if (want === undefined && have === undefined) continue;
    lines.push(want === have ? `${label} Match` : `${label} Don't Match (pilot version ${want ?? 'none'}, proxy version ${have ?? 'none'})`);
  }
  return lines.join('\n') + '\n';
}

/** Pilot's versions of the resources it generated for one connected proxy. */
export async function pilotVersions(stream: SyncStream): Promise<Record<string, string>> {
  if (stream.pilotUrl === undefined) throw new CliError('comparing a proxy\'s config with pilot\'s needs --pilot (NATS holds the sync state, not the config)');
  const configz = (await getJson(`${stream.pilotUrl}/debug/configz?proxy=${encodeURIComponent(stream.proxy)}`, 'pilot')) as { versions?: Record<string, string>; error?: string };
  if (configz.error !== undefined) throw new CliError(`pilot at ${stream.pilotUrl}: ${configz.error}`);
  return configz.versions ?? {};
}
