// Istio's Bookinfo product page: renders the book with its details and
// reviews, keeps a signed-cookie session for the signed-in user (who then
// reaches reviews as the `end-user` header), and serves the JSON API.
import http from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ProductpageConfig } from './config.ts';
import { BodyTooLarge, PROPAGATED_HEADERS, forwardHeaders, getJson, idAfter, readBody, redirect, sendJson, sendText, type Upstream } from './http.ts';
import type { Logger } from './log.ts';
import { indexPage, productPage } from './productpage-html.ts';

/** As Istio's productpage.py: details and ratings get one try of 3 s, reviews two. */
export const UPSTREAM_TIMEOUT_MS = 3_000;
export const REVIEWS_ATTEMPTS = 2;

export const DETAILS_UNAVAILABLE = 'Sorry, product details are currently unavailable for this book.';
export const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';
export const RATINGS_UNAVAILABLE = 'Sorry, product ratings are currently unavailable for this book.';

export const SESSION_COOKIE = 'session';

/**
 * What productpage forwards: everything the other services forward except
 * `end-user` (productpage sets it from its own session), plus the request's
 * cookie and credentials, as Istio's productpage does.
 */
export const PRODUCTPAGE_FORWARDED = [...PROPAGATED_HEADERS.filter((h) => h !== 'end-user'), 'cookie', 'authorization', 'jwt'];

export interface Product {
  id: number;
  title: string;
  descriptionHtml: string;
}

export const PRODUCTS: readonly Product[] = [
  {
    id: 0,
    title: 'The Comedy of Errors',
    descriptionHtml:
      '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare\'s</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play.',
  },
];

/** An upstream answer as productpage reports it: the status, and the body or an error object. */
export interface Fetched {
  status: number;
  body: unknown;
}

const MAX_LOGIN_BODY = 8 * 1024;
const MAX_USERNAME = 256;

type ProductpageOptions = Pick<ProductpageConfig, 'details' | 'reviews' | 'ratings' | 'httpProxy' | 'sessionSecret'>;

