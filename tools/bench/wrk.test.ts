import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk } from './wrk.ts';

describe('parseWrk', () => {
  it('reads throughput, percentiles in any unit and errors from a wrk --latency report', () => {
    const out = `Running 10s test @ http://127.0.0.1:8080/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   550.12us  200.01us   9.10ms   90.00%
  Latency Distribution
     50%  512.00us
     75%  600.00us
     90%  700.00us
     99%    1.25ms
  580123 requests in 10.00s, 80.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  58012.30
Transfer/sec:      8.00MB
`;
    assert.deepEqual(parseWrk(out), { requestsPerSec: 58012.3, p50Ms: 0.512, p99Ms: 1.25, non2xx: 5, errors: 3 });
  });
});
