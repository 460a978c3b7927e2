// `proxy [run] [flags]`: the data plane. Subcommands are dispatched here:
// `run` (the default) serves what pilot sends over ADS, or a static config
// file; `init` writes the iptables capture rules (the istio-init container);
// `sidecar` and `router` accept Istio's pilot-agent command line (injected pods).
import { readFileSync } from 'node:fs';
import type { AdsClient } from '@mesh/xds';
import { runMain, type FlagSpec } from '@mesh/service';
import { collectProcessMetrics, createLogger, type LogLevel } from '@mesh/telemetry';
import { proxyPrometheus, startSidePorts } from './admin.ts';
import { parseAppProbers } from './agent/app-probers.ts';
import { createAgentIdentity } from './agent/identity-setup.ts';
import { pilotServerIds, pilotTls, useXdsTls } from './agent/pilot-connection.ts';
import { MergedMetrics, parseScrapeAnnotations } from './agent/merged-metrics.ts';
import { startStatusServer } from './agent/status-server.ts';
import { snapshotFromResources } from './config/snapshot-compiler.ts';
import { buildNode, identityOf, type ProxyMode } from './node-identity.ts';
import { Proxy } from './proxy.ts';
import { translateAgentArgs } from './istio-agent-args.ts';

export const RUN_FLAGS = {
  mode: { type: 'string', help: 'gateway (node type router~) or sidecar (node type sidecar~)', env: 'PROXY_MODE', default: 'sidecar' },
  pilot: { type: 'string', help: "pilot's ADS address (host:port): 15011 is its mTLS port, 15010 its plaintext loopback port", env: 'PILOT_ADDRESS', default: '127.0.0.1:15010' },
  xdsTls: {
    type: 'string',
    help: "auto, on or off: connect to pilot over mutual TLS with the workload certificate (needs --ca-address); auto: when the --pilot port is 15011 or 15012, as Istio's agent decides by the discovery address",
    env: 'XDS_TLS',
    default: 'auto',
  },
  pilotSan: { type: 'list', help: "SPIFFE ids pilot's certificate may carry over TLS (empty: spiffe://<trust-domain>/ns/istio-system/sa/istiod)", env: 'PILOT_SAN', default: [] },
  nodeId: { type: 'string', help: 'xDS node id; built from --mode, INSTANCE_IP, POD_NAME and POD_NAMESPACE when empty', env: 'NODE_ID', default: '' },
  podName: { type: 'string', help: 'workload instance name (node id and metadata NAME)', env: 'POD_NAME', default: '' },
  podNamespace: { type: 'string', help: 'namespace (node id and metadata NAMESPACE)', env: 'POD_NAMESPACE', default: '' },
  instanceIp: { type: 'string', help: 'workload IP (node id and metadata INSTANCE_IPS)', env: 'INSTANCE_IP', default: '' },
  labels: { type: 'list', help: 'workload labels k=v,... (node metadata LABELS, e.g. istio=ingressgateway)', env: 'PROXY_LABELS', default: [] },
  cluster: { type: 'string', help: "service cluster (the xDS node's cluster); default: the workload name (gateway) or workload.namespace (sidecar)", env: 'SERVICE_CLUSTER', default: '' },
  clusterId: { type: 'string', help: 'metadata CLUSTER_ID', env: 'CLUSTER_ID', default: 'Kubernetes' },
  outboundPort: { type: 'number', help: "sidecar: port of the outbound HTTP listener (metadata OUTBOUND_PORT)", env: 'OUTBOUND_PORT', default: 15001 },
  inboundPort: { type: 'number', help: 'sidecar: inbound capture port (metadata INBOUND_PORT)', env: 'INBOUND_PORT', default: 15006 },
  interceptionMode: { type: 'string', help: 'metadata INTERCEPTION_MODE (NONE: apps use the sidecar explicitly; REDIRECT: iptables)', env: 'INTERCEPTION_MODE', default: 'NONE' },
  bindAddress: { type: 'string', help: 'metadata BIND_ADDRESS: the address pilot tells listeners to bind (pilot decides when empty)', env: 'BIND_ADDRESS', default: '' },
  adminHost: { type: 'string', help: 'admin interface address (keep it loopback)', env: 'ADMIN_HOST', default: '127.0.0.1' },
  adminPort: { type: 'number', help: 'admin port (config_dump, clusters, stats); 0 picks a free port', env: 'ADMIN_PORT', default: 15000 },
  statusHost: { type: 'string', help: 'address of the status and stats ports (0.0.0.0 in Kubernetes)', env: 'STATUS_HOST', default: '127.0.0.1' },
  statusPort: { type: 'number', help: 'readiness port (/healthz/ready); 0 picks a free port', env: 'STATUS_PORT', default: 15021 },
  statsPort: { type: 'number', help: 'Prometheus port (/stats/prometheus); 0 picks a free port', env: 'STATS_PORT', default: 15090 },
  agentPort: { type: 'number', help: "the agent's status port (pilot-agent --statusPort): /healthz/ready, /app-health/<container>/<readyz|livez|startupz>, merged /stats/prometheus, POST /quitquitquit; on --status-host; 0 picks a free port", env: 'AGENT_STATUS_PORT', default: 15020 },
  appProbers: { type: 'string', help: "the app probes the injector moved to the agent, as Istio's JSON: {\"/app-health/<container>/readyz\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080},\"timeoutSeconds\":1},...} (httpGet, tcpSocket, grpc)", env: 'ISTIO_KUBE_APP_PROBERS', default: '' },
  prometheusAnnotations: { type: 'string', help: 'the app\'s own prometheus.io annotations, recorded by the injector as JSON ({"scrape":"true","port":"9090","path":"/metrics"}); its metrics are merged into the agent\'s /stats/prometheus', env: 'ISTIO_PROMETHEUS_ANNOTATIONS', default: '' },
  probeLocalhost: { type: 'boolean', help: 'send app probes and the app metrics scrape to 127.0.0.1 instead of --instance-ip (apps that listen on loopback only)', env: 'REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION', default: false },
  maxConnectionsPerListener: { type: 'number', help: 'connections one HTTP listener accepts at once; more are closed on accept and counted in downstream_cx_overflow (0: no limit)', env: 'MAX_CONNECTIONS_PER_LISTENER', default: 65_536 },
  drainSeconds: { type: 'number', help: 'how long in-flight requests may take to finish on shutdown or listener removal', env: 'DRAIN_DURATION_SECONDS', default: 5 },
  accessLog: { type: 'boolean', help: 'log every request (Envoy-style access log line, JSON)', env: 'ACCESS_LOG', default: false },
  caAddress: {
    type: 'string',
    help: "citadel's certificate service (host:port, e.g. istio-citadel.istio-system.svc:15012 or 127.0.0.1:15012); empty: no workload certificate, so the SDS secrets 'default' and 'ROOTCA' never arrive and TLS that needs them refuses",
    env: 'CA_ADDR',
    default: '',
  },
  caRootCert: {
    type: 'string',
    help: "PEM roots that signed citadel's serving certificate, also the initial trust bundle (ROOTCA), re-read when it changes; local mode: <citadel --root-dir>/root-cert.pem. Required with --ca-address",
    env: 'CA_ROOT_CERT',
    default: '/var/run/secrets/istio/root-cert.pem',
  },
  caTokenFile: { type: 'string', help: 'bearer token sent to citadel, re-read per request (Kubernetes: the istio-token projected volume; local mode: a file holding `citadel token` output)', env: 'CA_TOKEN_FILE', default: '/var/run/secrets/tokens/istio-token' },
  caServerName: { type: 'string', help: "name citadel's serving certificate is checked against; empty: the host of --ca-address (citadel's certificate carries its Service names, localhost and 127.0.0.1)", env: 'ISTIOD_SAN', default: '' },
  serviceAccount: { type: 'string', help: "the workload's service account (its SPIFFE id spiffe://<trust-domain>/ns/<pod-namespace>/sa/<service-account>)", env: 'SERVICE_ACCOUNT', default: '' },
  trustDomain: { type: 'string', help: 'SPIFFE trust domain of the workload certificate', env: 'TRUST_DOMAIN', default: 'cluster.local' },
  secretTtl: { type: 'string', help: 'requested workload certificate lifetime (renewed at half of it)', env: 'SECRET_TTL', default: '24h' },
  staticConfig: { type: 'string', help: 'serve the resources in this JSON file ({listeners, routes, clusters, endpoints, secrets}) instead of asking pilot', env: 'STATIC_CONFIG', default: '' },
  xdsProtocol: { type: 'string', help: 'sotw or delta', env: 'XDS_PROTOCOL', default: 'sotw' },
  logLevel: { type: 'string', help: 'debug, info, warn or error', env: 'LOG_LEVEL', default: 'info' },
} satisfies Record<string, FlagSpec>;

