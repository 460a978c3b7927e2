// RFC 6902 JSON Patch from one JSON document to another. Objects are diffed
// key by key; lists element by element, with elements added at the front
// (istio-init) or the end (istio-proxy, volumes) written as `add` at their
// index rather than replacing the whole list.

export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

/** RFC 6901 pointer escaping: annotation keys contain '/'. */
export function escapePointer(key: string): string {
  if (!key.includes('/') && !key.includes('~')) return key;
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!(k in b) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

function diff(a: unknown, b: unknown, path: string, ops: PatchOp[]): void {
  if (a === b) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of Object.keys(a)) if (!(k in b)) ops.push({ op: 'remove', path: `${path}/${escapePointer(k)}` });
    for (const [k, bv] of Object.entries(b)) {
      const p = `${path}/${escapePointer(k)}`;
      if (!(k in a)) ops.push({ op: 'add', path: p, value: bv });
      else diff(a[k], bv, p, ops);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const grow = b.length - a.length;
    // Prepended: b = [...new, ...a].
    if (grow > 0 && deepEqual(b.slice(grow), a)) {
      for (let i = 0; i < grow; i++) ops.push({ op: 'add', path: `${path}/${i}`, value: b[i] });
      return;
    }
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) diff(a[i], b[i], `${path}/${i}`, ops);
    for (let i = common; i < b.length; i++) ops.push({ op: 'add', path: `${path}/${i}`, value: b[i] });
    for (let i = a.length - 1; i >= b.length; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
    return;
  }
  if (!deepEqual(a, b)) ops.push({ op: 'replace', path, value: b });
}

export function createPatch(from: unknown, to: unknown): PatchOp[] {
  const ops: PatchOp[] = [];
  diff(from, to, '', ops);
  return ops;
}
