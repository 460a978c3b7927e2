// What of Istio's API this mesh implements: the one place that knows which
// fields are accepted (they are valid Istio) but not translated into proxy
// configuration. `galley validate` and the running galley report these
// findings for the YAML they read; pilot reports the same findings for the
// resources it translates (as translation issues on /debug/push_status and
// in its metrics), so the two cannot drift.
//
// The rules are an allowlist per kind: a field that is not listed as
// implemented is reported, so a field added to the API later is reported
// until someone implements it. Findings are:
// - `error`: security configuration that is not enforced (traffic flows as
//   if it were not there) — it must never pass silently as if it applied;
// - `warning`: everything else that is ignored; the rest of the resource applies.
import type { ConfigResource } from '@mesh/contracts';
import type { Finding } from './analyze.ts';
import { formatPath, type PathSegment } from './paths.ts';
import { resourceId } from './resource.ts';

export type SupportSeverity = 'error' | 'warning';

/** A field this mesh accepts but does not implement, in the shape of analyzeResources' findings. */
export interface SupportFinding extends Finding {
  severity: SupportSeverity;
}

/** Gateway server protocols pilot builds listeners for (HTTP connection manager, or tcp_proxy). */
export const GATEWAY_HTTP_PROTOCOLS: readonly string[] = ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'];
export const GATEWAY_TCP_PROTOCOLS: readonly string[] = ['TCP'];

type Report = (path: readonly PathSegment[], severity: SupportSeverity, message: string) => void;

/** How one field is supported. */
type Rule =
  | { readonly kind: 'ok' }
  | { readonly kind: 'no'; readonly severity: SupportSeverity; readonly message: string }
  | { readonly kind: 'fields'; readonly fields: Readonly<Record<string, Rule>> }
  | { readonly kind: 'items'; readonly item: Rule }
  | { readonly kind: 'custom'; readonly check: (value: unknown, at: readonly PathSegment[], report: Report) => void };

/** Implemented, with everything below it. */
const OK: Rule = { kind: 'ok' };
/** Not implemented: reported with this message. */
const no = (message: string, severity: SupportSeverity = 'warning'): Rule => ({ kind: 'no', severity, message });
/** An object whose listed fields follow their rules; any other field is reported as not implemented. */
const fields = (f: Record<string, Rule>): Rule => ({ kind: 'fields', fields: f });
const items = (item: Rule): Rule => ({ kind: 'items', item });
const custom = (check: (value: unknown, at: readonly PathSegment[], report: Report) => void): Rule => ({ kind: 'custom', check });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown): boolean => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);

function walk(rule: Rule, value: unknown, at: readonly PathSegment[], report: Report): void {
  if (!present(value)) return;
  switch (rule.kind) {
    case 'ok':
      return;
    case 'no':
      report(at, rule.severity, rule.message);
      return;
    case 'custom':
      rule.check(value, at, report);
      return;
    case 'items':
      if (Array.isArray(value)) value.forEach((v, i) => walk(rule.item, v, [...at, i], report));
      return;
    case 'fields':
      if (!isObject(value)) return;
      for (const [k, v] of Object.entries(value)) {
        const sub = rule.fields[k];
        if (sub) walk(sub, v, [...at, k], report);
        else if (present(v)) report([...at, k], 'warning', `${k} is not implemented by this mesh and is ignored`);
      }
  }
}

// ---------------------------------------------------------------- shared pieces

// exportTo (and the mesh defaults defaultServiceExportTo, defaultVirtualServiceExportTo,
// defaultDestinationRuleExportTo) is honoured by pilot for sidecars and gateways.
const EXPORT_TO = OK;
const STATS_ONLY = no('names used only for statistics are not implemented and are ignored');
const SOURCE_MATCH = no('source matches are not implemented: this match applies to requests from every workload');

// ---------------------------------------------------------------- VirtualService

const httpMatch = fields({
  name: STATS_ONLY,
  uri: OK,
  scheme: OK,
  method: OK,
  authority: OK,
  headers: OK,
  port: OK,
  gateways: OK,
  queryParams: OK,
  ignoreUriCase: OK,
  withoutHeaders: OK,
  // pilot keeps the match only in the routes of the workloads (sidecars and gateways) it names.
  sourceLabels: OK,
  sourceNamespace: OK,
  statPrefix: STATS_ONLY,
});

