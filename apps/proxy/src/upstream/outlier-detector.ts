// Envoy's passive outlier detection for one cluster (envoy.config.cluster.v3.
// OutlierDetection), following Envoy's detector:
// - consecutive 5xx / gateway failures (502, 503, 504 and connect failures)
//   / local-origin failures eject a host as soon as the count is reached;
// - every `interval`: ejected hosts whose time is up return, success rate and
//   failure percentage over the last interval are evaluated, and the ejection
//   back-off of hosts that stayed healthy shrinks;
// - an ejection lasts baseEjectionTime × the host's back-off (which grows by
//   one per ejection), capped by maxEjectionTime, plus jitter;
// - no ejection beyond maxEjectionPercent of the hosts (unless
//   alwaysEjectOneHost and none is ejected), and each detector enforces with its
//   `enforcing*` probability.
// With splitExternalLocalOriginErrors, local-origin failures (connect failures,
// timeouts, resets: nothing came back from the upstream) are counted apart from
// the upstream's responses; without it they count as a 503 (504 for a timeout).
import type { OutlierSpec } from '../config/cluster-config.ts';
import type { Host } from './host.ts';

/** Why no response came back from a host. */
export type LocalOriginFailure = 'connect' | 'timeout' | 'reset';

export type EjectionType =
  | 'consecutive_5xx'
  | 'consecutive_gateway_failure'
  | 'consecutive_local_origin_failure'
  | 'success_rate'
  | 'success_rate_local_origin'
  | 'failure_percentage'
  | 'failure_percentage_local_origin';

interface Bucket {
  total: number;
  success: number;
}

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocal: number;
  /** Envoy's ejectTimeBackoff: the multiplier of the base ejection time. */
  backoff: number;
  lastEjection: number;
  lastUnejection: number | undefined;
  jitter: number;
  /** Success-rate buckets: the one being written and the last complete interval's. */
  external: Bucket;
  externalLast: Bucket;
  local: Bucket;
  localLast: Bucket;
}

export interface OutlierDetectorDeps {
  /** The cluster's hosts (the population percentages are taken over). */
  hosts(): readonly Host[];
  /** Hosts were ejected or returned: the load balancer must be rebuilt. */
  changed(): void;
  /** An ejection was enforced (stats, logs). */
  ejected(host: Host, type: EjectionType, durationMs: number): void;
  random: () => number;
  now: () => number;
}

const newBucket = (): Bucket => ({ total: 0, success: 0 });

export class OutlierDetector {
  readonly spec: OutlierSpec;
  readonly #deps: OutlierDetectorDeps;
  readonly #state = new WeakMap<Host, HostState>();
  #timer: NodeJS.Timeout | undefined;

  constructor(spec: OutlierSpec, deps: OutlierDetectorDeps) {
    this.spec = spec;
    this.#deps = deps;
    this.#timer = setInterval(() => this.tick(), Math.min(spec.intervalMs, 2 ** 31 - 1));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #st(host: Host): HostState {
    let st = this.#state.get(host);
    if (st === undefined) {
      st = {
        consecutive5xx: 0,
        consecutiveGateway: 0,
        consecutiveLocal: 0,
        backoff: 0,
        lastEjection: 0,
        lastUnejection: undefined,
        jitter: 0,
        external: newBucket(),
        externalLast: newBucket(),
        local: newBucket(),
        localLast: newBucket(),
      };
      this.#state.set(host, st);
    }
    return st;
  }

  /** The upstream answered with `status`. */
  response(host: Host, status: number): void {
    // Getting a response means the connection worked: a local-origin success.
    if (this.spec.splitExternalLocalOriginErrors) this.#localOriginSuccess(host);
    this.#httpCode(host, status);
  }

  /** Nothing came back from the upstream. */
  localOriginFailure(host: Host, kind: LocalOriginFailure): void {
    if (!this.spec.splitExternalLocalOriginErrors) {
      this.#httpCode(host, kind === 'timeout' ? 504 : 503);
      return;
    }
    const st = this.#st(host);
    st.local.total++;
    if (++st.consecutiveLocal === this.spec.consecutiveLocalOriginFailure) this.#detected(host, 'consecutive_local_origin_failure');
  }

