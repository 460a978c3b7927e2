import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing, tracer } from './tracing.ts';

describe('startTracing', () => {
  it('does nothing without an OTLP endpoint', async () => {
    const saved = { a: process.env.OTEL_EXPORTER_OTLP_ENDPOINT, b: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT };
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    const handle = await startTracing('pilot');
    assert.equal(handle.enabled, false);
    Object.assign(process.env, Object.fromEntries(Object.entries({ OTEL_EXPORTER_OTLP_ENDPOINT: saved.a, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: saved.b }).filter(([, v]) => v !== undefined)));
  });

  it('exports spans to an OTLP/HTTP collector, named after the component', async () => {
    const received: Array<{ path: string; body: string }> = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    after(() => collector.close());
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    delete process.env.OTEL_SERVICE_NAME;

    const handle = await startTracing('pilot');
    assert.equal(handle.enabled, true);
    tracer('pilot').startActiveSpan('push', (span) => {
      span.setAttribute('proxies', 3);
      span.end();
    });
    await handle.shutdown(); // flushes the batch

    const traces = received.filter((r) => r.path === '/v1/traces');
    assert.equal(traces.length, 1, `collector saw: ${received.map((r) => r.path).join(', ')}`);
    assert.match(traces[0].body, /"push"/);
    assert.match(traces[0].body, /"service\.name".*"pilot"/s);
  });
});
