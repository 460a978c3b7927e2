// Flags and environment variables of the Bookinfo services. Flags win over the
// environment; the environment uses the names Istio's Bookinfo uses
// (SERVICES_DOMAIN, DETAILS_HOSTNAME, REVIEWS_HOSTNAME, RATINGS_HOSTNAME,
// SERVICE_VERSION, ENABLE_RATINGS, STAR_COLOR) plus our own for what Istio's
// hard-codes (the port of each upstream, where to connect, an HTTP proxy).
import { hostname } from 'node:os';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Upstream } from './http.ts';

export const SERVICES = ['productpage', 'details', 'reviews', 'ratings'] as const;
export type ServiceName = (typeof SERVICES)[number];

export function isService(v: string | undefined): v is ServiceName {
  return v !== undefined && (SERVICES as readonly string[]).includes(v);
}

/** Istio's port for every Bookinfo service. */
export const DEFAULT_PORT = 9080;

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface CommonConfig {
  port: number;
  bind: string;
  drainMs: number;
  logLevel: string;
  /** Outbound calls go through this HTTP proxy (absolute-form requests) when set. */
  httpProxy: { host: string; port: number } | undefined;
}

export interface ProductpageConfig extends CommonConfig {
  service: 'productpage';
  details: Upstream;
  reviews: Upstream;
  ratings: Upstream;
  /** Key for the session cookie's signature; random per process when unset. */
  sessionSecret: string | undefined;
}
export interface DetailsConfig extends CommonConfig {
  service: 'details';
}
export interface RatingsConfig extends CommonConfig {
  service: 'ratings';
}
export interface ReviewsConfig extends CommonConfig {
  service: 'reviews';
  version: string;
  ratingsEnabled: boolean;
  starColor: string;
  ratingsTimeoutMs: number;
  ratings: Upstream;
  podName: string;
  clusterName: string;
}
export type ServiceConfig = ProductpageConfig | DetailsConfig | RatingsConfig | ReviewsConfig;

