// A component's process lifecycle: logger, metrics, tracing and monitoring
// server up front; on SIGTERM/SIGINT mark not-ready, run shutdown hooks in
// reverse order (stop accepting, drain, close streams), then exit.
import { collectProcessMetrics, createLogger, startTracing, type Logger } from '@mesh/telemetry';
import { startMonitoring, type DebugHandler, type MonitoringServer } from './monitoring.ts';

export interface ServiceOptions {
  component: string;
  monitoringHost?: string;
  /** 15014 by default; 0 asks the OS for a free port. */
  monitoringPort?: number;
  /** How long shutdown hooks may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
  /** Install SIGTERM/SIGINT handlers (true for real processes; tests pass false). */
  handleSignals?: boolean;
}

export interface Service {
  readonly log: Logger;
  readonly monitoring: MonitoringServer;
  setReady(ready: boolean, reason?: string): void;
  addDebug(path: string, handler: DebugHandler): void;
  /** Hooks run in reverse order of registration on shutdown. */
  onShutdown(hook: () => void | Promise<void>): void;
  shutdown(reason: string): Promise<void>;
  /** Resolves once shutdown has finished. */
  readonly stopped: Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const log = createLogger(options.component);
  collectProcessMetrics();
  const tracing = await startTracing(options.component);
  const monitoring = await startMonitoring(options.monitoringHost ?? '127.0.0.1', options.monitoringPort ?? 15014);
  const hooks: Array<() => void | Promise<void>> = [async () => monitoring.close(), () => tracing.shutdown()];
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      log.info('shutting down', { reason });
      monitoring.setReady(false, 'shutting down');
      const timeout = options.shutdownTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        log.error('shutdown took too long; exiting anyway', { timeoutMs: timeout });
        process.exit(1);
      }, timeout);
      timer.unref();
      for (const hook of hooks.toReversed()) {
        try {
          await hook();
        } catch (err) {
          log.warn('shutdown hook failed', { err });
        }
      }
      clearTimeout(timer);
      log.info('stopped');
      resolveStopped();
    })();
    return shuttingDown;
  };

  if (options.handleSignals ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => void shutdown(signal).then(() => process.exit(0)));
    }
  }
  process.on('unhandledRejection', (err) => log.error('unhandled promise rejection', { err }));

  log.info('monitoring server listening', { address: `http://${options.monitoringHost ?? '127.0.0.1'}:${monitoring.port}`, tracing: tracing.enabled });
  return {
    log,
    monitoring,
    setReady: (ready, reason) => {
      if (ready !== monitoring.isReady()) log.info(ready ? 'ready' : 'not ready', reason ? { reason } : undefined);
      monitoring.setReady(ready, reason);
    },
    addDebug: monitoring.addDebug,
    onShutdown: (hook) => void hooks.push(hook),
    shutdown,
    stopped,
  };
}
