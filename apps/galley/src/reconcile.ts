// From a source snapshot to the desired contents of the config bucket, with
// galley's ownership rules:
// - a valid resource is desired under configKey(kind, namespace, name);
// - an invalid one is rejected and its key is protected: whatever version the
//   bucket holds (the last accepted one) stays;
// - an origin that could not be read, or has parts that could not be parsed,
//   protects every key it contributed before (the bucket records each
//   resource's source, so this survives a galley restart);
// - the same kind/namespace/name twice: the first by origin path (then
//   position in the file) wins, the others are rejected naming both places.
import { configKey, type ConfigResource, type FieldError } from '@mesh/contracts';
import { fieldLine, meshReferenceErrors, toConfigResource, type ParsedResource } from '@mesh/config';
import type { OriginContent, SourceSnapshot } from './source.ts';

export interface DesiredEntry {
  key: string;
  id: string;
  resource: ConfigResource;
  origin: string;
  line: number;
  warnings: FieldError[];
}

export interface Rejection {
  key: string;
  /** `Kind namespace/name` */
  id: string;
  kind: string;
  namespace: string;
  name: string;
  origin: string;
  line: number;
  errors: FieldError[];
  /** The line of each error's field, same order as errors. */
  errorLines: number[];
  duplicateOf?: string;
}

export interface OriginProblem {
  origin: string;
  /** `line N: message` for each unreadable part, or the I/O error. */
  errors: string[];
}

export interface ReconcileResult {
  desired: Map<string, DesiredEntry>;
  rejections: Rejection[];
  /** Keys whose current bucket value must stay (rejected resources). */
  protectedKeys: Set<string>;
  /** Origins whose earlier resources must stay where nothing else claims the key. */
  protectedOrigins: Set<string>;
  originProblems: OriginProblem[];
  ignored: number;
  origins: number;
}

interface Candidate {
  origin: string;
  document: number;
  item: number;
  parsed: ParsedResource;
  id: string;
  line: number;
  accepted?: { resource: ConfigResource; warnings: FieldError[] };
  errors?: FieldError[];
}

function candidates(content: OriginContent): Candidate[] {
  const out: Candidate[] = [];
  for (const a of content.accepted) {
    out.push({
      origin: content.origin,
      document: a.location.document,
      item: a.location.item ?? 0,
      parsed: a.parsed,
      id: a.id,
      line: a.location.line,
      accepted: { resource: toConfigResource(a.resource), warnings: a.warnings },
    });
  }
  for (const r of content.rejected) {
    out.push({ origin: content.origin, document: r.location.document, item: r.location.item ?? 0, parsed: r.parsed, id: r.id, line: r.location.line, errors: r.errors });
  }
  return out.sort((a, b) => a.document - b.document || a.item - b.item);
}

export interface ReconcileOptions {
  /**
   * The mesh config in effect: resources that refer to what it does not
   * define (an AuthorizationPolicy CUSTOM's provider) are rejected. Absent:
   * not checked (pilot fails closed on such a reference).
   */
  meshConfig?: unknown;
}

export function reconcile(snapshot: SourceSnapshot, options: ReconcileOptions = {}): ReconcileResult {
  const result: ReconcileResult = {
    desired: new Map(),
    rejections: [],
    protectedKeys: new Set(),
    protectedOrigins: new Set(),
    originProblems: [],
    ignored: 0,
    origins: snapshot.origins.length,
  };
  const claimedBy = new Map<string, Candidate>();
  const origins = [...snapshot.origins].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));

  for (const content of origins) {
    result.ignored += content.ignored.length;
    if (content.unreadable || content.errors.length) {
      result.protectedOrigins.add(content.origin);
      result.originProblems.push({
        origin: content.origin,
        errors: content.unreadable ? [`cannot read: ${content.unreadable}`] : content.errors.map((e) => `line ${e.location.line}: ${e.message}`),
      });
    }
    for (const c of candidates(content)) {
      const { kind, metadata } = c.parsed;
      const key = configKey(kind, metadata.namespace, metadata.name);
      const first = claimedBy.get(key);
      if (first) {
        const where = first.origin === c.origin ? `earlier in the same file (line ${first.line})` : `in ${first.origin} (line ${first.line})`;
        const message = `${c.id} is already defined ${where}; the first definition by file path wins`;
        result.rejections.push({
          key,
          id: c.id,
          kind,
          namespace: metadata.namespace,
          name: metadata.name,
          origin: c.origin,
          line: c.line,
          errors: [{ path: 'metadata.name', message }],
          errorLines: [fieldLine(c.parsed, 'metadata.name')],
          duplicateOf: first.origin,
        });
        continue;
      }
      claimedBy.set(key, c);
      if (c.accepted && options.meshConfig !== undefined) {
        const refs = meshReferenceErrors(c.accepted.resource, options.meshConfig);
        if (refs.length) {
          c.errors = refs;
          c.accepted = undefined;
        }
      }
      if (c.accepted) {
        result.desired.set(key, { key, id: c.id, resource: c.accepted.resource, origin: c.origin, line: c.line, warnings: c.accepted.warnings });
      } else {
        result.protectedKeys.add(key);
        result.rejections.push({
          key,
          id: c.id,
          kind,
          namespace: metadata.namespace,
          name: metadata.name,
          origin: c.origin,
          line: c.line,
          errors: c.errors ?? [],
          errorLines: (c.errors ?? []).map((e) => fieldLine(c.parsed, e.path)),
        });
      }
    }
  }
  return result;
}

/**
 * What the bucket should hold, given what it holds now: the desired entries,
 * plus current entries that are protected (a rejected key, or a key from an
 * origin that could not be parsed and that nothing else now claims).
 */
export function effectiveState(
  result: Pick<ReconcileResult, 'desired' | 'protectedKeys' | 'protectedOrigins'>,
  current: ReadonlyMap<string, ConfigResource>,
): Map<string, ConfigResource> {
  const out = new Map<string, ConfigResource>();
  for (const [key, entry] of result.desired) out.set(key, entry.resource);
  for (const [key, resource] of current) {
    if (out.has(key)) continue;
    if (result.protectedKeys.has(key) || (resource.source !== undefined && result.protectedOrigins.has(resource.source))) out.set(key, resource);
  }
  return out;
}

/** Deterministic JSON (keys sorted) so that equal resources compare equal however they were built. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