const COMMON_OPTIONS = {
  port: { type: 'string' },
  bind: { type: 'string' },
  'drain-timeout': { type: 'string' },
  'http-proxy': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const UPSTREAM_OPTIONS = (name: string) =>
  ({
    [`${name}-hostname`]: { type: 'string' },
    [`${name}-port`]: { type: 'string' },
    [`${name}-address`]: { type: 'string' },
  }) as const;

const OPTIONS = {
  productpage: { ...COMMON_OPTIONS, ...UPSTREAM_OPTIONS('details'), ...UPSTREAM_OPTIONS('reviews'), ...UPSTREAM_OPTIONS('ratings'), 'services-domain': { type: 'string' }, 'session-secret': { type: 'string' } },
  details: COMMON_OPTIONS,
  ratings: { ...COMMON_OPTIONS, version: { type: 'string' } },
  reviews: { ...COMMON_OPTIONS, ...UPSTREAM_OPTIONS('ratings'), 'services-domain': { type: 'string' }, version: { type: 'string' }, 'ratings-timeout': { type: 'string' } },
} as const;

const COMMON_HELP = `
  --port N              listen port (env PORT; default 9080, 0 picks a free one)
  --bind ADDR           listen address (env BIND_ADDRESS; default 127.0.0.1, use 0.0.0.0 in a pod)
  --drain-timeout S     seconds in-flight requests get on SIGTERM (env DRAIN_TIMEOUT; default 5)
  --log-level L         debug|info|warn|error (env LOG_LEVEL; default info)
  -h, --help            this text`;

const PROXY_HELP = `
  --http-proxy URL      send every outbound call through this HTTP proxy, absolute-form
                        (env BOOKINFO_HTTP_PROXY; e.g. http://127.0.0.1:15001)`;

const flag = (f: string, text: string) => `\n  ${f.padEnd(22)}${text}`;
const upstreamHelp = (name: string, env: string) =>
  flag(`--${name}-hostname H`, `${name} host name (env ${env}_HOSTNAME; default ${name}), + .SERVICES_DOMAIN`) +
  flag(`--${name}-port N`, `${name} port (env ${env}_PORT; default 9080)`) +
  flag(`--${name}-address H:P`, `connect here instead, keeping Host: <hostname>[.domain]:<port>`) +
  flag('', `(env ${env}_ADDRESS; e.g. a sidecar's egress listener)`);

export const HELP: Record<ServiceName, string> = {
  productpage: `Usage: main.ts productpage [flags]

Istio's Bookinfo product page: the HTML page /productpage (details + reviews),
/, /health, POST /login (form field username), /logout, and the JSON API
/api/v1/products, /api/v1/products/<id>, /api/v1/products/<id>/reviews,
/api/v1/products/<id>/ratings. Calls details and reviews with a 3 s timeout,
reviews once more when the first call fails.
${COMMON_HELP}${PROXY_HELP}
  --services-domain D   appended to every upstream host name (env SERVICES_DOMAIN)${upstreamHelp('details', 'DETAILS')}${upstreamHelp('reviews', 'REVIEWS')}${upstreamHelp('ratings', 'RATINGS')}
  --session-secret S    key signing the session cookie (env SESSION_SECRET; random
                        per process by default: set it when several replicas serve)
`,
  details: `Usage: main.ts details [flags]

Istio's Bookinfo details service: GET /details/<id> (the book's details, JSON), /health.
${COMMON_HELP}
`,
  ratings: `Usage: main.ts ratings [flags]

Istio's Bookinfo ratings service (v1, in memory): GET /ratings/<id>
({id, ratings: {Reviewer1: 5, Reviewer2: 4}}), POST /ratings/<id> (replace a
product's ratings with a JSON object), /health.
${COMMON_HELP}
  --version V           v1 only (env SERVICE_VERSION)
`,
  reviews: `Usage: main.ts reviews [flags]

Istio's Bookinfo reviews service: GET /reviews/<id>, /health.
  v1: no ratings; v2: black stars; v3: red stars. v2/v3 call ratings, with a
  10 s timeout for black stars and 2.5 s for any other colour (as Istio's).
${COMMON_HELP}${PROXY_HELP}
  --version V           v1|v2|v3 (env SERVICE_VERSION; default v1). ENABLE_RATINGS=true|false
                        and STAR_COLOR=<colour> override what the version implies, as in Istio
  --ratings-timeout MS  override the ratings call timeout (env RATINGS_TIMEOUT_MS)
  --services-domain D   appended to the ratings host name (env SERVICES_DOMAIN)${upstreamHelp('ratings', 'RATINGS')}
  Pod and cluster names in responses: env HOSTNAME (default the machine's), CLUSTER_NAME (default N/A).
`,
};

export const USAGE = `Usage: main.ts <service> [flags]

Istio's Bookinfo sample as small Node services. <service> is one of:
  productpage   the web page and JSON API (calls details and reviews)
  details       book details
  reviews       book reviews; --version v1|v2|v3 (v2/v3 call ratings)
  ratings       book ratings

Every service listens on 9080 by default. main.ts <service> --help lists its flags.
`;

function parsePort(value: string, what: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) throw new ConfigError(`${what}: "${value}" is not a port number (0-65535)`);
  return Number(value);
}

function parsePositive(value: string, what: string): number {
  const n = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !Number.isFinite(n)) throw new ConfigError(`${what}: "${value}" is not a non-negative number`);
  return n;
}

/** `host:port`, `[v6]:port` or `http://host:port` → host and port. */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const text = value.replace(/^http:\/\//, '').replace(/\/$/, '');
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/.exec(text);
  if (!m) throw new ConfigError(`${what}: "${value}" is not host:port`);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port: parsePort(m[2], what) };
}

function checkHostname(value: string, what: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(value)) throw new ConfigError(`${what}: "${value}" is not a host name`);
  return value;
}

type Values = Record<string, string | boolean | undefined>;

function pick(values: Values, flag: string, env: Env, envName: string): string | undefined {
  const v = values[flag];
  if (typeof v === 'string') return v;
  const e = env[envName];
  return e === undefined || e === '' ? undefined : e;
}

function upstream(name: string, values: Values, env: Env): Upstream {
  const ENV = name.toUpperCase();
  const hostname = checkHostname(pick(values, `${name}-hostname`, env, `${ENV}_HOSTNAME`) ?? name, `${name} host name`);
  const domainValue = pick(values, 'services-domain', env, 'SERVICES_DOMAIN');
  const domain = domainValue === undefined ? '' : '.' + checkHostname(domainValue, 'services domain');
  const portText = pick(values, `${name}-port`, env, `${ENV}_PORT`);
  const port = portText === undefined ? DEFAULT_PORT : parsePort(portText, `${name} port`);
  const host = hostname + domain;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const address = pick(values, `${name}-address`, env, `${ENV}_ADDRESS`);
  return { name, authority, connect: address === undefined ? { host, port } : parseHostPort(address, `${name} address`) };
}

