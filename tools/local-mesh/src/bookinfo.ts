// `npm start -- --example bookinfo`: Istio's Bookinfo on the local mesh. Every
// workload (productpage, details, reviews v1/v2/v3, ratings) runs as its own
// process behind its own sidecar, registered the way Istio registers VMs
// (ServiceEntry + WorkloadEntry) and configured by a Sidecar resource: an
// ingress listener in front of the application and an egress listener the
// application uses as its HTTP proxy. Galley watches a temporary directory
// holding that registry (written here), Istio's bookinfo-gateway.yaml and
// destination-rule-all.yaml; Istio's task files (samples/bookinfo/networking)
// are applied by copying them into it.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@mesh/testing';
import { startLocalMesh, WORKSPACE_ROOT, type LocalMesh, type LocalMeshOptions, type WorkloadSpec } from './mesh.ts';

export const BOOKINFO_DIR = path.join(WORKSPACE_ROOT, 'samples/bookinfo');
export const BOOKINFO_NETWORKING_DIR = path.join(BOOKINFO_DIR, 'networking');
/** The files galley starts with, copied verbatim from samples/bookinfo/networking. */
export const BOOKINFO_START_FILES = ['bookinfo-gateway.yaml', 'destination-rule-all.yaml'];
/** The generated registry and Sidecars, in the watched directory. */
export const BOOKINFO_LOCAL_FILE = 'bookinfo-local.yaml';
/** The port of every Bookinfo service (the ServiceEntries'), as in Istio. */
export const BOOKINFO_SERVICE_PORT = 9080;
const DOMAIN = 'default.svc.cluster.local';

export type BookinfoService = 'productpage' | 'details' | 'reviews' | 'ratings';

export interface BookinfoWorkload {
  /** `reviews-v2`: the WorkloadEntry, the Sidecar and the processes are named so. */
  name: string;
  service: BookinfoService;
  version: string;
}

export const BOOKINFO_WORKLOADS: readonly BookinfoWorkload[] = [
  { name: 'productpage-v1', service: 'productpage', version: 'v1' },
  { name: 'details-v1', service: 'details', version: 'v1' },
  { name: 'reviews-v1', service: 'reviews', version: 'v1' },
  { name: 'reviews-v2', service: 'reviews', version: 'v2' },
  { name: 'reviews-v3', service: 'reviews', version: 'v3' },
  { name: 'ratings-v1', service: 'ratings', version: 'v1' },
];

/** A workload's ports: the application, its sidecar's ingress listener (the WorkloadEntry's port) and egress listener. */
export interface WorkloadPorts {
  app: number;
  ingress: number;
  egress: number;
}
export type BookinfoPorts = Record<string, WorkloadPorts>;

/** productpage-v1 9180/15180/15280, details-v1 9181/15181/15281, ... ratings-v1 9185/15185/15285 (app/ingress/egress). */
export const DEFAULT_BOOKINFO_PORTS: BookinfoPorts = Object.fromEntries(BOOKINFO_WORKLOADS.map((w, i) => [w.name, { app: 9180 + i, ingress: 15180 + i, egress: 15280 + i }]));

export async function freeBookinfoPorts(): Promise<BookinfoPorts> {
  const ports: BookinfoPorts = {};
  for (const w of BOOKINFO_WORKLOADS) ports[w.name] = { app: await freePort(), ingress: await freePort(), egress: await freePort() };
  return ports;
}

