// The injector's Prometheus metrics (served on the monitoring port's /metrics).
import { counter, histogram } from '@mesh/telemetry';

/** result: injected | skipped | failed-open | denied | bad-request */
export const injections = counter('mesh_injector_injections_total', 'Admission requests handled by the sidecar injector, by result', ['result']);

export const admissionDuration = histogram(
  'mesh_injector_admission_duration_seconds',
  'Time to answer one admission request, from the last body byte to the response',
  [],
  [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
);

/** result: accepted | rejected */
export const meshConfigUpdates = counter('mesh_injector_mesh_config_updates_total', 'Mesh config updates seen by the injector, by result', ['result']);
