export { parseFlags, usage, FlagError, type FlagSpec, type FlagValues } from './flags.ts';
export { startMonitoring, type MonitoringServer, type DebugHandler } from './monitoring.ts';
export { startService, type Service, type ServiceOptions } from './lifecycle.ts';
export { runMain } from './main.ts';
