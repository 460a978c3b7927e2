// The nat-table rules that make a sidecar transparent, with Istio's chain
// layout and semantics:
//
//   PREROUTING -> ISTIO_INBOUND -> ISTIO_IN_REDIRECT -> REDIRECT to the inbound port (15006)
//   OUTPUT     -> ISTIO_OUTPUT  -> ISTIO_REDIRECT    -> REDIRECT to the outbound port (15001)
//
// ISTIO_OUTPUT lets the proxy's own traffic (uid/gid 1337) leave untouched so
// it never loops back into itself, except when the proxy talks to its own pod
// IP over loopback: that is inbound traffic for the app and goes to 15006.
// 127.0.0.6 is the source address the proxy uses for inbound passthrough to
// the app, which must not be captured again.
//
// Every rule is written in the canonical form `iptables-save` prints (option
// order, `-m tcp`, CIDRs with prefix length), so the rules read back from the
// kernel compare equal, as text, to the rules generated here.
import type { CaptureConfig } from './capture-config.ts';

export const ISTIO_CHAINS = ['ISTIO_INBOUND', 'ISTIO_IN_REDIRECT', 'ISTIO_OUTPUT', 'ISTIO_REDIRECT'] as const;
export type IstioChain = (typeof ISTIO_CHAINS)[number];
export const NAT_BUILTIN_CHAINS = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] as const;
export type NatChain = IstioChain | (typeof NAT_BUILTIN_CHAINS)[number];

/** The address the proxy binds as source when it forwards inbound traffic to the app. */
export const INBOUND_PASSTHROUGH_SOURCE = '127.0.0.6/32';

export interface NatRule {
  chain: NatChain;
  /** Everything after `-A <chain>`, in iptables-save order. */
  spec: string;
}

export interface NatRuleset {
  table: 'nat';
  /** User chains this ruleset owns (created, flushed and refilled on apply). */
  chains: IstioChain[];
  rules: NatRule[];
}

const dport = (port: number) => `-p tcp -m tcp --dport ${port}`;

export function buildRules(c: CaptureConfig): NatRuleset {
  const rules: NatRule[] = [];
  const add = (chain: NatChain, spec: string) => rules.push({ chain, spec });
  const inboundCaptured = c.includeInboundPorts === '*' || c.includeInboundPorts.length > 0;

  // Jumps from the built-in chains.
  if (inboundCaptured) add('PREROUTING', '-p tcp -j ISTIO_INBOUND');
  add('OUTPUT', '-p tcp -j ISTIO_OUTPUT');

  // Inbound: the tunnel port is never captured; then either every port but the
  // excluded ones, or only the listed ones.
  add('ISTIO_INBOUND', `${dport(c.inboundTunnelPort)} -j RETURN`);
  if (c.includeInboundPorts === '*') {
    for (const port of c.excludeInboundPorts) add('ISTIO_INBOUND', `${dport(port)} -j RETURN`);
    add('ISTIO_INBOUND', '-p tcp -j ISTIO_IN_REDIRECT');
  } else {
    for (const port of c.includeInboundPorts) add('ISTIO_INBOUND', `${dport(port)} -j ISTIO_IN_REDIRECT`);
  }
  add('ISTIO_IN_REDIRECT', `-p tcp -j REDIRECT --to-ports ${c.inboundCapturePort}`);

  // Outbound.
  for (const port of c.excludeOutboundPorts) add('ISTIO_OUTPUT', `${dport(port)} -j RETURN`);
  add('ISTIO_OUTPUT', `-s ${INBOUND_PASSTHROUGH_SOURCE} -o lo -j RETURN`);
  const owners: Array<['uid' | 'gid', number]> = [...c.proxyUids.map((u) => ['uid', u] as ['uid', number]), ...c.proxyGids.map((g) => ['gid', g] as ['gid', number])];
  for (const [kind, id] of owners) {
    // The proxy calling its own pod IP (a service VIP that resolved to this pod): send it to the inbound listener.
    add('ISTIO_OUTPUT', `! -d 127.0.0.1/32 -o lo -p tcp -m tcp ! --dport ${c.inboundTunnelPort} -m owner --${kind}-owner ${id} -j ISTIO_IN_REDIRECT`);
    // The app talking to itself over loopback: leave it alone.
    add('ISTIO_OUTPUT', `-o lo -m owner ! --${kind}-owner ${id} -j RETURN`);
    // Anything else the proxy sends has been through it already.
    add('ISTIO_OUTPUT', `-m owner --${kind}-owner ${id} -j RETURN`);
  }
  add('ISTIO_OUTPUT', '-d 127.0.0.1/32 -j RETURN');
  for (const cidr of c.excludeOutboundIpRanges) add('ISTIO_OUTPUT', `-d ${cidr} -j RETURN`);
  for (const port of c.includeOutboundPorts) add('ISTIO_OUTPUT', `${dport(port)} -j ISTIO_REDIRECT`);
  if (c.includeOutboundIpRanges === '*') {
    add('ISTIO_OUTPUT', '-j ISTIO_REDIRECT');
  } else if (c.includeOutboundIpRanges.length > 0) {
    for (const cidr of c.includeOutboundIpRanges) add('ISTIO_OUTPUT', `-d ${cidr} -j ISTIO_REDIRECT`);
    add('ISTIO_OUTPUT', '-j RETURN');
  }
  add('ISTIO_REDIRECT', `-p tcp -j REDIRECT --to-ports ${c.proxyPort}`);

  // iptables-save lists rules chain by chain: built-ins first, then user chains.
  const order: NatChain[] = [...NAT_BUILTIN_CHAINS, ...ISTIO_CHAINS];
  rules.sort((a, b) => order.indexOf(a.chain) - order.indexOf(b.chain));
  return { table: 'nat', chains: [...ISTIO_CHAINS], rules };
}

export function ruleLine(rule: NatRule): string {
  return `-A ${rule.chain} ${rule.spec}`;
}