  #localOriginSuccess(host: Host): void {
    const st = this.#st(host);
    st.local.total++;
    st.local.success++;
    st.consecutiveLocal = 0;
  }

  #httpCode(host: Host, code: number): void {
    const st = this.#st(host);
    st.external.total++;
    if (code >= 500 && code < 600) {
      let gateway = false;
      if (code === 502 || code === 503 || code === 504) gateway = ++st.consecutiveGateway === this.spec.consecutiveGatewayFailure;
      else st.consecutiveGateway = 0;
      const fiveXx = ++st.consecutive5xx === this.spec.consecutive5xx;
      // Envoy reports both and handles them in this order; the second finds the host already ejected.
      if (gateway) this.#detected(host, 'consecutive_gateway_failure');
      if (fiveXx) this.#detected(host, 'consecutive_5xx');
    } else {
      st.external.success++;
      st.consecutive5xx = 0;
      st.consecutiveGateway = 0;
    }
  }

  /** A consecutive-errors detector fired: try to eject, then restart that count. */
  #detected(host: Host, type: EjectionType): void {
    if (host.ejectedUntil !== 0) return;
    this.#eject(host, type);
    const st = this.#st(host);
    if (type === 'consecutive_5xx') st.consecutive5xx = 0;
    else if (type === 'consecutive_gateway_failure') st.consecutiveGateway = 0;
    else if (type === 'consecutive_local_origin_failure') st.consecutiveLocal = 0;
  }

  #enforcing(type: EjectionType): number {
    const s = this.spec;
    switch (type) {
      case 'consecutive_5xx':
        return s.enforcingConsecutive5xx;
      case 'consecutive_gateway_failure':
        return s.enforcingConsecutiveGatewayFailure;
      case 'consecutive_local_origin_failure':
        return s.enforcingConsecutiveLocalOriginFailure;
      case 'success_rate':
        return s.enforcingSuccessRate;
      case 'success_rate_local_origin':
        return s.enforcingLocalOriginSuccessRate;
      case 'failure_percentage':
        return s.enforcingFailurePercentage;
      default:
        return s.enforcingFailurePercentageLocalOrigin;
    }
  }

  #eject(host: Host, type: EjectionType): void {
    const s = this.spec;
    const hosts = this.#deps.hosts();
    let ejected = 0;
    for (const h of hosts) if (h.ejectedUntil !== 0) ejected++;
    const withinLimit = (100 * (ejected + 1)) / hosts.length <= s.maxEjectionPercent || (s.alwaysEjectOneHost && ejected === 0);
    if (!withinLimit) return;
    if (!(this.#deps.random() * 100 < this.#enforcing(type))) return;
    const st = this.#st(host);
    const now = this.#deps.now();
    st.lastEjection = now;
    st.jitter = Math.floor(this.#deps.random() * (s.maxEjectionJitterMs + 1));
    if (st.backoff * s.baseEjectionMs < s.maxEjectionMs + s.baseEjectionMs) st.backoff++;
    const duration = this.#ejectionMs(st);
    host.ejections++;
    // Informational (and non-zero while ejected): the host returns at the first interval tick after it.
    host.ejectedUntil = now + duration;
    this.#deps.ejected(host, type, duration);
    this.#deps.changed();
  }

  #ejectionMs(st: HostState): number {
    return Math.min(this.spec.baseEjectionMs * st.backoff, this.spec.maxEjectionMs) + st.jitter;
  }

  /** The interval timer's work (public so tests can drive it). */
  tick(): void {
    const now = this.#deps.now();
    const hosts = this.#deps.hosts();
    let changed = false;
    for (const h of hosts) {
      const st = this.#st(h);
      if (h.ejectedUntil !== 0 && this.#ejectionMs(st) <= now - st.lastEjection) {
        h.ejectedUntil = 0;
        st.consecutive5xx = 0;
        st.consecutiveGateway = 0;
        st.consecutiveLocal = 0;
        st.lastUnejection = now;
        changed = true;
      }
      st.externalLast = st.external;
      st.external = newBucket();
      st.localLast = st.local;
      st.local = newBucket();
    }
    if (changed) this.#deps.changed();
    this.#successRate(hosts, false);
    this.#successRate(hosts, true);
    for (const h of hosts) {
      const st = this.#st(h);
      if (h.ejectedUntil === 0 && st.lastUnejection !== undefined && now - st.lastUnejection >= this.spec.intervalMs && st.backoff > 0) st.backoff--;
    }
  }

  #successRate(hosts: readonly Host[], local: boolean): void {
    const s = this.spec;
    if (hosts.length < s.successRateMinimumHosts && hosts.length < s.failurePercentageMinimumHosts) return;
    const sr: Array<[Host, number]> = [];
    const fp: Array<[Host, number]> = [];
    let sum = 0;
    for (const h of hosts) {
      if (h.ejectedUntil !== 0) continue;
      const b = local ? this.#st(h).localLast : this.#st(h).externalLast;
      if (b.total === 0) continue;
      const rate = (b.success * 100) / b.total;
      if (b.total >= s.successRateRequestVolume) {
        sr.push([h, rate]);
        sum += rate;
      }
      if (b.total >= s.failurePercentageRequestVolume) fp.push([h, rate]);
    }
    if (sr.length > 0 && sr.length >= s.successRateMinimumHosts) {
      const mean = sum / sr.length;
      let variance = 0;
      for (const [, rate] of sr) variance += (rate - mean) ** 2;
      variance /= sr.length;
      const threshold = mean - s.successRateStdevFactor * Math.sqrt(variance);
      for (const [h, rate] of sr) if (rate < threshold && h.ejectedUntil === 0) this.#eject(h, local ? 'success_rate_local_origin' : 'success_rate');
    }
    if (fp.length > 0 && fp.length >= s.failurePercentageMinimumHosts) {
      for (const [h, rate] of fp) {
        if (100 - rate >= s.failurePercentageThreshold && h.ejectedUntil === 0) this.#eject(h, local ? 'failure_percentage_local_origin' : 'failure_percentage');
      }
    }
  }
}
