// The HTML of productpage: the index with the service graph, and the product
// page, laid out like Istio's templates (title "Simple Bookstore App", a Book
// Details and a Book Reviews column, the user's name with a sign-out link).
// Everything that did not come from this file is escaped.
import type { Upstream } from './http.ts';
import type { Fetched, Product } from './productpage.ts';

export function escapeHtml(v: unknown): string {
  return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
  body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; }
  nav { background: #222; color: #ddd; padding: 10px 24px; display: flex; justify-content: space-between; align-items: center; }
  nav a { color: #9cf; }
  .brand { font-size: 18px; color: #fff; }
  main { padding: 0 24px; }
  h3, h4 { text-align: center; color: #337ab7; }
  .row { display: flex; gap: 24px; }
  .col { flex: 1; }
  blockquote { border-left: 4px solid #eee; margin: 12px 0; padding: 4px 12px; }
  dt { font-weight: bold; }
  table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 8px; }
`;

function layout(title: string, nav: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<nav><span class="brand">BookInfo Sample</span>${nav}</nav>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginForm(): string {
  return `<form method="post" action="login" name="login_form">
  <input type="text" name="username" id="username" placeholder="User Name">
  <input type="password" name="passwd" placeholder="Password">
  <button type="submit">Sign in</button>
</form>`;
}

function userNav(user: string | undefined): string {
  if (!user) return loginForm();
  return `<span class="user">Welcome <b>${escapeHtml(user)}</b> ( <a href="logout">sign out</a> )</span>`;
}

function detailsColumn(details: Fetched): string {
  if (details.status === 200 && typeof details.body === 'object' && details.body !== null) {
    const d = details.body as Record<string, unknown>;
    const row = (label: string, key: string) => `    <dt>${label}:</dt><dd>${escapeHtml(d[key] ?? '')}</dd>`;
    return `  <h4>Book Details</h4>
  <dl>
${[row('Author', 'author'), row('Year', 'year'), row('Type', 'type'), row('Pages', 'pages'), row('Publisher', 'publisher'), row('Language', 'language'), row('ISBN-10', 'ISBN-10'), row('ISBN-13', 'ISBN-13')].join('\n')}
  </dl>`;
  }
  const error = (details.body as { error?: unknown } | null)?.error;
  return `  <h4>Error fetching product details!</h4>
  ${error ? `<p>${escapeHtml(error)}</p>` : ''}`;
}

function ratingHtml(rating: unknown): string {
  if (typeof rating !== 'object' || rating === null) return '';
  const r = rating as { stars?: unknown; color?: unknown; error?: unknown };
  if (typeof r.stars === 'number' && Number.isInteger(r.stars) && r.stars >= 0 && r.stars <= 5) {
    const color = typeof r.color === 'string' && /^[A-Za-z]+$|^#[0-9A-Fa-f]{3,8}$/.test(r.color) ? r.color : 'black';
    return `<span class="stars" data-stars="${r.stars}" style="color: ${color}" title="${r.stars} of 5 stars">${'★'.repeat(r.stars)}${'☆'.repeat(5 - r.stars)}</span>`;
  }
  if (r.error) return `<p><i>${escapeHtml(r.error)}</i></p>`;
  return '';
}

function reviewsColumn(reviews: Fetched): string {
  const list = (reviews.body as { reviews?: unknown } | null)?.reviews;
  if (reviews.status === 200 && Array.isArray(list)) {
    const quotes = list.map((item) => {
      const review = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
      return `  <blockquote>
    <p>${escapeHtml(review.text ?? '')}</p>
    <small>${escapeHtml(review.reviewer ?? '')}</small>
    ${ratingHtml(review.rating)}
  </blockquote>`;
    });
    return `  <h4>Book Reviews</h4>
${quotes.join('\n')}`;
  }
  const error = (reviews.body as { error?: unknown } | null)?.error;
  return `  <h4>Error fetching product reviews!</h4>
  ${error ? `<p>${escapeHtml(error)}</p>` : ''}`;
}

export function productPage(input: { product: Product; details: Fetched; reviews: Fetched; user: string | undefined }): string {
  const { product } = input;
  // descriptionHtml is this program's own constant, rendered as HTML as Istio's template does.
  const body = `<h3>${escapeHtml(product.title)}</h3>
<p>Summary: ${product.descriptionHtml}</p>
<div class="row">
<div class="col details">
${detailsColumn(input.details)}
</div>
<div class="col reviews">
${reviewsColumn(input.reviews)}
</div>
</div>`;
  return layout('Simple Bookstore App', userNav(input.user), body);
}

export function indexPage(services: { details: Upstream; reviews: Upstream; ratings: Upstream }): string {
  const row = (name: string, u: Upstream, children: string) =>
    `<tr><td>${escapeHtml(name)}</td><td>http://${escapeHtml(u.authority)}</td><td>${escapeHtml(children)}</td></tr>`;
  const body = `<h3>Hello! This is a simple bookstore application consisting of three services as shown below</h3>
<table>
<tr><th>service</th><th>address</th><th>calls</th></tr>
<tr><td>productpage</td><td>this page</td><td>details, reviews</td></tr>
${row('details', services.details, '')}
${row('reviews', services.reviews, 'ratings')}
${row('ratings', services.ratings, '')}
</table>
<p>Click on one of the links below to auto generate a request to the backend as a real user or a tester</p>
<p><a href="productpage?u=normal">Normal user</a></p>
<p><a href="productpage?u=test">Test user</a></p>`;
  return layout('Simple Bookstore App', '', body);
}
