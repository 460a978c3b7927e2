#!/usr/bin/env node
// istioctl for this mesh: Istio's debugging commands over what pilot and the
// proxies already serve. proxy-status reads pilot's /debug/syncz (one
// --pilot per replica) or, with --nats, the proxy-status bucket every replica
// writes; proxy-config reads a proxy's admin endpoint, found the same way (the
// proxy's ProxyConfig.proxyAdminPort) or given with --admin.
import { parseArgs } from 'node:util';
import { CliError } from './fetch-json.ts';
import { configComparison, fetchStreams, findStream, pilotVersions, proxyStatusTable, type SyncStream } from './proxy-status.ts';
import { fetchStreamsFromNats } from './proxy-status-kv.ts';
import { appliedVersions, CONFIG_TYPES, configType, fetchConfig, render, type ConfigFilters } from './proxy-config.ts';

const DEFAULT_PILOT = 'http://127.0.0.1:15014';

export const USAGE = `istioctl: Istio's debugging commands for this mesh

usage:
  istioctl proxy-status [<proxy>] [--pilot URL ... | --nats URL]
      every proxy connected to pilot and whether it has ACKed the latest CDS, LDS, EDS, RDS
      (SYNCED, STALE, STALE (Never Acknowledged), NOT SENT); with <proxy>, that one and whether
      its clusters, listeners and routes are the versions its pilot generated (Match / Don't Match)
  istioctl proxy-config <type> <proxy> [--admin HOST:PORT] [--pilot URL ...] [-o json] [filters]
      one proxy's configuration from its admin endpoint; <type> is cluster, listener, route,
      endpoint, secret, bootstrap (JSON: the node the proxy presents to pilot) or all (short: c, l, r,
      ep, s, b)

<proxy> is a pod name with its namespace (productpage-v1.default), a pod name with -n, or a
node id. Aliases: ps (proxy-status), pc (proxy-config).

flags:
  --pilot URL        pilot's monitoring endpoint; repeat it for each replica (default ${DEFAULT_PILOT},
                     env PILOT_MONITORING_URL)
  --nats URL         read the proxy status every pilot replica writes to NATS instead: all replicas at
                     once (e.g. nats://127.0.0.1:4222)
  --admin HOST:PORT  the proxy's admin endpoint (e.g. after kubectl port-forward); without it the
                     proxy is looked up in pilot and its admin port read from its node metadata
  -n, --namespace NS the proxy's namespace when <proxy> is a bare pod name
  -o, --output FMT   table (default) or json
  --fqdn, --port, --subset, --direction   cluster filters (--port also for listeners, endpoints)
  --address          listener or endpoint address filter
  --name             route configuration name filter
  --cluster, --status  endpoint filters (status HEALTHY or UNHEALTHY)
  -h, --help         this text
`;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        pilot: { type: 'string', multiple: true },
        nats: { type: 'string' },
        admin: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        output: { type: 'string', short: 'o' },
        fqdn: { type: 'string' },
        port: { type: 'string' },
        subset: { type: 'string' },
        direction: { type: 'string' },
        address: { type: 'string' },
        name: { type: 'string' },
        cluster: { type: 'string' },
        status: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { code: 2, stdout: '', stderr: `istioctl: ${(err as Error).message}\nsee istioctl --help\n` };
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return { code: 0, stdout: USAGE, stderr: '' };
  if (command === undefined) return { code: 2, stdout: '', stderr: USAGE };
  const pilots = values.pilot ?? (env.PILOT_MONITORING_URL ? env.PILOT_MONITORING_URL.split(',') : [DEFAULT_PILOT]);
  if (values.nats !== undefined && values.pilot !== undefined) return { code: 2, stdout: '', stderr: 'istioctl: --nats and --pilot are two sources of the same status; give one\nsee istioctl --help\n' };
  const streams = () => (values.nats !== undefined ? fetchStreamsFromNats(values.nats) : fetchStreams(pilots));
  try {
    switch (command) {
      case 'proxy-status':
      case 'ps': {
        const all = await streams();
        if (rest[0] === undefined) return { code: 0, stdout: proxyStatusTable(all), stderr: '' };
        // One proxy: its row, then whether what it runs is what its pilot generated for it (by version).
        const one = findStream(all, rest[0], values.namespace);
        let out = proxyStatusTable([one]);
        if (one.pilotUrl !== undefined) {
          const [want, dump] = await Promise.all([pilotVersions(one), fetchConfig(adminUrl(values.admin ?? adminOf(one)))]);
          out += '\n' + configComparison(want, appliedVersions(dump));
        }
        return { code: 0, stdout: out, stderr: '' };
      }
      case 'proxy-config':
      case 'pc': {
        const [typeName, proxy] = rest;
        if (typeName === undefined) throw usage(`proxy-config needs a type: one of ${CONFIG_TYPES.join(', ')}`);
        const type = configType(typeName);
        if (type === undefined) throw usage(`unknown proxy-config type "${typeName}"; one of ${CONFIG_TYPES.join(', ')}`);
        if (proxy === undefined && values.admin === undefined) throw usage(`proxy-config ${typeName} needs a proxy (pod.namespace) or --admin HOST:PORT`);
        const output = values.output ?? 'table';
        if (output !== 'table' && output !== 'json') throw usage(`-o ${output}: one of table, json`);
        const port = values.port === undefined ? undefined : Number(values.port);
        if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw usage(`--port ${values.port}: not a port number`);
        const filters: ConfigFilters = { fqdn: values.fqdn, port, subset: values.subset, direction: values.direction, address: values.address, name: values.name, cluster: values.cluster, status: values.status };
        const admin = values.admin ?? adminOf(findStream(await streams(), proxy!, values.namespace));
        const dump = await fetchConfig(adminUrl(admin));
        return { code: 0, stdout: render(dump, type, output, filters), stderr: '' };
      }
      default:
        throw usage(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) return { code: 2, stdout: '', stderr: `istioctl: ${err.message}\nsee istioctl --help\n` };
    if (err instanceof CliError) return { code: 1, stdout: '', stderr: `istioctl: ${err.message}\n` };
    throw err;
  }
}

class UsageError extends Error {}
const usage = (message: string) => new UsageError(message);

/** The admin endpoint of a connected proxy: loopback (the admin port is local only), at its ProxyConfig.proxyAdminPort. */
const adminUrl = (admin: string) => (admin.includes('://') ? admin : `http://${admin}`);

function adminOf(stream: SyncStream): string {
  const port = typeof stream.proxyAdminPort === 'number' ? stream.proxyAdminPort : 15000;
  return `127.0.0.1:${port}`;
}

if (import.meta.main) {
  run(process.argv.slice(2)).then(
    (r) => {
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    },
    (err: unknown) => {
      process.stderr.write(`istioctl: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
