// Istio's Bookinfo ratings service, v1: ratings held in memory, five and four
// stars unless a POST replaced a product's ratings.
import type http from 'node:http';
import { BodyTooLarge, idAfter, readBody, sendJson } from './http.ts';

export interface ProductRatings {
  id: number;
  ratings: Record<string, number>;
}

const MAX_BODY = 16 * 1024;
const MAX_PRODUCTS = 1000;

export function ratingsHandler() {
  const added = new Map<number, Record<string, number>>();
  const get = (id: number): ProductRatings => ({ id, ratings: added.get(id) ?? { Reviewer1: 5, Reviewer2: 4 } });

  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'Ratings is healthy' });
    if (!url.pathname.startsWith('/ratings/')) return sendJson(res, 404, { error: 'not found' });
    const id = idAfter(url.pathname, '/ratings/');
    if (id === undefined) return sendJson(res, 400, { error: 'please provide numeric product ID' });
    if (req.method === 'GET' || req.method === 'HEAD') return sendJson(res, 200, get(id));
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });

    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY);
    } catch (err) {
      if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: `ratings JSON larger than ${MAX_BODY} bytes` });
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return sendJson(res, 400, { error: 'please provide valid ratings JSON' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => Number.isInteger(v) && v >= 0 && v <= 5)) {
      return sendJson(res, 400, { error: 'please provide valid ratings JSON: an object of reviewer name to stars (0-5)' });
    }
    if (!added.has(id) && added.size >= MAX_PRODUCTS) return sendJson(res, 507, { error: `at most ${MAX_PRODUCTS} products can have their own ratings` });
    added.set(id, { ...(parsed as Record<string, number>) });
    sendJson(res, 200, get(id));
  };
}
