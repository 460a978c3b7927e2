// Gateway rules: at least one server; each with a named port and a known
// protocol, hosts in `namespace/dnsName` form, and TLS settings that fit the
// protocol and mode.
import type { Reporter } from '../issues.ts';
import { checkNamespacedHost, checkPort, isIp } from '../names.ts';
import type * as N from '../types/networking.ts';
import { checkLabels, checkProtocol, isTlsProtocol, type ValidationContext } from './common.ts';

const TLS_VERSION_ORDER = ['TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'];

export function validateGateway(spec: N.GatewaySpec, rep: Reporter, _ctx: ValidationContext): void {
  checkLabels(spec.selector, rep.at('selector'));
  if (!spec.servers?.length) {
    rep.at('servers').error('a Gateway needs at least one server (port, protocol and hosts)');
    return;
  }
  const portNames = new Map<string, number>();
  const protocolByPort = new Map<number, string>();
  const hostsByPort = new Map<string, number>();
  spec.servers.forEach((server, i) => {
    const r = rep.at('servers', i);
    validateServer(server, r);
    const port = server.port;
    if (port?.name) {
      if (portNames.has(port.name)) {
        r.at('port', 'name').error(`port names in a Gateway must be unique: "${port.name}" is also used by servers[${portNames.get(port.name)}]`);
      } else portNames.set(port.name, i);
    }
    if (port?.number !== undefined && port.protocol) {
      const proto = port.protocol.toUpperCase();
      const previous = protocolByPort.get(port.number);
      if (previous && previous !== proto) r.at('port', 'protocol').warn(`port ${port.number} is also used with protocol ${previous}; one port serves one protocol`);
      else protocolByPort.set(port.number, proto);
      for (const host of server.hosts ?? []) {
        const key = `${port.number}|${host}`;
        if (hostsByPort.has(key)) r.at('hosts').warn(`host "${host}" on port ${port.number} is also served by servers[${hostsByPort.get(key)}]; only one of them takes effect`);
        else hostsByPort.set(key, i);
      }
    }
  });
}

function validateServer(server: N.Server, rep: Reporter): void {
  const port = server.port;
  if (!port) rep.at('port').error('port is required (number, protocol and name)');
  else {
    const r = rep.at('port');
    if (port.number === undefined) r.at('number').error('port number is required');
    else r.at('number').check(checkPort(port.number));
    if (!port.protocol) r.at('protocol').error('protocol is required: HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP or TLS');
    else checkProtocol(port.protocol, r.at('protocol'));
    if (!port.name) r.at('name').error('port name is required (e.g. "http" or "https-443")');
    if (port.targetPort !== undefined) r.at('targetPort').warn('targetPort has no effect on a Gateway server');
  }
  if (!server.hosts?.length) rep.at('hosts').error('a server needs at least one host, such as "*" or "bookinfo.example.com"');
  server.hosts?.forEach((h, i) => rep.at('hosts', i).check(checkNamespacedHost(h, { allowTilde: false, requireNamespace: false })));
  if (server.bind !== undefined && !isIp(server.bind) && !server.bind.startsWith('unix://')) {
    rep.at('bind').error(`bind "${server.bind}" must be an IP address or unix:///path`);
  }
  if (server.defaultEndpoint !== undefined && !/^(127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):\d+$|^unix:\/\//.test(server.defaultEndpoint)) {
    rep.at('defaultEndpoint').error(`defaultEndpoint "${server.defaultEndpoint}" must be 127.0.0.1:PORT, 0.0.0.0:PORT or unix:///path`);
  }
  validateServerTls(server, rep);
}

function validateServerTls(server: N.Server, rep: Reporter): void {
  const protocol = server.port?.protocol;
  const tls = server.tls;
  const r = rep.at('tls');
  if (!tls) {
    if (isTlsProtocol(protocol)) r.error(`a server with protocol ${protocol!.toUpperCase()} needs tls settings (for example mode: SIMPLE with credentialName)`);
    return;
  }
  if (protocol && !isTlsProtocol(protocol)) {
    const onlyRedirect = Object.entries(tls).every(([k, v]) => k === 'httpsRedirect' || v === undefined);
    if (!onlyRedirect) r.error(`tls settings apply only to HTTPS and TLS servers; a server with protocol ${protocol.toUpperCase()} may only set tls.httpsRedirect`);
    return;
  }
  const mode = tls.mode ?? 'PASSTHROUGH';
  const hasCreds = !!tls.credentialName || (tls.credentialNames?.length ?? 0) > 0;
  const hasFiles = !!tls.serverCertificate || !!tls.privateKey;
  if (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') {
    if (!hasCreds) {
      if (!tls.serverCertificate) r.at('serverCertificate').error(`mode ${mode} needs credentialName, or serverCertificate and privateKey`);
      if (!tls.privateKey) r.at('privateKey').error(`mode ${mode} needs credentialName, or serverCertificate and privateKey`);
      if (mode !== 'SIMPLE' && !tls.caCertificates) r.at('caCertificates').error(`mode ${mode} needs caCertificates to verify clients (or a credentialName whose secret holds ca.crt)`);
    } else if (hasFiles) {
      r.at('credentialName').error('set credentialName or serverCertificate/privateKey, not both');
    }
  }
  if (mode === 'ISTIO_MUTUAL') {
    for (const f of ['serverCertificate', 'privateKey', 'caCertificates', 'credentialName'] as const) {
      if (tls[f]) r.at(f).error(`${f} cannot be set with mode ISTIO_MUTUAL: Istio provides the certificates`);
    }
  }
  if (mode === 'AUTO_PASSTHROUGH' && protocol && protocol.toUpperCase() !== 'TLS') {
    r.at('mode').error(`mode AUTO_PASSTHROUGH requires port protocol TLS, not ${protocol.toUpperCase()}`);
  }
  const min = tls.minProtocolVersion;
  const max = tls.maxProtocolVersion;
  if (min && max && min !== 'TLS_AUTO' && max !== 'TLS_AUTO' && TLS_VERSION_ORDER.indexOf(min) > TLS_VERSION_ORDER.indexOf(max)) {
    r.at('minProtocolVersion').error(`minProtocolVersion ${min} is higher than maxProtocolVersion ${max}`);
  }
  tls.cipherSuites?.forEach((c, i) => {
    if (!c.trim()) r.at('cipherSuites', i).error('cipher suite must not be empty');
  });
}