const httpRoute = fields({
  name: OK,
  match: items(httpMatch),
  route: items(fields({ destination: OK, weight: OK, headers: OK })),
  redirect: fields({
    uri: OK,
    authority: OK,
    port: OK,
    scheme: OK,
    redirectCode: OK,
    derivePort: no('derivePort is not implemented: the redirect keeps the port of the request'),
  }),
  directResponse: OK,
  delegate: no('delegation is not implemented: pilot cannot translate this route, so the VirtualService is not applied'),
  rewrite: OK,
  timeout: OK,
  retries: fields({
    attempts: OK,
    perTryTimeout: OK,
    retryOn: OK,
    retryRemoteLocalities: no('retryRemoteLocalities is not implemented: retries may go to any locality'),
    retryIgnorePreviousHosts: OK,
    backoff: OK,
  }),
  fault: fields({
    delay: fields({ fixedDelay: OK, percentage: OK, percent: OK, exponentialDelay: no('exponentialDelay is not implemented: no delay is injected') }),
    abort: fields({ httpStatus: OK, grpcStatus: OK, percentage: OK, http2Error: no('http2Error is not implemented: no abort is injected') }),
  }),
  mirror: OK,
  mirrors: OK,
  mirrorPercent: OK,
  mirrorPercentage: OK,
  corsPolicy: OK,
  headers: OK,
});

const tcpRoute = fields({
  match: items(
    fields({
      port: OK,
      gateways: OK,
      destinationSubnets: no('destinationSubnets is not implemented: this match applies to every destination address'),
      sourceLabels: SOURCE_MATCH,
      sourceNamespace: SOURCE_MATCH,
    }),
  ),
  route: OK,
});

const virtualService = fields({
  hosts: OK,
  gateways: OK,
  http: items(httpRoute),
  // TCP routes apply on Gateways' TCP servers and on sidecars' TCP outbound listeners (traffic capture or Sidecar egress).
  tcp: items(tcpRoute),
  // TLS (SNI) routes apply on Gateways' PASSTHROUGH servers, and at sidecars per service host only (see below).
  tls: OK,
  exportTo: EXPORT_TO,
});

const virtualServiceRule = custom((spec, at, report) => {
  walk(virtualService, spec, at, report);
  const s = isObject(spec) ? spec : {};
  const gateways = Array.isArray(s.gateways) ? s.gateways : [];
  if (gateways.length === 0 || gateways.includes('mesh')) {
    // Istio verifies claims for routing at gateways only: a sidecar's routes have no verified token to match.
    (Array.isArray(s.http) ? s.http : []).forEach((route, i) => {
      const matches = isObject(route) && Array.isArray(route.match) ? route.match : [];
      matches.forEach((m, j) => {
        for (const field of ['headers', 'withoutHeaders']) {
          const h = isObject(m) ? m[field] : undefined;
          for (const name of Object.keys(isObject(h) ? h : {})) {
            if (!name.startsWith('@request.auth.claims.')) continue;
            report([...at, 'http', i, 'match', j, field, name], 'warning', 'JWT claim matches are implemented at gateways only (as in Istio): on sidecars (gateway mesh) a headers claim match never holds and a withoutHeaders one always does');
          }
        }
      });
    });
  }
  if (present(s.tls) && (gateways.length === 0 || gateways.includes('mesh'))) {
    report([...at, 'tls'], 'warning', 'TLS (SNI) routes at sidecars (gateway mesh) apply per service: a TLS port of a service takes the first route whose sniHosts name its whole host (sniHosts [edition.cnn.com] for that host); an SNI narrower than a wildcard host is not routed on its own: it follows the route of the whole host, else goes to the service');
  }
});

// ---------------------------------------------------------------- DestinationRule

const loadBalancer = fields({
  simple: custom((v, at, report) => {
    if (v === 'PASSTHROUGH') report(at, 'warning', "PASSTHROUGH is not implemented: LEAST_REQUEST (Istio's default) is used");
  }),
  consistentHash: OK,
  localityLbSetting: no('locality load balancing is not implemented: endpoints of every locality are used alike'),
  warmupDurationSecs: no('slow start (warmupDurationSecs) is not implemented: new endpoints get their full share at once'),
});

