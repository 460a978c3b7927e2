// Entry point: `node samples/ext-authz/src/main.ts [--http-port 8000] [--grpc-port 9000] [--host 0.0.0.0]
// [--allow-service-account a]`. Logs one JSON object per line (one per check); SIGTERM/SIGINT stop it.
import { parseArgs } from 'node:util';
import { startExtAuthz } from './authz.ts';

export const USAGE = `usage: ext-authz [--http-port 8000] [--grpc-port 9000] [--host 0.0.0.0] [--allow-service-account a]
  Istio's sample external authorizer: allows requests with header "x-ext-authz: allow"
  (or from workloads of the allowed service account), denies the rest with 403.
  --http-port              the HTTP ext_authz API (0: a free port)
  --grpc-port              the gRPC envoy.service.auth.v3.Authorization API (0: a free port)
  --host                   the address both listen on
  --allow-service-account  the service account allowed without the header
`;

export interface Flags {
  httpPort: number;
  grpcPort: number;
  host: string;
  allowServiceAccount: string;
  help: boolean;
}

function port(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 0 && n <= 65535)) throw new Error(`--${name} must be a port (0-65535), got ${JSON.stringify(value)}`);
  return n;
}

export function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      'http-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      host: { type: 'string' },
      'allow-service-account': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    httpPort: port(values['http-port'], 'http-port', 8000),
    grpcPort: port(values['grpc-port'], 'grpc-port', 9000),
    host: values.host ?? '0.0.0.0',
    allowServiceAccount: values['allow-service-account'] ?? 'a',
    help: values.help === true,
  };
}

async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`ext-authz: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (entry: Record<string, unknown>) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), service: 'ext-authz', ...entry }) + '\n');
  const running = await startExtAuthz({ ...flags, log });
  log({ msg: 'listening', host: flags.host, http_port: running.httpPort, grpc_port: running.grpcPort, allow_service_account: flags.allowServiceAccount });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log({ msg: 'shutting down', signal });
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`ext-authz: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
