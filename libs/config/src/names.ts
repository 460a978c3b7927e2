// Checks for the names, hosts, addresses and labels Istio's API carries. Each
// returns undefined when the value is fine, or a message that says what is
// wrong and what would be valid.
import net from 'node:net';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Hostnames are case-insensitive; Istio accepts either case in hosts.
const HOST_LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
// The first label of a wildcard host: "*", "*foo" or "*-foo" (Envoy suffix wildcards).
const WILDCARD_LABEL = /^\*(-?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const HEADER_TOKEN = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function checkDnsLabel(value: string): string | undefined {
  if (!value) return 'must not be empty';
  if (value.length > 63) return `"${value}" is longer than 63 characters`;
  if (!DNS_LABEL.test(value)) {
    return `"${value}" is not a valid DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

export function checkDnsSubdomain(value: string): string | undefined {
  if (!value) return 'must not be empty';
  if (value.length > 253) return `"${value}" is longer than 253 characters`;
  for (const label of value.split('.')) {
    if (!DNS_LABEL.test(label) || label.length > 63) {
      return `"${value}" is not a valid DNS-1123 subdomain: use lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit`;
    }
  }
  return undefined;
}

function checkHostLabels(host: string, labels: string[]): string | undefined {
  for (const label of labels) {
    if (label === '') return `host "${host}" has an empty label (check for a leading, trailing or doubled '.')`;
    if (label.length > 63) return `host "${host}" has a label longer than 63 characters`;
    if (!HOST_LABEL.test(label)) {
      return `host "${host}" is not a valid DNS name: label "${label}" may hold only letters, digits and '-', and must start and end with a letter or digit`;
    }
  }
  return undefined;
}

/** A DNS name without wildcards, such as `reviews` or `reviews.default.svc.cluster.local`. */
export function checkHostname(host: string): string | undefined {
  if (!host) return 'host must not be empty';
  if (host.length > 255) return `host "${host}" is longer than 255 characters`;
  if (host.includes('*')) return `host "${host}" must not contain a wildcard`;
  return checkHostLabels(host, host.split('.'));
}

/**
 * A DNS name that may start with a wildcard: `*`, `*.example.com`, `*-api.example.com`,
 * `reviews`, `reviews.default.svc.cluster.local`.
 */
export function checkWildcardHost(host: string): string | undefined {
  if (!host) return 'host must not be empty';
  if (host === '*') return undefined;
  if (host.length > 255) return `host "${host}" is longer than 255 characters`;
  const labels = host.split('.');
  if (labels[0].startsWith('*')) {
    if (!WILDCARD_LABEL.test(labels[0])) {
      return `host "${host}" has an invalid wildcard: a wildcard may only be the leading part, as in "*.example.com" or "*-api.example.com"`;
    }
    labels.shift();
  }
  if (labels.some((l) => l.includes('*'))) {
    return `host "${host}" has an invalid wildcard: a wildcard may only be the leading part, as in "*.example.com"`;
  }
  return checkHostLabels(host, labels);
}

export function isIp(value: string): boolean {
  return net.isIP(value) !== 0;
}

/** An IP address or a CIDR block (`10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`). */
export function checkIpOrCidr(value: string): string | undefined {
  const slash = value.indexOf('/');
  const ip = slash < 0 ? value : value.slice(0, slash);
  const family = net.isIP(ip);
  if (family === 0) return `"${value}" is not an IP address or CIDR block (such as 10.0.0.1 or 10.0.0.0/8)`;
  if (slash >= 0) {
    const bits = value.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^\d+$/.test(bits) || Number(bits) > max) return `"${value}" has an invalid prefix length; use 0..${max}`;
  }
  return undefined;
}

export function checkPort(port: number): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port number ${port} must be in the range 1..65535`;
  return undefined;
}

export function checkLabelKey(key: string): string | undefined {
  if (!key) return 'label key must not be empty';
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (checkDnsSubdomain(prefix)) return `label key "${key}" has an invalid prefix "${prefix}": it must be a DNS-1123 subdomain`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key "${key}" is invalid: the name part must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

export function checkLabelValue(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return `label value "${value}" is invalid: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

export function checkHeaderName(name: string): string | undefined {
  if (!name) return 'header name must not be empty';
  if (!HEADER_TOKEN.test(name)) return `"${name}" is not a valid HTTP header name`;
  return undefined;
}

/**
 * `namespace/host` as Gateway servers and Sidecar egress listeners write hosts.
 * The namespace part is a namespace name, `*` (any), `.` (the resource's own)
 * and, for a Sidecar only, `~` (none).
 */
export function checkNamespacedHost(value: string, options: { allowTilde: boolean; requireNamespace: boolean }): string | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) {
    if (options.requireNamespace) return `host "${value}" must be of the form namespace/dnsName, such as "*/example.com" or "./*"`;
    return checkWildcardHost(value);
  }
  const ns = value.slice(0, slash);
  const host = value.slice(slash + 1);
  const nsOk = ns === '*' || ns === '.' || (options.allowTilde && ns === '~') || checkDnsLabel(ns) === undefined;
  if (!nsOk) {
    const allowed = options.allowTilde ? "'*', '.', '~'" : "'*', '.'";
    return `host "${value}" has an invalid namespace "${ns}": use a namespace name, ${allowed}`;
  }
  if (host.includes('/')) return `host "${value}" must contain a single '/' between the namespace and the DNS name`;
  return checkWildcardHost(host);
}

/** A Gateway reference from a VirtualService: `mesh`, `name` or `namespace/name`. */
export function checkGatewayReference(value: string): string | undefined {
  if (value === 'mesh') return undefined;
  const parts = value.split('/');
  if (parts.length > 2) return `gateway "${value}" must be "mesh", a gateway name, or namespace/name`;
  if (parts.length === 2) {
    const nsProblem = checkDnsLabel(parts[0]);
    if (nsProblem) return `gateway "${value}" has an invalid namespace: ${nsProblem}`;
  }
  const name = parts[parts.length - 1];
  const problem = checkDnsSubdomain(name);
  return problem ? `gateway "${value}" has an invalid name: ${problem}` : undefined;
}
