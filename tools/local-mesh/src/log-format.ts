// One log stream for the whole local mesh: every process's JSON line becomes
// `component | HH:MM:SS LEVEL message key=value ...`, with a colour per component
// when the terminal has colours.

const COLOURS = [36, 32, 35, 33, 34, 91, 92, 96, 95, 93];
const LEVEL_COLOURS: Record<string, number> = { debug: 90, info: 0, warn: 33, error: 31 };
const OMIT = new Set(['time', 'level', 'msg', 'component']);

export class LogFormatter {
  readonly #colour: boolean;
  readonly #width: number;
  readonly #assigned = new Map<string, number>();

  constructor(options: { colour: boolean; width?: number }) {
    this.#colour = options.colour;
    this.#width = options.width ?? 14;
  }

  #paint(code: number, text: string): string {
    return this.#colour && code ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  format(name: string, text: string): string {
    if (!this.#assigned.has(name)) this.#assigned.set(name, COLOURS[this.#assigned.size % COLOURS.length]);
    const prefix = this.#paint(this.#assigned.get(name)!, name.padEnd(this.#width)) + ' | ';
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(text);
      if (typeof rec !== 'object' || rec === null) throw new Error('not an object');
    } catch {
      return prefix + text;
    }
    const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : '';
    const level = String(rec.level ?? 'info');
    const fields = Object.entries(rec)
      .filter(([k]) => !OMIT.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
      .join(' ');
    const head = `${time} ${this.#paint(LEVEL_COLOURS[level] ?? 0, level.toUpperCase().padEnd(5))} ${rec.msg ?? ''}`;
    return prefix + head + (fields ? ' ' + this.#paint(90, fields) : '');
  }
}
