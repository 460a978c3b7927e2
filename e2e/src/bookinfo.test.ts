// Istio's Bookinfo on the local mesh (`npm start -- --example bookinfo`), as
// real processes: every workload behind its own sidecar configured by its
// Sidecar resource, Istio's networking YAML verbatim, checked through the
// ingress gateway the way Istio's Bookinfo tasks are (request routing, fault
// injection, traffic shifting): what the page shows, for whom.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { BOOKINFO_NETWORKING_DIR, freeBookinfoPorts, freeMeshPorts, startBookinfoMesh, type BookinfoMesh } from '@mesh/local-mesh';
import { waitFor } from '@mesh/testing';
import { proxyStats } from './mesh-fixture.ts';

const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';
const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

type Shown = 'v1' | 'v2' | 'v3' | 'reviews-unavailable' | 'ratings-unavailable' | 'other';

/** Which reviews version the page shows: no stars (v1), black stars (v2), red stars (v3), or an error. */
function shown(html: string): Shown {
  if (html.includes(REVIEWS_UNAVAILABLE)) return 'reviews-unavailable';
  if (html.includes(RATINGS_UNAVAILABLE)) return 'ratings-unavailable';
  const colours = new Set([...html.matchAll(/class="stars"[^>]*style="color: ([a-z]+)"/g)].map((m) => m[1]));
  if (!html.includes('Book Reviews') || colours.size > 1) return 'other';
  if (colours.size === 0) return 'v1';
  return colours.has('black') ? 'v2' : colours.has('red') ? 'v3' : 'other';
}

