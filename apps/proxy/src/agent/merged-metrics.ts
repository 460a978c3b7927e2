// Istio's merged metrics: the injector points the pod's prometheus.io
// annotations at the agent (:15020/stats/prometheus) and records the app's
// own (scrape, port, path) in ISTIO_PROMETHEUS_ANNOTATIONS, e.g.
// {"scrape":"true","path":"/metrics","port":"9090"}. A scrape of the agent
// returns the proxy's stats followed by the app's metrics, so one scrape
// target per pod carries both.
//
// The two texts come from different programs and may name the same family
// (two Node processes both export process_cpu_seconds_total): the merge keeps
// one # HELP / # TYPE per family, keeps the proxy's sample when both have the
// same series, and drops an app family whose type disagrees with the proxy's,
// so the result stays valid Prometheus text exposition (0.0.4). A failing app
// (down, slow, non-200, too big) never costs the proxy's stats: it is counted
// in istio_agent_scrape_failures_total{type="application"} and logged.
import http from 'node:http';
import net from 'node:net';
import { counter, type Logger } from '@mesh/telemetry';

export const PROMETHEUS_ANNOTATIONS_ENV = 'ISTIO_PROMETHEUS_ANNOTATIONS';
export const DEFAULT_MAX_APP_BYTES = 10 * 1024 * 1024;
export const DEFAULT_SCRAPE_TIMEOUT_MS = 5_000;
const MAX_SCRAPE_TIMEOUT_MS = 60_000;

export interface AppScrapeTarget {
  port: number;
  path: string;
}

/**
 * Parses ISTIO_PROMETHEUS_ANNOTATIONS. Undefined when absent or when `scrape`
 * is not "true" (Prometheus would not have scraped the app either); a port of
 * 80 and a path of /metrics when not given, as Istio's agent assumes.
 */
export function parseScrapeAnnotations(raw: string | undefined): AppScrapeTarget | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${PROMETHEUS_ANNOTATIONS_ENV} is not valid JSON (${(err as Error).message}); expected {"scrape":"true","port":"9090","path":"/metrics"}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${PROMETHEUS_ANNOTATIONS_ENV} must be a JSON object like {"scrape":"true","port":"9090","path":"/metrics"}, got ${JSON.stringify(parsed)}`);
  }
  const o = parsed as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (!['scrape', 'port', 'path'].includes(k)) throw new Error(`${PROMETHEUS_ANNOTATIONS_ENV}: "${k}": unknown key; allowed: scrape, port, path (the prometheus.io/* annotations)`);
    if (typeof v !== 'string') throw new Error(`${PROMETHEUS_ANNOTATIONS_ENV}: "${k}": must be a string (an annotation value), got ${JSON.stringify(v)}`);
  }
  if (o.scrape !== 'true') return undefined;
  const portText = (o.port as string | undefined) ?? '80';
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new Error(`${PROMETHEUS_ANNOTATIONS_ENV}: "port": must be a port number 1-65535, got ${JSON.stringify(o.port)}`);
  const path = (o.path as string | undefined) ?? '/metrics';
  if (!path.startsWith('/') || /\s/.test(path)) throw new Error(`${PROMETHEUS_ANNOTATIONS_ENV}: "path": must be a URL path starting with /, got ${JSON.stringify(o.path)}`);
  return { port, path };
}

// --- exposition parsing and merging ---------------------------------------

interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
  counter: ['_total', '_created'],
};

function sampleName(line: string): string {
  const end = line.search(/[{\s]/);
  return end < 0 ? line : line.slice(0, end);
}

/** The series key of a sample line: its name and labels, without value and timestamp. */
function seriesKey(line: string): string {
  const brace = line.indexOf('{');
  const space = line.search(/\s/);
  if (brace >= 0 && (space < 0 || brace < space)) {
    const close = line.lastIndexOf('}');
    return line.slice(0, close + 1);
  }
  return space < 0 ? line : line.slice(0, space);
}

function belongs(family: Family, name: string): boolean {
  if (name === family.name) return true;
  const suffixes = SUFFIXES[family.type ?? ''] ?? [];
  return suffixes.some((s) => name === family.name + s);
}

/** A well-formed sample line: name, optional {labels}, a value, an optional timestamp. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?[ \t]+\S+([ \t]+-?\d+)?[ \t]*$/;

export interface ParsedExposition {
  families: Family[];
  /** Lines that were not valid exposition and were left out. */
  invalid: number;
}

/** `trusted` text (the proxy's own) keeps every sample line; the app's lines must be well-formed. */
export function parseExposition(text: string, trusted = false): ParsedExposition {
  const families: Family[] = [];
  const byName = new Map<string, Family>();
  let invalid = 0;
  let current: Family | undefined;
  const family = (name: string): Family => {
    let f = byName.get(name);
    if (!f) {
      f = { name, samples: [] };
      byName.set(name, f);
      families.push(f);
    }
    return f;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) continue; // other comments (and OpenMetrics' # EOF / # UNIT) carry nothing to merge
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name)) {
        invalid++;
        continue;
      }
      const f = family(name);
      if (kind === 'HELP') f.help ??= rest;
      else {
        const type = rest.trim();
        if (!TYPES.has(type)) {
          invalid++;
          continue;
        }
        f.type ??= type;
      }
      current = f;
      continue;
    }
    if (!trusted && !SAMPLE.test(line)) {
      invalid++;
      continue;
    }
    const name = sampleName(line);
    const owner = current && belongs(current, name) ? current : (byName.get(name) ?? family(name));
    owner.samples.push(line);
  }
  return { families, invalid };
}

