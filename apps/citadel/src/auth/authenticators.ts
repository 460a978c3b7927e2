// Who is calling: each authenticator turns one kind of credential into a
// workload identity. A request may carry a bearer token, a client
// certificate, or both; the first credential that proves an identity wins,
// and if none does the caller gets every reason.
import type { PeerCertificate } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { parseSpiffeId, peerSpiffeId, type WorkloadIdentity } from '@mesh/pki';
import type { Logger } from '@mesh/telemetry';
import { CaError } from '../authority.ts';
import type { KubeApi } from '../kube/api.ts';
import { TOKEN_AUDIENCE, type BootstrapTokens } from './bootstrap-tokens.ts';

export interface Credentials {
  token?: string;
  /** Present only when the TLS layer verified it against the trust bundle. */
  peerCertificate?: PeerCertificate;
}

export interface Caller {
  identity: Omit<WorkloadIdentity, 'trustDomain'>;
  /** Which credential proved it, for the signing log. */
  via: 'bootstrap-token' | 'kubernetes-token' | 'client-certificate';
}

export interface Authenticator {
  readonly name: string;
  /** undefined when the request carries no credential of this kind; throws with a reason when it carries a bad one. */
  authenticate(credentials: Credentials): Promise<Caller | undefined>;
}

export class BootstrapTokenAuthenticator implements Authenticator {
  readonly name = 'bootstrap-token';
  readonly #tokens: BootstrapTokens;
  constructor(tokens: BootstrapTokens) {
    this.#tokens = tokens;
  }
  async authenticate({ token }: Credentials): Promise<Caller | undefined> {
    if (!token) return undefined;
    const claims = await this.#tokens.verify(token);
    return { identity: { namespace: claims.namespace, serviceAccount: claims.serviceAccount }, via: 'bootstrap-token' };
  }
}

/** Kubernetes: the projected service-account token, checked by the API server with a TokenReview. */
export class TokenReviewAuthenticator implements Authenticator {
  readonly name = 'kubernetes-token';
  readonly #kube: KubeApi;
  readonly #audience: string;
  constructor(kube: KubeApi, audience = TOKEN_AUDIENCE) {
    this.#kube = kube;
    this.#audience = audience;
  }
  async authenticate({ token }: Credentials): Promise<Caller | undefined> {
    if (!token) return undefined;
    let review;
    try {
      review = await this.#kube.reviewToken(token, [this.#audience]);
    } catch (err) {
      throw new CaError(status.UNAVAILABLE, `cannot check the token with the Kubernetes API (TokenReview): ${(err as Error).message}`);
    }
    if (!review.authenticated) throw new Error(`the Kubernetes API did not authenticate the token${review.error ? `: ${review.error}` : ''}`);
    // An API server that supports audiences echoes the ones the token is valid for.
    if (review.audiences && !review.audiences.includes(this.#audience)) {
      throw new Error(`the token is not for audience ${this.#audience} (it is for ${review.audiences.join(', ') || 'no audience'}); mount a projected token with audience ${this.#audience}`);
    }
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(review.username ?? '');
    if (!m) throw new Error(`the token belongs to ${review.username ?? 'an unnamed user'}, not a service account`);
    return { identity: { namespace: m[1], serviceAccount: m[2] }, via: 'kubernetes-token' };
  }
}

/** Renewal over mutual TLS with a certificate this CA issued (verified against the bundle by the TLS layer). */
export class ClientCertificateAuthenticator implements Authenticator {
  readonly name = 'client-certificate';
  readonly #trustDomain: string;
  constructor(trustDomain: string) {
    this.#trustDomain = trustDomain;
  }
  async authenticate({ peerCertificate }: Credentials): Promise<Caller | undefined> {
    if (!peerCertificate) return undefined;
    const id = peerSpiffeId(peerCertificate);
    if (!id) throw new Error('the client certificate does not carry exactly one SPIFFE id');
    const parsed = parseSpiffeId(id);
    if (!parsed.ok) throw new Error(`client certificate: ${parsed.error}`);
    if (parsed.id.trustDomain !== this.#trustDomain) throw new Error(`client certificate is for trust domain ${parsed.id.trustDomain}, not ${this.#trustDomain}`);
    return { identity: { namespace: parsed.id.namespace, serviceAccount: parsed.id.serviceAccount }, via: 'client-certificate' };
  }
}

/** Tries each authenticator; UNAUTHENTICATED (with every reason) when none proves an identity. */
export async function authenticate(authenticators: Authenticator[], credentials: Credentials, log?: Logger): Promise<Caller> {
  const reasons: string[] = [];
  for (const a of authenticators) {
    try {
      const caller = await a.authenticate(credentials);
      if (caller) return caller;
    } catch (err) {
      if (err instanceof CaError) throw err;
      reasons.push(`${a.name}: ${(err as Error).message}`);
      log?.debug('credential rejected', { authenticator: a.name, reason: (err as Error).message });
    }
  }
  if (reasons.length === 0) {
    throw new CaError(status.UNAUTHENTICATED, 'no credentials: send "authorization: Bearer <token>" metadata or a client certificate issued by this CA');
  }
  throw new CaError(status.UNAUTHENTICATED, reasons.join('; '));
}
