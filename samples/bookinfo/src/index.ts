// @mesh/bookinfo: Istio's Bookinfo sample services, startable in-process
// (tests, the local mesh) or as processes through main.ts.
export { SERVICES, DEFAULT_PORT, parseServiceArgs, parseHostPort, ConfigError, type ServiceName, type ServiceConfig } from './config.ts';
export { startService, type StartedService } from './service.ts';
export { PROPAGATED_HEADERS, type Upstream } from './http.ts';
export { bookDetails } from './details.ts';
export { REVIEWS, RATINGS_UNAVAILABLE } from './reviews.ts';
export { PRODUCTS, DETAILS_UNAVAILABLE, REVIEWS_UNAVAILABLE, UPSTREAM_TIMEOUT_MS, REVIEWS_ATTEMPTS } from './productpage.ts';
