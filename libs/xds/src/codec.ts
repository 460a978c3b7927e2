// Conversions between the in-memory shape of Envoy resources (protobufjs plain
// objects, see docs/xds-representation.md) and protobuf bytes.
import protobuf from 'protobufjs';
import { hasMessageType, messageType } from './protos.ts';

const PREFIX = 'type.googleapis.com/';

/** Type URLs of the resources ADS carries. */
export const TYPE_URLS = {
  listener: `${PREFIX}envoy.config.listener.v3.Listener`,
  route: `${PREFIX}envoy.config.route.v3.RouteConfiguration`,
  cluster: `${PREFIX}envoy.config.cluster.v3.Cluster`,
  endpoint: `${PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  secret: `${PREFIX}envoy.extensions.transport_sockets.tls.v3.Secret`,
} as const;
export type ResourceTypeUrl = (typeof TYPE_URLS)[keyof typeof TYPE_URLS];

/** Short names used in logs, metrics and debug output. */
export const TYPE_SHORT_NAMES: Record<string, string> = {
  [TYPE_URLS.listener]: 'LDS',
  [TYPE_URLS.route]: 'RDS',
  [TYPE_URLS.cluster]: 'CDS',
  [TYPE_URLS.endpoint]: 'EDS',
  [TYPE_URLS.secret]: 'SDS',
};

export function shortTypeName(typeUrl: string): string {
  return TYPE_SHORT_NAMES[typeUrl] ?? typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/** Fully qualified type URL for a message name. */
export function typeUrlOf(messageName: string): string {
  return messageName.includes('/') ? messageName : PREFIX + messageName;
}

/** The options that produce the documented in-memory shape. */
export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: false,
  oneofs: false,
  json: true,
};

/** The wire form of google.protobuf.Any. */
export interface PackedAny {
  typeUrl: string;
  value: Buffer;
}

/**
 * Encodes a plain object of a message type. Throws an Error that names the
 * type and what protobufjs rejected (an unknown enum name, a wrong type...).
 */
export function encodeMessage(typeUrlOrName: string, obj: object): Buffer {
  const type = messageType(typeUrlOrName);
  // protobufjs' fromObject silently drops unknown fields and coerces bad
  // values; a control plane wants its own mistakes reported with a path.
  checkPlain(type, obj, '');
  const message = fromObjectSafe(type, obj);
  const problem = type.verify(message);
  if (problem) throw new Error(`${type.fullName.slice(1)}: ${problem}`);
  return Buffer.from(type.encode(message).finish());
}

function fromObjectSafe(type: protobuf.Type, obj: object): protobuf.Message {
  try {
    return type.fromObject(obj as Record<string, unknown>);
  } catch (err) {
    throw new Error(`${type.fullName.slice(1)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Decodes bytes of a message type into the in-memory plain-object shape. */
export function decodeMessage<T = any>(typeUrlOrName: string, bytes: Uint8Array): T {
  const type = messageType(typeUrlOrName);
  return type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS) as T;
}

/** Normalises a plain object by a round trip through the protos (drops unknown fields, fills names of enums). */
export function normalize<T = any>(typeUrlOrName: string, obj: object): T {
  return decodeMessage<T>(typeUrlOrName, encodeMessage(typeUrlOrName, obj));
}

/** `{ '@type': url, ...fields }` → `{ typeUrl, value }`. */
export function packAny(obj: { '@type': string } & Record<string, any>): PackedAny {
  const url = obj['@type'];
  if (typeof url !== 'string' || !url) throw new Error("packAny: the object has no '@type'");
  return { typeUrl: typeUrlOf(url), value: encodeMessage(url, obj) };
}

/** `{ typeUrl, value }` (or protobufjs' `{ type_url, value }`) → `{ '@type': url, ...fields }`. */
export function unpackAny<T = any>(any: { typeUrl?: string; type_url?: string; value?: Uint8Array | null }): T & { '@type': string } {
  const url = any.typeUrl ?? any.type_url;
  if (!url) throw new Error('unpackAny: the Any has no type URL');
  return { ...decodeMessage(url, any.value ?? new Uint8Array()), '@type': url };
}

/** The name a resource is known by in xDS: `name`, or `clusterName` for a ClusterLoadAssignment. */
export function resourceName(typeUrl: string, resource: object): string {
  const named = resource as { name?: unknown; clusterName?: unknown };
  const name = typeUrl === TYPE_URLS.endpoint ? named.clusterName : named.name;
  if (typeof name !== 'string' || !name) {
    throw new Error(`${shortTypeName(typeUrl)} resource has no ${typeUrl === TYPE_URLS.endpoint ? 'clusterName' : 'name'}`);
  }
  return name;
}

/** A JavaScript value as google.protobuf.Value in plain-object form. */
export function toProtoValue(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toProtoValue) } };
  if (typeof v === 'object') return { structValue: toStruct(v as Record<string, unknown>) };
  return { stringValue: String(v) };
}

