// Coalesces bursts of config changes into one push: fire `debounceMs` after
// the last change, but never later than `maxDelayMs` after the first one, so a
// continuous stream of changes still gets pushed.

export interface DebounceOptions {
  debounceMs: number;
  maxDelayMs: number;
}

export class Debouncer {
  readonly #opts: DebounceOptions;
  readonly #fire: (reasons: string[]) => void;
  #reasons: string[] = [];
  #first = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DebounceOptions, fire: (reasons: string[]) => void) {
    this.#opts = options;
    this.#fire = fire;
  }

  trigger(reason: string): void {
    if (this.#reasons.length === 0) this.#first = Date.now();
    if (this.#reasons.length < 100) this.#reasons.push(reason);
    clearTimeout(this.#timer);
    const waited = Date.now() - this.#first;
    const delay = Math.max(0, Math.min(this.#opts.debounceMs, this.#opts.maxDelayMs - waited));
    this.#timer = setTimeout(() => this.flush(), delay);
  }

  /** Fires now if anything is pending. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#reasons.length === 0) return;
    const reasons = this.#reasons;
    this.#reasons = [];
    this.#fire(reasons);
  }

  get pending(): boolean {
    return this.#reasons.length > 0;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#reasons = [];
  }
}
