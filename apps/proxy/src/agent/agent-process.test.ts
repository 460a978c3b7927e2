// The status port of the real proxy process: wired from the injector's env,
// reachable from Istio's pilot-agent command line, stopped by POST /quitquitquit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startProcess, type ManagedProcess } from '@mesh/testing';
import { request } from '../test-fixtures.ts';

const MAIN = 'apps/proxy/src/main.ts';

describe('the proxy process serves the agent port', () => {
  let dir: string;
  let emptyConfig: string;
  let app: http.Server;
  let appPort: number;
  const procs: ManagedProcess[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'agent-process-'));
    emptyConfig = path.join(dir, 'empty.json');
    writeFileSync(emptyConfig, '{}');
    app = http.createServer((req, res) => {
      if (req.url === '/ready') res.writeHead(200).end();
      else if (req.url === '/metrics') res.writeHead(200).end('# TYPE app_hits_total counter\napp_hits_total 5\n');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appPort = (app.address() as AddressInfo).port;
  });

  after(async () => {
    for (const p of procs) await p.stop();
    await new Promise<void>((resolve) => {
      app.close(() => resolve());
      app.closeAllConnections();
    });
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (args: string[], env: Record<string, string> = {}) => {
    const p = startProcess('proxy', MAIN, args, { env });
    procs.push(p);
    return p;
  };
  const agentPortOf = async (p: ManagedProcess) => Number((await p.waitForLine((l) => l.msg === 'proxy starting', 20_000)).agentPort);

  it('probes the app, merges its metrics, and exits 0 on POST /quitquitquit (GET refused)', async () => {
    const proc = start(['--static-config', emptyConfig, '--admin-port', '0', '--status-port', '0', '--stats-port', '0', '--agent-port', '0', '--drain-seconds', '1'], {
      ISTIO_KUBE_APP_PROBERS: JSON.stringify({ '/app-health/web/readyz': { httpGet: { path: '/ready', port: appPort, scheme: 'HTTP' }, timeoutSeconds: 1 } }),
      ISTIO_PROMETHEUS_ANNOTATIONS: JSON.stringify({ scrape: 'true', path: '/metrics', port: String(appPort) }),
    });
    const port = await agentPortOf(proc);
    assert.ok(port > 0 && port !== 15020);
    await proc.waitForLine((l) => l.msg === 'static config applied', 20_000);

    assert.equal((await request(port, { path: '/healthz/ready' })).status, 200);
    assert.equal((await request(port, { path: '/app-health/web/readyz' })).status, 200);
    const metrics = await request(port, { path: '/stats/prometheus' });
    assert.match(metrics.body, /\napp_hits_total 5\n/);
    assert.match(metrics.body, /\nenvoy_server_uptime \d+\n/);

    assert.equal((await request(port, { path: '/quitquitquit' })).status, 405);
    assert.equal(proc.child.exitCode, null, 'GET did not stop it');
    assert.equal((await request(port, { path: '/quitquitquit', method: 'POST' })).status, 200);
    assert.equal(await proc.exited, 0);
    assert.ok(proc.lines.some((l) => l.msg === 'stopped'));
  });

  it("takes pilot-agent's --statusPort on the injected sidecar command line", async () => {
    const proc = start(['sidecar', '--domain', 'default.svc.cluster.local', '--statusPort', '0', '--proxyLogLevel=info'], {
      STATIC_CONFIG: emptyConfig,
      STATUS_HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      STATUS_PORT: '0',
      STATS_PORT: '0',
      ISTIO_KUBE_APP_PROBERS: JSON.stringify({ '/app-health/web/livez': { tcpSocket: { port: appPort } } }),
    });
    const port = await agentPortOf(proc);
    assert.ok(port > 0 && port !== 15020);
    assert.equal((await request(port, { path: '/app-health/web/livez' })).status, 200);
    assert.equal(await proc.stop(), 0);
  });

  it('refuses to start with a bad ISTIO_KUBE_APP_PROBERS, naming the variable and the key', async () => {
    const proc = start(['--static-config', emptyConfig, '--admin-port', '0', '--status-port', '0', '--stats-port', '0', '--agent-port', '0'], {
      ISTIO_KUBE_APP_PROBERS: '{"/app-health/web/readyz":{"httpGet":{"port":"http"}}}',
    });
    assert.equal(await proc.exited, 1);
    assert.match(proc.output(), /ISTIO_KUBE_APP_PROBERS: "\/app-health\/web\/readyz"\.httpGet\.port: must be a port number 1-65535, got "http"/);
  });
});
