// Will the bundle find its packages in the image? The image holds
// apps/<app>/dist/main.js (the app and its @mesh/* libraries in one file) and
// what `npm ci --omit=dev --workspace apps/<app>` installs. Node resolves every
// external import of the bundle from apps/<app>/dist upwards, whichever
// library the import came from — so a package npm placed under
// libs/<lib>/node_modules (because the root holds another version) is
// invisible to it. These functions answer that from package-lock.json alone,
// with Node's lookup rules, without installing anything.
import { isBuiltin } from 'node:module';
import path from 'node:path';

export interface LockEntry {
  version?: string;
  link?: boolean;
  resolved?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
export interface Lockfile {
  packages: Record<string, LockEntry>;
}

/** An external import of the bundle: the source file it is written in (repo-relative) and the specifier. */
export interface ExternalImport {
  importer: string;
  specifier: string;
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export function isPackageImport(specifier: string): boolean {
  return !isBuiltin(specifier) && !specifier.startsWith('.') && !specifier.startsWith('/');
}

/** The lockfile location Node finds `name` at, looking from `fromDir` (repo-relative) upwards; workspace links followed. */
export function resolveFrom(lock: Lockfile, fromDir: string, name: string): string | undefined {
  let dir = fromDir === '.' ? '' : fromDir;
  for (;;) {
    const key = `${dir ? dir + '/' : ''}node_modules/${name}`;
    const entry = lock.packages[key];
    if (entry) return entry.link && entry.resolved ? entry.resolved : key;
    if (!dir) return undefined;
    const parent = path.posix.dirname(dir);
    dir = parent === '.' ? '' : parent;
  }
}

/** Every lockfile location `npm ci --omit=dev --workspace <workspace>` installs. */
export function productionClosure(lock: Lockfile, workspace: string): Set<string> {
  const installed = new Set<string>();
  const queue = [workspace];
  while (queue.length) {
    const at = queue.pop()!;
    if (installed.has(at)) continue;
    installed.add(at);
    const entry = lock.packages[at];
    if (!entry) continue;
    const optionalPeers = new Set(Object.entries(entry.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n));
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)),
    ];
    for (const name of names) {
      const target = resolveFrom(lock, at, name);
      if (target) queue.push(target);
    }
  }
  return installed;
}

/** What would break in the image of `app`, one sentence per import; empty when every import resolves as in development. */
export function bundleProblems(lock: Lockfile, app: string, imports: ExternalImport[]): string[] {
  const installed = productionClosure(lock, `apps/${app}`);
  const from = `apps/${app}/dist`;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { importer, specifier } of imports) {
    if (!isPackageImport(specifier)) continue;
    const name = packageName(specifier);
    const key = `${importer} ${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const wanted = resolveFrom(lock, path.posix.dirname(importer), name);
    const found = resolveFrom(lock, from, name);
    const version = (loc: string) => lock.packages[loc]?.version ?? 'workspace';
    if (!wanted) {
      problems.push(`${importer} imports ${name}, which is not installed anywhere it could be found from there`);
    } else if (!found) {
      problems.push(`${importer} imports ${name} (${wanted}, ${version(wanted)}), which ${from}/main.js cannot find: declare "${name}" in apps/${app}/package.json dependencies`);
    } else if (!installed.has(found)) {
      problems.push(`${importer} imports ${name}; from ${from}/main.js it resolves to ${found} (${version(found)}), which npm ci --omit=dev --workspace apps/${app} does not install: declare "${name}" in apps/${app}/package.json dependencies`);
    } else if (version(found) !== version(wanted)) {
      problems.push(`${importer} imports ${name} ${version(wanted)} (${wanted}), but ${from}/main.js gets ${version(found)} (${found}): declare "${name}" with the library's range in apps/${app}/package.json`);
    }
  }
  return problems;
}
