// Host names as Istio interprets them: short names are relative to the
// namespace of the resource that wrote them, and a leading `*` matches any
// prefix. Validation uses these for cross-field checks; pilot can use them to
// resolve routes.
import { isIp } from './names.ts';

/**
 * `reviews` written in namespace `prod` means `reviews.prod.svc.cluster.local`;
 * names with a dot, wildcards and IP addresses are taken as written.
 */
export function resolveHost(host: string, namespace: string, domainSuffix = 'cluster.local'): string {
  if (host.includes('.') || host.includes('*') || isIp(host) || host.includes(':')) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/**
 * Whether every name `host` can stand for is also matched by `pattern`:
 * `*.example.com` covers `a.example.com` and `*.a.example.com`; `*` covers all.
 * Case-insensitive, as DNS is.
 */
export function hostCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*' || p === h) return true;
  if (!p.startsWith('*')) return false;
  const suffix = p.slice(1);
  const hostTail = h.startsWith('*') ? h.slice(1) : h;
  return hostTail !== suffix && hostTail.endsWith(suffix);
}

/** Whether some name is matched by both (either covers the other, or they share a wildcard tail). */
export function hostsOverlap(a: string, b: string): boolean {
  return hostCovers(a, b) || hostCovers(b, a);
}
