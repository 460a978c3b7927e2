// The istio-iptables command line: the same short and long flags, so the init
// container args Istio's injector writes work unchanged with `proxy init`.
import {
  CaptureConfigError,
  DEFAULT_CAPTURE,
  parseCidrSelection,
  parseCidrList,
  parseIdList,
  parseInterceptionMode,
  parsePort,
  parsePortList,
  parsePortSelection,
  type CaptureConfig,
} from './capture-config.ts';

export interface InitOptions {
  capture: CaptureConfig;
  /** Print the rules as iptables-restore input instead of applying them. */
  dryRun: boolean;
  /** Remove the ISTIO_* chains and the jumps into them instead of installing them. */
  cleanup: boolean;
  iptablesRestore: string;
  iptablesSave: string;
  help: boolean;
}

interface FlagDef {
  short?: string;
  long: string;
  help: string;
  apply(options: InitOptions, flag: string, value: string): void;
}

const VALUE_FLAGS: FlagDef[] = [
  { short: 'p', long: 'envoy-port', help: 'outbound capture port (default 15001)', apply: (o, f, v) => void (o.capture.proxyPort = parsePort(f, v)) },
  {
    short: 'z',
    long: 'inbound-capture-port',
    help: 'inbound capture port (default 15006)',
    apply: (o, f, v) => void (o.capture.inboundCapturePort = parsePort(f, v)),
  },
  { short: 'u', long: 'proxy-uid', help: "the proxy's uid(s), comma-separated (default 1337)", apply: (o, f, v) => void (o.capture.proxyUids = parseIdList(f, v)) },
  { short: 'g', long: 'proxy-gid', help: "the proxy's gid(s) (default: the uids)", apply: (o, f, v) => void (o.capture.proxyGids = parseIdList(f, v)) },
  {
    short: 'm',
    long: 'istio-inbound-interception-mode',
    help: 'REDIRECT (TPROXY is not supported)',
    apply: (o, f, v) => void (o.capture.interceptionMode = parseInterceptionMode(f, v)),
  },
  {
    short: 'b',
    long: 'istio-inbound-ports',
    help: "inbound ports to capture, '*' for all (default: none)",
    apply: (o, f, v) => void (o.capture.includeInboundPorts = parsePortSelection(f, v)),
  },
  {
    short: 'd',
    long: 'istio-local-exclude-ports',
    help: "inbound ports never captured when -b is '*'",
    apply: (o, f, v) => void (o.capture.excludeInboundPorts = parsePortList(f, v)),
  },
  {
    short: 'i',
    long: 'istio-service-cidr',
    help: "outbound IPv4 ranges to capture, '*' for all (default: none)",
    apply: (o, f, v) => void (o.capture.includeOutboundIpRanges = parseCidrSelection(f, v)),
  },
  {
    short: 'x',
    long: 'istio-service-exclude-cidr',
    help: 'outbound IPv4 ranges never captured',
    apply: (o, f, v) => void (o.capture.excludeOutboundIpRanges = parseCidrList(f, v)),
  },
  {
    short: 'o',
    long: 'istio-local-outbound-ports-exclude',
    help: 'outbound ports never captured',
    apply: (o, f, v) => void (o.capture.excludeOutboundPorts = parsePortList(f, v)),
  },
  {
    short: 'q',
    long: 'istio-outbound-ports',
    help: 'outbound ports always captured',
    apply: (o, f, v) => void (o.capture.includeOutboundPorts = parsePortList(f, v)),
  },
  {
    short: 't',
    long: 'inbound-tunnel-port',
    help: 'HBONE tunnel port, never captured (default 15008)',
    apply: (o, f, v) => void (o.capture.inboundTunnelPort = parsePort(f, v)),
  },
  { long: 'iptables-restore', help: 'iptables-restore binary (default iptables-restore)', apply: (o, _f, v) => void (o.iptablesRestore = v) },
  { long: 'iptables-save', help: 'iptables-save binary (default iptables-save)', apply: (o, _f, v) => void (o.iptablesSave = v) },
  // Accepted so that Istio's injected args work; our logs are always JSON at info.
  { long: 'log_output_level', help: 'accepted for compatibility, ignored', apply: () => {} },
];

