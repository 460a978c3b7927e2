// Test helper: drives the upstream response parser the way the pool's
// connections do, recording what it reports.
import { H1ResponseParser, MAX_CHUNK_LINE, PROTOCOL_ERROR, type H1ResponseLimits, type H1ResponseSink, DEFAULT_RESPONSE_LIMITS } from './h1-pool.ts';

export interface ParseOutcome {
  /** Envoy-style details of the protocol error, or undefined. */
  error: string | undefined;
  heads: number;
  status: number;
  headers: Record<string, string | string[]>;
  statusText: string;
  body: Buffer;
  ended: boolean;
  /** Bytes followed the end of the response (in the same read or a later one). */
  extra: boolean;
  keepAlive: boolean;
  /** The parser was still waiting for bytes when the input ran out. */
  incomplete: boolean;
  /** The most the parser ever held back between reads. */
  maxBuffered: number;
}

class Recorder implements H1ResponseSink {
  heads = 0;
  status = 0;
  statusText = '';
  headers: Record<string, string | string[]> = {};
  chunks: Buffer[] = [];
  dataBeforeHead = false;
  ended = 0;
  extra = false;
  onParsedHead(status: number, headers: Record<string, string | string[]>, statusText: string): void {
    this.heads++;
    this.status = status;
    this.headers = headers;
    this.statusText = statusText;
  }
  onParsedData(chunk: Buffer): void {
    if (this.heads === 0) this.dataBeforeHead = true;
    this.chunks.push(Buffer.from(chunk)); // the parser may hand out views of a reused buffer
  }
  onParsedEnd(extra: boolean): void {
    this.ended++;
    this.extra = extra;
  }
}

/**
 * Feeds `input` to a fresh parser in pieces cut at `cuts` (offsets), as the pool's connection does:
 * stops at the first error or at the end of the response (later pieces count as extra bytes).
 * Anything thrown that is not a protocol error is rethrown: the codec must never do that.
 */
export function parse(input: Buffer | string, options: { cuts?: number[]; head?: boolean; limits?: Partial<H1ResponseLimits> } = {}): ParseOutcome {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const rec = new Recorder();
  const parser = new H1ResponseParser(rec, { ...DEFAULT_RESPONSE_LIMITS, ...options.limits });
  parser.expect(options.head === true);
  const cuts = [...new Set(options.cuts ?? [])].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  cuts.push(bytes.length);
  let error: string | undefined;
  let from = 0;
  let maxBuffered = 0;
  let extra = false;
  for (const to of cuts) {
    const piece = bytes.subarray(from, to);
    from = to;
    if (rec.ended > 0) {
      if (piece.length > 0) extra = true;
      continue;
    }
    try {
      parser.execute(piece);
    } catch (err) {
      const e = err as Error & { code?: string; details?: string };
      if (e.code !== PROTOCOL_ERROR) throw err;
      error = e.details;
      break;
    }
    if (rec.ended > 1 || rec.heads > 1) throw new Error('the parser reported more than one response');
    if (rec.dataBeforeHead) throw new Error('the parser reported body bytes before the head');
    maxBuffered = Math.max(maxBuffered, parser.buffered);
  }
  return {
    error,
    heads: rec.heads,
    status: rec.status,
    headers: rec.headers,
    statusText: rec.statusText,
    body: Buffer.concat(rec.chunks),
    ended: rec.ended === 1,
    extra: extra || rec.extra,
    keepAlive: parser.keepAlive,
    incomplete: error === undefined && rec.ended === 0,
    maxBuffered,
  };
}

/** The most a parser may hold back between reads under `limits`. */
export function bufferBound(limits: H1ResponseLimits = DEFAULT_RESPONSE_LIMITS): number {
  return Math.max(limits.maxHeadBytes + 2, MAX_CHUNK_LINE);
}
