// ServiceEntry and WorkloadEntry rules: hosts, ports, and the consistency of
// resolution, endpoints and workloadSelector.
import type { Reporter } from '../issues.ts';
import { checkDnsLabel, checkHostname, checkIpOrCidr, checkPort, checkWildcardHost, isIp } from '../names.ts';
import type * as N from '../types/networking.ts';
import { checkExportTo, checkLabels, checkProtocol, checkUnique, isHttpProtocol, isTlsProtocol, type ValidationContext } from './common.ts';

export function validateServiceEntry(spec: N.ServiceEntrySpec, rep: Reporter, _ctx: ValidationContext): void {
  const resolution = spec.resolution ?? 'NONE';
  const hosts = spec.hosts ?? [];
  if (!hosts.length) rep.at('hosts').error('at least one host is required (e.g. api.example.com or *.example.com)');
  hosts.forEach((h, i) => {
    const r = rep.at('hosts', i);
    if (h === '*') r.error('host "*" is not allowed; list the hosts (wildcards such as "*.example.com" are fine)');
    else if (h.includes('/')) r.error(`host "${h}" must be a DNS name, not namespace/name`);
    else if (r.check(checkWildcardHost(h)) && h.startsWith('*') && resolution === 'DNS' && !spec.endpoints?.length) {
      r.error(`wildcard host "${h}" cannot be resolved with resolution DNS unless endpoints are listed; use resolution NONE for wildcard hosts`);
    }
  });
  spec.addresses?.forEach((a, i) => rep.at('addresses', i).check(checkIpOrCidr(a)));

  if (!spec.ports?.length) rep.at('ports').error('at least one port is required (number, name and protocol)');
  checkUnique(spec.ports, (p) => p.name, rep.at('ports'), 'name', 'port name');
  checkUnique(spec.ports, (p) => p.number, rep.at('ports'), 'number', 'port number');
  spec.ports?.forEach((p, i) => {
    const r = rep.at('ports', i);
    if (p.number === undefined) r.at('number').error('port number is required');
    else r.at('number').check(checkPort(p.number));
    if (!p.name) r.at('name').error('port name is required (e.g. "http" or "tcp-db")');
    if (p.protocol !== undefined) checkProtocol(p.protocol, r.at('protocol'));
    if (p.targetPort !== undefined) r.at('targetPort').check(checkPort(p.targetPort));
  });

  const endpoints = spec.endpoints ?? [];
  if (spec.workloadSelector && endpoints.length) {
    rep.at('workloadSelector').error('set endpoints or workloadSelector, not both');
  }
  if (spec.workloadSelector) {
    checkLabels(spec.workloadSelector.labels, rep.at('workloadSelector', 'labels'));
    if (spec.location !== 'MESH_INTERNAL') rep.at('workloadSelector').warn('workloadSelector selects mesh workloads; set location: MESH_INTERNAL');
  }
  switch (resolution) {
    case 'NONE':
      if (endpoints.length) rep.at('endpoints').error('endpoints cannot be set with resolution NONE; use resolution STATIC or DNS');
      break;
    case 'STATIC':
      if (!endpoints.length && !spec.workloadSelector) {
        rep.at('endpoints').error('resolution STATIC needs endpoints with IP addresses (or a workloadSelector)');
      }
      break;
    case 'DNS_ROUND_ROBIN':
      if (endpoints.length > 1) rep.at('endpoints').error('resolution DNS_ROUND_ROBIN allows at most one endpoint; use DNS for several');
      break;
    case 'DNS':
      break;
  }
  const portNames = new Set((spec.ports ?? []).map((p) => p.name));
  endpoints.forEach((e, i) => {
    const r = rep.at('endpoints', i);
    validateWorkloadEntrySpec(e, r, { requireAddress: true });
    if (e.address && resolution === 'STATIC' && !isIp(e.address) && !e.address.startsWith('unix://')) {
      r.at('address').error(`address "${e.address}" must be an IP address (or unix:///path) with resolution STATIC; use resolution DNS for host names`);
    }
    for (const name of Object.keys(e.ports ?? {})) {
      if (!portNames.has(name)) r.at('ports', name).error(`"${name}" is not a port name of this ServiceEntry (${[...portNames].join(', ') || 'none declared'})`);
    }
  });

  // Without addresses, plain TCP ports are matched by port alone, so several
  // hosts on one TCP port cannot be told apart.
  if (!spec.addresses?.length && hosts.length > 1 && resolution !== 'NONE') {
    const tcp = (spec.ports ?? []).filter((p) => !isHttpProtocol(p.protocol) && !isTlsProtocol(p.protocol));
    if (tcp.length) {
      rep.at('addresses').warn(`TCP port ${tcp[0].number} is shared by ${hosts.length} hosts without addresses; traffic cannot be told apart by host`);
    }
  }
  spec.subjectAltNames?.forEach((s, i) => {
    if (!s) rep.at('subjectAltNames', i).error('subject alt name must not be empty');
  });
  checkExportTo(spec.exportTo, rep.at('exportTo'));
}

export function validateWorkloadEntry(spec: N.WorkloadEntrySpec, rep: Reporter, _ctx: ValidationContext): void {
  validateWorkloadEntrySpec(spec, rep, { requireAddress: false });
}

function validateWorkloadEntrySpec(e: N.WorkloadEntrySpec, rep: Reporter, options: { requireAddress: boolean }): void {
  if (!e.address) {
    if (options.requireAddress || !e.network) {
      rep.at('address').error('address is required (an IP address, a DNS name or unix:///path)');
    }
  } else if (e.address.startsWith('unix://')) {
    if (e.address.length <= 'unix://'.length) rep.at('address').error('unix socket address needs a path, e.g. unix:///var/run/app.sock');
  } else if (!isIp(e.address)) {
    if (e.address.includes('/')) rep.at('address').error(`address "${e.address}" must not be a CIDR block or carry a path; use an IP address or a DNS name`);
    else rep.at('address').check(checkHostname(e.address));
  }
  for (const [name, port] of Object.entries(e.ports ?? {})) {
    rep.at('ports', name).check(checkPort(port));
  }
  checkLabels(e.labels, rep.at('labels'));
  if (e.serviceAccount !== undefined && e.serviceAccount !== '') {
    const problem = checkDnsLabel(e.serviceAccount.replace(/\./g, '-'));
    if (problem) rep.at('serviceAccount').error(`service account "${e.serviceAccount}" is not a valid name`);
  }
  if (e.locality !== undefined && e.locality.split('/').length > 3) {
    rep.at('locality').error(`locality "${e.locality}" must be region, region/zone or region/zone/subzone`);
  }
}
