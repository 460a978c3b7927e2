// Where config comes from, behind one small interface: the directory source
// now, a Kubernetes watch source later. A source delivers complete snapshots
// (every origin it knows, parsed and validated); galley works out what changed.
import type { AcceptedResource, IgnoredDocument, ParseError, RejectedResource } from '@mesh/config';

/** Everything one origin (a file, or a Kubernetes object) contributes. */
export interface OriginContent {
  /** A file path, or an identifier such as `kubernetes:VirtualService/ns/name`. */
  origin: string;
  accepted: AcceptedResource[];
  rejected: RejectedResource[];
  /** Parts that could not be read as resources (YAML syntax errors, documents without kind or name). */
  errors: ParseError[];
  ignored: IgnoredDocument[];
  /** Set when the origin could not be read at all (an I/O error); its earlier resources stay in effect. */
  unreadable?: string;
}

export interface SourceSnapshot {
  origins: OriginContent[];
  /** When the snapshot was taken (ms since the epoch). */
  takenAt: number;
}

export interface ConfigSource {
  /** For logs: "directory examples/bookinfo". */
  readonly description: string;
  /**
   * Starts delivering snapshots: the first as soon as the source has been read
   * once, then one after every change. A source that cannot be read at all
   * (say its directory vanished) delivers nothing until it can, so what was
   * accepted stays in effect.
   */
  start(onSnapshot: (snapshot: SourceSnapshot) => void): Promise<void>;
  /** Asks for a fresh snapshot now (used after a reconnect and by tests). */
  rescan(): void;
  stop(): Promise<void>;
}