const connectionPool = fields({
  tcp: fields({
    maxConnections: OK,
    connectTimeout: OK,
    tcpKeepalive: OK,
    maxConnectionDuration: no('maxConnectionDuration is not implemented: connections are not closed after a maximum duration'),
    idleTimeout: no('tcp.idleTimeout is not implemented: idle TCP connections are not closed by it'),
  }),
  http: fields({
    http1MaxPendingRequests: OK,
    http2MaxRequests: OK,
    maxRequestsPerConnection: OK,
    maxRetries: OK,
    idleTimeout: OK,
    h2UpgradePolicy: OK,
    useClientProtocol: OK,
    maxConcurrentStreams: no('maxConcurrentStreams is not implemented: HTTP/2 streams per connection are not limited by it'),
  }),
});

// TLS origination: ISTIO_MUTUAL (the workload certificate from citadel), SIMPLE and MUTUAL with certificate files,
// and with credentialName at gateways (Istio reads it there; elsewhere the cluster fails closed).
const clientTls = custom((value, at, report) => {
  const tls = (isObject(value) ? value : {}) as Record<string, any>;
  const mode = tls.mode ?? 'DISABLE';
  if (mode !== 'SIMPLE' && mode !== 'MUTUAL') return;
  if (tls.credentialName) {
    report(
      [...at, 'credentialName'],
      'warning',
      "credentialName is read at gateways only (as in Istio without a workloadSelector): a sidecar gets this cluster without endpoints, so its requests fail instead of going out without this TLS; a gateway needs the credential's ca.crt (or <name>-cacert) unless insecureSkipVerify",
    );
  }
  if (tls.caCrl) report([...at, 'caCrl'], 'error', 'caCrl is not implemented: revoked server certificates are accepted');
  if (!tls.caCertificates && !tls.credentialName && tls.insecureSkipVerify !== true) {
    report(
      [...at, 'caCertificates'],
      'error',
      "no caCertificates: the server certificate is not verified (this mesh does not fall back to the system's trust store); set caCertificates, or insecureSkipVerify: true to accept any server",
    );
  }
  const known = new Set(['mode', 'clientCertificate', 'privateKey', 'caCertificates', 'subjectAltNames', 'sni', 'credentialName', 'caCrl', 'insecureSkipVerify']);
  for (const k of Object.keys(tls)) if (!known.has(k) && present(tls[k])) report([...at, k], 'warning', `${k} is not implemented by this mesh and is ignored`);
});

const policyFields = {
  loadBalancer,
  connectionPool,
  outlierDetection: OK,
  tls: clientTls,
};

const trafficPolicy = fields({
  ...policyFields,
  portLevelSettings: items(fields({ port: OK, ...policyFields })),
  tunnel: no('tunnel is not implemented: traffic is sent to the host directly, not through a CONNECT/POST tunnel'),
  proxyProtocol: no('proxyProtocol is not implemented: no PROXY protocol header is sent'),
});

const destinationRule = fields({
  host: OK,
  trafficPolicy,
  subsets: items(fields({ name: OK, labels: OK, trafficPolicy })),
  exportTo: EXPORT_TO,
  workloadSelector: no('workloadSelector is not implemented: the rule applies to every workload'),
});

// ---------------------------------------------------------------- Gateway

/** Gateway server TLS modes pilot builds filter chains for: termination, and passthrough routed by VirtualService tls routes. */
export const GATEWAY_TLS_MODES: readonly string[] = ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL', 'ISTIO_MUTUAL', 'PASSTHROUGH'];

// A server's TLS (Istio's "Secure Gateways"): the certificate from credentialName (served over SDS from the
// gateway's namespace) or files, client certificates for MUTUAL, SNI selection by hosts, TLS versions and ciphers.
const serverTls = fields({
  mode: OK,
  httpsRedirect: OK,
  credentialName: OK,
  serverCertificate: OK,
  privateKey: OK,
  caCertificates: OK,
  subjectAltNames: OK,
  minProtocolVersion: OK,
  maxProtocolVersion: OK,
  cipherSuites: OK,
  credentialNames: no('credentialNames is not implemented: without credentialName (or certificate files) this server refuses every connection'),
  caCrl: no('caCrl is not implemented: revoked client certificates are accepted', 'error'),
  verifyCertificateSpki: no('verifyCertificateSpki is not implemented: client certificates are not pinned', 'error'),
  verifyCertificateHash: no('verifyCertificateHash is not implemented: client certificates are not pinned', 'error'),
});

