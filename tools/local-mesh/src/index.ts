export { startLocalMesh, freeMeshPorts, egressGatewayYaml, EGRESS_GATEWAY_HOST, EGRESS_GATEWAY_FILE, type EgressGatewayInfo, type LocalMesh, type LocalMeshOptions, type MeshPorts, type WorkloadSpec, type SidecarPorts, type RunningWorkload } from './mesh.ts';
export {
  startBookinfoMesh,
  freeBookinfoPorts,
  bookinfoLocalYaml,
  bookinfoWorkloadSpecs,
  writeBookinfoConfig,
  BOOKINFO_WORKLOADS,
  BOOKINFO_NETWORKING_DIR,
  BOOKINFO_START_FILES,
  BOOKINFO_LOCAL_FILE,
  DEFAULT_BOOKINFO_PORTS,
  type BookinfoMesh,
  type BookinfoMeshOptions,
  type BookinfoPorts,
  type WorkloadPorts,
} from './bookinfo.ts';
export { startSampleApp, type SampleApp } from './sample-app.ts';
export { LogFormatter } from './log-format.ts';
export { PortAllocator, portIsFree, freeLoopbackAddress } from './ports.ts';
