export { freePort } from './ports.ts';
export { waitFor } from './wait.ts';
export { startNats, natsServerBinary, type NatsServer } from './nats.ts';
export { startProcess, WORKSPACE_ROOT, type ManagedProcess, type LogLine, type StartOptions } from './process.ts';
export { netnsPreflight } from './netns.ts';
