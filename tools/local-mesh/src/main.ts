// `npm start` lands here (through tools/start.mjs) on the project's Node 24.
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runMain } from '@mesh/service';
import { LogFormatter } from './log-format.ts';
import { startLocalMesh, WORKSPACE_ROOT, type LocalMesh } from './mesh.ts';
import { BOOKINFO_LOCAL_FILE, BOOKINFO_NETWORKING_DIR, BOOKINFO_WORKLOADS, startBookinfoMesh, type BookinfoMesh } from './bookinfo.ts';

const EXAMPLES = ['hello', 'bookinfo'];

const flags = {
  config: { type: 'string', help: 'directory of Istio YAML to run against (without it: the hello example in examples/local)', env: 'MESH_CONFIG_DIR', default: '' },
  example: { type: 'string', help: "the example to run: hello (examples/local: hello v1/v2 and the sleep client, each behind a sidecar; the default) or bookinfo (Istio's Bookinfo, every workload behind a sidecar; galley watches a temporary directory)", default: '' },
  sample: { type: 'boolean', help: "with --config: also start the hello example's workloads and sidecars (the directory must hold examples/local's YAML)", default: false },
  natsUrl: { type: 'string', help: 'use this NATS server instead of starting nats-server', env: 'NATS_URL', default: '' },
  stateDir: { type: 'string', help: "where local state lives (citadel's root of trust)", env: 'MESH_STATE_DIR', default: '.mesh' },
  build: { type: 'boolean', help: 'build the apps first and run the built bundles (--no-build runs the TypeScript sources)', default: true },
  logLevel: { type: 'string', help: 'log level of every component: debug, info, warn, error', env: 'LOG_LEVEL', default: 'info' },
  credentialDir: {
    type: 'string',
    help: 'TLS credentials for Gateway credentialName (galley --credential-dir): <dir>/<name>/{tls.crt,tls.key,ca.crt}, namespace istio-system, or <dir>/<namespace>/<name>/...',
    env: 'MESH_CREDENTIAL_DIR',
    default: '',
  },
  egressGateway: {
    type: 'boolean',
    help: "also run an egress gateway (istio=egressgateway in istio-system, registered as istio-egressgateway.istio-system.svc.cluster.local ports 80/443, as Istio's egress tasks expect); its Gateway servers bind its own address, 127.0.0.2 (80 -> 8080, 443 -> 8443)",
    env: 'MESH_EGRESS_GATEWAY',
    default: false,
  },
} as const;

