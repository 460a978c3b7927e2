// The certificate authority: its roots (loaded, generated or plugged in), the
// policy every workload certificate is issued under, and root rotation with
// overlap. Rotation order: the new root joins the bundle first; signing moves
// to it only once that bundle is published and the propagation delay has
// passed; the old root leaves the bundle only after every certificate it can
// have signed has expired. So every live certificate always verifies against
// the published bundle.
import { EventEmitter } from 'node:events';
import { randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import {
  CsrError,
  buildCertificate,
  createCa,
  createIssuer,
  formatSpiffeId,
  generateKeyPair,
  parseSpiffeId,
  privateKeyFromPem,
  privateKeyToPem,
  randomSerial,
  spkiOf,
  splitCertificates,
  type Issuer,
  type KeyType,
  type SigningBackend,
  type WorkloadIdentity,
} from '@mesh/pki';
import type { Logger } from '@mesh/telemetry';
import { FILES, type CaStore, type StoredFiles } from './ca-store.ts';
import { loadCacerts } from './cacerts.ts';
import { bundleRoots, rootExpiry } from './metrics.ts';

/** A refusal with the gRPC status it maps to and a message that says what was wrong. */
export class CaError extends Error {
  readonly code: status;
  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

export interface RotationOptions {
  /** How long the new root is in the published bundle before it signs. */
  propagationDelayMs: number;
  /** Extra time an old root stays trusted after its last certificate's expiry (clock skew). */
  retireGraceMs: number;
  /** Rotate automatically when the signing root has less than this fraction of its lifetime left (0 disables). */
  autoRotateFraction: number;
  /** How often the signing root's remaining lifetime is checked. */
  checkIntervalMs: number;
}

export interface AuthorityOptions {
  store: CaStore;
  /** A plugged-in CA directory (Istio's cacerts layout); when set, the store is not used. */
  cacertsDir?: string;
  trustDomain: string;
  keyType: KeyType;
  backend: SigningBackend;
  rootTtlMs: number;
  defaultCertTtlMs: number;
  maxCertTtlMs: number;
  /** notBefore is set this far in the past so a peer with a slightly slow clock accepts a fresh certificate. */
  backdateMs: number;
  maxCsrBytes: number;
  rotation: RotationOptions;
  /** Publishes the trust bundle everywhere; resolves once it is published (the rotation waits on it). */
  publishBundle: (roots: string[]) => Promise<void>;
  log: Logger;
}

export interface IssuedWorkloadCertificate {
  chain: string[];
  spiffeId: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

interface Root {
  certPem: string;
  key: KeyObject;
  issuer: Issuer;
}

interface RotationFile {
  /** When signing moves to the next root (set once the bundle holding it is published). */
  switchAt?: string;
  retiring: Array<{ certPem: string; retireAt: string }>;
}

export interface AuthorityEvents {
  /** Signing moved to another CA (after a rotation's switch); serving certificates should be reissued. */
  signer: [Issuer];
  /** The set of trusted roots changed. */
  bundle: [string[]];
}

const ISTIO_KEY_CURVES = new Set(['P-256', 'P-384']);
const MIN_RSA_BITS = 2048;
const RECENT_SERIALS = 100_000;

export class CertificateAuthority extends EventEmitter<AuthorityEvents> {
  readonly mode: 'self-signed' | 'plugged-in';
  readonly trustDomain: string;
  readonly #o: AuthorityOptions;
  #signing: Root | { issuer: Issuer; roots: string[] };
  #next: (Root & { switchAt?: number }) | undefined;
  #retiring: Array<{ certPem: string; retireAt: number }> = [];
  #timer: NodeJS.Timeout | undefined;
  #serial: Promise<unknown> = Promise.resolve();
  #closed = false;
  #recentSerials = new Set<string>();
  #lastPublished: string | undefined;
  /** Settles once the bundle loaded at start has been published (and a resumed rotation scheduled). */
  initialPublish: Promise<void> = Promise.resolve();

  private constructor(o: AuthorityOptions, mode: 'self-signed' | 'plugged-in', signing: Root | { issuer: Issuer; roots: string[] }) {
    super();
    this.#o = o;
    this.mode = mode;
    this.trustDomain = o.trustDomain;
    this.#signing = signing;
  }

  /** Loads the CA (plugged-in, stored, or newly generated and stored), publishes the bundle and starts the rotation clock. */
  static async open(o: AuthorityOptions): Promise<CertificateAuthority> {
    if (o.defaultCertTtlMs > o.maxCertTtlMs) throw new Error(`default certificate TTL (${o.defaultCertTtlMs} ms) exceeds the maximum (${o.maxCertTtlMs} ms)`);
    let ca: CertificateAuthority;
    if (o.cacertsDir) {
      const plugged = loadCacerts(o.cacertsDir);
      ca = new CertificateAuthority(o, 'plugged-in', plugged);
      o.log.info('using plugged-in CA', { dir: o.cacertsDir, subject: plugged.issuer.cert.subject, notAfter: plugged.issuer.notAfter.toISOString(), roots: plugged.roots.length });
    } else {
      let files = await o.store.load();
      if (files) {
        o.log.info('loaded root of trust', { from: o.store.description });
      } else {
        const root = newRoot(o.keyType, o.trustDomain, o.rootTtlMs);
        files = await o.store.create({
          [FILES.caCert]: root.certPem,
          [FILES.caKey]: privateKeyToPem(root.key),
          [FILES.rootCert]: root.certPem,
          [FILES.rotation]: JSON.stringify({ retiring: [] } satisfies RotationFile),
        });
        o.log.info('generated a new root of trust', { to: o.store.description, keyType: o.keyType, trustDomain: o.trustDomain });
      }
      ca = new CertificateAuthority(o, 'self-signed', rootFrom(files[FILES.caCert], files[FILES.caKey], `${o.store.description} ${FILES.caCert}`));
      ca.#restoreRotation(files);
    }
    ca.#logSigner();
    // Publishing runs in the background: citadel signs even while NATS or the API server is away.
    ca.initialPublish = ca.#exclusive(async () => {
      ca.#retireExpired();
      await ca.#publish();
      if (ca.#next && ca.#next.switchAt === undefined) {
        ca.#next.switchAt = Date.now() + o.rotation.propagationDelayMs;
        await ca.#persist();
      }
      ca.#scheduleNext();
    });
    ca.initialPublish.catch((err) => o.log.error('initial trust bundle publication failed', { err }));
    ca.#scheduleNext();
    return ca;
  }

  /** The CA that signs now. */
  get issuer(): Issuer {
    return this.#signing.issuer;
  }

  /** Every root currently trusted: the signing root, the next one during a rotation, and old ones not yet retired. */
  bundle(): string[] {
    const roots = 'roots' in this.#signing ? [...this.#signing.roots] : [this.#signing.certPem];
    if (this.#next) roots.push(this.#next.certPem);
    for (const r of this.#retiring) roots.push(r.certPem);
    return [...new Set(roots)];
  }

  /** The chain above an issued leaf: the signing CA up to its root. */
  chainAbove(issuer = this.issuer): string[] {
    return [issuer.certPem, ...issuer.chainAbove];
  }

  /**
   * Applies the workload policy to a CSR for an authenticated caller and signs
   * it. Throws CaError with INVALID_ARGUMENT or PERMISSION_DENIED.
   */
  async sign(csrPem: string, caller: WorkloadIdentity, validitySeconds: number): Promise<IssuedWorkloadCertificate> {
    const o = this.#o;
    const size = Buffer.byteLength(csrPem ?? '');
    if (size === 0) throw new CaError(status.INVALID_ARGUMENT, 'csr: empty; send a PEM "CERTIFICATE REQUEST"');
    if (size > o.maxCsrBytes) throw new CaError(status.INVALID_ARGUMENT, `csr: ${size} bytes is larger than the ${o.maxCsrBytes}-byte limit`);
    let csr;
    try {
      csr = await o.backend.parseCsr(csrPem);
    } catch (err) {
      if (err instanceof CsrError) throw new CaError(status.INVALID_ARGUMENT, err.message);
      throw err;
    }
    const key = csr.key as { type: string; curve?: string; bits?: number };
    if (!(key.type === 'ec' && ISTIO_KEY_CURVES.has(key.curve!)) && !(key.type === 'rsa' && key.bits! >= MIN_RSA_BITS)) {
      const what = key.type === 'ec' ? `EC ${key.curve}` : key.type === 'rsa' ? `RSA ${key.bits}` : key.type;
      throw new CaError(status.INVALID_ARGUMENT, `csr.subjectPKInfo: ${what} keys are not accepted; use EC P-256 (or P-384) or RSA of at least ${MIN_RSA_BITS} bits`);
    }
    if (csr.requestsCa) {
      throw new CaError(status.PERMISSION_DENIED, 'csr.extensionRequest: the request asks for CA rights (basicConstraints cA=TRUE or keyCertSign); workloads only get end-entity certificates');
    }
    const { uris, dnsNames, ipAddresses, emails, others } = csr.sans;
    if (uris.length !== 1 || dnsNames.length + ipAddresses.length + emails.length + others > 0) {
      const found = [...uris.map((u) => `URI:${u}`), ...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((i) => `IP:${i}`), ...emails.map((e) => `email:${e}`)];
      throw new CaError(
        status.INVALID_ARGUMENT,
        `csr.extensionRequest.subjectAltName: must hold exactly one SPIFFE URI and nothing else; found ${found.length ? found.join(', ') : 'none'}${others ? ` and ${others} other name(s)` : ''}`,
      );
    }
    const parsed = parseSpiffeId(uris[0]);
    if (!parsed.ok) throw new CaError(status.INVALID_ARGUMENT, `csr.extensionRequest.subjectAltName: ${parsed.error}`);
    const proven = formatSpiffeId({ ...caller, trustDomain: this.trustDomain });
    if (uris[0] !== proven) {
      throw new CaError(status.PERMISSION_DENIED, `the CSR asks for identity ${uris[0]} but the caller proved identity ${proven}`);
    }
    if (!Number.isFinite(validitySeconds) || validitySeconds < 0) {
      throw new CaError(status.INVALID_ARGUMENT, `validity_duration: ${validitySeconds} is not a valid number of seconds`);
    }
    const ttlMs = validitySeconds === 0 ? o.defaultCertTtlMs : validitySeconds * 1000;
    if (ttlMs > o.maxCertTtlMs) {
      throw new CaError(status.INVALID_ARGUMENT, `validity_duration: ${validitySeconds}s exceeds the maximum certificate lifetime of ${o.maxCertTtlMs / 1000}s`);
    }
    const issuer = this.issuer;
    // Certificates carry whole seconds; keep what we log equal to what we sign.
    const now = Math.floor(Date.now() / 1000) * 1000;
    // A certificate never outlives the CA that signed it.
    const notAfter = new Date(Math.min(now + ttlMs, issuer.notAfter.getTime()));
    const notBefore = new Date(Math.min(now - o.backdateMs, notAfter.getTime() - 1000));
    const serial = this.#uniqueSerial();
    const pem = await o.backend.issue(csr, { spiffeId: proven, serial, notBefore, notAfter }, issuer);
    return { chain: [pem, ...this.chainAbove(issuer)], spiffeId: proven, serialHex: serial.toString('hex').toUpperCase(), notBefore, notAfter };
  }

  /** A serving certificate for citadel itself (DNS/IP SANs, serverAuth), with a key made here and kept in memory. */
  issueServingCertificate(dnsNames: string[], ipAddresses: string[], ttlMs: number): { chain: string[]; privateKey: KeyObject; notAfter: Date } {
    const issuer = this.issuer;
    const { privateKey } = generateKeyPair('ec-p256');
    const now = Date.now();
    const notAfter = new Date(Math.min(now + ttlMs, issuer.notAfter.getTime()));
    const pem = buildCertificate(
      {
        spki: spkiOf(privateKey),
        subject: { organization: this.trustDomain, commonName: dnsNames[0] ?? 'citadel' },
        sans: { dnsNames, ipAddresses },
        notBefore: new Date(now - this.#o.backdateMs),
        notAfter,
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        extKeyUsage: ['1.3.6.1.5.5.7.3.1'],
      },
      issuer,
    );
    return { chain: [pem, ...this.chainAbove(issuer)], privateKey, notAfter };
  }

  /** Starts a root rotation (a no-op if one is under way). Resolves once the new root is published. */
  rotate(reason = 'requested'): Promise<void> {
    if (this.mode === 'plugged-in') {
      return Promise.reject(new CaError(status.FAILED_PRECONDITION, 'a plugged-in CA is rotated by its operator: replace the cacerts files (keep the old root in root-cert.pem until its certificates expire) and restart'));
    }
    return this.#exclusive(async () => {
      if (this.#next) return;
      const root = newRoot(this.#o.keyType, this.trustDomain, this.#o.rootTtlMs);
      this.#next = { ...rootFrom(root.certPem, privateKeyToPem(root.key), 'new root') };
      this.#o.log.info('root rotation started: new root added to the trust bundle', { reason, serial: this.#next.issuer.cert.serialNumber, notAfter: this.#next.issuer.notAfter.toISOString() });
      await this.#persist();
      await this.#publish();
      this.#next.switchAt = Date.now() + this.#o.rotation.propagationDelayMs;
      await this.#persist();
      this.#o.log.info('new root published; signing switches after the propagation delay', { switchAt: new Date(this.#next.switchAt).toISOString() });
      this.#scheduleNext();
    });
  }

  /** What /debug/ca shows: no key material. */
  status(): Record<string, unknown> {
    const desc = (pem: string) => {
      const c = new X509Certificate(pem);
      return { subject: (c.subject ?? '').replace(/\n/g, ', '), serial: c.serialNumber, notAfter: c.validToDate.toISOString() };
    };
    return {
      mode: this.mode,
      trustDomain: this.trustDomain,
      backend: this.#o.backend.name,
      signing: desc(this.issuer.certPem),
      next: this.#next ? { ...desc(this.#next.certPem), switchAt: this.#next.switchAt ? new Date(this.#next.switchAt).toISOString() : 'after publication' } : undefined,
      retiring: this.#retiring.map((r) => ({ ...desc(r.certPem), retireAt: new Date(r.retireAt).toISOString() })),
      bundle: this.bundle().map(desc),
      defaultCertTtlSeconds: this.#o.defaultCertTtlMs / 1000,
      maxCertTtlSeconds: this.#o.maxCertTtlMs / 1000,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#serial.catch(() => {});
  }

  // ---- internals ----

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => {});
    return run;
  }

  #uniqueSerial(): Buffer {
    for (;;) {
      const serial = randomSerial();
      const hex = serial.toString('hex');
      if (this.#recentSerials.has(hex)) continue;
      this.#recentSerials.add(hex);
      if (this.#recentSerials.size > RECENT_SERIALS) this.#recentSerials.delete(this.#recentSerials.values().next().value!);
      return serial;
    }
  }

  #restoreRotation(files: StoredFiles): void {
    const rotation: RotationFile = files[FILES.rotation] ? JSON.parse(files[FILES.rotation]) : { retiring: [] };
    this.#retiring = (rotation.retiring ?? []).map((r) => ({ certPem: r.certPem, retireAt: Date.parse(r.retireAt) }));
    if (files[FILES.nextCaCert] && files[FILES.nextCaKey]) {
      this.#next = { ...rootFrom(files[FILES.nextCaCert], files[FILES.nextCaKey], `${this.#o.store.description} ${FILES.nextCaCert}`) };
      if (rotation.switchAt) this.#next.switchAt = Date.parse(rotation.switchAt);
      this.#o.log.info('resuming a root rotation', { switchAt: rotation.switchAt ?? 'after publication' });
    }
  }

  async #persist(): Promise<void> {
    if (this.mode !== 'self-signed') return;
    const signing = this.#signing as Root;
    const files: StoredFiles = {
      [FILES.caCert]: signing.certPem,
      [FILES.caKey]: privateKeyToPem(signing.key),
      [FILES.rootCert]: this.bundle().join(''),
      [FILES.rotation]: JSON.stringify(
        {
          ...(this.#next?.switchAt ? { switchAt: new Date(this.#next.switchAt).toISOString() } : {}),
          retiring: this.#retiring.map((r) => ({ certPem: r.certPem, retireAt: new Date(r.retireAt).toISOString() })),
        } satisfies RotationFile,
        null,
        2,
      ),
    };
    if (this.#next) {
      files[FILES.nextCaCert] = this.#next.certPem;
      files[FILES.nextCaKey] = privateKeyToPem(this.#next.key);
    }
    await this.#o.store.save(files);
  }

  async #publish(): Promise<void> {
    const roots = this.bundle();
    // The same set in another order (the signing root moves to the front on a switch) is not a change.
    const fingerprint = [...roots].sort().join('');
    if (fingerprint !== this.#lastPublished) {
      await this.#o.publishBundle(roots);
      this.#lastPublished = fingerprint;
      bundleRoots.set(roots.length);
      this.emit('bundle', roots);
    }
  }

  #retireExpired(): boolean {
    const now = Date.now();
    const before = this.#retiring.length;
    for (const r of this.#retiring.filter((r) => r.retireAt <= now)) {
      this.#o.log.info('old root retired from the trust bundle: every certificate it signed has expired', { serial: new X509Certificate(r.certPem).serialNumber });
    }
    this.#retiring = this.#retiring.filter((r) => r.retireAt > now);
    return this.#retiring.length !== before;
  }

  async #switchSigner(): Promise<void> {
    const next = this.#next!;
    const old = this.#signing as Root;
    // Every certificate the old root signed was issued before now with at most the maximum TTL.
    const retireAt = Date.now() + this.#o.maxCertTtlMs + this.#o.rotation.retireGraceMs;
    this.#retiring.push({ certPem: old.certPem, retireAt });
    this.#signing = { certPem: next.certPem, key: next.key, issuer: next.issuer };
    this.#next = undefined;
    await this.#persist();
    this.#o.log.info('signing switched to the new root; the old root stays trusted until its certificates expire', {
      serial: this.issuer.cert.serialNumber,
      oldRootRetireAt: new Date(retireAt).toISOString(),
    });
    this.#logSigner();
    this.emit('signer', this.issuer);
    await this.#publish();
  }

  #logSigner(): void {
    rootExpiry.set(this.issuer.notAfter.getTime() / 1000);
  }

  #scheduleNext(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const r = this.#o.rotation;
    const times: number[] = this.#retiring.map((x) => x.retireAt);
    if (this.#next?.switchAt !== undefined) times.push(this.#next.switchAt);
    if (this.mode === 'self-signed' && r.autoRotateFraction > 0 && !this.#next) times.push(Date.now() + r.checkIntervalMs);
    if (times.length === 0) return;
    // setTimeout cannot wait longer than 2^31-1 ms; a later event is simply re-checked.
    const delay = Math.min(Math.max(0, Math.min(...times) - Date.now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => void this.#tick(), delay);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      await this.#exclusive(async () => {
        if (this.#closed) return;
        if (this.#next?.switchAt !== undefined && this.#next.switchAt <= Date.now()) await this.#switchSigner();
        if (this.#retireExpired()) {
          await this.#persist();
          await this.#publish();
        }
      });
      const r = this.#o.rotation;
      if (this.mode === 'self-signed' && r.autoRotateFraction > 0 && !this.#next) {
        const c = this.issuer.cert;
        const lifetime = c.validToDate.getTime() - c.validFromDate.getTime();
        if (c.validToDate.getTime() - Date.now() < lifetime * r.autoRotateFraction) await this.rotate(`signing root expires ${c.validToDate.toISOString()}`);
      }
    } catch (err) {
      this.#o.log.error('root rotation step failed; will retry', { err });
    } finally {
      this.#scheduleNext();
    }
  }
}

function newRoot(keyType: KeyType, trustDomain: string, ttlMs: number): { certPem: string; key: KeyObject } {
  // Each root gets its own name, so verifiers never confuse two roots trusted at once.
  const { certPem, privateKey } = createCa({ keyType, subject: { organization: trustDomain, commonName: `Mesh Root CA ${randomBytes(4).toString('hex')}` }, ttlMs });
  return { certPem, key: privateKey };
}

function rootFrom(certPem: string, keyPem: string, what: string): Root {
  const key = privateKeyFromPem(keyPem, what);
  const [cert] = splitCertificates(certPem);
  if (!cert) throw new Error(`${what}: no certificate`);
  try {
    return { certPem: cert, key, issuer: createIssuer(cert, key, []) };
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