export interface MergeResult {
  text: string;
  /** App families left out because the proxy has a family of that name with another type. */
  conflicts: string[];
  /** App samples left out because the proxy already has that exact series. */
  duplicateSamples: number;
  invalid: number;
}

/** The proxy's text (trusted, kept whole) followed by the app's, one header per family. */
export function mergeExpositions(proxyText: string, appText: string): MergeResult {
  const proxy = parseExposition(proxyText, true);
  const app = parseExposition(appText);
  const merged = new Map(proxy.families.map((f) => [f.name, { ...f, samples: [...f.samples] }]));
  const conflicts: string[] = [];
  let duplicateSamples = 0;
  for (const f of app.families) {
    const mine = merged.get(f.name);
    if (!mine) {
      merged.set(f.name, f);
      continue;
    }
    if ((mine.type ?? 'untyped') !== (f.type ?? 'untyped')) {
      conflicts.push(`${f.name} (app: ${f.type ?? 'untyped'}, proxy: ${mine.type ?? 'untyped'})`);
      continue;
    }
    const seen = new Set(mine.samples.map(seriesKey));
    for (const s of f.samples) {
      if (seen.has(seriesKey(s))) duplicateSamples++;
      else mine.samples.push(s);
    }
  }
  const out: string[] = [];
  for (const f of merged.values()) {
    if (f.help !== undefined) out.push(`# HELP ${f.name} ${f.help}`);
    if (f.type !== undefined) out.push(`# TYPE ${f.name} ${f.type}`);
    out.push(...f.samples);
  }
  return { text: out.join('\n') + '\n', conflicts, duplicateSamples, invalid: app.invalid };
}

// --- scraping the app -------------------------------------------------------

const scrapes = counter('istio_agent_scrapes_total', 'Scrapes of the merged metrics endpoint, by source (envoy: the proxy, application: the app)', ['type']);
const scrapeFailures = counter('istio_agent_scrape_failures_total', 'Failed scrapes of a merged metrics source (the application: down, slow, not 200, too big)', ['type']);

/** GETs the app's metrics; rejects on a connection error, a non-200 status, a body over maxBytes or the timeout. */
export function fetchAppMetrics(host: string, target: AppScrapeTarget, timeoutMs: number, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host,
        port: target.port,
        path: target.path,
        agent: false,
        timeout: timeoutMs,
        headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1', 'x-prometheus-scrape-timeout-seconds': String(timeoutMs / 1000) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.destroy();
          reject(new Error(`answered ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            res.destroy();
            reject(new Error(`body larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err.name === 'AbortError' || err.name === 'TimeoutError' ? new Error(`no answer within ${timeoutMs} ms`) : err));
  });
}

export interface MergedMetricsOptions {
  /** The proxy's own Prometheus text (what 15090 serves). */
  proxyMetrics: () => Promise<string>;
  /** The app to merge; none when the pod had no scrape annotations. */
  app?: AppScrapeTarget;
  /** Where the app listens: the pod IP or 127.0.0.1. */
  appHost: string;
  log: Logger;
  maxAppBytes?: number;
}

export class MergedMetrics {
  readonly #o: MergedMetricsOptions;
  readonly #maxAppBytes: number;

  constructor(options: MergedMetricsOptions) {
    this.#o = options;
    this.#maxAppBytes = options.maxAppBytes ?? DEFAULT_MAX_APP_BYTES;
  }

  /** `scrapeTimeoutSeconds` is Prometheus' X-Prometheus-Scrape-Timeout-Seconds, when it sent one. */
  async render(scrapeTimeoutSeconds?: number): Promise<string> {
    let appText = '';
    const app = this.#o.app;
    if (app) {
      scrapes.inc({ type: 'application' });
      // Leave Prometheus a little of its own timeout to receive the answer.
      const budget = scrapeTimeoutSeconds && scrapeTimeoutSeconds > 0 ? Math.min(scrapeTimeoutSeconds * 1000 * 0.9, MAX_SCRAPE_TIMEOUT_MS) : DEFAULT_SCRAPE_TIMEOUT_MS;
      try {
        appText = await fetchAppMetrics(this.#o.appHost, app, Math.max(100, Math.round(budget)), this.#maxAppBytes);
      } catch (err) {
        scrapeFailures.inc({ type: 'application' });
        const host = net.isIPv6(this.#o.appHost) ? `[${this.#o.appHost}]` : this.#o.appHost;
        this.#o.log.warn("scraping the app's metrics failed; serving the proxy's alone", { url: `http://${host}:${app.port}${app.path}`, error: (err as Error).message });
      }
    }
    scrapes.inc({ type: 'envoy' });
    const proxyText = await this.#o.proxyMetrics();
    if (!app) return proxyText;
    const merged = mergeExpositions(proxyText, appText);
    if (merged.conflicts.length || merged.invalid) {
      this.#o.log.warn("app metrics left out of the merged scrape", { typeConflicts: merged.conflicts, invalidLines: merged.invalid, duplicateSeries: merged.duplicateSamples });
    } else if (merged.duplicateSamples) {
      this.#o.log.debug('app series already exported by the proxy were left out', { duplicateSeries: merged.duplicateSamples });
    }
    return merged.text;
  }
}
