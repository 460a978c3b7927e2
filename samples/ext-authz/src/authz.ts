// Istio's sample external authorizer (samples/extauthz), rebuilt: one process
// serving Envoy's two ext_authz APIs.
//   - HTTP (default port 8000): any method and path; the answer is the verdict.
//   - gRPC (default port 9000): envoy.service.auth.v3.Authorization/Check.
// A request is allowed when it carries `x-ext-authz: allow`, or when its
// source workload runs as the allowed service account (default `a`: the
// x-forwarded-client-cert URI over HTTP, attributes.source.principal over
// gRPC). A CheckRequest without HTTP attributes (Envoy's network ext_authz,
// a TCP connection) has no header to show, so only the service account can
// allow it, as in Istio's sample. Every verdict carries
// `x-ext-authz-check-result: allowed|denied`; a denial is 403 with
// DENIED_BODY. Each check is logged as one JSON line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, messageType } from '@mesh/xds';
import type { CheckRequest__Output, CheckResponse } from '@mesh/xds';

export const CHECK_HEADER = 'x-ext-authz';
export const ALLOWED_VALUE = 'allow';
export const RESULT_HEADER = 'x-ext-authz-check-result';
export const RECEIVED_HEADER = 'x-ext-authz-check-received';
export const DENIED_BODY = `denied by ext_authz for not found header \`${CHECK_HEADER}: ${ALLOWED_VALUE}\` in the request`;

export interface ExtAuthzOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly httpPort: number;
  readonly grpcPort: number;
  /** The service account whose workloads are allowed without the header. */
  readonly allowServiceAccount: string;
  /** One JSON object per check. */
  readonly log: (entry: Record<string, unknown>) => void;
}

export interface RunningExtAuthz {
  readonly httpPort: number;
  readonly grpcPort: number;
  close(): Promise<void>;
}

/** gRPC status codes the Check answer uses (google.rpc.Code). */
const OK = 0;
const PERMISSION_DENIED = 7;

function allowedAccount(principalOrXfcc: string | undefined, account: string): boolean {
  if (!principalOrXfcc || !account) return false;
  // A SPIFFE id ends with /sa/<account>; in an XFCC element it is followed by ';' or ',' or the end.
  return new RegExp(`/sa/${account.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:$|[;,"])`).test(principalOrXfcc);
}

function httpServer(o: ExtAuthzOptions): http.Server {
  return http.createServer((req, res) => {
    // The body (with_request_body) is read and dropped: the verdict does not depend on it.
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      const header = req.headers[CHECK_HEADER];
      const xfcc = req.headers['x-forwarded-client-cert'];
      const allow = header === ALLOWED_VALUE || allowedAccount(typeof xfcc === 'string' ? xfcc : undefined, o.allowServiceAccount);
      const received = `${req.method} ${req.headers.host ?? ''}${req.url ?? ''}`;
      o.log({ msg: 'check', api: 'http', result: allow ? 'allowed' : 'denied', method: req.method, host: req.headers.host, path: req.url, [CHECK_HEADER]: header ?? null, body_bytes: bodyBytes });
      if (allow) {
        res.writeHead(200, { [RESULT_HEADER]: 'allowed', [RECEIVED_HEADER]: received, 'content-length': '0' });
        res.end();
        return;
      }
      const body = Buffer.from(DENIED_BODY);
      res.writeHead(403, { [RESULT_HEADER]: 'denied', [RECEIVED_HEADER]: received, 'content-type': 'text/plain', 'content-length': String(body.length) });
      res.end(body);
    });
    req.on('error', () => res.destroy());
  });
}

function checkService(): grpc.ServiceDefinition {
  const request = messageType('envoy.service.auth.v3.CheckRequest');
  const response = messageType('envoy.service.auth.v3.CheckResponse');
  return {
    Check: {
      path: '/envoy.service.auth.v3.Authorization/Check',
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: object) => Buffer.from(request.encode(request.fromObject(v)).finish()),
      requestDeserialize: (b: Buffer) => decodeMessage<CheckRequest__Output>('envoy.service.auth.v3.CheckRequest', b),
      responseSerialize: (v: CheckResponse) => Buffer.from(response.encode(response.fromObject(v)).finish()),
      responseDeserialize: (b: Buffer) => decodeMessage('envoy.service.auth.v3.CheckResponse', b),
    },
  };
}

/** The verdict on one CheckRequest, as the gRPC API answers it. */
export function checkResponse(req: CheckRequest__Output, allowServiceAccount: string): { allow: boolean; response: CheckResponse } {
  const attrs = req.attributes;
  const httpReq = attrs?.request?.http;
  const header = httpReq?.headers?.[CHECK_HEADER];
  // With the header the header decides; without it (always so for a TCP connection) the source's service account does.
  const allow = header !== undefined ? header === ALLOWED_VALUE : allowedAccount(attrs?.source?.principal, allowServiceAccount);
  const received = httpReq ? `${httpReq.method ?? ''} ${httpReq.host ?? ''}${httpReq.path ?? ''}` : `tcp from ${attrs?.source?.principal || 'an unauthenticated peer'}`;
  const header_ = (key: string, value: string) => ({ header: { key, value } });
  if (allow) {
    return {
      allow,
      response: { status: { code: OK }, okResponse: { headers: [header_(RESULT_HEADER, 'allowed'), header_(RECEIVED_HEADER, received)] } },
    };
  }
  return {
    allow,
    response: {
      status: { code: PERMISSION_DENIED, message: DENIED_BODY },
      deniedResponse: { status: { code: 'Forbidden' }, body: DENIED_BODY, headers: [header_(RESULT_HEADER, 'denied'), header_(RECEIVED_HEADER, received)] },
    },
  };
}

function grpcServer(o: ExtAuthzOptions): grpc.Server {
  const server = new grpc.Server();
  server.addService(checkService(), {
    Check: (call: grpc.ServerUnaryCall<CheckRequest__Output, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
      try {
        const { allow, response } = checkResponse(call.request, o.allowServiceAccount);
        const h = call.request.attributes?.request?.http;
        o.log({ msg: 'check', api: 'grpc', result: allow ? 'allowed' : 'denied', kind: h ? 'http' : 'tcp', method: h?.method, host: h?.host, path: h?.path, source: call.request.attributes?.source?.principal || null });
        callback(null, response);
      } catch (err) {
        callback({ code: grpc.status.INTERNAL, details: (err as Error).message });
      }
    },
  });
  return server;
}

export async function startExtAuthz(o: ExtAuthzOptions): Promise<RunningExtAuthz> {
  const h = httpServer(o);
  await new Promise<void>((resolve, reject) => {
    h.once('error', reject);
    h.listen(o.httpPort, o.host, () => resolve());
  });
  const g = grpcServer(o);
  let grpcPort: number;
  try {
    grpcPort = await new Promise<number>((resolve, reject) => {
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      g.bindAsync(`${host}:${o.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
    });
  } catch (err) {
    h.close();
    throw err;
  }
  return {
    httpPort: (h.address() as AddressInfo).port,
    grpcPort,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => {
          h.close(() => resolve());
          h.closeAllConnections();
        }),
        new Promise<void>((resolve) => g.tryShutdown(() => resolve())),
      ]);
    },
  };
}
