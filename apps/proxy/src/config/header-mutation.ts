// Envoy's header manipulation (request/response_headers_to_add and _remove at
// route configuration, virtual host, route and weighted-cluster level),
// applied to flat header arrays [name, value, name, value, ...] with lower-case
// names - the form the proxy hands to undici and to res.writeHead.
import type { HeaderValue__Output, HeaderValueOption__Output } from '@mesh/xds';
import { invalid } from './proto-values.ts';
import { checkFields, fieldTable } from './supported-fields.ts';

// What this proxy accepts of a header to add (see supported-fields.ts).
const HEADER_VALUE_OPTION = fieldTable<HeaderValueOption__Output>('envoy.config.core.v3.HeaderValueOption', {
  implemented: ['header', 'append', 'appendAction', 'keepEmptyValue'],
});
const HEADER_VALUE = fieldTable<HeaderValue__Output>('envoy.config.core.v3.HeaderValue', { implemented: ['key', 'value', 'rawValue'] });

/** What a header value's %VARIABLE% may refer to. */
export interface HeaderContext {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  protocol: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  upstreamHost?: string;
  upstreamCluster?: string;
}

type Part = string | ((ctx: HeaderContext) => string);

const HOSTNAME = process.env.HOSTNAME ?? 'localhost';

function withPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function variable(name: string, path: string): (ctx: HeaderContext) => string {
  const req = /^REQ\(([^)]+)\)$/.exec(name);
  if (req) {
    const header = req[1].toLowerCase();
    return (ctx) => {
      const v = ctx.requestHeaders[header];
      return v === undefined ? '' : typeof v === 'string' ? v : v.join(',');
    };
  }
  switch (name) {
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return (ctx) => withPort(ctx.remoteAddress, ctx.remotePort);
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return (ctx) => ctx.remoteAddress;
    case 'DOWNSTREAM_REMOTE_PORT':
      return (ctx) => String(ctx.remotePort);
    case 'DOWNSTREAM_LOCAL_ADDRESS':
      return (ctx) => withPort(ctx.localAddress, ctx.localPort);
    case 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT':
      return (ctx) => ctx.localAddress;
    case 'DOWNSTREAM_LOCAL_PORT':
      return (ctx) => String(ctx.localPort);
    case 'HOSTNAME':
      return () => HOSTNAME;
    case 'PROTOCOL':
      return (ctx) => ctx.protocol;
    case 'UPSTREAM_REMOTE_ADDRESS':
      return (ctx) => ctx.upstreamHost ?? '';
    case 'UPSTREAM_CLUSTER':
      return (ctx) => ctx.upstreamCluster ?? '';
    case 'START_TIME':
      return () => new Date().toISOString();
    default:
      invalid(path, `unsupported header value variable %${name}%`);
  }
}

/** A header value with %VARIABLE% substitutions compiled once. */
export class HeaderValue {
  readonly literal: string | undefined;
  readonly parts: Part[] | undefined;

  constructor(value: string, path: string) {
    if (!value.includes('%')) {
      this.literal = value;
      this.parts = undefined;
      return;
    }
    const parts: Part[] = [];
    let i = 0;
    let text = '';
    while (i < value.length) {
      const c = value[i];
      if (c !== '%') {
        text += c;
        i++;
        continue;
      }
      if (value[i + 1] === '%') {
        text += '%';
        i += 2;
        continue;
      }
      const end = value.indexOf('%', i + 1);
      if (end < 0) invalid(path, `unterminated %VARIABLE% in header value ${JSON.stringify(value)}`);
      if (text) parts.push(text);
      text = '';
      parts.push(variable(value.slice(i + 1, end), path));
      i = end + 1;
    }
    if (text) parts.push(text);
    this.literal = undefined;
    this.parts = parts;
  }

  evaluate(ctx: HeaderContext | undefined): string {
    if (this.literal !== undefined) return this.literal;
    let out = '';
    for (const p of this.parts!) out += typeof p === 'string' ? p : ctx ? p(ctx) : '';
    return out;
  }
}

