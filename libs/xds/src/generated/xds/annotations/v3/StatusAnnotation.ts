/* eslint-disable */
// Original file: xds/annotations/v3/status.proto

import type { PackageVersionStatus as _xds_annotations_v3_PackageVersionStatus, PackageVersionStatus__Output as _xds_annotations_v3_PackageVersionStatus__Output } from '../../../xds/annotations/v3/PackageVersionStatus.ts';

export interface StatusAnnotation {
  'workInProgress'?: (boolean);
  'packageVersionStatus'?: (_xds_annotations_v3_PackageVersionStatus);
}

export interface StatusAnnotation__Output {
  'workInProgress'?: (boolean);
  'packageVersionStatus'?: (_xds_annotations_v3_PackageVersionStatus__Output);
}
