// One JSON object per line on stdout: {time, level, component, msg, ...fields},
// the same shape as the mesh's own components, so the local mesh's log stream
// can merge and filter them. LOG_LEVEL (debug|info|warn|error) sets the floor.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function isLevel(v: string | undefined): v is Level {
  return v !== undefined && Object.hasOwn(LEVELS, v);
}

function serialize(v: unknown): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message, ...('code' in v ? { code: (v as { code: unknown }).code } : {}) };
  return v;
}

export function createLogger(
  component: string,
  options: { level?: string; write?: (line: string) => void; base?: Record<string, unknown> } = {},
): Logger {
  const floor = LEVELS[isLevel(options.level) ? options.level : 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.base ?? {};
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < floor) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, component, msg, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = serialize(v);
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A logger that drops everything (library use and tests that do not look at logs). */
export const silentLogger: Logger = createLogger('silent', { write: () => {} });
