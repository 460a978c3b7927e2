import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProcess } from '@mesh/testing';
import { runValidate } from './validate-command.ts';

const GOOD = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
`;
const BAD = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: prod
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 0
    - destination: {host: reviews, subset: v2}
      weight: 0
    retries:
      attempts: 3
      retryOnn: 5xx
`;

// Istio YAML that is valid but uses what this mesh does not implement (pilot reports the same findings).
const UNSUPPORTED = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      simple: PASSTHROUGH
  subsets:
  - {name: v1, labels: {version: v1}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: prod}
spec:
  hosts: [reviews]
  http:
  - retries:
      retryRemoteLocalities: true
    route:
    - destination: {host: reviews, subset: v1}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: prod}
spec:
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://raw.githubusercontent.com/istio/istio/release-1.24/security/tools/jwt/samples/jwks.json
`;

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'galley-validate-'));
  after(() => rmSync(d, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    writeFileSync(path.join(d, name), text);
  }
  return d;
}

async function run(paths: string[], options: Partial<Parameters<typeof runValidate>[1]> = {}) {
  const lines: string[] = [];
  const status = await runValidate(paths, { strict: true, defaultNamespace: 'default', domainSuffix: 'cluster.local', ...options }, (l) => lines.push(l));
  return { status, lines };
}

describe('runValidate', () => {
  it('passes valid files (ignoring non-Istio documents) with status 0', async () => {
    const d = dir({ 'good.yaml': GOOD });
    const { status, lines } = await run([path.join(d, 'good.yaml')]);
    assert.equal(status, 0);
    assert.deepEqual(lines, ['1 file: 1 valid, 0 invalid, 1 non-Istio document ignored']);
  });

  it('prints file:line Kind ns/name: path: message for each error and returns 1', async () => {
    const d = dir({ 'good.yaml': GOOD, 'bad.yaml': BAD });
    const bad = path.join(d, 'bad.yaml');
    const { status, lines } = await run([d]);
    assert.equal(status, 1);
    assert.deepEqual(lines, [
      `${bad}:9 VirtualService prod/reviews: spec.http[0].route: weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0`,
      `${bad}:16 VirtualService prod/reviews: spec.http[0].retries.retryOnn: unknown field "retryOnn" in HTTPRetry; did you mean "retryOn"?`,
      '2 files: 1 valid, 1 invalid, 1 non-Istio document ignored; 2 errors',
    ]);
  });

  it('with --no-strict an unknown field is a warning', async () => {
    const d = dir({ 'a.yaml': BAD.replace('weight: 0\n    retries', 'weight: 1\n    retries') });
    const file = path.join(d, 'a.yaml');
    const { status, lines } = await run([file], { strict: false });
    assert.equal(status, 0);
    assert.deepEqual(lines, [
      `${file}:10 VirtualService prod/reviews: spec.http[0].route[0].destination.subset: warning: subset "v1" of host reviews.prod.svc.cluster.local is not defined: there is no DestinationRule for this host, so this route sends traffic nowhere`,
      `${file}:12 VirtualService prod/reviews: spec.http[0].route[1].destination.subset: warning: subset "v2" of host reviews.prod.svc.cluster.local is not defined: there is no DestinationRule for this host, so this route sends traffic nowhere`,
      `${file}:16 VirtualService prod/reviews: spec.http[0].retries.retryOnn: warning: unknown field "retryOnn" in HTTPRetry; did you mean "retryOn"? (ignored)`,
      '1 file: 1 valid, 0 invalid; 3 warnings',
    ]);
  });

  it('reports YAML errors, unreadable paths and duplicates across files', async () => {
    const d = dir({ 'a.yaml': GOOD, 'b.yaml': GOOD.split('---')[0], 'c.yaml': 'kind: Gateway\nmetadata: {name: x\n' });
    const { status, lines } = await run([d, path.join(d, 'missing.yaml')]);
    assert.equal(status, 1);
    assert.equal(lines.length, 4);
    assert.equal(lines[0], `${path.join(d, 'b.yaml')}:3 DestinationRule prod/reviews: metadata.name: DestinationRule prod/reviews is already defined in ${path.join(d, 'a.yaml')} (line 1); the first definition by file path wins`);
    assert.match(lines[1], new RegExp(`^${path.join(d, 'c.yaml').replace(/[.]/g, '\\.')}:\\d+: YAML syntax error: `));
    assert.match(lines[2], /missing\.yaml: cannot read: ENOENT/);
    assert.equal(lines[3], '3 files: 1 valid, 1 invalid, 1 non-Istio document ignored; 3 errors');
  });

  it('reports config this mesh does not implement with file:line, kind, namespace/name and field; unenforced security is refused', async () => {
    const d = dir({ 'unsupported.yaml': UNSUPPORTED });
    const file = path.join(d, 'unsupported.yaml');
    const { status, lines } = await run([file]);
    assert.equal(status, 1);
    assert.deepEqual(lines, [
      `${file}:8 DestinationRule prod/reviews: spec.trafficPolicy.loadBalancer.simple: warning: accepted but not enforced: PASSTHROUGH is not implemented: LEAST_REQUEST (Istio's default) is used`,
      `${file}:19 VirtualService prod/reviews: spec.http[0].retries.retryRemoteLocalities: warning: accepted but not enforced: retryRemoteLocalities is not implemented: retries may go to any locality`,
      `${file}:27 RequestAuthentication prod/jwt: spec.targetRefs: not enforced by this mesh, so the resource is refused: targetRefs is not implemented: the policy would not validate tokens on what it targets`,
      '1 file: 2 valid, 1 invalid; 1 error; 2 warnings (2 about config this mesh does not implement)',
    ]);
    // Only warnings: valid, status 0.
    const { status: okStatus, lines: okLines } = await run(['-'], { readStdin: async () => UNSUPPORTED.split('---')[1] });
    assert.equal(okStatus, 0);
    assert.equal(okLines.at(-1), '1 file: 1 valid, 0 invalid; 2 warnings (1 about config this mesh does not implement)');
  });

  it('reads standard input for "-"', async () => {
    const { status, lines } = await run(['-'], { readStdin: async () => BAD });
    assert.equal(status, 1);
    assert.equal(lines[0], '-:9 VirtualService prod/reviews: spec.http[0].route: weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0');
  });
});

describe('galley validate (real process)', () => {
  it('exits 1 with the errors on stdout for a bad file, 0 for a good one, 2 without files', async () => {
    const d = dir({ 'good.yaml': GOOD, 'bad.yaml': BAD });
    const bad = startProcess('galley-validate', 'apps/galley/src/main.ts', ['validate', path.join(d, 'bad.yaml')]);
    assert.equal(await bad.exited, 1, bad.output());
    assert.ok(bad.lines.some((l) => l.msg === `${path.join(d, 'bad.yaml')}:9 VirtualService prod/reviews: spec.http[0].route: weights of the 2 destinations add up to 0 (0 + 0); give at least one a weight above 0`), bad.output());

    const good = startProcess('galley-validate', 'apps/galley/src/main.ts', ['validate', '--no-strict', path.join(d, 'good.yaml')]);
    assert.equal(await good.exited, 0, good.output());
    assert.deepEqual(good.lines.map((l) => l.msg), ['1 file: 1 valid, 0 invalid, 1 non-Istio document ignored']);

    const none = startProcess('galley-validate', 'apps/galley/src/main.ts', ['validate']);
    assert.equal(await none.exited, 2, none.output());
  });
});