/** The services' workloads' registry and Sidecars for local mode: what an Istio user writes for VMs without capture. */
export function bookinfoLocalYaml(ports: BookinfoPorts = DEFAULT_BOOKINFO_PORTS): string {
  const docs: string[] = [];
  const services = [...new Set(BOOKINFO_WORKLOADS.map((w) => w.service))];
  for (const svc of services) {
    docs.push(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${svc}
  namespace: default
spec:
  hosts:
    - ${svc}.${DOMAIN}
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
    - number: ${BOOKINFO_SERVICE_PORT}
      name: http
      protocol: HTTP
  workloadSelector:
    labels:
      app: ${svc}
`);
  }
  for (const w of BOOKINFO_WORKLOADS) {
    const p = ports[w.name];
    docs.push(`apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: ${w.name}
  namespace: default
spec:
  address: 127.0.0.1
  ports:
    http: ${p.ingress} # ${w.name}'s sidecar (the Sidecar's ingress listener)
  serviceAccount: bookinfo-${w.service}
  labels:
    app: ${w.service}
    version: ${w.version}
    security.istio.io/tlsMode: istio # it has a sidecar: other sidecars send it mutual TLS (auto mTLS)
`);
  }
  for (const w of BOOKINFO_WORKLOADS) {
    const p = ports[w.name];
    docs.push(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: ${w.name}
  namespace: default
spec:
  workloadSelector:
    labels:
      app: ${w.service}
      version: ${w.version}
  ingress:
    - port:
        number: ${p.ingress}
        protocol: HTTP
        name: http
      defaultEndpoint: 127.0.0.1:${p.app} # the application
      captureMode: NONE
  egress:
    - port:
        number: ${p.egress}
        protocol: HTTP
        name: http-egress
      bind: 127.0.0.1
      captureMode: NONE
      hosts:
        - "./*"
`);
  }
  const header = `# Bookinfo in local mode, written by \`npm start -- --example bookinfo\`: Istio's four services registered the
# way Istio registers VMs (a ServiceEntry per service, port ${BOOKINFO_SERVICE_PORT}; a WorkloadEntry per version, labelled
# app/version like samples/bookinfo/platform/kube/bookinfo.yaml's Deployments), and a Sidecar per workload, as Istio
# configures a VM's sidecar without traffic capture. Every process shares 127.0.0.1, so each workload has its own ports:
#
${BOOKINFO_WORKLOADS.map((w) => `#   ${w.name.padEnd(15)} app ${ports[w.name].app}, sidecar ingress ${ports[w.name].ingress} (the WorkloadEntry's port), egress ${ports[w.name].egress}`).join('\n')}
#
# Other workloads' calls enter through a workload's ingress listener, which forwards to the application; productpage
# and reviews call details, reviews and ratings through their egress listener (BOOKINFO_HTTP_PROXY=http://127.0.0.1:<egress>,
# SERVICES_DOMAIN=${DOMAIN}), where the VirtualServices and DestinationRules apply.
`;
  return header + docs.map((d) => `---\n${d}`).join('');
}

/** How the launcher runs each Bookinfo application (`node samples/bookinfo/src/main.ts <service> ...`). */
export function bookinfoWorkloadSpecs(ports: BookinfoPorts = DEFAULT_BOOKINFO_PORTS): WorkloadSpec[] {
  return BOOKINFO_WORKLOADS.map((w) => {
    const p = ports[w.name];
    const calls = w.service === 'productpage' || w.service === 'reviews';
    return {
      name: w.name,
      labels: { app: w.service, version: w.version },
      serviceAccount: `bookinfo-${w.service}`,
      app: {
        script: 'samples/bookinfo/src/main.ts',
        args: [w.service, '--port', String(p.app), ...(w.service === 'reviews' ? ['--version', w.version] : [])],
        env: {
          HOSTNAME: w.name,
          ...(calls ? { SERVICES_DOMAIN: DOMAIN, BOOKINFO_HTTP_PROXY: `http://127.0.0.1:${p.egress}` } : {}),
        },
        port: p.app,
        healthPath: '/health',
      },
      listenerPorts: [p.ingress, p.egress],
    };
  });
}

export interface BookinfoMeshOptions extends Omit<LocalMeshOptions, 'configDir' | 'sample' | 'workloads' | 'cleanup'> {
  /** The applications' and sidecars' ports (tests pass free ones). */
  bookinfoPorts?: BookinfoPorts;
  /** Keep the watched directory when the mesh stops (default: removed). */
  keepConfigDir?: boolean;
}

export interface BookinfoMesh extends LocalMesh {
  /** The directory galley watches: copy Istio's task YAML here. */
  readonly configDir: string;
  readonly bookinfoPorts: BookinfoPorts;
}

/**
 * Writes the watched directory (Istio's bookinfo-gateway.yaml and destination-rule-all.yaml, verbatim except for
 * the Gateway's port when the gateway is given another one than 8080, and the generated registry and Sidecars).
 */
export function writeBookinfoConfig(configDir: string, ports: BookinfoPorts, gatewayHttp: number): void {
  for (const file of BOOKINFO_START_FILES) {
    const to = path.join(configDir, file);
    if (file === 'bookinfo-gateway.yaml' && gatewayHttp !== 8080) {
      writeFileSync(to, readFileSync(path.join(BOOKINFO_NETWORKING_DIR, file), 'utf8').replace('number: 8080', `number: ${gatewayHttp}`));
    } else {
      copyFileSync(path.join(BOOKINFO_NETWORKING_DIR, file), to);
    }
  }
  writeFileSync(path.join(configDir, BOOKINFO_LOCAL_FILE), bookinfoLocalYaml(ports));
}

export async function startBookinfoMesh(options: BookinfoMeshOptions): Promise<BookinfoMesh> {
  const bookinfoPorts = options.bookinfoPorts ?? DEFAULT_BOOKINFO_PORTS;
  const configDir = mkdtempSync(path.join(tmpdir(), 'mesh-bookinfo-'));
  const cleanup = () => {
    if (!options.keepConfigDir) rmSync(configDir, { recursive: true, force: true });
  };
  try {
    writeBookinfoConfig(configDir, bookinfoPorts, options.ports?.gatewayHttp ?? 8080);
    options.onProgress?.(`bookinfo: galley watches ${configDir} (${[...BOOKINFO_START_FILES, BOOKINFO_LOCAL_FILE].join(', ')})`);
    const mesh = await startLocalMesh({ ...options, configDir, sample: false, workloads: bookinfoWorkloadSpecs(bookinfoPorts), cleanup });
    return Object.assign(mesh, { configDir, bookinfoPorts });
  } catch (err) {
    // startLocalMesh cleans up after itself when it fails; failing before it leaves only the directory.
    cleanup();
    throw err;
  }
}
