// The directory source: every *.yaml, *.yml and *.json below a directory.
// Changes are noticed with a watcher on each directory of the tree and
// answered, after a short quiet time, with a full rescan: editors that save by writing a temporary
// file and renaming it, or that truncate before writing, leave no partial
// state behind once the directory settles. A periodic rescan catches events
// the OS dropped.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadResources, type ValidateOptions } from '@mesh/config';
import type { Logger } from '@mesh/telemetry';
import type { ConfigSource, OriginContent, SourceSnapshot } from './source.ts';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface DirectorySourceOptions {
  dir: string;
  log: Logger;
  defaultNamespace?: string;
  unknownFields?: ValidateOptions['unknownFields'];
  debounceMs?: number;
  /** Full rescan interval; 0 disables. */
  resyncMs?: number;
  /** How often to look for a missing directory. */
  retryMs?: number;
}

/** Config files below `dir`, sorted; hidden entries (`.git`, `..data`, editor swap files) are skipped; symlinks are followed once. */
export async function listConfigFiles(dir: string): Promise<string[]> {
  return (await walkConfigTree(dir)).files;
}

/** The config files and the directories holding them (the root first). */
export async function walkConfigTree(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const out: string[] = [];
  const dirs: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string) => {
    const real = await realpath(d);
    if (seen.has(real)) return;
    seen.add(real);
    dirs.push(d);
    for (const entry of await readdir(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(d, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const s = await stat(full).catch(() => undefined);
        isDir = !!s?.isDirectory();
        isFile = !!s?.isFile();
      }
      if (isDir) await walk(full).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      else if (isFile && EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(full);
    }
  };
  await walk(dir);
  return { files: out.sort(), dirs };
}

/** Parse results by file, reused while a file's text is unchanged (YAML parsing is the expensive part of a scan). */
export type ScanCache = Map<string, { text: string; loaded: ReturnType<typeof loadResources> }>;

/** Reads and validates every config file once. Throws when the directory itself cannot be read. */
export async function scanDirectory(
  dir: string,
  options: Pick<DirectorySourceOptions, 'defaultNamespace' | 'unknownFields'> = {},
  cache: ScanCache = new Map(),
): Promise<SourceSnapshot & { dirs: string[] }> {
  const { files, dirs } = await walkConfigTree(dir);
  for (const file of cache.keys()) if (!files.includes(file)) cache.delete(file);
  const origins: OriginContent[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // deleted since the listing: it is gone
      origins.push({ origin: file, accepted: [], rejected: [], errors: [], ignored: [], unreadable: (err as Error).message });
      continue;
    }
    let loaded = cache.get(file)?.text === text ? cache.get(file)!.loaded : undefined;
    if (!loaded) {
      loaded = loadResources(text, { source: file, defaultNamespace: options.defaultNamespace, unknownFields: options.unknownFields });
      cache.set(file, { text, loaded });
    }
    origins.push({ origin: file, ...loaded });
  }
  return { origins, takenAt: Date.now(), dirs };
}

export class DirectorySource implements ConfigSource {
  readonly description: string;
  readonly #options: DirectorySourceOptions;
  readonly #log: Logger;
  /**
   * One non-recursive watcher per directory of the tree, re-synced after every
   * scan. (Node's recursive watch on Linux loses files that were replaced by a
   * rename, which is how most editors save.)
   */
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #cache: ScanCache = new Map();
  /** Inode of the root the watchers are on, to notice the directory being replaced. */
  #rootIno?: number;
  #debounce?: NodeJS.Timeout;
  #resync?: NodeJS.Timeout;
  #retry?: NodeJS.Timeout;
  #onSnapshot?: (s: SourceSnapshot) => void;
  #scanning = false;
  #again = false;
  #stopped = false;
  #unreadable = false;
  #announced = false;

  constructor(options: DirectorySourceOptions) {
    this.#options = options;
    this.#log = options.log;
    this.description = `directory ${options.dir}`;
  }

  async start(onSnapshot: (snapshot: SourceSnapshot) => void): Promise<void> {
    this.#onSnapshot = onSnapshot;
    const resyncMs = this.#options.resyncMs ?? 60_000;
    if (resyncMs > 0) {
      this.#resync = setInterval(() => this.rescan(), resyncMs);
      this.#resync.unref();
    }
    await this.#scan();
  }

  rescan(): void {
    void this.#scan();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    clearInterval(this.#resync);
    clearTimeout(this.#retry);
    this.#unwatchAll();
  }

  #unwatchAll(): void {
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    this.#rootIno = undefined;
  }

  /** Watches exactly the directories of the last scan. */
  async #syncWatchers(dirs: string[]): Promise<void> {
    const ino = await stat(this.#options.dir).then(
      (s) => s.ino,
      () => undefined,
    );
    if (this.#rootIno !== undefined && ino !== this.#rootIno) {
      this.#log.info('config directory was replaced; watching the new one', { dir: this.#options.dir });
      this.#unwatchAll();
    }
    this.#rootIno = ino;
    const wanted = new Set(dirs);
    for (const [d, w] of this.#watchers) {
      if (wanted.has(d)) continue;
      w.close();
      this.#watchers.delete(d);
    }
    for (const d of dirs) {
      if (this.#watchers.has(d) || this.#stopped) continue;
      try {
        const w = watch(d, () => this.#changed());
        w.on('error', () => {
          // The directory went away: the rescan this triggers finds out what remains.
          w.close();
          this.#watchers.delete(d);
          this.#changed();
        });
        this.#watchers.set(d, w);
      } catch {
        this.#changed(); // it vanished between the walk and now
      }
    }
    if (!this.#announced) {
      this.#announced = true;
      this.#log.info(`watching ${this.#options.dir}`, { dir: this.#options.dir, directories: dirs.length, extensions: [...EXTENSIONS] });
    }
  }

  #retryLater(): void {
    if (this.#stopped || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.rescan();
    }, this.#options.retryMs ?? 1_000);
    this.#retry.unref();
  }

  #changed(): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.rescan(), this.#options.debounceMs ?? 100);
  }

  async #scan(): Promise<void> {
    if (this.#stopped) return;
    if (this.#scanning) {
      this.#again = true;
      return;
    }
    this.#scanning = true;
    try {
      do {
        this.#again = false;
        let snapshot: SourceSnapshot & { dirs: string[] };
        try {
          snapshot = await scanDirectory(this.#options.dir, this.#options, this.#cache);
        } catch (err) {
          // The directory itself is unreadable: deliver nothing, so nothing is deleted.
          if (!this.#unreadable) {
            this.#unreadable = true;
            this.#log.warn('cannot read the config directory; keeping the config accepted so far and retrying', { dir: this.#options.dir, err: (err as Error).message });
          }
          this.#unwatchAll();
          this.#retryLater();
          continue;
        }
        if (this.#unreadable) {
          this.#unreadable = false;
          this.#log.info('config directory is readable again', { dir: this.#options.dir });
        }
        await this.#syncWatchers(snapshot.dirs);
        if (!this.#stopped) this.#onSnapshot?.({ origins: snapshot.origins, takenAt: snapshot.takenAt });
      } while (this.#again && !this.#stopped);
    } finally {
      this.#scanning = false;
    }
  }
}
