// Multi-document YAML (or JSON) into Istio resources with their source
// location. Tolerates `---` separators, empty documents, comments and
// Kubernetes `List` kinds; documents of other kinds (Deployment, Service...)
// are reported as ignored, not as errors. Only what cannot be read at all (a
// YAML syntax error, a document without kind or name) is an error here; the
// rest is validation's job, so that a bad resource can still be named.
import { LineCounter, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { classify } from './kinds.ts';
import { parsePath, type PathSegment } from './paths.ts';
import type { ParsedResource, SourceLocation } from './resource.ts';

export interface ParseOptions {
  /** The file name (or other origin) recorded in locations and in `source`. */
  source?: string;
  /** Namespace for resources whose metadata.namespace is absent; `default` unless set. */
  defaultNamespace?: string;
}

export interface ParseError {
  location: SourceLocation;
  message: string;
  /** `Kind namespace/name` when the document got that far. */
  resource?: string;
}

export interface IgnoredDocument {
  location: SourceLocation;
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name?: string;
  reason: string;
}

export interface ParseResult {
  resources: ParsedResource[];
  errors: ParseError[];
  ignored: IgnoredDocument[];
}

interface Origin {
  doc: Document;
  lines: LineCounter;
  /** Path of the resource inside its document (empty, or ['items', i] for a List item). */
  base: PathSegment[];
}

const origins = new WeakMap<object, Origin>();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseResources(text: string, options: ParseOptions = {}): ParseResult {
  const result: ParseResult = { resources: [], errors: [], ignored: [] };
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, merge: true });
  const source = options.source;
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);

  // parseAllDocuments returns an EmptyStream for text without documents.
  for (const [document, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    const docLine = lineAt(doc.contents?.range?.[0] ?? doc.range?.[0]);
    if (doc.errors.length) {
      for (const err of doc.errors) {
        result.errors.push({
          location: locate(source, document, err.linePos?.[0]?.line ?? docLine),
          message: `YAML syntax error: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
        });
      }
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) continue; // empty document
    const base: Array<{ value: unknown; base: PathSegment[]; item?: number; line: number }> = [];
    if (Array.isArray(value)) {
      // A JSON array of resources: treat like a List.
      value.forEach((item, i) => base.push({ value: item, base: [i], item: i, line: lineAt(nodeOffset(doc, [i])) }));
    } else if (isObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item, i) => base.push({ value: item, base: ['items', i], item: i, line: lineAt(nodeOffset(doc, ['items', i])) }));
    } else {
      base.push({ value, base: [], line: docLine });
    }
    for (const entry of base) {
      const location = locate(source, document, entry.line);
      if (entry.item !== undefined) location.item = entry.item;
      readObject(entry.value, location, { doc, lines, base: entry.base }, options, result);
    }
  }
  return result;
}

function locate(source: string | undefined, document: number, line: number): SourceLocation {
  return source === undefined ? { document, line } : { source, document, line };
}

function nodeOffset(doc: Document, path: PathSegment[]): number | undefined {
  const node = doc.getIn(path, true);
  return isNode(node) ? node.range?.[0] : undefined;
}

function readObject(value: unknown, location: SourceLocation, origin: Origin, options: ParseOptions, result: ParseResult): void {
  if (!isObject(value)) {
    result.errors.push({ location, message: 'document is not an object: expected apiVersion, kind, metadata and spec' });
    return;
  }
  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : undefined;
  const kind = value.kind;
  if (typeof kind !== 'string' || !kind) {
    result.errors.push({ location, message: 'kind is required (e.g. VirtualService)' });
    return;
  }
  const metadata = isObject(value.metadata) ? value.metadata : undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : undefined;
  const namespace = typeof metadata?.namespace === 'string' && metadata.namespace ? metadata.namespace : (options.defaultNamespace ?? 'default');
  const kindClass = classify(apiVersion, kind);
  if (!kindClass.handled) {
    const ignored: IgnoredDocument = { location, kind, reason: kindClass.reason };
    if (apiVersion) ignored.apiVersion = apiVersion;
    if (name) ignored.name = name;
    if (metadata?.namespace !== undefined) ignored.namespace = namespace;
    result.ignored.push(ignored);
    return;
  }
  if (!name) {
    const message = metadata?.name === undefined || metadata.name === null ? `metadata.name is required for ${kind}` : `metadata.name of ${kind} must be a string`;
    result.errors.push({ location, message });
    return;
  }
  if (metadata?.namespace !== undefined && metadata.namespace !== null && typeof metadata.namespace !== 'string') {
    result.errors.push({ location, message: `metadata.namespace of ${kind} ${name} must be a string`, resource: `${kind} ?/${name}` });
    return;
  }
  const resource: ParsedResource = {
    apiVersion: apiVersion ?? '',
    kind: kindClass.info.kind,
    metadata: { ...(metadata as Record<string, unknown>), name, namespace } as ParsedResource['metadata'],
    spec: value.spec as Record<string, unknown>,
    location,
  };
  if (options.source !== undefined) resource.source = options.source;
  // Anything else at the top level (status, data...) is not part of the resource.
  origins.set(resource, origin);
  result.resources.push(resource);
}

/**
 * The 1-based line of a field (a path as FieldError gives it, such as
 * `spec.http[0].route[1].weight`) in the text a resource was parsed from: the
 * line of the field's key, or of the list item. Falls back to the nearest
 * enclosing field, then to the resource's first line.
 */
export function fieldLine(resource: ParsedResource, path: string): number {
  const origin = origins.get(resource);
  const segments = parsePath(path);
  if (!origin || !segments) return resource.location.line;
  let node: unknown = origin.doc.getIn(origin.base, true);
  let line = resource.location.line;
  for (const seg of segments) {
    if (isMap(node)) {
      // Field names may have been written in snake_case.
      const pair = node.items.find((p) => {
        const key = isScalar(p.key) ? String(p.key.value) : undefined;
        return key === String(seg) || (key !== undefined && key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) === seg);
      });
      if (!pair) break;
      const at = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      if (at !== undefined) line = origin.lines.linePos(at).line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      const at = isNode(node) ? node.range?.[0] : undefined;
      if (at !== undefined) line = origin.lines.linePos(at).line;
    } else {
      break;
    }
  }
  return line;
}
