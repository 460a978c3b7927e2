// envoy.extensions.filters.http.fault.v3.HTTPFault: delay and abort
// injection with percentages, optionally restricted by request headers or
// upstream cluster. Istio puts it in a route's typed_per_filter_config.
import { HeaderMatcher, type HeaderMatcherConfig } from './matchers.ts';
import { durationMs, fractionalPercent, invalid, wrapped, type DurationLike, type FractionalPercentLike } from './proto-values.ts';

export const FAULT_FILTER = 'envoy.filters.http.fault';

export interface HttpFaultConfig {
  delay?: { fixedDelay?: DurationLike; headerDelay?: object; percentage?: FractionalPercentLike };
  abort?: { httpStatus?: number; grpcStatus?: number; headerAbort?: object; percentage?: FractionalPercentLike };
  upstreamCluster?: string;
  headers?: HeaderMatcherConfig[];
  maxActiveFaults?: { value?: number };
}

export class FaultConfig {
  readonly delayMs: number;
  /** Delay taken from x-envoy-fault-delay-request instead of a fixed value. */
  readonly headerDelay: boolean;
  readonly delayProbability: number;
  readonly abortStatus: number;
  readonly abortGrpcStatus: number | undefined;
  readonly headerAbort: boolean;
  readonly abortProbability: number;
  readonly upstreamCluster: string | undefined;
  readonly headers: HeaderMatcher[];
  readonly maxActiveFaults: number;

  constructor(config: HttpFaultConfig, path: string) {
    const delay = config.delay;
    this.delayMs = delay ? durationMs(delay.fixedDelay, `${path}.delay.fixedDelay`, 0) : 0;
    this.headerDelay = delay?.headerDelay !== undefined;
    this.delayProbability = delay ? fractionalPercent(delay.percentage, `${path}.delay.percentage`, 1) : 0;
    if (delay && !this.headerDelay && delay.fixedDelay === undefined) invalid(`${path}.delay`, 'needs fixedDelay or headerDelay');
    const abort = config.abort;
    this.abortStatus = abort?.httpStatus ?? 0;
    this.abortGrpcStatus = abort?.grpcStatus;
    this.headerAbort = abort?.headerAbort !== undefined;
    this.abortProbability = abort ? fractionalPercent(abort.percentage, `${path}.abort.percentage`, 1) : 0;
    if (abort && !this.headerAbort && this.abortGrpcStatus === undefined && !(this.abortStatus >= 200 && this.abortStatus < 600)) {
      invalid(`${path}.abort.httpStatus`, `must be in [200, 600), got ${abort.httpStatus}`);
    }
    this.upstreamCluster = config.upstreamCluster || undefined;
    this.headers = (config.headers ?? []).map((h, i) => new HeaderMatcher(h, `${path}.headers[${i}]`));
    this.maxActiveFaults = wrapped(config.maxActiveFaults, Infinity);
  }

  get active(): boolean {
    return this.delayProbability > 0 || this.abortProbability > 0 || this.headerDelay || this.headerAbort;
  }
}