const gatewayServer = custom((server, at, report) => {
  if (!isObject(server)) return;
  const protocol = String((server.port as Record<string, unknown> | undefined)?.protocol ?? '').toUpperCase();
  const port = (server.port as Record<string, unknown> | undefined)?.number;
  const tlsMode = String((isObject(server.tls) ? server.tls.mode : undefined) ?? 'SIMPLE').toUpperCase();
  const isTls = protocol === 'HTTPS' || protocol === 'TLS';
  const served = GATEWAY_HTTP_PROTOCOLS.includes(protocol) || GATEWAY_TCP_PROTOCOLS.includes(protocol) || (isTls && GATEWAY_TLS_MODES.includes(tlsMode));
  if (!served) {
    if (isTls) {
      const why = tlsMode === 'AUTO_PASSTHROUGH' ? 'AUTO_PASSTHROUGH (routing by the SNI of mesh-internal mTLS) is' : `TLS mode ${tlsMode} is`;
      report([...at, 'tls', 'mode'], 'warning', `${why} not implemented: no filter chain is built for this server, so port ${port} does not serve it`);
    } else {
      report([...at, 'port', 'protocol'], 'warning', `${protocol} servers are not implemented: no listener is built for port ${port}, so it is not served`);
    }
  }
  walk(
    fields({
      port: fields({ number: OK, protocol: OK, name: OK, targetPort: no('targetPort is not implemented: the gateway listens on the server port') }),
      bind: no("bind is not implemented: the listener binds the gateway proxy's address"),
      hosts: OK,
      // An unserved server was reported above; plain servers only carry httpsRedirect.
      tls: !served ? OK : isTls ? serverTls : fields({ httpsRedirect: OK }),
      defaultEndpoint: no('defaultEndpoint is not implemented on Gateways'),
      name: STATS_ONLY,
    }),
    server,
    at,
    report,
  );
});

const gateway = fields({ servers: items(gatewayServer), selector: OK });

// ---------------------------------------------------------------- ServiceEntry / WorkloadEntry

const workloadEntry = fields({
  address: OK,
  ports: OK,
  labels: OK,
  locality: OK,
  weight: OK,
  network: no('network is not implemented: the address is used directly, without a network gateway'),
  serviceAccount: OK,
});

const serviceEntry = fields({
  hosts: OK,
  addresses: items(
    custom((v, at, report) => {
      if (typeof v === 'string' && v.includes('/')) report(at, 'warning', 'CIDR addresses are not implemented: traffic is matched by host name only');
    }),
  ),
  ports: items(fields({ number: OK, protocol: OK, name: OK, targetPort: OK })),
  location: OK,
  resolution: OK,
  endpoints: items(workloadEntry),
  workloadSelector: OK,
  exportTo: EXPORT_TO,
  subjectAltNames: OK,
});

// ---------------------------------------------------------------- Sidecar and security

const sidecarPort = fields({
  number: OK,
  protocol: OK,
  name: OK,
  targetPort: no('targetPort is not implemented on Sidecar ports: traffic goes to defaultEndpoint (or, with traffic capture, to the original destination port)'),
});

const sidecar = fields({
  workloadSelector: OK,
  ingress: items(
    fields({
      port: sidecarPort,
      bind: OK,
      captureMode: OK,
      defaultEndpoint: OK,
      tls: no('tls is not implemented on Sidecar ingress listeners: the listener accepts plaintext and does not terminate TLS', 'error'),
      connectionPool: no('connectionPool is not implemented on Sidecar ingress listeners: inbound connections and requests are not limited by it'),
    }),
  ),
  egress: items(fields({ port: sidecarPort, bind: OK, captureMode: OK, hosts: OK })),
  outboundTrafficPolicy: fields({
    mode: OK,
    egressProxy: no('egressProxy is not implemented: traffic to unknown destinations goes to its original destination (ALLOW_ANY), not through the egress proxy'),
  }),
  inboundConnectionPool: no('inboundConnectionPool is not implemented: inbound connections and requests are not limited by it'),
});

