/* eslint-disable */
// Original file: envoy/config/cluster/v3/cluster.proto


export interface TrackClusterStats {
  'timeoutBudgets'?: (boolean);
  'requestResponseSizes'?: (boolean);
  'perEndpointStats'?: (boolean);
}

export interface TrackClusterStats__Output {
  'timeoutBudgets'?: (boolean);
  'requestResponseSizes'?: (boolean);
  'perEndpointStats'?: (boolean);
}