export type ParsedCommand = { help: true; text: string } | { help: false; config: ServiceConfig };

/** Parses `<flags>` for `service`, reading the environment for what the flags leave unset. */
export function parseServiceArgs(service: ServiceName, args: string[], env: Env = process.env): ParsedCommand {
  let values: Values;
  try {
    values = parseArgs({ args, options: OPTIONS[service] as ParseArgsOptionsConfig, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${HELP[service]}`);
  }
  if (values.help) return { help: true, text: HELP[service] };

  const portText = pick(values, 'port', env, 'PORT');
  const proxyText = pick(values, 'http-proxy', env, 'BOOKINFO_HTTP_PROXY');
  const common: CommonConfig = {
    port: portText === undefined ? DEFAULT_PORT : parsePort(portText, 'port'),
    bind: pick(values, 'bind', env, 'BIND_ADDRESS') ?? '127.0.0.1',
    drainMs: parsePositive(pick(values, 'drain-timeout', env, 'DRAIN_TIMEOUT') ?? '5', 'drain timeout') * 1000,
    logLevel: pick(values, 'log-level', env, 'LOG_LEVEL') ?? 'info',
    httpProxy: proxyText === undefined ? undefined : parseHostPort(proxyText, 'HTTP proxy'),
  };
  if (!['debug', 'info', 'warn', 'error'].includes(common.logLevel)) throw new ConfigError(`log level: "${common.logLevel}" is not one of debug, info, warn, error`);

  switch (service) {
    case 'details':
      return { help: false, config: { ...common, service } };
    case 'ratings': {
      const version = pick(values, 'version', env, 'SERVICE_VERSION') ?? 'v1';
      if (version !== 'v1') throw new ConfigError(`ratings version: "${version}" is not supported (only v1, the in-memory ratings; Istio's v2 reads MongoDB or MySQL)`);
      return { help: false, config: { ...common, service } };
    }
    case 'productpage': {
      const secret = pick(values, 'session-secret', env, 'SESSION_SECRET');
      return {
        help: false,
        config: {
          ...common,
          service,
          details: upstream('details', values, env),
          reviews: upstream('reviews', values, env),
          ratings: upstream('ratings', values, env),
          sessionSecret: secret,
        },
      };
    }
    case 'reviews': {
      const version = pick(values, 'version', env, 'SERVICE_VERSION') ?? 'v1';
      const implied: Record<string, { ratings: boolean; color: string }> = {
        v1: { ratings: false, color: 'black' },
        v2: { ratings: true, color: 'black' },
        v3: { ratings: true, color: 'red' },
      };
      const base = implied[version];
      if (!base) throw new ConfigError(`reviews version: "${version}" is not one of v1, v2, v3`);
      const enable = env.ENABLE_RATINGS;
      const ratingsEnabled = enable === undefined || enable === '' ? base.ratings : enable.toLowerCase() === 'true';
      const starColor = env.STAR_COLOR ? env.STAR_COLOR : base.color;
      if (!/^[A-Za-z]+$|^#[0-9A-Fa-f]{3,8}$/.test(starColor)) throw new ConfigError(`star colour: "${starColor}" is neither a colour name nor #hex`);
      const timeoutText = pick(values, 'ratings-timeout', env, 'RATINGS_TIMEOUT_MS');
      return {
        help: false,
        config: {
          ...common,
          service,
          version,
          ratingsEnabled,
          starColor,
          // Istio's reviews waits 10 s for ratings with black stars (v2), 2.5 s otherwise (v3).
          ratingsTimeoutMs: timeoutText === undefined ? (starColor === 'black' ? 10_000 : 2_500) : parsePositive(timeoutText, 'ratings timeout'),
          ratings: upstream('ratings', values, env),
          podName: env.HOSTNAME || hostname(),
          clusterName: env.CLUSTER_NAME || 'N/A',
        },
      };
    }
  }
}
