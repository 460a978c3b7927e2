// Citadel's Prometheus metrics (served on the monitoring port, /metrics).
import { counter, gauge, histogram } from '@mesh/telemetry';

/** Signing requests by result: ok, or the gRPC status name of the refusal. */
export const signings = counter('citadel_signings_total', 'Certificate signing requests, by result (ok or the gRPC status of the refusal)', ['result']);
export const signingLatency = histogram('citadel_signing_duration_seconds', 'Time to authenticate, check and sign one request', ['result'], [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
export const rootExpiry = gauge('citadel_root_cert_expiry_timestamp_seconds', 'When the signing CA certificate expires (Unix seconds)');
export const bundleRoots = gauge('citadel_trust_bundle_roots', 'Roots in the published trust bundle (more than one during a rotation)');
