// Entry point: `node samples/bookinfo/src/main.ts <service> [flags]`, with
// service one of productpage, details, reviews, ratings. Logs one JSON object
// per line; SIGTERM/SIGINT stop accepting, drain, and exit 0.
import { ConfigError, HELP, USAGE, isService, parseServiceArgs } from './config.ts';
import { createLogger } from './log.ts';
import { startService } from './service.ts';

async function main(argv: string[]): Promise<number> {
  const [service, ...args] = argv;
  if (service === undefined || service === '--help' || service === '-h' || service === 'help') {
    process.stdout.write(USAGE);
    return service === undefined ? 2 : 0;
  }
  if (!isService(service)) {
    process.stderr.write(`unknown service "${service}"\n\n${USAGE}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseServiceArgs(service, args);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(HELP[service]);
    return 0;
  }
  const config = parsed.config;
  const log = createLogger(service, { level: config.logLevel });
  const running = await startService(config, log);
  const upstreams: Record<string, unknown> = {};
  if (config.service === 'productpage') {
    for (const u of [config.details, config.reviews, config.ratings]) upstreams[u.name] = { authority: u.authority, connect: `${u.connect.host}:${u.connect.port}` };
  }
  if (config.service === 'reviews') {
    upstreams.ratings = { authority: config.ratings.authority, connect: `${config.ratings.connect.host}:${config.ratings.connect.port}` };
  }
  log.info('listening', {
    address: running.address,
    port: running.port,
    ...(config.service === 'reviews' ? { version: config.version, ratings_enabled: config.ratingsEnabled, star_color: config.starColor, ratings_timeout_ms: config.ratingsTimeoutMs } : {}),
    ...(Object.keys(upstreams).length ? { upstreams } : {}),
    ...(config.httpProxy ? { http_proxy: `${config.httpProxy.host}:${config.httpProxy.port}` } : {}),
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down', { signal, drain_ms: config.drainMs });
      running.close(config.drainMs).then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          log.error('shutdown failed', { err });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    createLogger('bookinfo').error('failed', { err });
    process.exitCode = 1;
  },
);