async function run(): Promise<void> {
  await runMain('proxy', 'xDS data plane: ingress/egress gateway or sidecar', RUN_FLAGS, async (flags) => {
    if (flags.mode !== 'gateway' && flags.mode !== 'sidecar') throw new Error(`--mode must be gateway or sidecar, got "${flags.mode}"`);
    if (flags.xdsProtocol !== 'sotw' && flags.xdsProtocol !== 'delta') throw new Error(`--xds-protocol must be sotw or delta, got "${flags.xdsProtocol}"`);
    if (flags._.length > 0) throw new Error(`unexpected arguments: ${flags._.join(' ')}`);
    // The agent's inputs first: a bad ISTIO_KUBE_APP_PROBERS stops the start with the key at fault.
    const probers = parseAppProbers(flags.appProbers);
    const appScrape = parseScrapeAnnotations(flags.prometheusAnnotations);
    const level = (['debug', 'info', 'warn', 'error'].includes(flags.logLevel) ? flags.logLevel : 'info') as LogLevel;
    const log = createLogger('proxy', { level });
    collectProcessMetrics();
    // Before any port opens: a start that can never get its certificate fails here, saying why.
    const agentSources = createAgentIdentity(flags, log);
    const xdsTls = !flags.staticConfig && useXdsTls(flags.xdsTls, flags.pilot);
    if (xdsTls && !agentSources) throw new Error(`xDS over TLS to ${flags.pilot} (--xds-tls ${flags.xdsTls}) needs a workload certificate: set --ca-address`);
    const pilotIds = xdsTls ? pilotServerIds(flags.pilotSan, flags.trustDomain) : [];
    const mode = flags.mode as ProxyMode;
    const node = buildNode({
      mode,
      nodeId: flags.nodeId,
      podName: flags.podName,
      podNamespace: flags.podNamespace,
      instanceIp: flags.instanceIp,
      labels: flags.labels,
      serviceCluster: flags.cluster,
      clusterId: flags.clusterId,
      outboundPort: mode === 'sidecar' ? flags.outboundPort : undefined,
      inboundPort: mode === 'sidecar' ? flags.inboundPort : undefined,
      interceptionMode: flags.interceptionMode,
      bindAddress: flags.bindAddress,
      adminPort: flags.adminPort,
    });
    // Istio's node metadata: pilot checks it against the client certificate on its mTLS port.
    if (flags.serviceAccount) node.metadata.SERVICE_ACCOUNT = flags.serviceAccount;
    const drainMs = flags.drainSeconds * 1000;
    const proxy = new Proxy({ log, identity: identityOf(node), accessLog: flags.accessLog || level === 'debug', drainTimeoutMs: drainMs, maxConnectionsPerListener: flags.maxConnectionsPerListener, node, agent: agentSources });

    let client: AdsClient | undefined = undefined;
    let shuttingDown: Promise<void> | undefined;
    // Servers started after the shutdown handler exists (it may run before they do).
    const closeOnShutdown: Array<() => Promise<void>> = [];
    const shutdown = (reason: string) => {
      shuttingDown ??= (async () => {
        log.info('shutting down: readiness fails, listeners drain', { reason, drainSeconds: flags.drainSeconds });
        const guard = setTimeout(() => {
          log.error('shutdown took too long; exiting anyway');
          process.exit(1);
        }, drainMs + 5_000);
        guard.unref();
        const draining = proxy.shutdown(drainMs);
        await client?.stop();
        await draining;
        agentSources?.bundle.stop();
        // Not awaited: a request to an unreachable citadel may hang until its deadline, and nothing is left to save.
        void agentSources?.identity.stop();
        await Promise.all([side.close(), ...closeOnShutdown.map((close) => close())]);
        log.info('stopped');
        process.exit(0);
      })();
      return shuttingDown;
    };

    const side = await startSidePorts(proxy, {
      adminHost: flags.adminHost,
      adminPort: flags.adminPort,
      statusHost: flags.statusHost,
      statusPort: flags.statusPort,
      statsPort: flags.statsPort,
      onQuit: () => void shutdown('POST /quitquitquit'),
    });
    // Probes without a host go to the pod IP, as the kubelet's would.
    const appHost = flags.probeLocalhost || !flags.instanceIp ? '127.0.0.1' : flags.instanceIp;
    const agentServer = await startStatusServer({
      host: flags.statusHost,
      port: flags.agentPort,
      readiness: () => proxy.readiness(),
      probers,
      probeHost: appHost,
      metrics: new MergedMetrics({ proxyMetrics: () => proxyPrometheus(proxy), app: appScrape, appHost, log }),
      onQuit: () => void shutdown('POST /quitquitquit (agent port)'),
      log,
    });
    closeOnShutdown.push(() => agentServer.close());
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(signal));
    process.on('unhandledRejection', (err) => log.error('unhandled promise rejection', { err }));
    log.info('proxy starting', {
      mode,
      node: node.id,
      serviceCluster: node.cluster,
      labels: node.metadata.LABELS,
      admin: `http://${flags.adminHost}:${side.adminPort}`,
      status: `http://${flags.statusHost}:${side.statusPort}/healthz/ready`,
      stats: `http://${flags.statusHost}:${side.statsPort}/stats/prometheus`,
      agent: `http://${flags.statusHost}:${agentServer.port}`,
      adminPort: side.adminPort,
      statusPort: side.statusPort,
      statsPort: side.statsPort,
      agentPort: agentServer.port,
      appProbes: [...probers.keys()],
      appMetrics: appScrape ? `http://${appHost}:${appScrape.port}${appScrape.path}` : undefined,
    });

    agentSources?.bundle.watch();
    agentSources?.identity.start();

    if (flags.staticConfig) {
      const resources = JSON.parse(readFileSync(flags.staticConfig, 'utf8'));
      const snapshot = snapshotFromResources(resources);
      for (const [type, list] of [
        ['type.googleapis.com/envoy.config.listener.v3.Listener', snapshot.listeners],
        ['type.googleapis.com/envoy.config.route.v3.RouteConfiguration', snapshot.routes],
        ['type.googleapis.com/envoy.config.cluster.v3.Cluster', snapshot.clusters],
        ['type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', snapshot.endpoints],
      ] as const) {
        proxy.validate(type, [...list.values()]);
      }
      await proxy.apply(snapshot);
      log.info('static config applied', { file: flags.staticConfig });
      return;
    }

    // Loaded only when talking to pilot: the Envoy protos take a while to load, a static config needs none.
    const { AdsClient, selectProtoFiles, xdsClientProtoFiles } = await import('@mesh/xds');
    // Only the protos an xDS client decodes: not the control plane's service and CSDS definitions.
    selectProtoFiles(xdsClientProtoFiles());
    const tls = xdsTls && agentSources ? pilotTls(agentSources, pilotIds, log) : undefined;
    client = new AdsClient({
      target: flags.pilot,
      node,
      log,
      validate: proxy.validate,
      protocol: flags.xdsProtocol as 'sotw' | 'delta',
      ...(tls ? { credentials: tls.credentials, channelOptions: tls.channelOptions } : {}),
    });
    client.on('connected', () => log.info('connected to pilot', { pilot: flags.pilot }));
    client.on('disconnected', ({ reason }) =>
      log.warn('disconnected from pilot; serving the last config', { pilot: flags.pilot, reason, hasConfig: proxy.snapshot !== undefined }),
    );
    client.on('nack', ({ typeUrl, error }) => log.warn('config rejected (NACK); the previous config stays in effect', { typeUrl, error }));
    client.on('snapshot', (snapshot) => {
      proxy.apply(snapshot).catch((err) => log.error('applying config failed', { err }));
    });
    if (tls && !agentSources?.identity.current()) {
      log.info('waiting for the workload certificate before connecting to pilot over TLS', { pilot: flags.pilot });
      await tls.firstCertificate;
    }
    if (!shuttingDown) client.start();
  });
}