const BOOLEAN_FLAGS: Array<{ short?: string; long: string; help: string; key: 'dryRun' | 'cleanup' | 'help' }> = [
  { short: 'n', long: 'dry-run', help: 'print the rules as iptables-restore input; change nothing', key: 'dryRun' },
  { long: 'cleanup', help: 'remove the ISTIO_* chains and the jumps into them', key: 'cleanup' },
  { short: 'h', long: 'help', help: 'show this help', key: 'help' },
];

const UNSUPPORTED: Record<string, string> = {
  k: 'kube-virt-interfaces',
  c: 'exclude-interfaces',
  'kube-virt-interfaces': 'kube-virt-interfaces',
  'exclude-interfaces': 'exclude-interfaces',
  'redirect-dns': 'redirect-dns',
  'capture-all-dns': 'capture-all-dns',
};

export class InitArgsError extends Error {}

export function initUsage(): string {
  const rows = [...VALUE_FLAGS, ...BOOLEAN_FLAGS].map((f) => {
    const name = `${f.short ? `-${f.short}, ` : '    '}--${f.long}`;
    return `  ${name.padEnd(44)} ${f.help}`;
  });
  return `proxy init: installs the nat-table rules that send a pod's TCP traffic through its sidecar (istio-iptables flags)\n\nOptions:\n${rows.join('\n')}\n`;
}

/** Parses istio-iptables flags. Errors name the flag and say what would be valid. */
export function parseInitArgs(argv: string[]): InitOptions {
  const options: InitOptions = {
    capture: structuredClone(DEFAULT_CAPTURE),
    dryRun: false,
    cleanup: false,
    iptablesRestore: 'iptables-restore',
    iptablesSave: 'iptables-save',
    help: false,
  };
  let gidGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^(--?)([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new InitArgsError(`unexpected argument ${JSON.stringify(arg)} (flags look like -p 15001 or --envoy-port=15001)`);
    const [, dashes, name, inline] = m;
    const isShort = dashes === '-';
    const display = `${dashes}${name}`;
    if (UNSUPPORTED[name]) throw new InitArgsError(`${display} (${UNSUPPORTED[name]}) is not supported by this proxy`);
    const bool = BOOLEAN_FLAGS.find((f) => (isShort ? f.short === name : f.long === name));
    if (bool) {
      options[bool.key] = inline === undefined ? true : !['false', '0'].includes(inline);
      continue;
    }
    const def = VALUE_FLAGS.find((f) => (isShort ? f.short === name : f.long === name));
    if (!def) throw new InitArgsError(`unknown flag ${display} (see --help)`);
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new InitArgsError(`${display} needs a value`);
      value = argv[++i];
    }
    try {
      def.apply(options, display, value);
    } catch (err) {
      if (err instanceof CaptureConfigError) throw new InitArgsError(err.message);
      throw err;
    }
    if (def.long === 'proxy-gid') gidGiven = true;
  }
  if (!gidGiven) options.capture.proxyGids = [...options.capture.proxyUids];
  return options;
}

/** The argument values as the injector writes them: strings exactly as they appear in the pod spec. */
export interface CaptureArgValues {
  proxyPort?: string;
  inboundCapturePort?: string;
  proxyUid?: string;
  interceptionMode?: string;
  includeOutboundIpRanges: string;
  excludeOutboundIpRanges: string;
  includeInboundPorts: string;
  excludeInboundPorts: string;
  excludeOutboundPorts?: string;
  includeOutboundPorts?: string;
}

/**
 * The istio-iptables argument list in the order Istio's injection template
 * writes it (`-p 15001 -z 15006 -u 1337 -m REDIRECT -i ... -x ... -b ... -d ...`,
 * then `-q`/`-o` only when set).
 */
export function captureArgs(v: CaptureArgValues): string[] {
  const args = [
    '-p',
    v.proxyPort ?? '15001',
    '-z',
    v.inboundCapturePort ?? '15006',
    '-u',
    v.proxyUid ?? '1337',
    '-m',
    v.interceptionMode ?? 'REDIRECT',
    '-i',
    v.includeOutboundIpRanges,
    '-x',
    v.excludeOutboundIpRanges,
    '-b',
    v.includeInboundPorts,
    '-d',
    v.excludeInboundPorts,
  ];
  if (v.includeOutboundPorts) args.push('-q', v.includeOutboundPorts);
  if (v.excludeOutboundPorts) args.push('-o', v.excludeOutboundPorts);
  return args;
}
