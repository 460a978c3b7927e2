import { BACKEND_NAMES, type BackendName, type SigningBackend } from '../workload-profile.ts';
import { forgeBackend } from './forge.ts';
import { nativeBackend } from './native.ts';

export const BACKENDS: Record<BackendName, SigningBackend> = { native: nativeBackend, forge: forgeBackend };

export function backendByName(name: string): SigningBackend {
  const b = BACKENDS[name as BackendName];
  if (!b) throw new Error(`unknown signing backend "${name}"; expected one of ${BACKEND_NAMES.join(', ')}`);
  return b;
}
