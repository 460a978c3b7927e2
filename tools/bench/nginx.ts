// nginx from Debian as the upstream every run hits, and as the reference
// reverse proxy (one worker, keep-alive to the upstream).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';

export interface Nginx {
  readonly pid: number;
  stop(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function start(name: string, cpu: number, port: number, server: string): Promise<Nginx> {
  const prefix = mkdtempSync(path.join(tmpdir(), `bench-nginx-${name}-`));
  mkdirSync(path.join(prefix, 'logs'));
  const conf = `
worker_processes 1;
daemon off;
error_log ${prefix}/logs/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  ${server.replaceAll('PORT', String(port))}
}`;
  writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const child: ChildProcess = spawn('taskset', ['-c', String(cpu), 'nginx', '-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: 'inherit' });
  for (let i = 0; i < 200 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 25));
  if (!(await listening(port))) throw new Error(`nginx (${name}) did not start on ${port}`);
  return {
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** A small fixed response, like the probe in shared/NOTES.md. */
export function startUpstream(cpu: number, port: number): Promise<Nginx> {
  return start('upstream', cpu, port, `server { listen 127.0.0.1:PORT; location / { default_type text/plain; return 200 "hello from upstream\\n"; } }`);
}

export function startNginxProxy(cpu: number, port: number, upstreamPort: number): Promise<Nginx> {
  return start(
    'proxy',
    cpu,
    port,
    `upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server { listen 127.0.0.1:PORT; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
  );
}