describe('Bookinfo on the local mesh (npm start -- --example bookinfo)', { timeout: 150_000 }, () => {
  let mesh: BookinfoMesh;
  let stateDir: string;
  let gateway: string;
  let jason: string;
  const agent = new Agent({ connections: 8 });

  const page = async (cookie?: string) => {
    const started = Date.now();
    const res = await request(`${gateway}/productpage`, { headers: cookie ? { cookie } : {}, dispatcher: agent });
    const html = await res.body.text();
    return { status: res.statusCode, html, shown: shown(html), ms: Date.now() - started };
  };
  const pages = async (n: number, cookie?: string) => {
    const out: Record<string, number> = {};
    const all = await Promise.all(Array.from({ length: n }, () => page(cookie)));
    for (const p of all) out[p.shown] = (out[p.shown] ?? 0) + 1;
    return out;
  };
  /** As the task says: copy Istio's file into the watched directory (and take out the ones it replaces). */
  const apply = (files: string[], remove: string[] = []) => {
    for (const f of remove) rmSync(path.join(mesh.configDir, f), { force: true });
    for (const f of files) copyFileSync(path.join(BOOKINFO_NETWORKING_DIR, f), path.join(mesh.configDir, f));
  };
  const inboundRequests = async (workload: string) => {
    const stats = await proxyStats(mesh.workloads.get(workload)!.sidecar.admin);
    return stats.filter(([name]) => /^cluster\.inbound\|.*\.upstream_rq_total$/.test(name)).reduce((sum, [, v]) => sum + v, 0);
  };
  const counter = async (workload: string, name: string) => (await proxyStats(mesh.workloads.get(workload)!.sidecar.admin)).find(([n]) => n === name)?.[1] ?? 0;

  before(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'mesh-e2e-bookinfo-state-'));
    mesh = await startBookinfoMesh({
      stateDir,
      ports: await freeMeshPorts(),
      bookinfoPorts: await freeBookinfoPorts(),
      logLevel: 'info',
      onLine: process.env.MESH_TEST_VERBOSE === '1' ? (name, text) => process.stderr.write(`[${name}] ${text}\n`) : undefined,
    });
    gateway = `http://127.0.0.1:${mesh.ports.gatewayHttp}`;
  });
  after(async () => {
    await agent.close();
    await mesh?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("serves the product page through the gateway with the book's details and reviews, every call through the workloads' sidecars", async () => {
    const first = await page();
    assert.equal(first.status, 200);
    assert.match(first.html, /The Comedy of Errors/);
    assert.match(first.html, /William Shakespeare/);
    assert.match(first.html, /ISBN-13:<\/dt><dd>123-1234567890/);
    assert.match(first.html, /Reviewer1[\s\S]*Reviewer2/);
    // Without a VirtualService, reviews' three versions take turns.
    const seen = await pages(11);
    assert.deepEqual(Object.keys(seen).sort(), ['v1', 'v2', 'v3'], JSON.stringify(seen));
    // Each workload's sidecar is configured by its own Sidecar resource (not pilot's compatibility-mode proxy).
    for (const name of mesh.workloads.keys()) {
      const id = `sidecar~127.0.0.1~${name}.default~default.svc.cluster.local`;
      const config = (await (await fetch(`http://127.0.0.1:${mesh.ports.pilotMonitoring}/debug/configz?proxy=${encodeURIComponent(id)}`)).json()) as { sidecar?: string; mode?: string };
      assert.deepEqual([config.sidecar, config.mode], [`default/${name}`, 'sidecar resource (no capture)'], name);
    }
    // gateway -> productpage's ingress -> productpage -> its egress -> details'/reviews' ingress -> ... -> ratings' ingress.
    assert.ok((await inboundRequests('productpage-v1')) >= 12, 'productpage received the pages through its sidecar');
    assert.ok((await counter('productpage-v1', 'cluster.outbound|9080||details.default.svc.cluster.local.upstream_rq_total')) >= 12, 'productpage called details through its egress listener');
    assert.ok((await counter('productpage-v1', 'cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_total')) >= 12, 'productpage called reviews through its egress listener');
    assert.ok((await inboundRequests('details-v1')) >= 12, "details received the calls through its sidecar's ingress");
    const reviews = await Promise.all(['reviews-v1', 'reviews-v2', 'reviews-v3'].map(inboundRequests));
    assert.ok(reviews.every((n) => n >= 1) && reviews.reduce((a, b) => a + b) >= 12, `reviews v1/v2/v3 received them through their sidecars: ${reviews}`);
    assert.ok((await counter('reviews-v2', 'cluster.outbound|9080||ratings.default.svc.cluster.local.upstream_rq_total')) >= 1, 'reviews-v2 called ratings through its egress listener');
    assert.ok((await inboundRequests('ratings-v1')) >= 1, "ratings received the calls through its sidecar's ingress");
  });

  it('virtual-service-all-v1.yaml: every page shows reviews without stars (v1)', async () => {
    apply(['virtual-service-all-v1.yaml']);
    await waitFor('every page on reviews v1', async () => (await pages(6)).v1 === 6, { timeoutMs: 10_000, intervalMs: 50 });
    const before = await counter('productpage-v1', 'cluster.outbound|9080|v1|reviews.default.svc.cluster.local.upstream_rq_total');
    assert.deepEqual(await pages(30), { v1: 30 });
    const after = await counter('productpage-v1', 'cluster.outbound|9080|v1|reviews.default.svc.cluster.local.upstream_rq_total');
    assert.ok(after - before >= 30, `productpage's sidecar routed them to the v1 subset (${after - before})`);
  });

  it('virtual-service-reviews-test-v2.yaml: jason, signed in, sees black stars (v2); everyone else none (v1)', async () => {
    apply(['virtual-service-reviews-test-v2.yaml'], ['virtual-service-all-v1.yaml']);
    const login = await request(`${gateway}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: `${gateway}/productpage` },
      body: 'username=jason',
      dispatcher: agent,
    });
    await login.body.text();
    assert.equal(Math.floor(login.statusCode / 100), 3, 'sign-in redirects back');
    const setCookie = login.headers['set-cookie'];
    jason = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0];
    assert.match(jason, /^session=/);
    await waitFor('jason on reviews v2', async () => (await pages(4, jason)).v2 === 4, { timeoutMs: 10_000, intervalMs: 50 });
    const signedIn = await page(jason);
    assert.match(signedIn.html, /Welcome <b>jason<\/b>/);
    assert.deepEqual(await pages(15, jason), { v2: 15 });
    assert.deepEqual(await pages(15), { v1: 15 });
  });

  it('virtual-service-ratings-test-delay.yaml: jason\'s page says reviews are unavailable (7 s delay > productpage\'s 3 s timeout, tried twice); others are not delayed', async () => {
    apply(['virtual-service-ratings-test-delay.yaml']);
    // The fault is in reviews-v2's sidecar's route to ratings once pilot has pushed it.
    const admin = mesh.workloads.get('reviews-v2')!.sidecar.admin;
    await waitFor('the delay fault in reviews-v2\'s sidecar', async () => /fixed_?[dD]elay/.test(await (await fetch(`http://127.0.0.1:${admin}/config_dump`)).text()), { timeoutMs: 10_000, intervalMs: 50 });
    const [delayed, other] = await Promise.all([page(jason), page()]);
    assert.equal(delayed.status, 200);
    assert.equal(delayed.shown, 'reviews-unavailable', 'jason sees the reviews error');
    assert.match(delayed.html, /Error fetching product reviews!/);
    assert.ok(delayed.ms >= 5_500 && delayed.ms < 9_000, `two 3 s attempts: the page took ${delayed.ms} ms`);
    assert.equal(other.shown, 'v1');
    assert.ok(other.ms < 2_000, `an anonymous page is not delayed (${other.ms} ms)`);
  });

  it('virtual-service-ratings-test-abort.yaml: jason sees "Ratings service is currently unavailable"; others see v1', async () => {
    apply(['virtual-service-ratings-test-abort.yaml'], ['virtual-service-ratings-test-delay.yaml']);
    await waitFor('jason to see the ratings error', async () => (await page(jason)).shown === 'ratings-unavailable', { timeoutMs: 15_000, intervalMs: 50 });
    const ratingsBefore = await inboundRequests('ratings-v1');
    assert.deepEqual(await pages(5, jason), { 'ratings-unavailable': 5 });
    assert.deepEqual(await pages(5), { v1: 5 });
    // The abort is reviews-v2's sidecar answering for ratings: none of these calls reached ratings.
    assert.equal((await inboundRequests('ratings-v1')) - ratingsBefore, 0, 'aborted calls never reach ratings');
  });

  it('virtual-service-reviews-50-v3.yaml: about half the pages show red stars (v3), the rest none (v1)', async () => {
    apply(['virtual-service-reviews-50-v3.yaml'], readdirSync(mesh.configDir).filter((f) => f.startsWith('virtual-service-')));
    await waitFor('red stars on some pages', async () => ((await pages(8)).v3 ?? 0) > 0, { timeoutMs: 10_000, intervalMs: 50 });
    const seen = await pages(60);
    assert.deepEqual(Object.keys(seen).sort(), ['v1', 'v3'], JSON.stringify(seen));
    assert.ok(seen.v3 >= 15 && seen.v3 <= 45, `50/50 between v1 and v3: ${JSON.stringify(seen)}`);
    // jason too: the test-v2 rule is gone.
    assert.ok(!('v2' in (await pages(6, jason))));
  });

  it('virtual-service-reviews-v3.yaml: the shift completes, every page shows red stars (v3)', async () => {
    apply(['virtual-service-reviews-v3.yaml'], ['virtual-service-reviews-50-v3.yaml']);
    await waitFor('every page on reviews v3', async () => (await pages(12)).v3 === 12, { timeoutMs: 10_000, intervalMs: 50 });
    assert.deepEqual(await pages(20), { v3: 20 });
  });

  // Istio's "Authorization on HTTP traffic" task, its YAML as the task gives it, on top of the v3 routing above.
  // Every hop is mutual TLS, so the policies' principals are the callers' service accounts.
  const policy = (name: string, spec: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${name}
  namespace: default
spec:
${spec}`;
  const viewer = (app: string, from?: string) => `  selector:
    matchLabels:
      app: ${app}
  action: ALLOW
  rules:
  - ${from ? `from:
    - source:
        principals: ["cluster.local/ns/default/sa/${from}"]
    ` : ''}to:
    - operation:
        methods: ["GET"]
`;
  const write = (name: string, text: string) => writeFileSync(path.join(mesh.configDir, `${name}.yaml`), text);

  it('authorization allow-nothing: the product page is "RBAC: access denied" (403), from the productpage sidecar', async () => {
    write('allow-nothing', policy('allow-nothing', '  {}\n'));
    await waitFor('productpage to deny', async () => (await page()).status === 403, { timeoutMs: 15_000, intervalMs: 100 });
    const denied = await page();
    assert.deepEqual([denied.status, denied.html], [403, 'RBAC: access denied']);
    const denials = (await proxyStats(mesh.workloads.get('productpage-v1')!.sidecar.admin)).filter(([name]) => name.endsWith('.rbac.denied'));
    assert.ok(denials.some(([, n]) => n >= 2), `the productpage sidecar counts its denials: ${JSON.stringify(denials)}`);
  });

  it('authorization productpage-viewer (GET): the page loads, but details and reviews are denied to productpage', async () => {
    write('productpage-viewer', policy('productpage-viewer', viewer('productpage')));
    await waitFor('the page to load', async () => (await page()).status === 200, { timeoutMs: 15_000, intervalMs: 100 });
    const p = await page();
    assert.match(p.html, /Error fetching product details!/);
    assert.match(p.html, /Error fetching product reviews!/);
    const post = await request(`${gateway}/productpage`, { method: 'POST', dispatcher: agent });
    assert.equal(post.statusCode, 403, 'only GET is allowed');
    await post.body.dump();
  });

  it("authorization details-viewer and reviews-viewer (from productpage's identity), then ratings-viewer (from reviews'): the whole page is back", async () => {
    write('details-viewer', policy('details-viewer', viewer('details', 'bookinfo-productpage')));
    write('reviews-viewer', policy('reviews-viewer', viewer('reviews', 'bookinfo-productpage')));
    await waitFor('details and reviews on the page', async () => {
      const p = await page();
      return !p.html.includes('Error fetching') && p.shown === 'ratings-unavailable';
    }, { timeoutMs: 15_000, intervalMs: 100 });
    write('ratings-viewer', policy('ratings-viewer', viewer('ratings', 'bookinfo-reviews')));
    await waitFor('red stars again', async () => (await page()).shown === 'v3', { timeoutMs: 15_000, intervalMs: 100 });
    assert.deepEqual(await pages(10), { v3: 10 });
    // A policy naming another caller's identity: details denies productpage again.
    write('details-viewer', policy('details-viewer', viewer('details', 'bookinfo-reviews')));
    await waitFor('details denied to productpage', async () => (await page()).html.includes('Error fetching product details!'), { timeoutMs: 15_000, intervalMs: 100 });
    for (const f of ['allow-nothing', 'productpage-viewer', 'details-viewer', 'reviews-viewer', 'ratings-viewer']) rmSync(path.join(mesh.configDir, `${f}.yaml`));
    await waitFor('every page back without policies', async () => (await pages(4)).v3 === 4, { timeoutMs: 15_000, intervalMs: 100 });
  });
});
