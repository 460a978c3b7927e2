// The proxy agent's certificate lifecycle: a fresh key in memory, a CSR to
// citadel, renewal at a fraction of the lifetime, and jittered retries while
// citadel is unreachable, during which the current certificate stays in use.
import { EventEmitter } from 'node:events';
import { generateKeyPair, type KeyType } from '@mesh/pki';
import { counter, createLogger, type Logger } from '@mesh/telemetry';
import { requestCertificate, type CaEndpoint, type IssuedCertificate } from './client.ts';

const renewals = counter('mesh_ca_client_requests_total', 'Certificate requests made to citadel, by result', ['result']);

export interface RetryPolicy {
  /** First retry delay (doubles per failure up to maxMs). */
  initialMs: number;
  maxMs: number;
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter], so a fleet does not retry in lockstep. */
  jitter: number;
}

export interface CertificateManagerOptions {
  endpoint: CaEndpoint;
  spiffeId: string;
  keyType?: KeyType;
  /** Requested lifetime; citadel's default when omitted. */
  validitySeconds?: number;
  /** Renew when this fraction of the lifetime has passed (default 0.5, as Istio's agent). */
  renewFraction?: number;
  retry?: Partial<RetryPolicy>;
  /** Renew without a token by presenting the current certificate while it is valid (default true). */
  useCurrentCertificate?: boolean;
  log?: Logger;
}

export interface CertificateManagerEvents {
  /** A certificate was installed (the first one or a renewal). */
  certificate: [IssuedCertificate];
  /** A request failed; `retryInMs` says when the next attempt is. The current certificate stays in use. */
  error: [Error, { retryInMs: number; attempt: number }];
}

export class CertificateManager extends EventEmitter<CertificateManagerEvents> {
  readonly #options: CertificateManagerOptions;
  readonly #retry: RetryPolicy;
  readonly #log: Logger;
  #current: IssuedCertificate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #failures = 0;
  #inFlight: Promise<void> | undefined;
  #first: { promise: Promise<IssuedCertificate>; resolve: (c: IssuedCertificate) => void; reject: (e: Error) => void };

  constructor(options: CertificateManagerOptions) {
    super();
    const fraction = options.renewFraction ?? 0.5;
    if (!(fraction > 0 && fraction < 1)) throw new Error(`renewFraction must be between 0 and 1 (exclusive), got ${fraction}`);
    this.#options = { ...options, renewFraction: fraction };
    this.#retry = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2, ...options.retry };
    this.#log = (options.log ?? createLogger('ca-client')).child({ spiffeId: options.spiffeId });
    let resolve!: (c: IssuedCertificate) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<IssuedCertificate>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {});
    this.#first = { promise, resolve, reject };
  }

  /** Starts requesting; resolves with the first certificate (retrying until one is issued or stop() is called). */
  start(): Promise<IssuedCertificate> {
    if (!this.#inFlight && !this.#current && !this.#timer) this.#schedule(0);
    return this.#first.promise;
  }

  /** The certificate in use, if any (it may have expired while citadel was unreachable; see isValid). */
  current(): IssuedCertificate | undefined {
    return this.#current;
  }

  isValid(at = new Date()): boolean {
    return !!this.#current && this.#current.notBefore <= at && at < this.#current.notAfter;
  }

  /** When the next renewal is due for the current certificate. */
  renewAt(cert: IssuedCertificate): Date {
    const from = cert.receivedAt.getTime();
    return new Date(from + (cert.notAfter.getTime() - from) * this.#options.renewFraction!);
  }

  /** Renews now (for example after the trust bundle changed). Resolves when the attempt is over. */
  async renewNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await (this.#inFlight ?? this.#attempt());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#first.reject(new Error('certificate manager stopped before a certificate was issued'));
    await this.#inFlight;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#attempt();
    }, Math.max(0, delayMs));
  }

  #attempt(): Promise<void> {
    this.#inFlight = this.#request().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #request(): Promise<void> {
    if (this.#stopped) return;
    const current = this.#current;
    const presentCurrent = (this.#options.useCurrentCertificate ?? true) && current && this.isValid();
    try {
      // A new key for every certificate: a renewal never reuses the old key.
      const { privateKey } = generateKeyPair(this.#options.keyType ?? 'ec-p256');
      const cert = await requestCertificate({
        endpoint: this.#options.endpoint,
        privateKey,
        spiffeId: this.#options.spiffeId,
        validitySeconds: this.#options.validitySeconds,
        clientCertificate: presentCurrent ? { chain: current.chain, privateKey: current.privateKey } : undefined,
      });
      if (this.#stopped) return;
      renewals.inc({ result: 'ok' });
      this.#failures = 0;
      this.#current = cert;
      const renewAt = this.renewAt(cert);
      this.#log.info('certificate installed', { serial: cert.serialHex, notAfter: cert.notAfter.toISOString(), renewAt: renewAt.toISOString() });
      this.#first.resolve(cert);
      this.emit('certificate', cert);
      this.#schedule(renewAt.getTime() - Date.now());
    } catch (err) {
      if (this.#stopped) return;
      renewals.inc({ result: 'error' });
      const attempt = ++this.#failures;
      const base = Math.min(this.#retry.maxMs, this.#retry.initialMs * 2 ** (attempt - 1));
      let retryInMs = Math.round(base * (1 - this.#retry.jitter + Math.random() * 2 * this.#retry.jitter));
      // Never sleep past the point where the current certificate expires if an earlier try could save it.
      if (current && this.isValid()) retryInMs = Math.min(retryInMs, Math.max(0, current.notAfter.getTime() - Date.now()));
      this.#log.warn('certificate request failed; keeping the current certificate', {
        err: (err as Error).message,
        attempt,
        retryInMs,
        currentValidUntil: current?.notAfter.toISOString(),
      });
      if (this.listenerCount('error') > 0) this.emit('error', err as Error, { retryInMs, attempt });
      this.#schedule(retryInMs);
    }
  }
}
