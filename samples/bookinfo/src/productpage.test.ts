// productpage as a browser and an API client see it, against real details,
// reviews and ratings, or fakes that fail, stall, or record what reaches them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort, fake, getJson, json, request, start, type Fake } from './test-helpers.ts';
import type { StartedService } from './service.ts';
import { bookDetails } from './details.ts';

const DETAILS_SORRY = 'Sorry, product details are currently unavailable for this book.';
const REVIEWS_SORRY = 'Sorry, product reviews are currently unavailable for this book.';
const REVIEW1 = 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!';
const REVIEW2 = 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.';

/** productpage with each upstream on 127.0.0.1 at the given port (Istio's *_HOSTNAME variables plus ours for the port). */
function productpage(ports: { details: number; reviews: number; ratings: number }): Promise<StartedService> {
  return start('productpage', [], {
    DETAILS_HOSTNAME: '127.0.0.1',
    DETAILS_PORT: String(ports.details),
    REVIEWS_HOSTNAME: '127.0.0.1',
    REVIEWS_PORT: String(ports.reviews),
    RATINGS_HOSTNAME: '127.0.0.1',
    RATINGS_PORT: String(ports.ratings),
  });
}

const page = async (port: number, headers: Record<string, string> = {}) => {
  const res = await request(port, '/productpage', { headers });
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  return res;
};

describe('productpage with every service up', () => {
  let details: StartedService;
  let ratings: StartedService;
  let reviews: StartedService;
  let pp: StartedService;
  before(async () => {
    details = await start('details');
    ratings = await start('ratings');
    reviews = await start('reviews', ['--version', 'v2', '--ratings-hostname', '127.0.0.1', '--ratings-port', String(ratings.port)]);
    pp = await productpage({ details: details.port, reviews: reviews.port, ratings: ratings.port });
  });
  after(async () => {
    await pp.close();
    await Promise.all([details.close(), ratings.close(), reviews.close()]);
  });

  it('renders the book with its details and its reviews with black stars', async () => {
    const { body } = await page(pp.port);
    assert.match(body, /<title>Simple Bookstore App<\/title>/);
    assert.match(body, /<h3>The Comedy of Errors<\/h3>/);
    assert.match(body, /Book Details/);
    for (const [label, value] of [['Type', 'paperback'], ['Pages', '200'], ['Publisher', 'PublisherA'], ['Language', 'English'], ['ISBN-10', '1234567890'], ['ISBN-13', '123-1234567890']]) {
      assert.match(body, new RegExp(`<dt>${label}:</dt><dd>${value}</dd>`));
    }
    assert.match(body, /Book Reviews/);
    assert.ok(body.includes(REVIEW1) && body.includes(REVIEW2));
    assert.match(body, /<small>Reviewer1<\/small>\s*<span class="stars" data-stars="5" style="color: black"[^>]*>★★★★★<\/span>/);
    assert.match(body, /<small>Reviewer2<\/small>\s*<span class="stars" data-stars="4" style="color: black"[^>]*>★★★★☆<\/span>/);
    assert.ok(!body.includes('Sorry'));
    assert.match(body, /name="username"/, 'sign-in form');
    assert.ok(!body.includes('sign out'));
  });

  it('serves the JSON API', async () => {
    const products = await getJson(pp.port, '/api/v1/products');
    assert.equal(products.status, 200);
    assert.equal(products.body.length, 1);
    assert.equal(products.body[0].id, 0);
    assert.equal(products.body[0].title, 'The Comedy of Errors');
    assert.match(products.body[0].descriptionHtml, /<b>William Shakespeare's<\/b> early plays/);

    assert.deepEqual(await getJson(pp.port, '/api/v1/products/0').then((r) => [r.status, r.body]), [200, bookDetails(0)]);
    const rv = await getJson(pp.port, '/api/v1/products/0/reviews');
    assert.equal(rv.status, 200);
    assert.deepEqual(
      rv.body.reviews.map((r: any) => [r.reviewer, r.rating]),
      [['Reviewer1', { stars: 5, color: 'black' }], ['Reviewer2', { stars: 4, color: 'black' }]],
    );
    assert.deepEqual(await getJson(pp.port, '/api/v1/products/0/ratings').then((r) => [r.status, r.body]), [200, { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } }]);
    assert.equal((await request(pp.port, '/api/v1/products/abc')).status, 404);
    assert.equal((await request(pp.port, '/api/v1/products/0/other')).status, 404);
  });

  it('serves the index page and /health', async () => {
    const index = await request(pp.port, '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /Simple Bookstore App/);
    assert.match(index.body, /href="productpage\?u=normal"/);
    assert.match(index.body, /href="productpage\?u=test"/);
    assert.equal((await request(pp.port, '/index.html')).body, index.body);
    const health = await request(pp.port, '/health');
    assert.deepEqual([health.status, health.body], [200, 'Product page is healthy']);
  });

  it('signs a user in with a cookie and out again, shows the name escaped, and refuses names that cannot be a header', async () => {
    const login = await request(pp.port, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: 'http://bookinfo.example/productpage?u=test' },
      body: 'username=%3Cb%3Ejason%3C%2Fb%3E&passwd=x',
    });
    assert.equal(login.status, 302);
    assert.equal(login.headers.location, '/productpage?u=test');
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const { body } = await page(pp.port, { cookie });
    assert.match(body, /Welcome <b>&lt;b&gt;jason&lt;\/b&gt;<\/b>/);
    assert.match(body, /<a href="logout">sign out<\/a>/);

    const logout = await request(pp.port, '/logout', { headers: { cookie } });
    assert.equal(logout.status, 302);
    assert.match(String(logout.headers['set-cookie']), /^session=;.*Max-Age=0/);

    const elsewhere = await request(pp.port, '/logout', { headers: { cookie, referer: 'http://bookinfo.example//evil.example/x' } });
    assert.equal(elsewhere.headers.location, '/productpage', 'never redirects off the site');

    const bad = await request(pp.port, '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a%0d%0ab' });
    assert.equal(bad.status, 400);
    assert.equal((await request(pp.port, '/login')).status, 405);
  });
});

