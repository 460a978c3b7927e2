/* eslint-disable */
// Original file: envoy/service/discovery/v3/discovery.proto


export interface ResourceLocator {
  'name'?: (string);
  'dynamicParameters'?: ({[key: string]: string});
}

export interface ResourceLocator__Output {
  'name'?: (string);
  'dynamicParameters'?: ({[key: string]: string});
}
