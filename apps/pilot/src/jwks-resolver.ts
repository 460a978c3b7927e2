// Pilot fetches the JWKS of a RequestAuthentication's jwksUri itself and
// inlines it into the proxies' jwt_authn providers (local_jwks), as istiod
// does, so no proxy ever reaches out to an identity provider. Fetches are
// bounded (timeout, size), the keys are refreshed periodically (Istio: every
// 20 minutes), and a change triggers a push. A URI that was never fetched
// successfully has no keys: the generator then gives its provider a key no one
// holds, so every token of that issuer is rejected (fail closed). A failed
// refresh keeps the last good keys (reported as a warning).
import { request } from 'undici';
import type { Logger } from '@mesh/telemetry';
import type { JwksLookup, JwksSource } from './model/request-authentications.ts';

export interface JwksResolverOptions {
  /** Called when a URI's keys (or its failure) changed: the caller pushes. */
  onChange: (uri: string) => void;
  /** Refresh period (default 20 minutes). */
  refreshMs?: number;
  /** Timeout of one fetch when the rule sets none (default 5 s, Istio's). */
  timeoutMs?: number;
  /** Largest JWKS accepted (default 256 KiB, the proxy's bound). */
  maxBytes?: number;
  /** An entry not read by any push for this long is dropped (default 24 h). */
  unusedMs?: number;
  log?: Logger;
}

interface Entry {
  uri: string;
  timeoutMs: number;
  jwks?: string;
  error?: string;
  inflight?: Promise<void>;
  lastUsed: number;
}

/** Parses and re-serializes a JWKS so equal key sets give equal config (and no push). */
export function canonicalJwks(text: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the response is not JSON');
  }
  const keys = doc !== null && typeof doc === 'object' ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('the response is not a JWKS (no "keys")');
  return JSON.stringify({ keys });
}

export class JwksResolver implements JwksSource {
  readonly #opts: Required<Omit<JwksResolverOptions, 'log'>> & { log?: Logger };
  readonly #entries = new Map<string, Entry>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: JwksResolverOptions) {
    this.#opts = { refreshMs: 20 * 60_000, timeoutMs: 5_000, maxBytes: 256 * 1024, unusedMs: 24 * 3_600_000, ...options };
    this.#timer = setInterval(() => void this.refreshAll(), this.#opts.refreshMs);
    this.#timer.unref();
  }

  get(uri: string, timeoutMs?: number): JwksLookup {
    let e = this.#entries.get(uri);
    if (e === undefined) {
      e = { uri, timeoutMs: timeoutMs ?? this.#opts.timeoutMs, lastUsed: Date.now() };
      this.#entries.set(uri, e);
      this.#fetch(e);
    }
    e.lastUsed = Date.now();
    if (timeoutMs !== undefined) e.timeoutMs = timeoutMs;
    if (e.jwks !== undefined) return e.error ? { jwks: e.jwks, warning: `the last refresh failed (${e.error}); the keys fetched before stay in use` } : { jwks: e.jwks };
    if (e.error !== undefined) return { error: e.error };
    return { error: 'the keys are being fetched', pending: true };
  }

  /** Refetches every URI in use (the periodic refresh; tests call it directly). */
  async refreshAll(): Promise<void> {
    const now = Date.now();
    const waits: Promise<void>[] = [];
    for (const e of [...this.#entries.values()]) {
      if (now - e.lastUsed > this.#opts.unusedMs) {
        this.#entries.delete(e.uri);
        continue;
      }
      waits.push(this.#fetch(e));
    }
    await Promise.all(waits);
  }

  /** Resolves when no fetch is in flight (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => e.inflight));
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }

  #fetch(e: Entry): Promise<void> {
    if (e.inflight) return e.inflight;
    e.inflight = this.#download(e.uri, e.timeoutMs).then(
      (jwks) => this.#settle(e, jwks, undefined),
      (err: unknown) => this.#settle(e, undefined, (err as Error).message || String(err)),
    );
    return e.inflight;
  }

  #settle(e: Entry, jwks: string | undefined, error: string | undefined): void {
    e.inflight = undefined;
    if (this.#closed) return;
    const before = `${e.jwks ?? ''}|${e.error ?? ''}`;
    if (jwks !== undefined) {
      e.jwks = jwks;
      e.error = undefined;
    } else {
      e.error = error;
      this.#opts.log?.warn('could not fetch a JWKS', { uri: e.uri, err: error, keptPrevious: e.jwks !== undefined });
    }
    if (`${e.jwks ?? ''}|${e.error ?? ''}` !== before) this.#opts.onChange(e.uri);
  }

  async #download(uri: string, timeoutMs: number): Promise<string> {
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await request(uri, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal, headers: { accept: 'application/json' } }).catch((err: Error) => {
      throw new Error(signal.aborted ? `no answer within ${timeoutMs} ms` : err.message);
    });
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      throw new Error(`HTTP ${res.statusCode}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > this.#opts.maxBytes) {
        res.body.destroy();
        throw new Error(`the JWKS is larger than ${this.#opts.maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return canonicalJwks(Buffer.concat(chunks).toString('utf8'));
  }
}
