// docs/conformance.md is generated from the conformance suite itself: every
// test of e2e/src/conformance-*.test.ts is named `<feature>: <case>`, and the
// table lists each case under its feature and Istio task. A case is in the
// table only while its test is in the suite, and the suite runs in `npm test`,
// whose failure keeps a change off main: a listed case passes on main. What
// the mesh does not do yet is listed by hand in GAPS, with the reason.
// `npm run docs` rewrites the file; a test fails when it is stale.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOT } from '@mesh/testing';

export const CONFORMANCE_DOC = path.join(WORKSPACE_ROOT, 'docs/conformance.md');
const E2E_DIR = path.join(WORKSPACE_ROOT, 'e2e/src');

/** The features of Istio's traffic-management tasks, in the order of the docs, with the task that shows each. */
export const FEATURES: ReadonlyArray<{ feature: string; task: string }> = [
  { feature: 'request routing', task: 'Traffic Management › Request Routing' },
  { feature: 'traffic shifting', task: 'Traffic Management › Traffic Shifting' },
  { feature: 'fault injection', task: 'Traffic Management › Fault Injection' },
  { feature: 'timeouts', task: 'Traffic Management › Request Timeouts' },
  { feature: 'retries', task: 'VirtualService HTTPRetry (Traffic Management › Request Timeouts, concepts › Retries)' },
  { feature: 'circuit breaking', task: 'Traffic Management › Circuit Breaking' },
  { feature: 'outlier detection', task: 'DestinationRule OutlierDetection (concepts › Circuit breakers)' },
  { feature: 'load balancing', task: 'DestinationRule LoadBalancerSettings (Traffic Management › Locality/consistent hash)' },
  { feature: 'rewrite', task: 'VirtualService HTTPRewrite' },
  { feature: 'redirect', task: 'VirtualService HTTPRedirect' },
  { feature: 'directResponse', task: 'VirtualService HTTPDirectResponse' },
  { feature: 'headers', task: 'VirtualService Headers' },
  { feature: 'CORS', task: 'VirtualService CorsPolicy' },
  { feature: 'mirroring', task: 'Traffic Management › Mirroring' },
  { feature: 'TCP traffic shifting', task: 'Traffic Management › TCP Traffic Shifting' },
  { feature: 'ServiceEntry', task: 'Traffic Management › Egress › Accessing External Services' },
  { feature: 'outboundTrafficPolicy', task: 'Traffic Management › Egress › Accessing External Services (REGISTRY_ONLY)' },
  { feature: 'egress gateway', task: 'Traffic Management › Egress › Egress Gateways' },
  { feature: 'proxyless gRPC', task: 'Proxyless gRPC (grpc-js-xds)' },
];

/** Cases of these features proven by tests outside the conformance files (named as they are there). */
const ELSEWHERE: ReadonlyArray<{ feature: string; file: string; test: string }> = [
  { feature: 'egress gateway', file: 'egress-gateway.test.ts', test: 'a. HTTP through the egress gateway: the request reaches edition.cnn.com and the gateway logs it' },
  {
    feature: 'egress gateway',
    file: 'egress-gateway.test.ts',
    test: "b. TLS origination at the egress gateway, the task's DestinationRule as written (no sni): the SNI is the request's host (Istio's auto SNI)",
  },
  { feature: 'egress gateway', file: 'egress-gateway.test.ts', test: "c. HTTPS through the egress gateway (PASSTHROUGH by SNI): the client sees the stand-in's own certificate" },
];

/** What the mesh does not do yet, by feature: listed until a test proves it. */
export const GAPS: ReadonlyArray<{ feature: string; gap: string }> = [
  { feature: 'load balancing', gap: 'proxyless gRPC clients hash only on `httpHeaderName` (gRFC A42): pilot reports the other consistent-hash keys for them' },
];

export interface ConformanceCase {
  feature: string;
  name: string;
  file: string;
}

/** Test names of a file: `it('...')` with a plain string (a template with ${...} would not name one case). */
export function testNames(source: string): string[] {
  const names: string[] = [];
  const re = /\bit\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (const m of source.matchAll(re)) {
    // A name built from a loop variable would list one row for several cases: name each case in full.
    if (m[1] === '`' && m[2].includes('${')) throw new Error(`a test name with \${...} cannot be listed: ${m[2]}`);
    names.push(m[2].replace(/\\(.)/g, '$1'));
  }
  return names;
}

/** Every case of the suite; throws on a test whose name does not start with a known feature. */
export function conformanceCases(): ConformanceCase[] {
  const known = new Set(FEATURES.map((f) => f.feature));
  const cases: ConformanceCase[] = [];
  const files = readdirSync(E2E_DIR)
    .filter((f) => /^conformance-.*\.test\.ts$/.test(f) && f !== 'conformance-doc.test.ts')
    .sort();
  for (const file of files) {
    for (const name of testNames(readFileSync(path.join(E2E_DIR, file), 'utf8'))) {
      const colon = name.indexOf(': ');
      const feature = colon < 0 ? '' : name.slice(0, colon);
      if (!known.has(feature)) throw new Error(`${file}: test "${name}" does not start with a feature of FEATURES and ": "`);
      cases.push({ feature, name: name.slice(colon + 2), file });
    }
  }
  for (const e of ELSEWHERE) {
    if (!testNames(readFileSync(path.join(E2E_DIR, e.file), 'utf8')).includes(e.test)) throw new Error(`${e.file} has no test "${e.test}" any more`);
    cases.push({ feature: e.feature, name: e.test, file: e.file });
  }
  return cases;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function renderConformanceDoc(): string {
  const cases = conformanceCases();
  const lines = [
    '# Traffic management conformance',
    '',
    '<!-- Generated by `npm run docs` from the tests of e2e/src/conformance-*.test.ts; do not edit by hand. -->',
    '',
    "Each case writes Istio YAML into galley's directory, waits until the proxies serve it, sends real requests",
    'through real processes (the local mesh: nats-server, galley, pilot, citadel, the sidecars and gateways) and',
    'asserts what a user sees. Every case listed runs in `npm test`, so it passes on main. Gaps are listed last.',
    '',
    '| feature | Istio task | case | test file | result |',
    '|---|---|---|---|---|',
  ];
  for (const { feature, task } of FEATURES) {
    for (const c of cases.filter((x) => x.feature === feature)) lines.push(`| ${cell(feature)} | ${cell(task)} | ${cell(c.name)} | \`e2e/src/${c.file}\` | passes |`);
  }
  const untested = FEATURES.filter((f) => !cases.some((c) => c.feature === f.feature));
  lines.push('', '## Gaps', '');
  if (GAPS.length === 0 && untested.length === 0) lines.push('None known.');
  for (const g of GAPS) lines.push(`- **${g.feature}**: ${g.gap}`);
  for (const f of untested) lines.push(`- **${f.feature}**: no conformance case yet.`);
  lines.push('');
  return lines.join('\n');
}

export function currentConformanceDoc(): string {
  return readFileSync(CONFORMANCE_DOC, 'utf8');
}

if (import.meta.main) {
  writeFileSync(CONFORMANCE_DOC, renderConformanceDoc());
  console.log(`wrote ${path.relative(process.cwd(), CONFORMANCE_DOC)}`);
}