const peerAuthentication = fields({ selector: OK, mtls: OK, portLevelMtls: OK });

// Enforced: pilot builds Envoy's jwt_authn filter (one provider per rule; jwksUri fetched by pilot and inlined) and the
// proxy verifies tokens before the RBAC filters, which match requestPrincipals and request.auth.* on what it verified.
const jwtRule = custom((rule, at, report) => {
  walk(
    fields({
      issuer: OK,
      audiences: OK,
      jwksUri: OK,
      jwks: OK,
      fromHeaders: OK,
      fromParams: OK,
      fromCookies: OK,
      forwardOriginalToken: OK,
      outputPayloadToHeader: OK,
      outputClaimToHeaders: OK,
      timeout: OK,
      spaceDelimitedClaims: OK,
    }),
    rule,
    at,
    report,
  );
  // More restrictive, never less: without keys the rule's tokens cannot be verified, so they are all rejected.
  if (isObject(rule) && !present(rule.jwksUri) && !present(rule.jwks)) {
    report([...at, 'jwksUri'], 'warning', 'OpenID discovery of the issuer is not implemented: without jwksUri or jwks every token of this rule is rejected');
  }
});

const requestAuthentication = fields({
  selector: OK,
  jwtRules: items(jwtRule),
  targetRef: no('targetRef is not implemented: the policy would not validate tokens on what it targets', 'error'),
  targetRefs: no('targetRefs is not implemented: the policy would not validate tokens on what it targets', 'error'),
});

// ALLOW, DENY and AUDIT are enforced (Envoy RBAC, built by pilot), request principals and request.auth.* conditions
// included (on what RequestAuthentication's jwt_authn filter verified). CUSTOM is Envoy's ext_authz with the mesh
// config's extension provider (pilot fails closed when it cannot use the provider).
const authorizationPolicy = custom((spec, at, report) => {
  const s = isObject(spec) ? spec : {};
  const action = typeof s.action === 'string' ? s.action : 'ALLOW';
  for (const f of ['targetRef', 'targetRefs']) if (present(s[f])) report([...at, f], 'error', `${f} is not implemented: the policy would not apply to what it targets`);
  if (action === 'AUDIT') report([...at, 'action'], 'warning', 'AUDIT is counted in the RBAC stats (rbac.logged) but not written to the access log');
});

const RULES: Record<string, Rule> = {
  VirtualService: virtualServiceRule,
  DestinationRule: destinationRule,
  Gateway: gateway,
  ServiceEntry: serviceEntry,
  WorkloadEntry: workloadEntry,
  Sidecar: sidecar,
  PeerAuthentication: peerAuthentication,
  RequestAuthentication: requestAuthentication,
  AuthorizationPolicy: authorizationPolicy,
};

/** A resource as galley validates it or as pilot reads it from NATS. */
export interface SupportInput {
  kind: string;
  metadata: { namespace?: string; name?: string };
  spec?: unknown;
  source?: string;
}

/**
 * What of a (valid) resource this mesh does not implement: one finding per
 * field, naming the resource, the field path (`spec.trafficPolicy.tls.mode`)
 * and what happens instead. Empty when everything in it is implemented.
 */
export function supportFindings(r: SupportInput | ConfigResource): SupportFinding[] {
  const out: SupportFinding[] = [];
  const rule = RULES[r.kind];
  const base = { resource: resourceId(r), kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name ?? '' };
  const report: Report = (path, severity, message) => {
    const f: SupportFinding = { ...base, path: formatPath(path), message, severity };
    if (r.source !== undefined) f.source = r.source;
    out.push(f);
  };
  if (!rule) report(['kind'], 'warning', `${r.kind} is not a kind this mesh implements`);
  else walk(rule, r.spec ?? {}, ['spec'], report);
  return out;
}

/** supportFindings for many resources, in order. */
export function supportFindingsFor(resources: ReadonlyArray<SupportInput | ConfigResource>): SupportFinding[] {
  return resources.flatMap((r) => supportFindings(r));
}