await runMain('npm start --', 'run the whole mesh locally, every component a separate process', flags, async (f) => {
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const fmt = new LogFormatter({ colour });
  const say = (msg: string) => process.stdout.write(fmt.format('mesh', JSON.stringify({ time: new Date().toISOString(), level: 'info', msg })) + '\n');

  if (f._.length > 0) {
    process.stderr.write(`unexpected arguments: ${f._.join(' ')} (an example is chosen with --example ${EXAMPLES.join('|')})\n`);
    process.exit(2);
  }
  if (f.example && !EXAMPLES.includes(f.example)) {
    process.stderr.write(`--example ${f.example}: unknown; the examples are ${EXAMPLES.join(', ')}\n`);
    process.exit(2);
  }
  if (f.example === 'bookinfo' && (f.config || f.sample)) {
    process.stderr.write('--example bookinfo brings its own configuration; leave out --config and --sample\n');
    process.exit(2);
  }
  const bookinfo = f.example === 'bookinfo';
  const configDir = bookinfo ? '' : path.resolve(f.config || path.join(WORKSPACE_ROOT, 'examples/local'));
  if (!bookinfo && (!existsSync(configDir) || !statSync(configDir).isDirectory())) {
    process.stderr.write(`--config ${configDir}: not a directory. Give a directory of Istio YAML files.\n`);
    process.exit(2);
  }
  const sample = !bookinfo && (f.sample || !f.config || f.example === 'hello');

  if (f.build) {
    say('building the apps (nx run-many -t build) ...');
    // Bookinfo has no build: the launcher runs its TypeScript sources.
    const res = spawnSync('nx', ['run-many', '-t', 'build', '--projects=tag:type:app', '--exclude=@mesh/bookinfo', '--outputStyle=static'], {
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

  if (!bookinfo) say(`config directory: ${configDir}`);
  const common = {
    natsUrl: f.natsUrl || undefined,
    stateDir: path.resolve(WORKSPACE_ROOT, f.stateDir),
    fromDist: f.build,
    logLevel: f.logLevel,
    onLine: (name: string, text: string) => process.stdout.write(fmt.format(name, text) + '\n'),
    onProgress: say,
    egressGateway: f.egressGateway,
  };
  try {
    mesh = bookinfo ? await startBookinfoMesh(common) : await startLocalMesh({ ...common, configDir, sample, credentialDir: f.credentialDir ? path.resolve(f.credentialDir) : undefined });
  } catch (err) {
    process.stderr.write(`\nthe mesh did not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const p = mesh.ports;
  const gw = `http://127.0.0.1:${p.gatewayHttp}`;
  const watched = bookinfo ? (mesh as BookinfoMesh).configDir : configDir;
  const lines = [
    '',
    'The mesh is up.',
    '',
    `  ingress gateway   ${gw}   (ready: http://127.0.0.1:${p.gatewayStatus}/healthz/ready, admin: http://127.0.0.1:${p.gatewayAdmin}/config_dump)`,
    ...(mesh.egressGateway
      ? [`  egress gateway    ${mesh.egressGateway.address}:${mesh.egressGateway.http} (port 80), :${mesh.egressGateway.https} (443); istio-egressgateway.istio-system.svc.cluster.local (ready: http://127.0.0.1:${p.egressGatewayStatus}/healthz/ready, admin: http://127.0.0.1:${p.egressGatewayAdmin}/config_dump)`]
      : []),
    `  pilot             xDS mTLS 127.0.0.1:${p.pilotSecureXds} (proxies), plaintext 127.0.0.1:${p.pilotXds} (tools), debug http://127.0.0.1:${p.pilotMonitoring}/debug`,
    `  galley            watching ${watched}, debug http://127.0.0.1:${p.galleyMonitoring}/debug/configz`,
    `  citadel           CA gRPC 127.0.0.1:${p.citadelGrpc}, monitoring http://127.0.0.1:${p.citadelMonitoring}/metrics`,
    `  injector          webhook https://127.0.0.1:${p.injectorWebhook}/inject`,
    `  nats              ${mesh.natsUrl}`,
  ];
  if (mesh.workloads.size > 0) {
    lines.push('', '  workload          application          sidecar (Sidecar resource listeners; admin)');
    for (const { spec, sidecar } of mesh.workloads.values()) {
      const app = spec.app ? `127.0.0.1:${spec.app.port}` : '(you, with curl)';
      lines.push(`  ${spec.name.padEnd(17)} ${app.padEnd(20)} ${spec.listenerPorts.map((l) => `127.0.0.1:${l}`).join(', ')}; http://127.0.0.1:${sidecar.admin}/config_dump`);
    }
  }
  lines.push('');
  if (bookinfo) {
    const n = path.relative(process.cwd(), BOOKINFO_NETWORKING_DIR) || BOOKINFO_NETWORKING_DIR;
    lines.push(
      `  Bookinfo (${BOOKINFO_WORKLOADS.map((w) => w.name).join(', ')}), each behind its own sidecar; registry and Sidecars in ${path.join(watched, BOOKINFO_LOCAL_FILE)}`,
      '  Try (or open the page in a browser and sign in as jason):',
      `    curl -s ${gw}/productpage | grep -o '<title>.*</title>'`,
      `    curl -s ${gw}/productpage | grep -o 'Reviewer[12]\\|style="color: [a-z]*"\\|Sorry[^<]*'   # stars: none (v1), black (v2), red (v3)`,
      `    curl -s -c /tmp/jason -d username=jason ${gw}/login; curl -s -b /tmp/jason ${gw}/productpage | grep -o 'Welcome <b>[a-z]*\\|style="color: [a-z]*"\\|Sorry[^<]*'`,
      '',
      "  Istio's Bookinfo tasks: copy the task's YAML into the watched directory; galley applies it within a second or two.",
      '  The directory is the whole configuration and a resource defined in two files keeps the first by file path, so',
      '  swap files rather than stack them:',
      `    N=${n} D=${watched}`,
      '    cp $N/virtual-service-all-v1.yaml $D/                                          # every service v1: no stars',
      '    rm $D/virtual-service-all-v1.yaml; cp $N/virtual-service-reviews-test-v2.yaml $D/  # jason (sign in) black stars, others none',
      '    cp $N/virtual-service-ratings-test-delay.yaml $D/   # jason: "Sorry, product reviews are currently unavailable" after ~6 s',
      '    rm $D/virtual-service-ratings-test-delay.yaml; cp $N/virtual-service-ratings-test-abort.yaml $D/   # jason: "Ratings service is currently unavailable"',
      '    rm $D/virtual-service-*.yaml; cp $N/virtual-service-reviews-50-v3.yaml $D/    # half the pages red stars (v3), half none',
      '',
    );
  } else if (sample) {
    lines.push(
      '  Try:',
      `    curl -s -H 'Host: hello.example.com' ${gw}/                      # 80% v1, 20% v2`,
      `    curl -s -H 'Host: hello.example.com' -H 'x-canary: true' ${gw}/   # always v2`,
      `    for i in $(seq 20); do curl -s -H 'Host: hello.example.com' ${gw}/ | grep '"version"'; done`,
      `    curl -s -x http://127.0.0.1:${p.sidecarOutbound} http://hello.default.svc.cluster.local/   # through the sleep client's sidecar (its egress listener)`,
      `    curl -s -H 'Host: hello.default.svc.cluster.local' http://127.0.0.1:${p.sidecarOutbound}/         # the same, Host header only`,
      '',
      `  Edit ${path.join(configDir, 'routing.yaml')} (weights, matches): routing changes within 2 seconds.`,
    );
  } else {
    lines.push(`  Gateway servers below port 1024 are bound at port+8000 (80 -> 8080).`);
  }
  lines.push('  Ctrl-C stops everything.', '');
  process.stdout.write(lines.join('\n') + '\n');
});
