// A request body that can be sent more than once, for retries: chunks are
// streamed to the current attempt as they arrive and kept (up to a limit, 1
// MiB like Envoy's default buffer limit) so a retry can send them again.
// Past the limit the body is still streamed, but no longer replayable.
//
// Error ownership: the source stream's errors are the codec's (it always
// listens, see BodyStream); this class listens too and hands the error to
// every reader, whose next() rejects. The readers are async generators
// iterated by the upstream pool (attempts, shadow copies), which catches what
// they throw: a broken body ends that upstream request, never the process.
// A reader nobody iterates (an attempt abandoned while queued) never throws.
import type { Readable } from 'node:stream';

/** Accounted per kept chunk besides its bytes (as the codec counts its buffers). */
const CHUNK_OVERHEAD = 256;

export class ReplayableBody {
  readonly #chunks: Array<Buffer | undefined> = [];
  #size = 0;
  #ended = false;
  #error: Error | undefined;
  #overflow = false;
  readonly #waiters: Array<() => void> = [];
  /** Bytes the current reader has taken. */
  #consumedBytes = 0;

  private readonly source: Readable;
  private readonly limit: number;

  constructor(source: Readable, limit: number) {
    this.source = source;
    this.limit = limit;
    source.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      // Each kept chunk costs its object too: a body of many tiny chunks stops being replayable
      // (and stops being kept) long before it holds a million objects.
      this.#size += chunk.length + CHUNK_OVERHEAD;
      if (this.#size > limit) this.#overflow = true;
      if (this.#overflow && this.#size - this.#consumedBytes > limit) source.pause();
      this.#wake();
    });
    source.once('end', () => {
      this.#ended = true;
      this.#wake();
    });
    source.once('error', (err) => {
      this.#error = err;
      this.#wake();
    });
  }

  /** Whether a new attempt can still send the whole body. */
  get replayable(): boolean {
    return !this.#overflow;
  }

  #wake(): void {
    // Several readers may wait: the current attempt and a mirror.
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w();
  }

  /** A fresh pass over the body from its first byte. */
  async *reader(): AsyncGenerator<Buffer> {
    let i = 0;
    this.#consumedBytes = 0;
    for (;;) {
      if (i < this.#chunks.length) {
        const chunk = this.#chunks[i];
        if (chunk === undefined) throw new Error('request body is no longer replayable');
        i++;
        this.#consumedBytes += chunk.length + CHUNK_OVERHEAD;
        if (this.#overflow) {
          // Not replayable any more: free what was sent and let the source flow again.
          this.#chunks[i - 1] = undefined;
          if (this.source.isPaused()) this.source.resume();
        }
        yield chunk;
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
