import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialSchema } from './messages.ts';
import { credentialKey, parseCredentialKey } from './names.ts';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END PRIVATE KEY-----\n';

describe('credentials contract (credentialName secrets in mesh-credentials)', () => {
  it('keys by namespace then name; names may hold dots', () => {
    assert.equal(credentialKey('istio-system', 'httpbin.example.com-cred'), 'istio-system.httpbin.example.com-cred');
    assert.deepEqual(parseCredentialKey('istio-system.httpbin.example.com-cred'), { namespace: 'istio-system', name: 'httpbin.example.com-cred' });
    assert.equal(parseCredentialKey('nodot'), undefined);
  });

  it('accepts a key pair, a key pair with a CA, or a CA alone; refuses half a pair or non-PEM, never quoting the value', () => {
    for (const ok of [{ cert: CERT, key: KEY }, { cert: CERT, key: KEY, ca: CERT }, { ca: CERT }]) {
      assert.equal(CredentialSchema.safeParse({ namespace: 'istio-system', name: 'c', ...ok }).success, true, JSON.stringify(Object.keys(ok)));
    }
    for (const bad of [{ cert: CERT }, { key: KEY }, {}, { cert: 'not pem', key: KEY }, { cert: CERT, key: 'c2VjcmV0LWtleQ==' }]) {
      const r = CredentialSchema.safeParse({ namespace: 'istio-system', name: 'c', ...bad });
      assert.equal(r.success, false, JSON.stringify(Object.keys(bad)));
      assert.ok(!JSON.stringify(r.error!.issues).includes('c2VjcmV0LWtleQ'), 'the key is not in the error');
    }
  });
});
