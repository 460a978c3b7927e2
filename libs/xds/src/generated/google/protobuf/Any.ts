/* eslint-disable */
// Original file: null

import type { AnyExtension } from '@grpc/proto-loader';

export type Any = AnyExtension | {
  type_url: string;
  value: Buffer | Uint8Array | string;
}

export type Any__Output = AnyExtension | {
  type_url?: string;
  value?: Buffer;
}
