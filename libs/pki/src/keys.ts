// Key pairs. Private keys are node:crypto KeyObjects: they stay in the process
// that generated them unless the caller explicitly exports them (only the CA
// does, to persist its own root).
import { generateKeyPairSync, createPrivateKey, type KeyObject } from 'node:crypto';

/** The key types the mesh issues and accepts for CA keys. Workload CSRs may also carry P-384 or larger RSA keys. */
export const KEY_TYPES = ['ec-p256', 'rsa-2048'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateKeyPair(type: KeyType = 'ec-p256'): KeyPair {
  switch (type) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    default:
      throw new Error(`unknown key type "${type as string}"; expected one of ${KEY_TYPES.join(', ')}`);
  }
}

export function parseKeyType(value: string): KeyType {
  if ((KEY_TYPES as readonly string[]).includes(value)) return value as KeyType;
  throw new Error(`unknown key type "${value}"; expected one of ${KEY_TYPES.join(', ')}`);
}

/** A short description such as "EC P-256" or "RSA 2048", for messages and logs. */
export function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return `EC ${d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : d.namedCurve}`;
  if (key.asymmetricKeyType === 'rsa') return `RSA ${d.modulusLength}`;
  return String(key.asymmetricKeyType);
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }) as string;
}

export function privateKeyFromPem(pem: string, what = 'private key'): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${what}: not a readable PEM private key (${(err as Error).message})`);
  }
}