export function productpageHandler(config: ProductpageOptions, log: Logger) {
  const agent = new http.Agent({ keepAlive: true });
  const secret = config.sessionSecret ? Buffer.from(config.sessionSecret) : randomBytes(32);

  const sign = (value: string) => createHmac('sha256', secret).update(value).digest('base64url');
  const sessionCookie = (user: string) => {
    const value = Buffer.from(user, 'utf8').toString('base64url');
    return `${SESSION_COOKIE}=${value}.${sign(value)}; Path=/; HttpOnly; SameSite=Lax`;
  };
  const clearCookie = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;

  function sessionUser(req: http.IncomingMessage): string | undefined {
    const header = req.headers.cookie;
    if (!header) return undefined;
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
      const [value, mac] = part.slice(eq + 1).trim().split('.');
      if (!value || !mac) continue;
      const expected = Buffer.from(sign(value));
      const given = Buffer.from(mac);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) continue;
      const user = Buffer.from(value, 'base64url').toString('utf8');
      if (validUsername(user)) return user;
    }
    return undefined;
  }

  function outboundHeaders(req: http.IncomingMessage, user: string | undefined): Record<string, string> {
    const headers = forwardHeaders(req.headers, PRODUCTPAGE_FORWARDED);
    if (user) headers['end-user'] = user;
    return headers;
  }

  async function call(upstream: Upstream, path: string, headers: Record<string, string>, attempts: number, unavailable: string, requestId: unknown): Promise<Fetched> {
    let status = 500;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await getJson(upstream, path, { headers, timeoutMs: UPSTREAM_TIMEOUT_MS, proxy: config.httpProxy, agent });
        if (res.status === 200) return { status: 200, body: res.json };
        status = res.status || 500;
        log.warn('upstream call failed', { upstream: upstream.authority, path, attempt, status, request_id: requestId });
      } catch (err) {
        status = 500;
        log.warn('upstream call failed', { upstream: upstream.authority, path, attempt, err, request_id: requestId });
      }
    }
    return { status, body: { error: unavailable } };
  }

  const details = (id: number, h: Record<string, string>, rid: unknown) => call(config.details, `/details/${id}`, h, 1, DETAILS_UNAVAILABLE, rid);
  const reviews = (id: number, h: Record<string, string>, rid: unknown) => call(config.reviews, `/reviews/${id}`, h, REVIEWS_ATTEMPTS, REVIEWS_UNAVAILABLE, rid);
  const ratings = (id: number, h: Record<string, string>, rid: unknown) => call(config.ratings, `/ratings/${id}`, h, 1, RATINGS_UNAVAILABLE, rid);

  /** Back to the page the form was on (same origin only), else the product page. */
  function back(req: http.IncomingMessage): string {
    const referer = req.headers.referer;
    if (referer) {
      try {
        const u = new URL(referer);
        // `//host/...` would be read by the browser as another site.
        if (u.pathname.startsWith('/') && !u.pathname.startsWith('//')) return u.pathname + u.search;
      } catch {
        // fall through
      }
    }
    return '/productpage';
  }

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const rid = req.headers['x-request-id'];

    if (path === '/login') {
      if (req.method !== 'POST') return sendText(res, 405, 'Method Not Allowed\n');
      let body: Buffer;
      try {
        body = await readBody(req, MAX_LOGIN_BODY);
      } catch (err) {
        if (err instanceof BodyTooLarge) return sendText(res, 413, 'Login form too large\n');
        throw err;
      }
      const user = new URLSearchParams(body.toString('utf8')).get('username') ?? '';
      if (user === '') return redirect(res, back(req), { 'set-cookie': clearCookie });
      if (!validUsername(user)) return sendText(res, 400, `User name must be 1-${MAX_USERNAME} printable ASCII characters\n`);
      log.info('login', { user });
      return redirect(res, back(req), { 'set-cookie': sessionCookie(user) });
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method Not Allowed\n');

    if (path === '/' || path === '/index.html') {
      return sendText(res, 200, indexPage({ details: config.details, reviews: config.reviews, ratings: config.ratings }), 'text/html; charset=utf-8');
    }
    if (path === '/health') return sendText(res, 200, 'Product page is healthy', 'text/html; charset=utf-8');
    if (path === '/logout') return redirect(res, back(req), { 'set-cookie': clearCookie });

    if (path === '/productpage') {
      const user = sessionUser(req);
      const headers = outboundHeaders(req, user);
      const productId = 0;
      const [d, r] = await Promise.all([details(productId, headers, rid), reviews(productId, headers, rid)]);
      return sendText(res, 200, productPage({ product: PRODUCTS[productId], details: d, reviews: r, user }), 'text/html; charset=utf-8');
    }

    if (path === '/api/v1/products') return sendJson(res, 200, PRODUCTS);
    if (path.startsWith('/api/v1/products/')) {
      const rest = path.slice('/api/v1/products/'.length);
      const [idText, what, ...more] = rest.split('/');
      const id = idAfter(`/${idText}`, '/');
      if (id === undefined || more.length > 0) return sendJson(res, 404, { error: 'not found' });
      const headers = outboundHeaders(req, sessionUser(req));
      let got: Fetched;
      if (what === undefined) got = await details(id, headers, rid);
      else if (what === 'reviews') got = await reviews(id, headers, rid);
      else if (what === 'ratings') got = await ratings(id, headers, rid);
      else return sendJson(res, 404, { error: 'not found' });
      return sendJson(res, got.status, got.body);
    }

    sendText(res, 404, 'Not Found\n');
  };
  return Object.assign(handler, { close: () => agent.destroy() });
}

/** Printable ASCII, so it fits a cookie and an HTTP header as it is. */
function validUsername(user: string): boolean {
  return user.length > 0 && user.length <= MAX_USERNAME && /^[\x20-\x7e]+$/.test(user);
}
