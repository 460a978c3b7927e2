// proxy-status from NATS: every pilot replica writes the sync state of the
// proxies it serves to the `mesh-proxy-status` KV bucket, so one read sees the
// whole mesh however many replicas there are (no --pilot per replica).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { BUCKETS, ProxyStatusSchema } from '@mesh/contracts';
import { CliError } from './fetch-json.ts';
import type { SyncStream } from './proxy-status.ts';

export async function fetchStreamsFromNats(servers: string, timeoutMs = 5_000): Promise<SyncStream[]> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: servers.split(','), timeout: timeoutMs, maxReconnectAttempts: 0, name: 'istioctl' });
  } catch (err) {
    throw new CliError(`cannot reach NATS at ${servers} (${(err as { code?: string }).code ?? (err as Error).message})`);
  }
  try {
    let kv;
    try {
      kv = await new Kvm(nc).open(BUCKETS.proxyStatus);
      await kv.status();
    } catch {
      throw new CliError(`NATS at ${servers} has no ${BUCKETS.proxyStatus} bucket: no pilot has written proxy status there`);
    }
    const streams: SyncStream[] = [];
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      const parsed = ProxyStatusSchema.safeParse(entry.json());
      // An entry that does not match the contract is skipped, as every consumer of the bucket does.
      if (!parsed.success) continue;
      const s = parsed.data;
      streams.push({ proxy: s.proxyId, pilot: s.pilot, clusterId: s.clusterId, version: s.version, proxyAdminPort: s.proxyAdminPort, types: s.types });
    }
    return streams;
  } finally {
    await nc.close();
  }
}
