export {
  DEFAULT_CAPTURE,
  CaptureConfigError,
  normalizeCidr,
  parseCidrList,
  parseCidrSelection,
  parseIdList,
  parseInterceptionMode,
  parsePort,
  parsePortList,
  parsePortSelection,
  type CaptureConfig,
  type CidrSelection,
  type PortSelection,
} from './capture-config.ts';
export { captureArgs, initUsage, parseInitArgs, InitArgsError, type CaptureArgValues, type InitOptions } from './args.ts';
export { buildRules, ruleLine, ISTIO_CHAINS, NAT_BUILTIN_CHAINS, INBOUND_PASSTHROUGH_SOURCE, type NatRule, type NatRuleset, type NatChain, type IstioChain } from './rules.ts';
export { renderRestore, renderCommands, normalizeSave } from './render.ts';
export { planApply, planCleanup, applyRuleset, cleanupRules, readNatTable, IptablesError, DEFAULT_BINARIES, type Binaries } from './apply.ts';
export { runInit, type InitIo } from './init.ts';
