// A hostile client against a real proxy process: `proxy --static-config` in a
// child process (a crash fails the suite: every test ends by checking the
// process is alive and still serves a normal request), real upstream
// servers, raw bytes over raw sockets. Covers request smuggling, chunked
// edge cases, limits, slow clients, pipelining floods, crash repros, path
// normalization, header sanitizing and the smaller parser rules (issue #7).
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { freePort, startProcess, waitFor, type ManagedProcess } from '@mesh/testing';
import { typedConfig, type HttpConnectionManager, type Listener, type Route } from '@mesh/xds';
import { edsCluster, endpoints, ROUTER, startUpstream, type Upstream } from '../test-fixtures.ts';

interface RawResult {
  /** Everything the proxy wrote, latin1. */
  data: string;
  /** The proxy closed (or reset) the connection. */
  closed: boolean;
}

/**
 * Writes `raw` (string or list of pieces written one after another) and
 * collects the reply until the proxy closes, `until` matches, or `timeoutMs`
 * passes (a bound, not a wait: the attack's outcome is an event).
 */
function raw(port: number, payload: string | Buffer | Array<string | Buffer>, opts: { until?: RegExp; timeoutMs?: number; keepOpen?: boolean } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 5_000);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      data += d;
      if (opts.until?.test(data)) finish(false);
    });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? finish(true) : reject(err)));
    s.on('connect', () => {
      for (const p of Array.isArray(payload) ? payload : [payload]) s.write(p);
    });
  });
}

function statusOf(data: string): number {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(data);
  return m ? Number(m[1]) : 0;
}

function statuses(data: string): number[] {
  return [...data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

function bodyOf(data: string): string {
  return data.slice(data.indexOf('\r\n\r\n') + 4);
}

// --- HTTP/2 frames by hand (RFC 9113 §4.1), for attacks a well-behaved client library refuses to make.
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const ENHANCE_YOUR_CALM = 0xb;
const REFUSED_STREAM = 0x7;

function h2frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(9 + payload.length);
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(stream, 5);
  payload.copy(b, 9);
  return b;
}

/** HPACK: GET http://a/hang from the static table and literals without indexing (RFC 7541). */
const GET_HANG = Buffer.concat([Buffer.from([0x82, 0x86, 0x04, 5]), Buffer.from('/hang'), Buffer.from([0x01, 1]), Buffer.from('a')]);
const H2_HELLO = Buffer.concat([H2_PREFACE, h2frame(4, 0, 0)]);
const headersFrame = (stream: number) => h2frame(1, 0x5 /* END_STREAM | END_HEADERS */, stream, GET_HANG);
const rstFrame = (stream: number, code: number) => {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return h2frame(3, 0, stream, p);
};

/** Frames the proxy sent: [type, stream, payload]. */
function h2frames(data: Buffer): Array<{ type: number; flags: number; stream: number; payload: Buffer }> {
  const out: Array<{ type: number; flags: number; stream: number; payload: Buffer }> = [];
  let pos = 0;
  while (data.length - pos >= 9) {
    const len = data.readUIntBE(pos, 3);
    if (data.length - pos < 9 + len) break;
    out.push({ type: data[pos + 3], flags: data[pos + 4], stream: data.readUInt32BE(pos + 5) & 0x7fffffff, payload: data.subarray(pos + 9, pos + 9 + len) });
    pos += 9 + len;
  }
  return out;
}

/** Writes `payload` on a fresh connection; collects what comes back until close, `until` says enough, or the bound. */
function h2raw(port: number, payload: Buffer, opts: { until?: (data: Buffer) => boolean; timeoutMs?: number } = {}): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 5_000);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (opts.until?.(Buffer.concat(chunks))) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    s.on('connect', () => s.write(payload));
  });
}

/**
 * A flooding client that reads: sends `batches` one after another, each once the ACKs (frames of
 * `ackType` with the ACK flag) for the previous one came back. Resolves with everything received.
 */
function h2floodReading(port: number, batches: Buffer[], ackType: number, perBatch: number): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let next = 0;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), 5_000);
    const send = () => {
      if (next < batches.length) s.write(batches[next++]);
    };
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      const acks = h2frames(Buffer.concat(chunks)).filter((f) => f.type === ackType && (f.flags & 1) === 1).length;
      if (acks >= next * perBatch) send();
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    s.on('connect', () => {
      s.write(H2_HELLO);
      send();
    });
  });
}

function goawayCode(data: Buffer): number | undefined {
  const g = h2frames(data).find((f) => f.type === 7);
  return g === undefined ? undefined : g.payload.readUInt32BE(4);
}

/** One request over node:http, no keep-alive. */
function get(port: number, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, headers: { host: 'a', ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function hcm(name: string, routes: Route[], extra: HttpConnectionManager = {}) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: typedConfig('httpConnectionManager', {
      statPrefix: name,
      routeConfig: { name: `${name}-routes`, virtualHosts: [{ name: 'all', domains: ['*'], routes }] },
      httpFilters: [ROUTER],
      ...extra,
    }),
  };
}

