// details, ratings and reviews (v1, v2, v3) as their clients see them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bookDetails } from './details.ts';
import { REVIEWS } from './reviews.ts';
import { closedPort, fake, getJson, json, request, start } from './test-helpers.ts';
import type { StartedService } from './service.ts';

const EXPECTED_REVIEWS = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
];

describe('details', () => {
  let details: StartedService;
  before(async () => (details = await start('details')));
  after(() => details.close());

  it("answers /details/<id> with Istio's book details", async () => {
    const { status, body } = await getJson(details.port, '/details/7');
    assert.equal(status, 200);
    assert.deepEqual(body, {
      id: 7,
      author: 'William Shakespeare',
      year: 1595,
      type: 'paperback',
      pages: 200,
      publisher: 'PublisherA',
      language: 'English',
      'ISBN-10': '1234567890',
      'ISBN-13': '123-1234567890',
    });
    assert.deepEqual(bookDetails(7), body);
  });

  it('is healthy, and refuses a non-numeric id', async () => {
    const health = await getJson(details.port, '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'Details is healthy' });
    const bad = await getJson(details.port, '/details/abc');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /numeric product id/);
    assert.equal((await request(details.port, '/nothing')).status, 404);
  });
});

describe('ratings', () => {
  let ratings: StartedService;
  before(async () => (ratings = await start('ratings')));
  after(() => ratings.close());

  it('gives Reviewer1 five stars and Reviewer2 four', async () => {
    const { status, body } = await getJson(ratings.port, '/ratings/0');
    assert.equal(status, 200);
    assert.deepEqual(body, { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    assert.deepEqual((await getJson(ratings.port, '/health')).body, { status: 'Ratings is healthy' });
  });

  it("POST replaces one product's ratings and leaves the others alone", async () => {
    const posted = await request(ratings.port, '/ratings/3', { method: 'POST', body: JSON.stringify({ Reviewer1: 1, Reviewer2: 2 }) });
    assert.equal(posted.status, 200);
    assert.deepEqual(JSON.parse(posted.body), { id: 3, ratings: { Reviewer1: 1, Reviewer2: 2 } });
    assert.deepEqual((await getJson(ratings.port, '/ratings/3')).body.ratings, { Reviewer1: 1, Reviewer2: 2 });
    assert.deepEqual((await getJson(ratings.port, '/ratings/4')).body.ratings, { Reviewer1: 5, Reviewer2: 4 });
    const bad = await request(ratings.port, '/ratings/3', { method: 'POST', body: '{not json' });
    assert.equal(bad.status, 400);
    const big = await request(ratings.port, '/ratings/3', { method: 'POST', body: JSON.stringify({ x: 'y'.repeat(20_000) }) });
    assert.equal(big.status, 413);
  });
});

describe('reviews', { concurrency: true }, () => {
  let ratings: StartedService;
  let v1: StartedService;
  let v2: StartedService;
  let v3: StartedService;
  const ratingsEnv = () => ({ RATINGS_HOSTNAME: '127.0.0.1', RATINGS_PORT: String(ratings.port), HOSTNAME: 'reviews-pod-1', CLUSTER_NAME: 'cluster-a' });
  before(async () => {
    ratings = await start('ratings');
    v1 = await start('reviews', ['--version', 'v1'], ratingsEnv());
    v2 = await start('reviews', ['--version', 'v2'], ratingsEnv());
    v3 = await start('reviews', [], { ...ratingsEnv(), SERVICE_VERSION: 'v3' });
  });
  after(async () => {
    await Promise.all([v1, v2, v3, ratings].map((s) => s.close()));
  });

  it('v1 lists both reviews without ratings, with its pod and cluster name', async () => {
    const { status, body } = await getJson(v1.port, '/reviews/0');
    assert.equal(status, 200);
    assert.deepEqual(body, { id: '0', podname: 'reviews-pod-1', clustername: 'cluster-a', reviews: EXPECTED_REVIEWS });
    assert.deepEqual(REVIEWS, EXPECTED_REVIEWS);
    assert.deepEqual((await getJson(v1.port, '/health')).body, { status: 'Reviews is healthy' });
  });

  it('v2 adds black stars from ratings, v3 red ones', async () => {
    const two = await getJson(v2.port, '/reviews/0');
    assert.deepEqual(
      two.body.reviews,
      EXPECTED_REVIEWS.map((r, i) => ({ ...r, rating: { stars: [5, 4][i], color: 'black' } })),
    );
    const three = await getJson(v3.port, '/reviews/0');
    assert.deepEqual(
      three.body.reviews,
      EXPECTED_REVIEWS.map((r, i) => ({ ...r, rating: { stars: [5, 4][i], color: 'red' } })),
    );
  });

  it('v2 and v3 report ratings as unavailable when ratings is down or failing; v1 does not notice', async () => {
    const down = await closedPort();
    const failing = await fake((_req, res) => json(res, 503, { error: 'Service unavailable' }));
    try {
      for (const port of [down, failing.port]) {
        for (const version of ['v2', 'v3']) {
          const reviews = await start('reviews', ['--version', version, '--ratings-hostname', '127.0.0.1', '--ratings-port', String(port)]);
          try {
            const { status, body } = await getJson(reviews.port, '/reviews/0');
            assert.equal(status, 200);
            assert.deepEqual(body.reviews, EXPECTED_REVIEWS.map((r) => ({ ...r, rating: { error: 'Ratings service is currently unavailable' } })));
          } finally {
            await reviews.close();
          }
        }
      }
      const v1Down = await start('reviews', ['--version', 'v1', '--ratings-hostname', '127.0.0.1', '--ratings-port', String(down)]);
      try {
        assert.deepEqual((await getJson(v1Down.port, '/reviews/0')).body.reviews, EXPECTED_REVIEWS);
      } finally {
        await v1Down.close();
      }
    } finally {
      await failing.close();
    }
  });

  it('v3 gives up on a silent ratings after 2.5 s, v2 waits 10 s', async () => {
    // Two ratings that take every request and never answer, one per version.
    const silent2 = await fake(() => {});
    const silent3 = await fake(() => {});
    const slow2 = await start('reviews', ['--version', 'v2'], { RATINGS_HOSTNAME: '127.0.0.1', RATINGS_PORT: String(silent2.port) });
    const slow3 = await start('reviews', ['--version', 'v3'], { RATINGS_HOSTNAME: '127.0.0.1', RATINGS_PORT: String(silent3.port) });
    try {
      let v2Done = false;
      const two = getJson(slow2.port, '/reviews/0').then((r) => ((v2Done = true), r));
      const three = getJson(slow3.port, '/reviews/0');
      const [call2, call3] = await Promise.all([silent2.nth(1), silent3.nth(1)]);
      const r3 = await three;
      assert.ok(r3.at - call3.at >= 2_400 && r3.at - call3.at < 4_000, `v3 answered ${r3.at - call3.at} ms after calling ratings`);
      assert.equal(v2Done, false, 'v2 answered as early as v3');
      assert.deepEqual(r3.body.reviews[0].rating, { error: 'Ratings service is currently unavailable' });
      const r2 = await two;
      assert.ok(r2.at - call2.at >= 9_800 && r2.at - call2.at < 12_000, `v2 answered ${r2.at - call2.at} ms after calling ratings`);
      assert.deepEqual(r2.body.reviews[1].rating, { error: 'Ratings service is currently unavailable' });
      assert.equal(silent2.requests.length + silent3.requests.length, 2, 'reviews retried ratings');
    } finally {
      await Promise.all([slow2.close(), slow3.close()]);
      await Promise.all([silent2.close(), silent3.close()]);
    }
  });

  it('forwards the tracing headers, x-request-id, end-user and user-agent to ratings, and nothing else', async () => {
    const recorder = await fake((_req, res) => json(res, 200, { id: 0, ratings: { Reviewer1: 3, Reviewer2: 2 } }));
    const reviews = await start('reviews', ['--version', 'v2', '--ratings-hostname', '127.0.0.1', '--ratings-port', String(recorder.port)]);
    const sent: Record<string, string> = {
      'x-request-id': 'req-42',
      'end-user': 'jason',
      'user-agent': 'bookinfo-test/1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'congo=t61rcWkgMzE',
      'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
      'x-b3-spanid': 'e457b5a2e4d86bd1',
      'x-b3-parentspanid': '05e3ac9a4f6e3b90',
      'x-b3-sampled': '1',
      'x-b3-flags': '0',
      b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90',
      'x-ot-span-context': 'abc',
      'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1',
      'grpc-trace-bin': 'AAAB',
      'x-datadog-trace-id': '1',
      'x-datadog-parent-id': '2',
      'x-datadog-sampling-priority': '1',
      'x-not-propagated': 'secret',
    };
    try {
      const { body } = await getJson(reviews.port, '/reviews/0', sent);
      assert.deepEqual(body.reviews[0].rating, { stars: 3, color: 'black' });
      const got = recorder.requests[0];
      assert.equal(got.url, '/ratings/0');
      for (const [name, value] of Object.entries(sent)) {
        if (name === 'x-not-propagated') assert.equal(got.headers[name], undefined);
        else assert.equal(got.headers[name], value, name);
      }
    } finally {
      await reviews.close();
      await recorder.close();
    }
  });

  it('sends the mesh host name as Host (SERVICES_DOMAIN), connecting to RATINGS_ADDRESS or through an HTTP proxy', async () => {
    const upstream = await fake((_req, res) => json(res, 200, { id: 0, ratings: { Reviewer1: 1, Reviewer2: 1 } }));
    const direct = await start('reviews', ['--version', 'v3'], { SERVICES_DOMAIN: 'bookinfo.svc.cluster.local', RATINGS_ADDRESS: `127.0.0.1:${upstream.port}` });
    const proxied = await start('reviews', ['--version', 'v3', '--http-proxy', `http://127.0.0.1:${upstream.port}`]);
    try {
      assert.deepEqual((await getJson(direct.port, '/reviews/0')).body.reviews[0].rating, { stars: 1, color: 'red' });
      assert.equal(upstream.requests[0].headers.host, 'ratings.bookinfo.svc.cluster.local:9080');
      assert.equal(upstream.requests[0].url, '/ratings/0');
      assert.deepEqual((await getJson(proxied.port, '/reviews/0')).body.reviews[0].rating, { stars: 1, color: 'red' });
      assert.equal(upstream.requests[1].url, 'http://ratings:9080/ratings/0');
      assert.equal(upstream.requests[1].headers.host, 'ratings:9080');
    } finally {
      await Promise.all([direct.close(), proxied.close()]);
      await upstream.close();
    }
  });
});
