// The fault filter's per-request decision: whether to delay, and whether to
// abort with a status, from the fault config's percentages or the
// x-envoy-fault-* request headers when the config allows them.
import type { FaultConfig } from '../config/fault-config.ts';
import type { RequestHead } from '../config/matchers.ts';

export interface FaultDecision {
  delayMs: number;
  abortStatus: number;
}

let activeFaults = 0;

export function faultStarted(): void {
  activeFaults++;
}

export function faultEnded(): void {
  activeFaults--;
}

function headerNumber(req: RequestHead, name: string): number | undefined {
  const v = req.headers[name];
  const n = typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Undefined when the request gets no fault. `targetCluster` is the route's cluster (for upstream_cluster). */
export function decideFault(fault: FaultConfig, req: RequestHead, targetCluster: string | undefined, random: () => number): FaultDecision | undefined {
  if (fault.upstreamCluster !== undefined && fault.upstreamCluster !== targetCluster) return undefined;
  for (const h of fault.headers) if (!h.matches(req)) return undefined;
  if (activeFaults >= fault.maxActiveFaults) return undefined;
  let delayMs = 0;
  if (fault.headerDelay) {
    const fromHeader = headerNumber(req, 'x-envoy-fault-delay-request');
    if (fromHeader !== undefined && random() < fault.delayProbability) delayMs = fromHeader;
  } else if (fault.delayProbability > 0 && random() < fault.delayProbability) delayMs = fault.delayMs;
  let abortStatus = 0;
  if (fault.headerAbort) {
    const fromHeader = headerNumber(req, 'x-envoy-fault-abort-request');
    if (fromHeader !== undefined && fromHeader >= 200 && fromHeader < 600 && random() < fault.abortProbability) abortStatus = fromHeader;
  } else if (fault.abortProbability > 0 && random() < fault.abortProbability) {
    // A gRPC abort answers 200 with grpc-status; the exchange sends that form.
    abortStatus = fault.abortGrpcStatus !== undefined ? 200 : fault.abortStatus;
  }
  if (delayMs === 0 && abortStatus === 0) return undefined;
  return { delayMs, abortStatus };
}
