export { startLocalMesh, freeMeshPorts, type LocalMesh, type LocalMeshOptions, type MeshPorts } from './mesh.ts';
export { startSampleApp, type SampleApp } from './sample-app.ts';
export { LogFormatter } from './log-format.ts';
export { PortAllocator, portIsFree } from './ports.ts';
