// Merging the app's Prometheus text into the proxy's: valid exposition out,
// and the app's own scrape annotations as the injector records them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeExpositions, parseScrapeAnnotations } from './merged-metrics.ts';
import { assertValidExposition } from './test-helpers.ts';

const PROXY = `# HELP envoy_cluster_upstream_rq_total upstream requests
# TYPE envoy_cluster_upstream_rq_total counter
envoy_cluster_upstream_rq_total{cluster_name="a"} 3
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.5
# HELP nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.
# TYPE nodejs_heap_size_total_bytes gauge
nodejs_heap_size_total_bytes 100
`;

const APP = `# HELP http_requests_total requests
# TYPE http_requests_total counter
http_requests_total{code="200"} 7
http_requests_total{code="500"} 1
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 9.25
process_cpu_seconds_total{thread="worker"} 0.5
# TYPE nodejs_heap_size_total_bytes counter
nodejs_heap_size_total_bytes 5
# HELP latency_seconds latency
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 1
latency_seconds_bucket{le="+Inf"} 2
latency_seconds_sum 0.3
latency_seconds_count 2
app_untyped_thing 4 1700000000000
`;

describe('merged Prometheus text', () => {
  it('keeps one header per family, the proxy series first, and leaves out what would be invalid', () => {
    const r = mergeExpositions(PROXY, APP);
    assertValidExposition(r.text);
    // The proxy's text is whole and first.
    assert.ok(r.text.startsWith('# HELP envoy_cluster_upstream_rq_total upstream requests\n# TYPE envoy_cluster_upstream_rq_total counter\nenvoy_cluster_upstream_rq_total{cluster_name="a"} 3\n'));
    // App families appear with their samples; a histogram's _bucket/_sum/_count stay under its header.
    assert.match(r.text, /# TYPE http_requests_total counter\nhttp_requests_total\{code="200"\} 7\nhttp_requests_total\{code="500"\} 1\n/);
    assert.match(r.text, /# TYPE latency_seconds histogram\nlatency_seconds_bucket\{le="0.1"\} 1\nlatency_seconds_bucket\{le="\+Inf"\} 2\nlatency_seconds_sum 0.3\nlatency_seconds_count 2\n/);
    assert.match(r.text, /\napp_untyped_thing 4 1700000000000\n/);
    // A family both export: one header; the proxy keeps its series, the app adds only new ones.
    assert.match(r.text, /# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\nprocess_cpu_seconds_total\{thread="worker"\} 0.5\n/);
    assert.doesNotMatch(r.text, /9\.25/);
    assert.equal(r.duplicateSamples, 1);
    // Same name, other type: the app's family is left out and reported.
    assert.deepEqual(r.conflicts, ['nodejs_heap_size_total_bytes (app: counter, proxy: gauge)']);
    assert.match(r.text, /nodejs_heap_size_total_bytes 100\n/);
    assert.doesNotMatch(r.text, /nodejs_heap_size_total_bytes 5/);
  });

  it('drops malformed app lines instead of breaking the whole scrape', () => {
    const r = mergeExpositions(PROXY, 'good_metric 1\nthis is not a metric\nbad-name 2\nno_value\n# TYPE x sometype\nx{a="unterminated} 1\n# EOF\n');
    assertValidExposition(r.text);
    assert.equal(r.invalid, 5);
    assert.match(r.text, /\ngood_metric 1\n$/);
  });

  it("keeps label values with braces, quotes and escapes intact", () => {
    const r = mergeExpositions(PROXY, 'req{path="/a{b}",q="say \\"hi\\""} 1\n');
    assertValidExposition(r.text);
    assert.match(r.text, /\nreq\{path="\/a\{b\}",q="say \\"hi\\""\} 1\n$/);
  });
});

describe('ISTIO_PROMETHEUS_ANNOTATIONS', () => {
  it('reads what the injector records, with Istio defaults for a missing port and path', () => {
    assert.deepEqual(parseScrapeAnnotations('{"scrape":"true","path":"/metrics","port":"9090"}'), { port: 9090, path: '/metrics' });
    assert.deepEqual(parseScrapeAnnotations('{"scrape":"true"}'), { port: 80, path: '/metrics' });
    assert.equal(parseScrapeAnnotations('{"scrape":"false","port":"9090"}'), undefined);
    assert.equal(parseScrapeAnnotations(undefined), undefined);
  });

  it('refuses a bad value, naming the variable and the key', () => {
    assert.throws(() => parseScrapeAnnotations('{scrape'), /^Error: ISTIO_PROMETHEUS_ANNOTATIONS is not valid JSON/);
    assert.throws(() => parseScrapeAnnotations('{"scrape":"true","port":"http"}'), /ISTIO_PROMETHEUS_ANNOTATIONS: "port": must be a port number 1-65535, got "http"/);
    assert.throws(() => parseScrapeAnnotations('{"scrape":"true","path":"metrics"}'), /"path": must be a URL path starting with \//);
    assert.throws(() => parseScrapeAnnotations('{"scrape":"true","scheme":"https"}'), /"scheme": unknown key/);
    assert.throws(() => parseScrapeAnnotations('{"scrape":true}'), /"scrape": must be a string/);
  });
});