describe('productpage when details or reviews fail', { concurrency: true }, () => {
  it('says details are unavailable when details is down, and the API answers 500', async () => {
    const reviews = await fake((_req, res) => json(res, 200, { id: '0', reviews: [] }));
    const pp = await productpage({ details: await closedPort(), reviews: reviews.port, ratings: await closedPort() });
    try {
      const { body } = await page(pp.port);
      assert.match(body, /Error fetching product details!/);
      assert.ok(body.includes(`<p>${DETAILS_SORRY}</p>`), body);
      assert.match(body, /Book Reviews/);
      assert.deepEqual(await getJson(pp.port, '/api/v1/products/0').then((r) => [r.status, r.body]), [500, { error: DETAILS_SORRY }]);
      assert.deepEqual(await getJson(pp.port, '/api/v1/products/0/ratings').then((r) => [r.status, r.body]), [500, { error: 'Sorry, product ratings are currently unavailable for this book.' }]);
    } finally {
      await pp.close();
      await reviews.close();
    }
  });

  it('calls a failing reviews exactly twice, then says reviews are unavailable with its status', async () => {
    const details = await start('details');
    const reviews = await fake((_req, res) => json(res, 503, { error: 'upstream connect error' }));
    const pp = await productpage({ details: details.port, reviews: reviews.port, ratings: await closedPort() });
    try {
      const { body } = await page(pp.port);
      assert.equal(reviews.requests.length, 2);
      assert.match(body, /Error fetching product reviews!/);
      assert.ok(body.includes(`<p>${REVIEWS_SORRY}</p>`));
      assert.match(body, /Book Details/);
      const api = await getJson(pp.port, '/api/v1/products/0/reviews');
      assert.deepEqual([api.status, api.body], [503, { error: REVIEWS_SORRY }]);
      assert.equal(reviews.requests.length, 4);
    } finally {
      await pp.close();
      await Promise.all([details.close(), reviews.close()]);
    }
  });

  it('gives a silent reviews 3 s, tries once more for 3 s, then says reviews are unavailable', async () => {
    const details = await start('details');
    const reviews = await fake(() => {});
    const pp = await productpage({ details: details.port, reviews: reviews.port, ratings: await closedPort() });
    try {
      const answered = page(pp.port);
      const first = await reviews.nth(1);
      const second = await reviews.nth(2);
      const res = await answered;
      assert.ok(second.at - first.at >= 2_900 && second.at - first.at < 4_500, `retried after ${second.at - first.at} ms`);
      assert.ok(res.at - second.at >= 2_900 && res.at - second.at < 4_500, `gave up ${res.at - second.at} ms after the retry`);
      assert.equal(reviews.requests.length, 2);
      assert.ok(res.body.includes(REVIEWS_SORRY));
      assert.match(res.body, /Book Details/);
    } finally {
      await pp.close();
      await Promise.all([details.close(), reviews.close()]);
    }
  });

  it('recovers on the retry when only the first reviews call fails', async () => {
    let calls = 0;
    const reviews = await fake((_req, res) => (++calls === 1 ? json(res, 500, {}) : json(res, 200, { id: '0', reviews: [{ reviewer: 'Reviewer1', text: 'ok' }] })));
    const pp = await productpage({ details: await closedPort(), reviews: reviews.port, ratings: await closedPort() });
    try {
      const api = await getJson(pp.port, '/api/v1/products/0/reviews');
      assert.equal(api.status, 200);
      assert.equal(reviews.requests.length, 2);
    } finally {
      await pp.close();
      await reviews.close();
    }
  });
});

