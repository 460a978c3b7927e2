// Host names as Istio treats them: short names resolve in the resource's
// namespace, `*` and `*.suffix` are wildcards.

/** `reviews` in namespace `default` → `reviews.default.svc.cluster.local`; names with a dot and wildcards stay. */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  if (host === '*' || host.includes('.')) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/** Whether `pattern` (possibly `*` or `*.suffix`) covers `host` (which may itself be a wildcard). */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*' || pattern === host) return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1);
    if (host.startsWith('*.')) return host.slice(1).endsWith(suffix);
    return host.endsWith(suffix);
  }
  return false;
}

/** The more specific of two intersecting hosts, or undefined when they do not intersect. */
export function intersectHosts(a: string, b: string): string | undefined {
  if (hostMatches(a, b)) return b;
  if (hostMatches(b, a)) return a;
  return undefined;
}

/** Longer, non-wildcard hosts first: Istio prefers the most specific host. */
export function specificity(host: string): number {
  if (host === '*') return 0;
  return (host.startsWith('*.') ? 0 : 1_000) + host.length;
}

/** Whether two hosts (either possibly a wildcard) share a name. */
export function hostsIntersect(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

/**
 * Of `candidates` (oldest first), the one with the host that owns `host`:
 * an exact host first, then the most specific wildcard; the oldest wins a tie.
 */
export function mostSpecificOwner<T extends { hosts: string[] }>(candidates: Iterable<T>, host: string): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  for (const c of candidates) {
    for (const h of c.hosts) {
      if (!hostMatches(h, host)) continue;
      const score = specificity(h);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
  }
  return best;
}
