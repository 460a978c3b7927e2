// `npm start` lands here (through tools/start.mjs) on the project's Node 24.
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runMain } from '@mesh/service';
import { LogFormatter } from './log-format.ts';
import { startLocalMesh, WORKSPACE_ROOT, type LocalMesh } from './mesh.ts';

const flags = {
  config: { type: 'string', help: 'directory of Istio YAML to run against (without it: the sample in examples/local)', env: 'MESH_CONFIG_DIR', default: '' },
  sample: { type: 'boolean', help: 'start the sample workloads (hello v1/v2) and a client sidecar; default on without --config', default: false },
  natsUrl: { type: 'string', help: 'use this NATS server instead of starting nats-server', env: 'NATS_URL', default: '' },
  stateDir: { type: 'string', help: "where local state lives (citadel's root of trust)", env: 'MESH_STATE_DIR', default: '.mesh' },
  build: { type: 'boolean', help: 'build the apps first and run the built bundles (--no-build runs the TypeScript sources)', default: true },
  logLevel: { type: 'string', help: 'log level of every component: debug, info, warn, error', env: 'LOG_LEVEL', default: 'info' },
} as const;

await runMain('npm start --', 'run the whole mesh locally, every component a separate process', flags, async (f) => {
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const fmt = new LogFormatter({ colour });
  const say = (msg: string) => process.stdout.write(fmt.format('mesh', JSON.stringify({ time: new Date().toISOString(), level: 'info', msg })) + '\n');

  const configDir = path.resolve(f.config || path.join(WORKSPACE_ROOT, 'examples/local'));
  if (!existsSync(configDir) || !statSync(configDir).isDirectory()) {
    process.stderr.write(`--config ${configDir}: not a directory. Give a directory of Istio YAML files.\n`);
    process.exit(2);
  }
  const sample = f.sample || !f.config;

  if (f.build) {
    say('building the apps (nx run-many -t build) ...');
    const res = spawnSync('nx', ['run-many', '-t', 'build', '--projects=tag:type:app', '--outputStyle=static'], {
      cwd: WORKSPACE_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
    });
    if (res.status !== 0) {
      process.stderr.write('the build failed (see above); fix it, or run the sources with `npm start -- --no-build`\n');
      process.exit(1);
    }
  }

  let mesh: LocalMesh | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping every component ...`);
    await mesh?.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  say(`config directory: ${configDir}`);
  try {
    mesh = await startLocalMesh({
      configDir,
      sample,
      natsUrl: f.natsUrl || undefined,
      stateDir: path.resolve(WORKSPACE_ROOT, f.stateDir),
      fromDist: f.build,
      logLevel: f.logLevel,
      onLine: (name, text) => process.stdout.write(fmt.format(name, text) + '\n'),
      onProgress: say,
    });
  } catch (err) {
    process.stderr.write(`\nthe mesh did not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const p = mesh.ports;
  const gw = `http://127.0.0.1:${p.gatewayHttp}`;
  const lines = [
    '',
    'The mesh is up.',
    '',
    `  ingress gateway   ${gw}   (ready: http://127.0.0.1:${p.gatewayStatus}/healthz/ready, admin: http://127.0.0.1:${p.gatewayAdmin}/config_dump)`,
    `  pilot             xDS 127.0.0.1:${p.pilotXds}, debug http://127.0.0.1:${p.pilotMonitoring}/debug`,
    `  galley            watching ${configDir}, debug http://127.0.0.1:${p.galleyMonitoring}/debug/configz`,
    `  citadel           CA gRPC 127.0.0.1:${p.citadelGrpc}, monitoring http://127.0.0.1:${p.citadelMonitoring}/metrics`,
    `  injector          webhook https://127.0.0.1:${p.injectorWebhook}/inject`,
    `  nats              ${mesh.natsUrl}`,
    '',
  ];
  if (sample) {
    lines.push(
      '  Try:',
      `    curl -s -H 'Host: hello.example.com' ${gw}/                      # 80% v1, 20% v2`,
      `    curl -s -H 'Host: hello.example.com' -H 'x-canary: true' ${gw}/   # always v2`,
      `    for i in $(seq 20); do curl -s -H 'Host: hello.example.com' ${gw}/ | grep '"version"'; done`,
      `    curl -s -x http://127.0.0.1:${p.sidecarOutbound} http://hello.default.svc.cluster.local/   # through the client sidecar`,
      '',
      `  Edit ${path.join(configDir, 'routing.yaml')} (weights, matches): routing changes within 2 seconds.`,
    );
  } else {
    lines.push(`  Gateway servers below port 1024 are bound at port+8000 (80 -> 8080).`);
  }
  lines.push('  Ctrl-C stops everything.', '');
  process.stdout.write(lines.join('\n') + '\n');
});
