// Istio's Bookinfo details service: one book's details by id.
import type http from 'node:http';
import { idAfter, sendJson } from './http.ts';

export interface BookDetails {
  id: number;
  author: string;
  year: number;
  type: string;
  pages: number;
  publisher: string;
  language: string;
  'ISBN-10': string;
  'ISBN-13': string;
}

export function bookDetails(id: number): BookDetails {
  return {
    id,
    author: 'William Shakespeare',
    year: 1595,
    type: 'paperback',
    pages: 200,
    publisher: 'PublisherA',
    language: 'English',
    'ISBN-10': '1234567890',
    'ISBN-13': '123-1234567890',
  };
}

export function detailsHandler() {
  return (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'Details is healthy' });
    if (url.pathname.startsWith('/details/')) {
      const id = idAfter(url.pathname, '/details/');
      if (id === undefined) return sendJson(res, 400, { error: 'please provide numeric product id' });
      return sendJson(res, 200, bookDetails(id));
    }
    sendJson(res, 404, { error: 'not found' });
  };
}
