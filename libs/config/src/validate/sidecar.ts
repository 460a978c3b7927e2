// Sidecar rules: ingress listeners need ports, egress listeners need
// `namespace/host` hosts, at most one port-less egress listener (and last).
import type { Reporter } from '../issues.ts';
import { checkNamespacedHost, checkPort, isIp } from '../names.ts';
import type * as N from '../types/networking.ts';
import { checkDestination, checkLabels, checkProtocol, type ValidationContext } from './common.ts';
import { validateConnectionPoolSettings } from './destination-rule.ts';

export function validateSidecar(spec: N.SidecarSpec, rep: Reporter, _ctx: ValidationContext): void {
  if (!spec.ingress?.length && !spec.egress?.length && !spec.outboundTrafficPolicy && !spec.inboundConnectionPool) {
    rep.error('empty Sidecar: set at least one of egress, ingress, outboundTrafficPolicy or inboundConnectionPool');
  }
  checkLabels(spec.workloadSelector?.labels, rep.at('workloadSelector', 'labels'));

  const ingressPorts = new Map<number, number>();
  spec.ingress?.forEach((l, i) => {
    const r = rep.at('ingress', i);
    if (!l.port) r.at('port').error('port is required (number, protocol and name)');
    else {
      checkSidecarPort(l.port, r.at('port'), true);
      const n = l.port.number;
      if (n !== undefined) {
        if (ingressPorts.has(n)) r.at('port', 'number').error(`port ${n} is also used by ingress[${ingressPorts.get(n)}]; ingress ports must be unique`);
        else ingressPorts.set(n, i);
      }
    }
    checkBind(l.bind, r.at('bind'));
    if (l.bind?.startsWith('unix://')) r.at('bind').error(`bind "${l.bind}" must be an IP address: unix domain sockets are not allowed for ingress listeners`);
    if (l.defaultEndpoint !== undefined) {
      const m = /^(127\.0\.0\.1|0\.0\.0\.0|\[::1?\]|\[::\]):(\d+)$/.exec(l.defaultEndpoint);
      if (!m && !/^unix:\/\/.+/.test(l.defaultEndpoint)) {
        r.at('defaultEndpoint').error(`defaultEndpoint "${l.defaultEndpoint}" must be 127.0.0.1:PORT, 0.0.0.0:PORT or unix:///path`);
      } else if (m) {
        const problem = checkPort(Number(m[2]));
        if (problem) r.at('defaultEndpoint').error(`defaultEndpoint "${l.defaultEndpoint}": ${problem}`);
      }
    }
    if (l.tls) {
      const mode = l.tls.mode ?? 'PASSTHROUGH';
      if (!['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(mode)) {
        r.at('tls', 'mode').error(`mode ${mode} is not supported on a Sidecar ingress listener; use SIMPLE, MUTUAL or OPTIONAL_MUTUAL`);
      } else if (!l.tls.serverCertificate || !l.tls.privateKey) {
        r.at('tls').error(`mode ${mode} needs serverCertificate and privateKey (file paths)`);
      }
    }
    if (l.connectionPool) validateConnectionPoolSettings(l.connectionPool, r.at('connectionPool'));
  });

  const egressPorts = new Map<number, number>();
  let portless = -1;
  spec.egress?.forEach((l, i) => {
    const r = rep.at('egress', i);
    if (!l.hosts?.length) r.at('hosts').error('at least one host is required, such as "./*" or "istio-system/*"');
    l.hosts?.forEach((h, j) => r.at('hosts', j).check(checkNamespacedHost(h, { allowTilde: true, requireNamespace: true })));
    if (l.port) {
      checkSidecarPort(l.port, r.at('port'), false);
      const n = l.port.number;
      if (n !== undefined) {
        if (egressPorts.has(n)) r.at('port', 'number').error(`port ${n} is also used by egress[${egressPorts.get(n)}]; egress ports must be unique`);
        else egressPorts.set(n, i);
      }
    } else if (portless >= 0) {
      r.error(`only one egress listener may omit the port (egress[${portless}] already does)`);
    } else {
      portless = i;
    }
    checkBind(l.bind, r.at('bind'));
  });
  if (portless >= 0 && portless !== (spec.egress?.length ?? 0) - 1) {
    rep.at('egress', portless).error('the egress listener without a port must be the last one in the list');
  }

  const otp = spec.outboundTrafficPolicy;
  if (otp?.egressProxy) {
    const r = rep.at('outboundTrafficPolicy', 'egressProxy');
    if (otp.mode !== 'ALLOW_ANY') r.error('egressProxy is only used with mode ALLOW_ANY');
    checkDestination(otp.egressProxy, r);
    if (otp.egressProxy.port?.number === undefined) r.at('port', 'number').error('egressProxy needs a port number');
  }
  if (spec.inboundConnectionPool) validateConnectionPoolSettings(spec.inboundConnectionPool, rep.at('inboundConnectionPool'));
}

function checkSidecarPort(port: N.SidecarPort, rep: Reporter, required: boolean): void {
  if (port.number === undefined) {
    if (required) rep.at('number').error('port number is required');
  } else rep.at('number').check(checkPort(port.number));
  if (port.protocol !== undefined) checkProtocol(port.protocol, rep.at('protocol'));
  else if (required) rep.at('protocol').error('protocol is required: HTTP, HTTPS, GRPC, HTTP2, TCP or TLS');
  if (port.targetPort !== undefined) rep.at('targetPort').check(checkPort(port.targetPort));
}

function checkBind(bind: string | undefined, rep: Reporter): void {
  if (bind !== undefined && !isIp(bind) && !bind.startsWith('unix://')) rep.error(`bind "${bind}" must be an IP address or unix:///path`);
}
