// envoy.extensions.filters.http.fault.v3.HTTPFault: delay and abort
// injection with percentages, optionally restricted by request headers or
// upstream cluster. Istio puts it in a route's typed_per_filter_config.
import type { FaultAbort__Output, FaultDelay__Output, HttpFault__Output } from '@mesh/xds';
import { HeaderMatcher } from './matchers.ts';
import { durationMs, fractionalPercent, invalid, wrapped } from './proto-values.ts';
import { checkFields, fieldTable } from './supported-fields.ts';

export const FAULT_FILTER = 'envoy.filters.http.fault';

/** The fault filter's config (envoy.extensions.filters.http.fault.v3.HTTPFault), as decoded. */
export type HttpFaultConfig = HttpFault__Output;

// What this proxy accepts of an HTTPFault (see supported-fields.ts).
const HTTP_FAULT = fieldTable<HttpFault__Output>('envoy.extensions.filters.http.fault.v3.HTTPFault', {
  implemented: ['delay', 'abort', 'upstreamCluster', 'headers', 'maxActiveFaults'],
  noEffect: [
    // Runtime keys: this proxy has no runtime layer, and Envoy with nothing under a key uses the configured value.
    'delayPercentRuntime',
    'abortPercentRuntime',
    'delayDurationRuntime',
    'abortHttpStatusRuntime',
    'maxActiveFaultsRuntime',
    'responseRateLimitPercentRuntime',
    'abortGrpcStatusRuntime',
    // Stats and metadata for logs.
    'disableDownstreamClusterStats',
    'filterMetadata',
  ],
});
const FAULT_DELAY = fieldTable<FaultDelay__Output>('envoy.extensions.filters.common.fault.v3.FaultDelay', { implemented: ['fixedDelay', 'headerDelay', 'percentage'] });
const FAULT_ABORT = fieldTable<FaultAbort__Output>('envoy.extensions.filters.http.fault.v3.FaultAbort', { implemented: ['httpStatus', 'grpcStatus', 'headerAbort', 'percentage'] });

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

  constructor(config: HttpFault__Output, path: string) {
    checkFields(config, HTTP_FAULT, path);
    checkFields(config.delay, FAULT_DELAY, `${path}.delay`);
    checkFields(config.abort, FAULT_ABORT, `${path}.abort`);
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