describe('what productpage sends on', () => {
  let details: Fake;
  let ratings: Fake;
  let reviews: StartedService;
  let pp: StartedService;
  before(async () => {
    details = await fake((_req, res) => json(res, 200, bookDetails(0)));
    ratings = await fake((_req, res) => json(res, 200, { id: 0, ratings: { Reviewer1: 2, Reviewer2: 1 } }));
    reviews = await start('reviews', ['--version', 'v3', '--ratings-hostname', '127.0.0.1', '--ratings-port', String(ratings.port)]);
    pp = await productpage({ details: details.port, reviews: reviews.port, ratings: ratings.port });
  });
  after(async () => {
    await pp.close();
    await reviews.close();
    await Promise.all([details.close(), ratings.close()]);
  });

  const trace = {
    'x-request-id': 'd8a4b2c0-1111-2222-3333-444455556666',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'rojo=00f067aa0ba902b7',
    'x-b3-traceid': '4bf92f3577b34da6a3ce929d0e0e4736',
    'x-b3-spanid': '00f067aa0ba902b7',
    'x-b3-sampled': '1',
    b3: '4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
    'user-agent': 'Mozilla/5.0 (bookinfo test)',
  };

  it('the signed-in user as end-user to details, reviews and on to ratings, with the request id and trace context end to end', async () => {
    const login = await request(pp.port, '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=jason' });
    assert.equal(login.headers.location, '/productpage');
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const before = { d: details.requests.length, r: ratings.requests.length };
    const { body } = await page(pp.port, { ...trace, cookie, 'end-user': 'mallory' });
    assert.match(body, /Welcome <b>jason<\/b>/);
    assert.match(body, /data-stars="2" style="color: red"/);
    const atDetails = details.requests[before.d];
    const atRatings = ratings.requests[before.r];
    assert.equal(atDetails.url, '/details/0');
    assert.equal(atRatings.url, '/ratings/0');
    for (const got of [atDetails, atRatings]) {
      assert.equal(got.headers['end-user'], 'jason');
      for (const [name, value] of Object.entries(trace)) assert.equal(got.headers[name], value, name);
    }
  });

  it('no end-user for an anonymous visitor, a forged session cookie, or after sign-out', async () => {
    const forged = 'session=' + Buffer.from('jason').toString('base64url') + '.AAAA';
    for (const headers of [{}, { cookie: forged }, { cookie: 'session=' }] as Array<Record<string, string>>) {
      const n = ratings.requests.length;
      const { body } = await page(pp.port, { ...headers, 'end-user': 'mallory' });
      assert.ok(!body.includes('Welcome'));
      assert.equal(ratings.requests[n].headers['end-user'], undefined);
    }
  });
});
