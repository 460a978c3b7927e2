// Envoy-style access log lines (one JSON object per request) written only
// when enabled, by the HCM's access_log config or the proxy's --access-log
// flag: the hot path pays nothing when it is off.
import { createWriteStream, type WriteStream } from 'node:fs';

export interface AccessLogEntry {
  start_time: string;
  method: string;
  path: string;
  protocol: string;
  response_code: number;
  response_flags: string;
  bytes_received: number;
  bytes_sent: number;
  duration: number;
  upstream_service_time: number | null;
  x_forwarded_for: string | null;
  user_agent: string | null;
  request_id: string | null;
  authority: string;
  upstream_host: string | null;
  upstream_cluster: string | null;
  route_name: string | null;
  downstream_remote_address: string;
  listener: string;
}

export interface AccessLogSink {
  write(entry: AccessLogEntry): void;
}

const streams = new Map<string, { write(line: string): void }>();

function target(path: string): { write(line: string): void } {
  let s = streams.get(path);
  if (s) return s;
  if (path === '/dev/stdout') s = { write: (line) => void process.stdout.write(line) };
  else if (path === '/dev/stderr') s = { write: (line) => void process.stderr.write(line) };
  else {
    const ws: WriteStream = createWriteStream(path, { flags: 'a' });
    ws.on('error', () => {});
    s = { write: (line) => void ws.write(line) };
  }
  streams.set(path, s);
  return s;
}

/** A sink writing JSON lines to each of the given paths ('/dev/stdout', '/dev/stderr' or a file). */
export function accessLogSink(paths: string[]): AccessLogSink | undefined {
  if (paths.length === 0) return undefined;
  const targets = [...new Set(paths)].map(target);
  return {
    write(entry) {
      const line = JSON.stringify({ time: entry.start_time, level: 'info', component: 'proxy', msg: 'access', ...entry }) + '\n';
      for (const t of targets) t.write(line);
    },
  };
}
