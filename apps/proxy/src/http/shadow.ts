// Request mirroring (route request_mirror_policies): a fire-and-forget copy
// of the request to another cluster, with the authority suffixed "-shadow"
// as Envoy does. Its response is read and dropped; it never affects the
// client's response. The copy's body is a ReplayableBody reader: a body that
// breaks (client gone, malformed) fails the copy inside the pool, which owns
// the reader's errors; the shadow handler only releases the host.
import type { H1Handler } from '../upstream/h1-pool.ts';
import { setHeader, getHeader } from '../config/header-mutation.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { ReplayableBody } from './replayable-body.ts';

class ShadowHandler implements H1Handler {
  readonly #release: () => void;
  constructor(release: () => void) {
    this.#release = release;
  }
  onRequestStart(): void {}
  onResponseStart(): void {}
  onResponseData(): void {}
  onResponseEnd(): void {
    this.#release();
  }
  onResponseError(): void {
    this.#release();
  }
}

function shadowAuthority(authority: string): string {
  const colon = authority.lastIndexOf(':');
  if (colon > 0 && !authority.endsWith(']')) return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
  return `${authority}-shadow`;
}

/** Sends one shadow copy; `body` must be replayable (or absent). */
export function sendShadow(cluster: Cluster, method: string, path: string, headers: string[], body: ReplayableBody | null): void {
  const host = cluster.pick(undefined);
  if (host === undefined || host.closed) return;
  const copy = headers.slice();
  setHeader(copy, 'host', shadowAuthority(getHeader(copy, 'host') ?? ''));
  host.active++;
  let released = false;
  const release = () => {
    if (!released) {
      released = true;
      host.active--;
    }
  };
  try {
    host.poolFor(false, host.autoTlsHost(copy)).dispatch({ path, method, headers: copy, body: body === null ? null : body.reader() }, new ShadowHandler(release));
  } catch {
    release();
  }
}
