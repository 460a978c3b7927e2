// Real app processes for tests: spawned with the workspace's Node (the one
// running the test), their JSON log lines collected so a test can await a
// particular line, and always killed by stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const WORKSPACE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface LogLine {
  level?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** The lines printed so far (stdout and stderr; the newest 10–20 thousand), JSON-parsed where possible. */
  readonly lines: LogLine[];
  /** Resolves with the first line (already printed or future) matching the predicate. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process exits, with its code. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after the grace period; resolves on exit. */
  stop(graceMs?: number): Promise<number | null>;
  /** Lines printed so far as text, for failure messages. */
  output(): string;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Print the process's output to this process's stderr as it comes (MESH_TEST_VERBOSE=1 does it for all). */
  echo?: boolean;
  /** Called with every line as it comes, raw and parsed (the local-mesh launcher prints them its own way). */
  onLine?: (text: string, line: LogLine) => void;
  /** Run inside this network namespace (`ip netns exec`; needs root). */
  netns?: string;
  /** Run as this uid (needs root): a sidecar runs as 1337, the uid Istio's capture rules let out. */
  uid?: number;
}

/**
 * Starts `node <script> ...args`. `script` is relative to the workspace root,
 * for example `apps/pilot/src/main.ts`.
 */
export function startProcess(name: string, script: string, args: string[] = [], options: StartOptions = {}): ManagedProcess {
  let argv = [process.execPath, path.resolve(WORKSPACE_ROOT, script), ...args];
  // setpriv (util-linux) drops to the uid after `ip netns exec` has entered the namespace, which needs root.
  if (options.uid !== undefined) argv = ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', ...argv];
  if (options.netns !== undefined) argv = ['ip', 'netns', 'exec', options.netns, ...argv];
  const [cmd, ...cmdArgs] = argv;
  const child = spawn(cmd, cmdArgs, {
    cwd: options.cwd ?? WORKSPACE_ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'debug', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const waiters: Array<{ predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  const echo = options.echo ?? process.env.MESH_TEST_VERBOSE === '1';

  const onLine = (text: string) => {
    if (!text) return;
    raw.push(text);
    if (echo) process.stderr.write(`[${name}] ${text}\n`);
    let line: LogLine;
    try {
      line = JSON.parse(text);
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    // Long-running processes (the local mesh) would otherwise grow these forever.
    if (lines.length > 20_000) lines.splice(0, 10_000);
    if (raw.length > 20_000) raw.splice(0, 10_000);
    options.onLine?.(text, line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].predicate(line)) {
        waiters[i].resolve(line);
        waiters.splice(i, 1);
      }
    }
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => onLine(buf));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = () => raw.slice(-200).join('\n');

  return {
    child,
    name,
    lines,
    exited,
    output,
    waitForLine(predicate, timeoutMs = 15_000) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<LogLine>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no matching log line within ${timeoutMs} ms. Output:\n${output()}`)), timeoutMs);
        const waiter = {
          predicate,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(waiter);
        void exited.then((code) => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer);
            reject(new Error(`${name} exited with ${code} before the expected log line. Output:\n${output()}`));
          }
        });
      });
    },
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
