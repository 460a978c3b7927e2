// Structured JSON logs, one object per line on stdout, so that a launcher or a
// log collector can parse and prefix them without guessing.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `fields`. */
  child(fields: Record<string, unknown>): Logger;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a collector. */
  write?: (line: string) => void;
}

function parseLevel(value: string | undefined): LogLevel {
  return value && value in LEVELS ? (value as LogLevel) : 'info';
}

function serializeError(err: unknown): unknown {
  if (err instanceof Error) {
    const out: Record<string, unknown> = { message: err.message, name: err.name };
    if ((err as { code?: unknown }).code !== undefined) out.code = (err as { code?: unknown }).code;
    if (err.stack) out.stack = err.stack;
    return out;
  }
  return err;
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? parseLevel(process.env.LOG_LEVEL)];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const make = (base: Record<string, unknown>): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
      if (LEVELS[level] < threshold) return;
      const record: Record<string, unknown> = { time: new Date().toISOString(), level, component, msg, ...base };
      if (fields) {
        for (const [k, v] of Object.entries(fields)) record[k] = k === 'err' || v instanceof Error ? serializeError(v) : v;
      }
      write(JSON.stringify(record));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
      enabled: (level) => LEVELS[level] >= threshold,
    };
  };
  return make({});
}