function listener(name: string, port: number, routes: Route[], extra: HttpConnectionManager = {}): Listener {
  return { name, address: { socketAddress: { address: '127.0.0.1', portValue: port } }, filterChains: [{ filters: [hcm(name, routes, extra)] }] };
}

const ADMIN_403 = { match: { prefix: '/admin' }, directResponse: { status: 403, body: { inlineString: 'forbidden' } } };
const TO_ECHO = { match: { prefix: '/' }, route: { cluster: 'echo' } };

describe('downstream HTTP/1.1 under attack (proxy process)', () => {
  let dir: string;
  let configFile: string;
  let proxy: ManagedProcess;
  let echo: Upstream;
  let hang: Upstream;
  const ports: Record<string, number> = {};
  let adminPort = 0;
  let deadPort = 0;

  before(async () => {
    echo = await startUpstream('echo', (req, res) => {
      if (req.url !== '/proto') return false;
      // Node's own server drops a header named __proto__ from req.headers: answer with the raw lines.
      res.end(JSON.stringify(req.rawHeaders));
      return true;
    });
    hang = await startUpstream('hang', () => true); // never answers
    deadPort = await freePort(); // nothing listens: connection refused
    for (const n of ['main', 'decode', 'reject', 'redirect', 'xff', 'edge', 'trusted', 'hops', 'http10', 'flood', 'busy']) ports[n] = await freePort();
    const mainRoutes = [
      ADMIN_403,
      { match: { prefix: '/hang' }, route: { cluster: 'hang', timeout: { seconds: 0 } } },
      { match: { prefix: '/dead' }, route: { cluster: 'dead' } },
      { match: { prefix: '/rewrite/' }, route: { cluster: 'echo', prefixRewrite: '/rewritten/' } },
      TO_ECHO,
    ];
    const base = { normalizePath: { value: true }, mergeSlashes: true };
    const resources = {
      listeners: [
        listener('main', ports.main, mainRoutes, {
          ...base,
          useRemoteAddress: { value: true },
          streamIdleTimeout: { seconds: 1 },
          requestHeadersTimeout: { nanos: 500_000_000 },
        }),
        listener('decode', ports.decode, [ADMIN_403, TO_ECHO], { ...base, pathWithEscapedSlashesAction: 'UNESCAPE_AND_FORWARD' }),
        listener('reject', ports.reject, [ADMIN_403, TO_ECHO], { ...base, pathWithEscapedSlashesAction: 'REJECT_REQUEST' }),
        listener('redirect', ports.redirect, [ADMIN_403, TO_ECHO], { ...base, pathWithEscapedSlashesAction: 'UNESCAPE_AND_REDIRECT' }),
        listener('xff', ports.xff, [TO_ECHO], { useRemoteAddress: { value: false } }),
        listener('edge', ports.edge, [TO_ECHO], { useRemoteAddress: { value: true }, internalAddressConfig: { cidrRanges: [{ addressPrefix: '10.0.0.0', prefixLen: { value: 8 } }] } }),
        // An edge behind two trusted proxies (Istio's gatewayTopology.numTrustedProxies: 2), 10/8 internal.
        listener('hops', ports.hops, [TO_ECHO], {
          useRemoteAddress: { value: true },
          xffNumTrustedHops: 2,
          internalAddressConfig: { cidrRanges: [{ addressPrefix: '10.0.0.0', prefixLen: { value: 8 } }] },
        }),
        listener('trusted', ports.trusted, [TO_ECHO], { useRemoteAddress: { value: true }, internalAddressConfig: { cidrRanges: [{ addressPrefix: '127.0.0.0', prefixLen: { value: 8 } }] } }),
        listener('http10', ports.http10, [TO_ECHO], { httpProtocolOptions: { acceptHttp_10: true, defaultHostForHttp_10: 'legacy.example' } }),
        listener('flood', ports.flood, [{ match: { prefix: '/' }, route: { cluster: 'hang', timeout: { seconds: 0 } } }], { streamIdleTimeout: { seconds: 0 } }),
        listener('busy', ports.busy, [{ match: { prefix: '/' }, route: { cluster: 'busy', timeout: { seconds: 0 } } }], { streamIdleTimeout: { seconds: 30 } }),
      ],
      routes: [],
      clusters: [
        edsCluster('echo'),
        edsCluster('hang'),
        edsCluster('dead'),
        // One connection: a second request waits in the pool for it.
        edsCluster('busy', { circuitBreakers: { thresholds: [{ maxConnections: { value: 1 } }] } }),
      ],
      endpoints: [endpoints('echo', [echo.port]), endpoints('hang', [hang.port]), endpoints('dead', [deadPort]), endpoints('busy', [hang.port])],
    };
    dir = mkdtempSync(path.join(os.tmpdir(), 'proxy-attacks-'));
    configFile = path.join(dir, 'static.json');
    writeFileSync(configFile, JSON.stringify(resources));
    await startProxy();
  });

  async function startProxy(): Promise<void> {
    proxy = startProcess('proxy', fileURLToPath(new URL('../main.ts', import.meta.url)), ['--static-config', configFile, '--admin-port', '0', '--status-port', '0', '--stats-port', '0', '--agent-port', '0', '--access-log', '--log-level', 'info'], { env: { LOG_LEVEL: 'info' } });
    const starting = await proxy.waitForLine((l) => l.msg === 'proxy starting');
    adminPort = starting.adminPort as number;
    await proxy.waitForLine((l) => l.msg === 'static config applied');
  }

  // A test that crashed the proxy fails in afterEach; the next test gets a fresh process.
  beforeEach(async () => {
    if (proxy.child.exitCode !== null || proxy.child.signalCode !== null) await startProxy();
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([echo?.close(), hang?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    // Whatever the attack did, the process is up and serves a normal request.
    let r: Awaited<ReturnType<typeof get>> | undefined;
    try {
      r = await get(ports.main, '/healthy');
    } catch (err) {
      const code = await Promise.race([proxy.exited, new Promise((resolve) => setTimeout(resolve, 1_000, 'still running'))]);
      assert.fail(`no normal request served after the attack (${(err as Error).message}); proxy exit: ${code}\n${proxy.output().slice(-3_000)}`);
    }
    assert.equal(proxy.child.exitCode, null, `the proxy process died:\n${proxy.output()}`);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).url, '/healthy');
  });

  async function stat(name: string): Promise<number> {
    const r = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: adminPort, path: '/stats' }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(r);
    return m ? Number(m[1]) : -1;
  }

  describe('item 1: one request never takes the process down', () => {
    it('a malformed chunk size while the pool opens its first connection: 400, process alive', async () => {
      const r = await raw(ports.busy, 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
      assert.equal(statusOf(r.data), 400);
      assert.ok(r.closed);
    });

    it('the same on a fresh connection to a refused upstream; logged as a downstream protocol error', async () => {
      const r = await raw(ports.main, 'POST /dead/dpe HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
      assert.equal(statusOf(r.data), 400);
      const line = await proxy.waitForLine((l) => l.msg === 'access' && l.path === '/dead/dpe');
      assert.equal(line.response_flags, 'DPE');
      assert.equal(line.response_code, 400);
    });

    it('a client uploading while the backend is down gets 503, then leaves', async () => {
      const r = await raw(ports.main, ['POST /dead HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n', 'x'.repeat(1000)], { until: /\r\n\r\n[\s\S]*reset reason/ });
      assert.equal(statusOf(r.data), 503);
      assert.match(r.data, /connection: close/);
    });

    it('a partial chunked body to a refused upstream, then the client goes away', async () => {
      const r = await raw(ports.main, ['POST /dead HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\nhel'], { until: /reset reason/ });
      assert.equal(statusOf(r.data), 503);
    });

    it('a client aborting mid-body while its request waits for an upstream connection', async () => {
      // The only connection of the "busy" cluster is taken by a request that never gets an answer.
      const held = once(hang.server, 'request');
      const holder = net.connect(ports.busy, '127.0.0.1');
      holder.write('GET /hold HTTP/1.1\r\nHost: a\r\n\r\n');
      await held;
      const waiting = net.connect(ports.busy, '127.0.0.1');
      await new Promise<void>((resolve) => waiting.once('connect', resolve));
      waiting.write('POST /queued HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\npartial');
      const resetsBefore = await stat('http.busy.downstream_rq_rx_reset');
      waiting.destroy();
      holder.destroy();
      // The reset is counted; the process survived (afterEach).
      await waitFor('the reset to be counted', async () => (await stat('http.busy.downstream_rq_rx_reset')) > resetsBefore);
    });

    it('a client aborting mid-body on a proxied upload', async () => {
      const s = net.connect(ports.main, '127.0.0.1');
      await new Promise<void>((resolve) => s.once('connect', resolve));
      s.write('POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789');
      const seen = echo.seen.length;
      s.destroy();
      assert.equal(echo.seen.length, seen, 'no truncated body was completed upstream');
    });
  });

  describe('item 2: bounded buffering with backpressure', () => {
    it('answers 10 pipelined requests in order', async () => {
      let payload = '';
      for (let i = 0; i < 10; i++) payload += `GET /p${i} HTTP/1.1\r\nHost: a\r\n${i === 9 ? 'Connection: close\r\n' : ''}\r\n`;
      const r = await raw(ports.main, payload);
      assert.deepEqual(statuses(r.data), Array(10).fill(200));
      assert.deepEqual([...r.data.matchAll(/"url":"(\/p\d)"/g)].map((m) => m[1]), Array.from({ length: 10 }, (_, i) => `/p${i}`));
    });

    it('a pipelined flood while the response is pending stays within the buffer limit', async () => {
      const pid = proxy.child.pid!;
      const rssBefore = rssKb(pid);
      const pausedBefore = await stat('http.flood.downstream_flow_control_paused_reading_total');
      const chunk = Buffer.from('GET /flood HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(2048)); // ~66 KB
      const perConnection = 48 * 1024 * 1024;
      const floods = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const s = net.connect(ports.flood, '127.0.0.1');
          s.on('error', () => {});
          await new Promise<void>((resolve) => s.once('connect', resolve));
          let written = 0;
          // Write until the proxy stops reading (no 'drain' for 500 ms) or the budget is spent.
          while (written < perConnection) {
            written += chunk.length;
            if (!s.write(chunk)) {
              const drained = await new Promise<boolean>((resolve) => {
                const t = setTimeout(() => resolve(false), 500);
                s.once('drain', () => {
                  clearTimeout(t);
                  resolve(true);
                });
              });
              if (!drained) break;
            }
          }
          return { s, written };
        }),
      );
      const grownMb = (rssKb(pid) - rssBefore) / 1024;
      for (const f of floods) f.s.destroy();
      for (const f of floods) assert.ok(f.written < 16 * 1024 * 1024, `the proxy kept reading: ${f.written} bytes accepted on one connection`);
      assert.ok(grownMb < 64, `RSS grew by ${grownMb.toFixed(1)} MB`);
      assert.ok((await stat('http.flood.downstream_flow_control_paused_reading_total')) >= pausedBefore + 4, 'each connection was paused');
    });
  });

  describe('request smuggling and framing', () => {
    const cases: Array<[string, string, number]> = [
      ['CL then TE', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n', 400],
      ['TE then CL', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n', 400],
      ['two different Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabcGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n', 400],
      ['a Content-Length list', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 30\r\n\r\nabc', 400],
      ['Transfer-Encoding: chunked, identity', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', 400],
      ['Transfer-Encoding: chunked, chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n', 400],
      ['Transfer-Encoding: xchunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n', 501],
      ['two Transfer-Encoding headers', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['Transfer-Encoding with obs-fold', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n', 400],
      ['a space before the colon', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n', 400],
      ['bare LF line endings', 'GET / HTTP/1.1\nHost: a\n\n', 400],
      ['a bare LF inside the head', 'GET / HTTP/1.1\r\nHost: a\nX-B: c\r\n\r\n', 400],
      ['a bare CR inside a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-B: c\rd\r\n\r\n', 400],
      ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-B: a\x00b\r\n\r\n', 400],
      ['NUL in a header name', 'GET / HTTP/1.1\r\nHost: a\r\nX-\x00B: c\r\n\r\n', 400],
      ['NUL in the target', 'GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n', 400],
      ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 426],
      ['an unknown HTTP version', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', 505],
      ['a garbage version', 'GET / HTTP/1.1x\r\nHost: a\r\n\r\n', 400],
    ];
    for (const [name, payload, status] of cases) {
      it(`refuses ${name} with ${status} and closes; nothing smuggled upstream`, async () => {
        const seen = echo.seen.length;
        const r = await raw(ports.main, payload);
        assert.equal(statusOf(r.data), status, r.data);
        assert.deepEqual(statuses(r.data), [status], 'exactly one response');
        assert.ok(r.closed, 'the connection closed');
        assert.equal(echo.seen.length, seen, 'the upstream saw nothing');
      });
    }
  });

  describe('chunked bodies', () => {
    const bad: Array<[string, string]> = [
      ['a huge chunk size', 'fffffffffffffffff\r\n'],
      ['a 64-bit chunk size', 'ffffffffffffffff\r\n'],
      ['a chunk size with trailing whitespace', '5 \r\nhello\r\n0\r\n\r\n'],
      ['a chunk size with leading whitespace', ' 5\r\nhello\r\n0\r\n\r\n'],
      ['a 0x chunk size', '0x5\r\nhello\r\n0\r\n\r\n'],
      ['a +5 chunk size', '+5\r\nhello\r\n0\r\n\r\n'],
      ['a -5 chunk size', '-5\r\nhello\r\n0\r\n\r\n'],
      ['an overlong chunk size', '00000000000000005\r\nhello\r\n0\r\n\r\n'],
      ['a missing CRLF after chunk data', '5\r\nhelloXX0\r\n\r\n'],
      ['a chunk size ended by bare LF', '5\nhello\r\n0\r\n\r\n'],
      ['an extension without a name', '5;=x\r\nhello\r\n0\r\n\r\n'],
      ['an extension with an empty value', '5;a=\r\nhello\r\n0\r\n\r\n'],
      ['an unterminated quoted extension', '5;a="x\r\nhello\r\n0\r\n\r\n'],
      ['a malformed trailer', '5\r\nhello\r\n0\r\nbad trailer\r\n\r\n'],
      ['a folded trailer', '5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n'],
    ];
    for (const [name, body] of bad) {
      it(`refuses ${name} with 400`, async () => {
        const r = await raw(ports.main, `POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, { until: /\r\n\r\n/ });
        assert.equal(statusOf(r.data), 400, r.data);
      });
    }

    it('accepts extensions as RFC 9112 allows them, and trailers, and forwards the body', async () => {
      const r = await raw(ports.main, 'POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;a=b;c ; d = "q\\"x"\r\nhello\r\n6;ext\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n');
      assert.equal(statusOf(r.data), 200, r.data);
      assert.equal(JSON.parse(bodyOf(r.data)).body, 'hello world');
    });

    it('streams a body declared with a huge (valid) chunk size until the client stops, without buffering it', async () => {
      const r = await raw(ports.main, ['POST /big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n', 'x'.repeat(100_000)], { timeoutMs: 300 });
      assert.equal(r.data, '', 'no answer yet: the body is still coming');
    });
  });

  describe('limits', () => {
    const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('');
    it('accepts 100 header lines (Host included) and refuses 101 with 431', async () => {
      const ok = await raw(ports.main, `GET /count HTTP/1.1\r\nHost: a\r\n${headers(98)}Connection: close\r\n\r\n`);
      assert.equal(statusOf(ok.data), 200);
      const tooMany = await raw(ports.main, `GET /count HTTP/1.1\r\nHost: a\r\n${headers(100)}\r\n`);
      assert.equal(statusOf(tooMany.data), 431);
      assert.ok(tooMany.closed);
    });

    it('refuses a head over 60 KiB with 431, even before it is complete', async () => {
      const r = await raw(ports.main, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(61 * 1024)}`);
      assert.equal(statusOf(r.data), 431);
    });

    it('a head sent one byte per packet is assembled (no quadratic copying) and served', async () => {
      const head = `GET /bytewise HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(2000)}\r\nConnection: close\r\n\r\n`;
      const s = net.connect(ports.main, '127.0.0.1');
      s.setNoDelay(true);
      let data = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => (data += d));
      await new Promise<void>((resolve) => s.once('connect', resolve));
      for (const ch of head) await new Promise<void>((resolve) => s.write(ch, () => resolve()));
      await new Promise<void>((resolve) => s.once('end', resolve));
      assert.equal(statusOf(data), 200);
    });
  });

  describe('slow clients', () => {
    it('a head that never completes gets 408 after request_headers_timeout and the connection closes', async () => {
      const started = Date.now();
      const r = await raw(ports.main, 'GET / HTTP/1.1\r\nHost: a\r\n', { timeoutMs: 5_000 });
      assert.equal(statusOf(r.data), 408);
      assert.match(r.data, /request header timeout/);
      assert.ok(r.closed);
      assert.ok(Date.now() - started >= 450, 'not before the timeout');
    });

    it('a slowloris head trickling a byte at a time still gets 408', async () => {
      const s = net.connect(ports.main, '127.0.0.1');
      let data = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => (data += d));
      s.on('error', () => {});
      await new Promise<void>((resolve) => s.once('connect', resolve));
      s.write('GET / HTTP/1.1\r\nHost: a\r\n');
      const trickle = setInterval(() => s.write('X'), 50); // the attack itself: keep the connection "active"
      await new Promise<void>((resolve) => s.once('close', resolve));
      clearInterval(trickle);
      assert.equal(statusOf(data), 408);
    });

    it('a partial body, then silence: 408 stream timeout (stream_idle_timeout), counted', async () => {
      const before = await stat('http.main.downstream_rq_idle_timeout');
      const r = await raw(ports.main, 'POST /idle-upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly-part', { timeoutMs: 6_000 });
      assert.equal(statusOf(r.data), 408);
      assert.match(r.data, /stream timeout/);
      assert.ok(r.closed);
      assert.equal(await stat('http.main.downstream_rq_idle_timeout'), before + 1);
      const line = await proxy.waitForLine((l) => l.msg === 'access' && l.path === '/idle-upload');
      assert.equal(line.response_flags, 'SI');
      assert.equal(line.response_code, 408);
    });

    it('an upstream that never answers: 504 stream timeout', async () => {
      const r = await raw(ports.main, 'GET /hang/idle HTTP/1.1\r\nHost: a\r\n\r\n', { until: /stream timeout/, timeoutMs: 6_000 });
      assert.equal(statusOf(r.data), 504);
      const line = await proxy.waitForLine((l) => l.msg === 'access' && l.path === '/hang/idle');
      assert.equal(line.response_flags, 'SI');
    });
  });

  describe('item 4: path normalization before routing', () => {
    const attacks = ['/public/../admin', '/public/%2e%2e/admin', '//admin', '/%61dmin', '/public/./../admin', '/public/%2E%2E/admin', '/public\\..\\admin'];
    for (const p of attacks) {
      it(`BASE + MERGE_SLASHES: ${p} hits the /admin route (403)`, async () => {
        const r = await raw(ports.main, `GET ${p} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
        assert.equal(statusOf(r.data), 403, r.data);
      });
    }

    it('BASE + MERGE_SLASHES keeps %2F escaped (Istio MERGE_SLASHES): forwarded as /public/..%2Fadmin', async () => {
      const r = await get(ports.main, '/public/..%2fadmin');
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).url, '/public/..%2Fadmin');
    });

    for (const p of [...attacks, '/public/..%2fadmin', '/public/..%5cadmin']) {
      it(`DECODE_AND_MERGE_SLASHES: ${p} hits the /admin route (403)`, async () => {
        const r = await raw(ports.decode, `GET ${p} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
        assert.equal(statusOf(r.data), 403, r.data);
      });
    }

    it('REJECT_REQUEST: an escaped slash is 400', async () => {
      const r = await raw(ports.reject, 'GET /public/..%2Fadmin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(statusOf(r.data), 400);
    });

    it('UNESCAPE_AND_REDIRECT: 307 to the unescaped, normalized path', async () => {
      const r = await raw(ports.redirect, 'GET /public/..%2Fadmin?x=%2F HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(statusOf(r.data), 307);
      assert.match(r.data, /\r\nlocation: \/admin\?x=%2F\r\n/);
    });

    it('the upstream receives the normalized path; the query is untouched', async () => {
      const r = await get(ports.main, '/a/./b/../%7Ec//d?q=/../%2e%2e');
      assert.equal(JSON.parse(r.body).url, '/a/~c/d?q=/../%2e%2e');
    });

    it('a fragment in the target is refused with 400', async () => {
      const r = await raw(ports.main, 'GET /public#/../admin HTTP/1.1\r\nHost: a\r\n\r\n', { until: /\r\n\r\n/ });
      assert.equal(statusOf(r.data), 400);
    });

    it('%00 in the path is refused with 400', async () => {
      const r = await raw(ports.main, 'GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n', { until: /\r\n\r\n/ });
      assert.equal(statusOf(r.data), 400);
    });
  });

  describe('item 5: internal headers from external clients', () => {
    const internalHeaders = {
      'x-envoy-retry-on': '5xx',
      'x-envoy-max-retries': '100',
      'x-envoy-upstream-rq-timeout-ms': '1',
      'x-envoy-original-path': '/forged',
      'x-envoy-internal': 'true',
      'x-envoy-external-address': '10.0.0.1',
      'x-envoy-downstream-service-cluster': 'forged',
      'x-envoy-decorator-operation': 'forged',
      'x-envoy-ip-tags': 'forged',
      'x-envoy-hedge-on-per-try-timeout': 'true',
      'x-envoy-expected-rq-timeout-ms': '1',
    };

    it('use_remote_address false, external XFF: every internal-only header is stripped', async () => {
      const r = await get(ports.xff, '/ext', { ...internalHeaders, 'x-forwarded-for': '203.0.113.9' });
      const seen = JSON.parse(r.body).headers;
      for (const name of Object.keys(internalHeaders)) assert.equal(seen[name], undefined, `${name} reached the upstream`);
    });

    it('use_remote_address false, no XFF: internal, marked x-envoy-internal: true, headers kept', async () => {
      const r = await get(ports.xff, '/int', { 'x-envoy-retry-on': '5xx', 'x-envoy-internal': 'false' });
      const seen = JSON.parse(r.body).headers;
      assert.equal(seen['x-envoy-internal'], 'true');
      assert.equal(seen['x-envoy-retry-on'], '5xx');
    });

    it('use_remote_address false, several XFF entries: external', async () => {
      const r = await get(ports.xff, '/ext2', { 'x-envoy-retry-on': '5xx', 'x-forwarded-for': '10.0.0.1, 10.0.0.2' });
      const seen = JSON.parse(r.body).headers;
      assert.equal(seen['x-envoy-retry-on'], undefined);
      assert.equal(seen['x-envoy-internal'], undefined);
    });

    it('use_remote_address true, peer outside internal_address_config: stripped, x-envoy-external-address set', async () => {
      const r = await get(ports.edge, '/edge', internalHeaders);
      const seen = JSON.parse(r.body).headers;
      assert.equal(seen['x-envoy-external-address'], '127.0.0.1');
      for (const name of Object.keys(internalHeaders)) if (name !== 'x-envoy-external-address') assert.equal(seen[name], undefined, `${name} reached the upstream`);
    });

    it('use_remote_address true without internal_address_config: even a loopback peer is external (Envoy\'s current default)', async () => {
      const r = await get(ports.main, '/internal', internalHeaders);
      const seen = JSON.parse(r.body).headers;
      assert.equal(seen['x-envoy-external-address'], '127.0.0.1');
      for (const name of Object.keys(internalHeaders)) if (name !== 'x-envoy-external-address') assert.equal(seen[name], undefined, `${name} reached the upstream`);
    });

    it('use_remote_address true, peer inside internal_address_config: internal, x-envoy-internal: true, its headers kept', async () => {
      const r = await get(ports.trusted, '/internal', { 'x-envoy-internal': 'nope', 'x-envoy-retry-on': '5xx' });
      const seen = JSON.parse(r.body).headers;
      assert.equal(seen['x-envoy-internal'], 'true');
      assert.equal(seen['x-envoy-retry-on'], '5xx');
    });

    it('xff_num_trusted_hops 2: the client is the 2nd XFF entry from the right; its headers are judged by it', async () => {
      // Envoy's documented example: XFF "203.0.113.128, 203.0.113.10, 203.0.113.1" from the last trusted proxy → 203.0.113.10.
      const r = await get(ports.hops, '/hops', { 'x-forwarded-for': '203.0.113.128, 203.0.113.10, 203.0.113.1', 'x-envoy-retry-on': '5xx' });
      const seen = JSON.parse(r.body).headers;
      assert.equal(seen['x-envoy-external-address'], '203.0.113.10');
      assert.equal(seen['x-forwarded-for'], '203.0.113.128, 203.0.113.10, 203.0.113.1,127.0.0.1');
      assert.equal(seen['x-envoy-retry-on'], undefined);
      const logged = await proxy.waitForLine((l) => l.msg === 'access' && l.path === '/hops');
      assert.equal(logged.downstream_remote_address, '203.0.113.10:0');
    });

    it('xff_num_trusted_hops 2: an internal client behind the trusted proxies is internal; too short an XFF falls back to the peer', async () => {
      const r = await get(ports.hops, '/hops-internal', { 'x-forwarded-for': '10.1.2.3, 198.51.100.7', 'x-envoy-retry-on': '5xx' });
      const seen = JSON.parse(r.body).headers;
      assert.equal(seen['x-envoy-internal'], 'true');
      assert.equal(seen['x-envoy-retry-on'], '5xx');
      const short = JSON.parse((await get(ports.hops, '/hops-short', { 'x-forwarded-for': '10.1.2.3' })).body).headers;
      assert.equal(short['x-envoy-external-address'], '127.0.0.1');
      const forged = JSON.parse((await get(ports.hops, '/hops-forged', { 'x-forwarded-for': 'not-an-ip, 198.51.100.7' })).body).headers;
      assert.equal(forged['x-envoy-external-address'], '127.0.0.1');
    });

    it('the access log prints the real path, never a client-supplied x-envoy-original-path; a rewrite logs the original', async () => {
      await get(ports.main, '/real-path', { 'x-envoy-original-path': '/forged-path' });
      const line = await proxy.waitForLine((l) => l.msg === 'access' && (l.path === '/real-path' || l.path === '/forged-path'));
      assert.equal(line.path, '/real-path');
      const r = await get(ports.main, '/rewrite/x', { 'x-envoy-original-path': '/forged-again' });
      assert.equal(JSON.parse(r.body).url, '/rewritten/x');
      assert.equal(JSON.parse(r.body).headers['x-envoy-original-path'], '/rewrite/x');
      const logged = await proxy.waitForLine((l) => l.msg === 'access' && (l.path === '/rewrite/x' || l.path === '/forged-again'));
      assert.equal(logged.path, '/rewrite/x');
    });
  });

  describe('item 8: smaller rules', () => {
    for (const host of ['a b', 'a/b', 'user@a', 'a\\b', 'a"b', 'a<b>', '']) {
      it(`Host ${JSON.stringify(host)} is refused with 400`, async () => {
        const r = await raw(ports.main, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
        assert.equal(statusOf(r.data), 400);
      });
    }

    it('an absolute-form target with userinfo is refused with 400', async () => {
      const r = await raw(ports.main, 'GET http://user:pw@a/x HTTP/1.1\r\nHost: a\r\n\r\n', { until: /\r\n\r\n/ });
      assert.equal(statusOf(r.data), 400);
    });

    it('valid authorities pass: IPv6 literal with port, underscores', async () => {
      for (const host of ['[::1]:8080', 'my_host.example:80', 'xn--bcher-kva.example']) {
        const r = await raw(ports.main, `GET /h HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        assert.equal(statusOf(r.data), 200, host);
      }
    });

    it('Connection: host (or content-length) does not remove Host or framing upstream; other nominated headers go', async () => {
      const r = await raw(ports.main, 'POST /conn HTTP/1.1\r\nHost: a\r\nConnection: host, content-length, x-hop, close\r\nX-Hop: 1\r\nContent-Length: 2\r\n\r\nok');
      const seen = JSON.parse(bodyOf(r.data));
      assert.equal(seen.headers.host, 'a');
      assert.equal(seen.body, 'ok');
      assert.equal(seen.headers['x-hop'], undefined);
    });

    it('headers named constructor, __proto__ and toString arrive intact', async () => {
      const r = await raw(ports.main, 'GET /proto HTTP/1.1\r\nHost: a\r\nconstructor: c1\r\n__proto__: p1\r\ntoString: t1\r\nConnection: close\r\n\r\n');
      const lines: string[] = JSON.parse(bodyOf(r.data));
      const value = (name: string) => lines[lines.findIndex((l, i) => i % 2 === 0 && l.toLowerCase() === name) + 1];
      assert.equal(value('constructor'), 'c1');
      assert.equal(value('__proto__'), 'p1');
      assert.equal(value('tostring'), 't1');
    });

    it('a second Authorization or Content-Type is kept (joined, as Envoy joins inline headers), never dropped', async () => {
      const r = await raw(ports.main, 'GET /dup HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\nContent-Type: text/a\r\nContent-Type: text/b\r\nConnection: close\r\n\r\n');
      const seen = JSON.parse(bodyOf(r.data));
      assert.equal(seen.headers.authorization, 'Bearer one, Bearer two');
      assert.equal(seen.headers['content-type'], 'text/a, text/b');
    });

    it('HTTP/1.0 is refused with 426 unless accept_http_10', async () => {
      const r = await raw(ports.main, 'GET / HTTP/1.0\r\nHost: a\r\n\r\n');
      assert.equal(statusOf(r.data), 426);
    });

    it('accept_http_10: an HTTP/1.0 request without Host gets default_host_for_http_10', async () => {
      const r = await raw(ports.http10, 'GET /old HTTP/1.0\r\n\r\n');
      assert.equal(statusOf(r.data), 200);
      assert.equal(JSON.parse(bodyOf(r.data)).headers.host, 'legacy.example');
    });
  });

  describe('HTTP/2 (h2c on the same listener)', () => {
    it('rapid reset (CVE-2023-44487): streams opened and reset at once get the connection closed with ENHANCE_YOUR_CALM', async () => {
      const frames: Buffer[] = [H2_HELLO];
      for (let i = 0; i < 1000; i++) frames.push(headersFrame(2 * i + 1), rstFrame(2 * i + 1, 0x8 /* CANCEL */));
      const before = await stat('http.main.downstream_cx_protocol_error');
      const activeBefore = await stat('cluster.hang.upstream_rq_active');
      // Meanwhile another client is served normally.
      const [r, other] = await Promise.all([h2raw(ports.main, Buffer.concat(frames)), get(ports.main, '/during')]);
      assert.equal(r.closed, true, 'the abusive connection was closed');
      assert.equal(goawayCode(r.data), ENHANCE_YOUR_CALM);
      assert.equal(other.status, 200);
      assert.ok((await stat('http.main.downstream_cx_protocol_error')) > before);
      // The upstream requests the resets started are all cancelled.
      await waitFor('no request of the attack left on the upstream', async () => (await stat('cluster.hang.upstream_rq_active')) <= activeBefore);
    });

    it('a PING flood from a client that reads its ACKs: over 1,000 a second closes the connection with ENHANCE_YOUR_CALM', async () => {
      const batch = Buffer.concat(Array.from({ length: 300 }, (_, i) => h2frame(6, 0, 0, Buffer.alloc(8, i & 0xff))));
      const [r, other] = await Promise.all([h2floodReading(ports.main, [batch, batch, batch, batch, batch], 6, 300), get(ports.main, '/during-ping-flood')]);
      assert.equal(r.closed, true);
      assert.equal(goawayCode(r.data), ENHANCE_YOUR_CALM);
      assert.equal(other.status, 200);
    });

    it('a SETTINGS flood from a client that reads its ACKs closes the connection with ENHANCE_YOUR_CALM', async () => {
      const batch = Buffer.concat(Array.from({ length: 300 }, () => h2frame(4, 0, 0)));
      const r = await h2floodReading(ports.main, [batch, batch, batch, batch, batch], 4, 300);
      assert.equal(r.closed, true);
      assert.equal(goawayCode(r.data), ENHANCE_YOUR_CALM);
    });

    it("20,000 PINGs in one burst: cut by nghttp2's outbound ACK limit, the ACKs are never queued without bound", async () => {
      const frames: Buffer[] = [H2_HELLO];
      for (let i = 0; i < 20_000; i++) frames.push(h2frame(6, 0, 0, Buffer.alloc(8, i & 0xff)));
      const r = await h2raw(ports.main, Buffer.concat(frames));
      assert.equal(r.closed, true);
      assert.notEqual(goawayCode(r.data), undefined, 'a GOAWAY says the connection is over');
    });

    it('streams over SETTINGS_MAX_CONCURRENT_STREAMS (100) are refused; the connection and its first 100 streams live on', async () => {
      const frames: Buffer[] = [H2_HELLO];
      for (let i = 0; i < 130; i++) frames.push(headersFrame(2 * i + 1));
      const refused = (data: Buffer) => h2frames(data).filter((f) => f.type === 3 && f.payload.readUInt32BE(0) === REFUSED_STREAM).length;
      const r = await h2raw(ports.flood, Buffer.concat(frames), { until: (d) => refused(d) >= 30 });
      assert.equal(r.closed, false);
      assert.equal(refused(r.data), 30);
      const settings = h2frames(r.data).find((f) => f.type === 4 && f.payload.length > 0)!;
      const advertised = new Map<number, number>();
      for (let i = 0; i + 6 <= settings.payload.length; i += 6) advertised.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
      assert.equal(advertised.get(3 /* MAX_CONCURRENT_STREAMS */), 100);
      assert.equal(advertised.get(4 /* INITIAL_WINDOW_SIZE */), 65_536);
    });

    it('a header list over max_request_headers_kb resets that stream; the connection serves the next one', async () => {
      const client = http2.connect(`http://127.0.0.1:${ports.main}`, { maxSendHeaderBlockLength: 1 << 20 });
      client.on('error', () => {});
      try {
        const big = await new Promise<string>((resolve) => {
          const req = client.request({ ':path': '/big', ':authority': 'a', 'x-big': 'b'.repeat(70 * 1024) });
          req.on('response', (h) => resolve(String(h[':status'])));
          req.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
          req.on('close', () => resolve(`closed ${req.rstCode}`));
          req.end();
        });
        assert.notEqual(big, '200', `the oversized request was not served (${big})`);
        const ok = await new Promise<number>((resolve, reject) => {
          const req = client.request({ ':path': '/small', ':authority': 'a' });
          req.on('response', (h) => resolve(Number(h[':status'])));
          req.on('error', reject);
          req.resume();
          req.end();
        });
        assert.equal(ok, 200);
      } finally {
        client.close();
      }
    });
  });

});