type Subcommand = () => Promise<void>;

/** `proxy init ...`: the istio-init container's job, writing the iptables capture rules (see libs/iptables). */
async function init(): Promise<void> {
  const { runInit } = await import('@mesh/iptables');
  process.exitCode = await runInit(process.argv.slice(2));
}

/** `proxy sidecar|router ...`: Istio's pilot-agent command line, as injected pods run it. */
function agent(mode: 'sidecar' | 'router'): Subcommand {
  return async () => {
    let translated;
    try {
      translated = translateAgentArgs(mode, process.argv.slice(2), process.env);
    } catch (err) {
      process.stderr.write(`proxy ${mode}: ${(err as Error).message}\n`);
      process.exit(2);
    }
    if (translated.ignored.length > 0) process.stderr.write(`proxy ${mode}: ignoring pilot-agent flags with no meaning here: ${translated.ignored.join(' ')}\n`);
    process.argv.splice(2, Infinity, ...translated.argv);
    await run();
  };
}

/** `proxy <subcommand> ...`; `run` is the default. */
export const SUBCOMMANDS: Record<string, Subcommand> = { run, init, sidecar: agent('sidecar'), router: agent('router') };

const first = process.argv[2];
if (first !== undefined && !first.startsWith('-')) {
  const sub = SUBCOMMANDS[first];
  if (sub === undefined) {
    process.stderr.write(`proxy: unknown subcommand "${first}"; one of: ${Object.keys(SUBCOMMANDS).join(', ')} (default: run)\n`);
    process.exit(2);
  }
  process.argv.splice(2, 1);
  await sub();
} else {
  await run();
}