const APPEND = 0;
const ADD_IF_ABSENT = 1;
const OVERWRITE_OR_ADD = 2;
const OVERWRITE_IF_EXISTS = 3;

/** envoy.config.core.v3.HeaderValueOption, as decoded. */
export type HeaderValueOptionConfig = HeaderValueOption__Output;

interface HeaderAddition {
  name: string;
  value: HeaderValue;
  action: number;
  keepEmpty: boolean;
}

/** One level's additions and removals, applied in Envoy's order: remove, then add. */
export class HeaderMutation {
  readonly remove: string[];
  readonly add: HeaderAddition[];

  constructor(add: HeaderValueOption__Output[] | undefined, remove: string[] | undefined, path: string) {
    this.remove = (remove ?? []).map((n) => n.toLowerCase());
    this.add = (add ?? []).map((o, i) => {
      const p = `${path}[${i}]`;
      checkFields(o, HEADER_VALUE_OPTION, p);
      checkFields(o.header, HEADER_VALUE, `${p}.header`);
      const name = o.header?.key?.toLowerCase();
      if (!name) invalid(`${p}.header.key`, 'a header to add needs a name');
      if (name.startsWith(':')) invalid(`${p}.header.key`, `pseudo-header ${name} cannot be added`);
      let action = APPEND;
      if (o.appendAction !== undefined) {
        action = ({ APPEND_IF_EXISTS_OR_ADD: APPEND, ADD_IF_ABSENT, OVERWRITE_IF_EXISTS_OR_ADD: OVERWRITE_OR_ADD, OVERWRITE_IF_EXISTS } as Record<string, number>)[o.appendAction] ?? -1;
        if (action < 0) invalid(`${p}.appendAction`, `unknown append action ${o.appendAction}`);
      } else if (o.append !== undefined && o.append.value === false) {
        action = OVERWRITE_OR_ADD;
      }
      const rawValue: unknown = o.header?.rawValue;
      // protobufjs' JSON form gives bytes as base64; a Buffer is taken as is.
      const raw =
        o.header?.value ??
        (rawValue === undefined ? '' : (typeof rawValue === 'string' ? Buffer.from(rawValue, 'base64') : Buffer.from(rawValue as Uint8Array)).toString('latin1'));
      return { name, value: new HeaderValue(raw, `${p}.header.value`), action, keepEmpty: o.keepEmptyValue === true };
    });
  }

  get empty(): boolean {
    return this.remove.length === 0 && this.add.length === 0;
  }

  apply(headers: string[], ctx: HeaderContext | undefined): void {
    for (const name of this.remove) removeHeader(headers, name);
    for (const a of this.add) {
      const value = a.value.evaluate(ctx);
      if (value === '' && !a.keepEmpty) continue;
      switch (a.action) {
        case APPEND:
          headers.push(a.name, value);
          break;
        case ADD_IF_ABSENT:
          if (findHeader(headers, a.name) < 0) headers.push(a.name, value);
          break;
        case OVERWRITE_OR_ADD:
          removeHeader(headers, a.name);
          headers.push(a.name, value);
          break;
        default:
          if (findHeader(headers, a.name) >= 0) {
            removeHeader(headers, a.name);
            headers.push(a.name, value);
          }
      }
    }
  }
}

export function findHeader(headers: string[], name: string): number {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return i;
  return -1;
}

export function getHeader(headers: string[], name: string): string | undefined {
  const i = findHeader(headers, name);
  return i < 0 ? undefined : headers[i + 1];
}

export function removeHeader(headers: string[], name: string): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (headers[r] === name) continue;
    if (w !== r) {
      headers[w] = headers[r];
      headers[w + 1] = headers[r + 1];
    }
    w += 2;
  }
  headers.length = w;
}

export function setHeader(headers: string[], name: string, value: string): void {
  const i = findHeader(headers, name);
  if (i < 0) {
    headers.push(name, value);
    return;
  }
  headers[i + 1] = value;
  // Drop any later duplicates so the header has exactly one value.
  for (let j = i + 2; j < headers.length; j += 2) {
    if (headers[j] === name) {
      removeHeader(headers, name);
      headers.push(name, value);
      return;
    }
  }
}
