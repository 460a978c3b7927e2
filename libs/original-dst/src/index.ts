// The original destination of a TCP connection that iptables redirected to
// this process (REDIRECT/DNAT in the nat table, as `proxy init` installs for
// the sidecar's 15001 and 15006 listeners): getsockopt(SO_ORIGINAL_DST), read
// through a small Node-API addon (native/original_dst.c) because Node has no
// API for it. Linux only.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OriginalDestination {
  address: string;
  port: number;
  family: 4 | 6;
}

export type Availability = { ok: true } | { ok: false; reason: string };

interface Addon {
  originalDst(fd: number): OriginalDestination | null;
}

/** The environment variable that names the addon file explicitly (then only that file is tried). */
export const ADDON_ENV = 'MESH_ORIGINAL_DST_ADDON';
export const ADDON_FILE = 'original_dst.node';

const BUILD_HINT = 'run `npm rebuild @mesh/original-dst` (needs python3, make and g++: Debian `apt-get install build-essential python3`)';

/**
 * Where the addon is looked for, in order:
 *   1. $MESH_ORIGINAL_DST_ADDON, when set: that file and nothing else;
 *   2. ../build/Release/original_dst.node from this module: the workspace, where
 *      `npm ci` / `npm rebuild @mesh/original-dst` builds it;
 *   3. original_dst.node next to this module: in a bundle (apps/proxy/dist/main.js,
 *      tools/build-app.mjs copies the addon beside it).
 */
export function addonCandidates(env: NodeJS.ProcessEnv = process.env, moduleUrl: string = import.meta.url): string[] {
  const explicit = env[ADDON_ENV];
  if (explicit) return [path.resolve(explicit)];
  const here = path.dirname(fileURLToPath(moduleUrl));
  return [path.join(here, '..', 'build', 'Release', ADDON_FILE), path.join(here, ADDON_FILE)];
}

let loaded: { addon: Addon } | { reason: string } | undefined;

function load(): { addon: Addon } | { reason: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { reason: `SO_ORIGINAL_DST exists only on Linux (this is ${process.platform})` });
  // A require made at run time from a computed path: bundlers leave it alone.
  const requireNative = createRequire(import.meta.url);
  const candidates = addonCandidates();
  for (const file of candidates) {
    let mod: unknown;
    try {
      mod = requireNative(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'MODULE_NOT_FOUND' || code === 'ENOENT') continue;
      // There, but not loadable (another architecture, a libc it was not built for, ...).
      return (loaded = { reason: `the SO_ORIGINAL_DST addon ${file} does not load (${(err as Error).message}): ${BUILD_HINT}` });
    }
    if (typeof (mod as Partial<Addon> | null)?.originalDst !== 'function') {
      return (loaded = { reason: `${file} is not the SO_ORIGINAL_DST addon (it exports no originalDst function): ${BUILD_HINT}` });
    }
    return (loaded = { addon: mod as Addon });
  }
  const where = process.env[ADDON_ENV] ? `${ADDON_ENV}=${process.env[ADDON_ENV]} names no file` : `looked for ${candidates.join(' and ')}`;
  return (loaded = { reason: `the SO_ORIGINAL_DST addon was not built (${where}): ${BUILD_HINT}` });
}

/** Whether originalDestination() can work here; when not, why and what to do. */
export function originalDestinationAvailable(): Availability {
  const l = load();
  return 'addon' in l ? { ok: true } : { ok: false, reason: l.reason };
}

/** The part of Node's internal socket handle this reads: its file descriptor (a number on Unix). */
interface HandleWithFd {
  fd?: unknown;
}

/** `::ffff:198.18.0.7` (an IPv4 peer on a dual-stack socket) as `198.18.0.7`. */
const unmapped = (ip: string) => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip);

/**
 * Where the connection accepted as `socket` was originally going before
 * iptables redirected it, or undefined when it was not redirected: the kernel
 * keeps no NAT state for it, or its original destination is the socket's own
 * local address (conntrack tracks every connection once nat rules exist).
 *
 * Also undefined for a socket without a file descriptor (destroyed, closed, or
 * not a kernel socket). Throws when the addon is not available (see
 * originalDestinationAvailable()) and, with the errno in `code`, when the
 * kernel refuses for another reason (EBADF, ENOTSOCK, ...).
 */
export function originalDestination(socket: Socket): OriginalDestination | undefined {
  const l = load();
  if (!('addon' in l)) throw new Error(l.reason);
  const handle = (socket as unknown as { _handle?: HandleWithFd | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) return undefined;
  const dst = l.addon.originalDst(fd);
  if (dst === null) return undefined;
  const local = socket.localAddress;
  if (local !== undefined && unmapped(local) === dst.address && socket.localPort === dst.port) return undefined;
  return { address: dst.address, port: dst.port, family: dst.family };
}
