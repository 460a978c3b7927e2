// Istio's Bookinfo reviews service, v1/v2/v3 in one program: two reviews of
// the book; with ratings enabled (v2, v3) each carries the stars the ratings
// service gives, in the version's colour, or an error object when ratings
// cannot be reached in time.
import http from 'node:http';
import type { ReviewsConfig } from './config.ts';
import { forwardHeaders, getJson, idAfter, sendJson } from './http.ts';
import type { Logger } from './log.ts';

export const REVIEWS = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
] as const;

export const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

export type Rating = { stars: number; color: string } | { error: string };
export interface Review {
  reviewer: string;
  text: string;
  rating?: Rating;
}
export interface ProductReviews {
  id: string;
  podname: string;
  clustername: string;
  reviews: Review[];
}

type ReviewsOptions = Pick<ReviewsConfig, 'ratingsEnabled' | 'starColor' | 'ratingsTimeoutMs' | 'ratings' | 'podName' | 'clusterName' | 'httpProxy'>;

export function reviewsHandler(config: ReviewsOptions, log: Logger) {
  const agent = new http.Agent({ keepAlive: true });

  async function fetchRatings(id: number, req: http.IncomingMessage): Promise<Record<string, unknown> | undefined> {
    try {
      const { status, json } = await getJson(config.ratings, `/ratings/${id}`, {
        headers: forwardHeaders(req.headers),
        timeoutMs: config.ratingsTimeoutMs,
        proxy: config.httpProxy,
        agent,
      });
      if (status !== 200) {
        log.warn('ratings call failed', { upstream: config.ratings.authority, status, request_id: req.headers['x-request-id'] });
        return undefined;
      }
      const ratings = (json as { ratings?: unknown } | null)?.ratings;
      return typeof ratings === 'object' && ratings !== null ? (ratings as Record<string, unknown>) : {};
    } catch (err) {
      log.warn('ratings call failed', { upstream: config.ratings.authority, err, request_id: req.headers['x-request-id'] });
      return undefined;
    }
  }

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'Reviews is healthy' });
    if (!url.pathname.startsWith('/reviews/')) return sendJson(res, 404, { error: 'not found' });
    const id = idAfter(url.pathname, '/reviews/');
    if (id === undefined) return sendJson(res, 400, { error: 'please provide numeric product id' });

    const ratings = config.ratingsEnabled ? await fetchRatings(id, req) : undefined;
    const rating = (reviewer: string): Rating => {
      const stars = ratings?.[reviewer];
      return typeof stars === 'number' && Number.isInteger(stars) ? { stars, color: config.starColor } : { error: RATINGS_UNAVAILABLE };
    };
    const body: ProductReviews = {
      id: String(id),
      podname: config.podName,
      clustername: config.clusterName,
      reviews: REVIEWS.map((r) => (config.ratingsEnabled ? { ...r, rating: rating(r.reviewer) } : { ...r })),
    };
    sendJson(res, 200, body);
  };
  return Object.assign(handler, { close: () => agent.destroy() });
}
