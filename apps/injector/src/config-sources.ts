// Where the injector's inputs come from, each kept current: mesh config from
// the NATS KV bucket (or a file in local mode), and, optionally, namespace
// labels from a file. A bad update is logged and counted; the last good value
// stays in effect, as everywhere in the mesh.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { BUCKETS, MESH_CONFIG_KEY, MeshConfigSchema, connectBus, type Bus, type WatchHandle } from '@mesh/contracts';
import type { Logger } from '@mesh/telemetry';
import { DEFAULT_SETTINGS, settingsFromMeshConfig, type InjectionSettings } from './mesh-settings.ts';
import { meshConfigUpdates } from './metrics.ts';
import { isObject } from './k8s.ts';

export interface Source<T> {
  current(): T;
  /** Where the value came from (file path, NATS KV key, or "defaults"), for /debug. */
  describe(): string;
  close(): Promise<void>;
}

/** Calls `onChange` (debounced) when the file is written, replaced or renamed into place. */
function watchFile(file: string, onChange: () => void): () => void {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  let timer: NodeJS.Timeout | undefined;
  // Watch the directory: editors and ConfigMap volumes replace the file rather than write to it.
  const watcher: FSWatcher = watch(dir, (_event, name) => {
    if (name !== null && name !== base && !name.startsWith('..')) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, 100);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}

export async function readMeshConfigFile(file: string): Promise<InjectionSettings> {
  let doc: unknown;
  try {
    doc = parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`--mesh-config ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return settingsFromMeshConfig(doc ?? {});
  } catch (err) {
    throw new Error(`--mesh-config ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Mesh config from a YAML/JSON file, reloaded on change. Throws at start when the file is bad. */
export async function fileMeshConfig(file: string, log: Logger): Promise<Source<InjectionSettings>> {
  let settings = await readMeshConfigFile(file);
  meshConfigUpdates.inc({ result: 'accepted' });
  const stop = watchFile(file, () => {
    readMeshConfigFile(file).then(
      (s) => {
        settings = s;
        meshConfigUpdates.inc({ result: 'accepted' });
        log.info('mesh config reloaded', { file });
      },
      (err: Error) => {
        meshConfigUpdates.inc({ result: 'rejected' });
        log.warn('mesh config rejected; keeping the previous one', { file, err: err.message });
      },
    );
  });
  return { current: () => settings, describe: () => `file ${file}`, close: async () => stop() };
}

/** Mesh config from NATS (BUCKETS.meshConfig, key MESH_CONFIG_KEY); defaults until one is published. */
export async function natsMeshConfig(servers: string, log: Logger): Promise<Source<InjectionSettings>> {
  // Not ready until NATS answers: connectBus keeps retrying the first connection.
  log.info('connecting to NATS for mesh config', { servers, bucket: BUCKETS.meshConfig, key: MESH_CONFIG_KEY });
  const bus: Bus = await connectBus({ servers, name: `injector-${process.pid}`, log });
  let settings = DEFAULT_SETTINGS;
  let from = 'defaults (nothing published yet)';
  let handle: WatchHandle | undefined;
  try {
    const kv = await bus.kv(BUCKETS.meshConfig, MeshConfigSchema);
    handle = await kv.watch(
      (e) => {
        if (e.op === 'delete') {
          settings = DEFAULT_SETTINGS;
          from = `defaults (mesh config deleted at revision ${e.revision})`;
          log.info('mesh config deleted; using defaults', { revision: e.revision });
          return;
        }
        try {
          settings = settingsFromMeshConfig(e.value);
          from = `NATS ${BUCKETS.meshConfig}/${MESH_CONFIG_KEY} revision ${e.revision}`;
          meshConfigUpdates.inc({ result: 'accepted' });
          log.info('mesh config applied', { revision: e.revision });
        } catch (err) {
          meshConfigUpdates.inc({ result: 'rejected' });
          log.warn('mesh config rejected; keeping the previous one', { revision: e.revision, err: (err as Error).message });
        }
      },
      { key: MESH_CONFIG_KEY },
    );
    await handle.initialized;
  } catch (err) {
    handle?.stop();
    await bus.close();
    throw err;
  }
  return {
    current: () => settings,
    describe: () => from,
    close: async () => {
      handle?.stop();
      await bus.close();
    },
  };
}

/** Namespace labels from a YAML stream of Namespace objects (or a List of them). */
export function parseNamespaces(text: string, file: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const add = (doc: unknown, where: string) => {
    if (!isObject(doc)) return;
    if (doc.kind === 'List' && Array.isArray(doc.items)) return doc.items.forEach((item, i) => add(item, `${where} item ${i}`));
    if (doc.kind !== 'Namespace') throw new Error(`${file} ${where}: kind: expected Namespace, got ${JSON.stringify(doc.kind)}`);
    const meta = isObject(doc.metadata) ? doc.metadata : {};
    if (typeof meta.name !== 'string' || !meta.name) throw new Error(`${file} ${where}: metadata.name: expected the namespace's name`);
    const labels: Record<string, string> = {};
    if (meta.labels !== undefined) {
      if (!isObject(meta.labels)) throw new Error(`${file} ${where}: metadata.labels: expected a map of strings`);
      for (const [k, v] of Object.entries(meta.labels)) labels[k] = String(v);
    }
    out.set(meta.name, labels);
  };
  parseAllDocuments(text).forEach((d, i) => {
    if (d.errors.length) throw new Error(`${file} document ${i + 1}: ${d.errors[0].message}`);
    add(d.toJS(), `document ${i + 1}`);
  });
  return out;
}

export async function fileNamespaces(file: string, log: Logger): Promise<Source<Map<string, Record<string, string>>>> {
  const load = async () => parseNamespaces(await readFile(file, 'utf8'), file);
  let namespaces = await load();
  const stop = watchFile(file, () => {
    load().then(
      (n) => {
        namespaces = n;
        log.info('namespace labels reloaded', { file, namespaces: n.size });
      },
      (err: Error) => log.warn('namespace labels rejected; keeping the previous ones', { file, err: err.message }),
    );
  });
  return { current: () => namespaces, describe: () => `file ${file}`, close: async () => stop() };
}
