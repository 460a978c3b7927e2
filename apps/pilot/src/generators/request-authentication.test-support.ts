// Test keys for RequestAuthentication tests: made here, never downloaded.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

let pair: { privateKey: KeyObject; jwks: string } | undefined;

/** An RSA key pair made once per test process: its private key and its public key as a JWKS (kid test-1, RS256). */
export function testKeys(): { privateKey: KeyObject; jwks: string } {
  if (pair === undefined) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pair = { privateKey, jwks: JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'test-1', alg: 'RS256', use: 'sig' }] }) };
  }
  return pair;
}

export function testJwks(): string {
  return testKeys().jwks;
}
