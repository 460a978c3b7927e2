/* eslint-disable */
// Original file: envoy/config/core/v3/protocol.proto


export interface TcpProtocolOptions {
}

export interface TcpProtocolOptions__Output {
}