/** A JavaScript object as google.protobuf.Struct in plain-object form (node metadata, filter metadata). */
export function toStruct(obj: Record<string, unknown>): { fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toProtoValue(v);
  return { fields };
}

/** google.protobuf.Value in plain-object form → JavaScript value. */
export function fromProtoValue(v: Record<string, any> | undefined): unknown {
  if (!v) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return fromStruct(v.structValue);
  if ('listValue' in v) return ((v.listValue?.values ?? []) as Record<string, any>[]).map(fromProtoValue);
  return null;
}

/** google.protobuf.Struct in plain-object form → JavaScript object. */
export function fromStruct(s: { fields?: Record<string, any> } | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromProtoValue(v);
  return out;
}

// protobufjs computes Type#fullName on every access; compare by identity instead.
let wellKnown: { any: protobuf.Type; opaque: Set<protobuf.Type> } | undefined;
function known() {
  wellKnown ??= {
    any: messageType('google.protobuf.Any'),
    opaque: new Set(['google.protobuf.Value', 'google.protobuf.Struct', 'google.protobuf.ListValue'].map((n) => messageType(n))),
  };
  return wellKnown;
}

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/**
 * Checks a plain object against a message type: unknown fields, enum names,
 * scalar types, nested messages and Anys (by their '@type'). Throws an Error
 * whose message starts with the field path.
 */
export function checkPlain(type: protobuf.Type, obj: unknown, path: string): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${path || '(root)'}: expected an object for ${type.name}`);
  if (obj instanceof type.ctor) return;
  const isAny = type === known().any;
  for (const [key, value] of Object.entries(obj as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    // Any's bundled definition says type_url; our documented form says typeUrl.
    if (isAny && (key === '@type' || key === 'typeUrl')) continue;
    const field = type.fields[key];
    const where = path ? `${path}.${key}` : key;
    if (!field) {
      if (key === '@type') continue; // the unpacked form of an Any: checked by the caller
      throw new Error(`${where}: unknown field of ${type.fullName.slice(1)}`);
    }
    field.resolve();
    if (field.map) {
      if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected a map`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) checkValue(field, v, `${where}[${JSON.stringify(k)}]`);
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new Error(`${where}: expected a list`);
      value.forEach((v, i) => checkValue(field, v, `${where}[${i}]`));
    } else {
      checkValue(field, value, where);
    }
  }
}

function checkValue(field: protobuf.Field, value: unknown, where: string): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    if (typeof value === 'number' ? !Object.values(rt.values).includes(value) : typeof value !== 'string' || !(value in rt.values)) {
      throw new Error(`${where}: ${JSON.stringify(value)} is not one of ${Object.keys(rt.values).join(', ')}`);
    }
    return;
  }
  if (rt instanceof protobuf.Type) {
    if (rt === known().any && value && typeof value === 'object' && typeof (value as any)['@type'] === 'string') {
      const url = (value as any)['@type'] as string;
      if (!hasMessageType(url)) throw new Error(`${where}: unknown @type ${url}`);
      checkPlain(messageType(url), value, where);
      return;
    }
    if (known().opaque.has(rt)) {
      if (typeof value !== 'object') throw new Error(`${where}: expected an object for ${rt.name}`);
      return;
    }
    checkPlain(rt, value, where);
    return;
  }
  const t = field.type;
  const bad = () => new Error(`${where}: ${JSON.stringify(value)} is not a valid ${t}`);
  if (t === 'string') {
    if (typeof value !== 'string') throw bad();
  } else if (t === 'bool') {
    if (typeof value !== 'boolean') throw bad();
  } else if (t === 'double' || t === 'float') {
    if (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) throw bad();
  } else if (INT32.has(t)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || (t.startsWith('u') || t === 'fixed32' ? value < 0 : false)) throw bad();
  } else if (INT64.has(t)) {
    const ok = (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value)) || (typeof value === 'object' && value !== null && 'low' in value);
    if (!ok) throw bad();
  } else if (t === 'bytes') {
    if (!(value instanceof Uint8Array) && typeof value !== 'string') throw bad();
  }
}
