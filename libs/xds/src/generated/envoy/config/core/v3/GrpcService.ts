/* eslint-disable */
// Original file: envoy/config/core/v3/grpc_service.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.ts';
import type { HeaderValue as _envoy_config_core_v3_HeaderValue, HeaderValue__Output as _envoy_config_core_v3_HeaderValue__Output } from '../../../../envoy/config/core/v3/HeaderValue.ts';
import type { RetryPolicy as _envoy_config_core_v3_RetryPolicy, RetryPolicy__Output as _envoy_config_core_v3_RetryPolicy__Output } from '../../../../envoy/config/core/v3/RetryPolicy.ts';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from '../../../../google/protobuf/UInt32Value.ts';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../google/protobuf/Struct.ts';
import type { DataSource as _envoy_config_core_v3_DataSource, DataSource__Output as _envoy_config_core_v3_DataSource__Output } from '../../../../envoy/config/core/v3/DataSource.ts';
import type { Empty as _google_protobuf_Empty, Empty__Output as _google_protobuf_Empty__Output } from '../../../../google/protobuf/Empty.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../google/protobuf/Any.ts';
import type { Long } from '@grpc/proto-loader';

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials {
  'accessToken'?: (string);
  'googleComputeEngine'?: (_google_protobuf_Empty | null);
  'googleRefreshToken'?: (string);
  'serviceAccountJwtAccess'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_ServiceAccountJWTAccessCredentials | null);
  'googleIam'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_GoogleIAMCredentials | null);
  'fromPlugin'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_MetadataCredentialsFromPlugin | null);
  'stsService'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_StsService | null);
  'credentialSpecifier'?: "accessToken"|"googleComputeEngine"|"googleRefreshToken"|"serviceAccountJwtAccess"|"googleIam"|"fromPlugin"|"stsService";
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials__Output {
  'accessToken'?: (string);
  'googleComputeEngine'?: (_google_protobuf_Empty__Output);
  'googleRefreshToken'?: (string);
  'serviceAccountJwtAccess'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_ServiceAccountJWTAccessCredentials__Output);
  'googleIam'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_GoogleIAMCredentials__Output);
  'fromPlugin'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_MetadataCredentialsFromPlugin__Output);
  'stsService'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_StsService__Output);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs {
  'args'?: ({[key: string]: _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs_Value});
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs__Output {
  'args'?: ({[key: string]: _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs_Value__Output});
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelCredentials {
  'sslCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_SslCredentials | null);
  'googleDefault'?: (_google_protobuf_Empty | null);
  'localCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_GoogleLocalCredentials | null);
  'credentialSpecifier'?: "sslCredentials"|"googleDefault"|"localCredentials";
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelCredentials__Output {
  'sslCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_SslCredentials__Output);
  'googleDefault'?: (_google_protobuf_Empty__Output);
  'localCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_GoogleLocalCredentials__Output);
}

export interface _envoy_config_core_v3_GrpcService_EnvoyGrpc {
  'clusterName'?: (string);
  'authority'?: (string);
  'retryPolicy'?: (_envoy_config_core_v3_RetryPolicy | null);
  'maxReceiveMessageLength'?: (_google_protobuf_UInt32Value | null);
  'skipEnvoyHeaders'?: (boolean);
}

export interface _envoy_config_core_v3_GrpcService_EnvoyGrpc__Output {
  'clusterName'?: (string);
  'authority'?: (string);
  'retryPolicy'?: (_envoy_config_core_v3_RetryPolicy__Output);
  'maxReceiveMessageLength'?: (_google_protobuf_UInt32Value__Output);
  'skipEnvoyHeaders'?: (boolean);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc {
  'targetUri'?: (string);
  'channelCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelCredentials | null);
  'callCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials)[];
  'statPrefix'?: (string);
  'credentialsFactoryName'?: (string);
  'config'?: (_google_protobuf_Struct | null);
  'perStreamBufferLimitBytes'?: (_google_protobuf_UInt32Value | null);
  'channelArgs'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs | null);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc__Output {
  'targetUri'?: (string);
  'channelCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelCredentials__Output);
  'callCredentials'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials__Output)[];
  'statPrefix'?: (string);
  'credentialsFactoryName'?: (string);
  'config'?: (_google_protobuf_Struct__Output);
  'perStreamBufferLimitBytes'?: (_google_protobuf_UInt32Value__Output);
  'channelArgs'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs__Output);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_GoogleIAMCredentials {
  'authorizationToken'?: (string);
  'authoritySelector'?: (string);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_GoogleIAMCredentials__Output {
  'authorizationToken'?: (string);
  'authoritySelector'?: (string);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_GoogleLocalCredentials {
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_GoogleLocalCredentials__Output {
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_MetadataCredentialsFromPlugin {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any | null);
  'configType'?: "typedConfig";
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_MetadataCredentialsFromPlugin__Output {
  'name'?: (string);
  'typedConfig'?: (_google_protobuf_Any__Output);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_ServiceAccountJWTAccessCredentials {
  'jsonKey'?: (string);
  'tokenLifetimeSeconds'?: (number | string | Long);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_ServiceAccountJWTAccessCredentials__Output {
  'jsonKey'?: (string);
  'tokenLifetimeSeconds'?: (string);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_SslCredentials {
  'rootCerts'?: (_envoy_config_core_v3_DataSource | null);
  'privateKey'?: (_envoy_config_core_v3_DataSource | null);
  'certChain'?: (_envoy_config_core_v3_DataSource | null);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_SslCredentials__Output {
  'rootCerts'?: (_envoy_config_core_v3_DataSource__Output);
  'privateKey'?: (_envoy_config_core_v3_DataSource__Output);
  'certChain'?: (_envoy_config_core_v3_DataSource__Output);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_StsService {
  'tokenExchangeServiceUri'?: (string);
  'resource'?: (string);
  'audience'?: (string);
  'scope'?: (string);
  'requestedTokenType'?: (string);
  'subjectTokenPath'?: (string);
  'subjectTokenType'?: (string);
  'actorTokenPath'?: (string);
  'actorTokenType'?: (string);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_CallCredentials_StsService__Output {
  'tokenExchangeServiceUri'?: (string);
  'resource'?: (string);
  'audience'?: (string);
  'scope'?: (string);
  'requestedTokenType'?: (string);
  'subjectTokenPath'?: (string);
  'subjectTokenType'?: (string);
  'actorTokenPath'?: (string);
  'actorTokenType'?: (string);
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs_Value {
  'stringValue'?: (string);
  'intValue'?: (number | string | Long);
  'valueSpecifier'?: "stringValue"|"intValue";
}

export interface _envoy_config_core_v3_GrpcService_GoogleGrpc_ChannelArgs_Value__Output {
  'stringValue'?: (string);
  'intValue'?: (string);
}

export interface GrpcService {
  'envoyGrpc'?: (_envoy_config_core_v3_GrpcService_EnvoyGrpc | null);
  'googleGrpc'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc | null);
  'timeout'?: (_google_protobuf_Duration | null);
  'initialMetadata'?: (_envoy_config_core_v3_HeaderValue)[];
  'retryPolicy'?: (_envoy_config_core_v3_RetryPolicy | null);
  'targetSpecifier'?: "envoyGrpc"|"googleGrpc";
}

export interface GrpcService__Output {
  'envoyGrpc'?: (_envoy_config_core_v3_GrpcService_EnvoyGrpc__Output);
  'googleGrpc'?: (_envoy_config_core_v3_GrpcService_GoogleGrpc__Output);
  'timeout'?: (_google_protobuf_Duration__Output);
  'initialMetadata'?: (_envoy_config_core_v3_HeaderValue__Output)[];
  'retryPolicy'?: (_envoy_config_core_v3_RetryPolicy__Output);
}
