// The original destination of a downstream connection (Envoy's restored local
// address): what the `envoy.filters.listener.original_dst` listener filter
// reads from the kernel (SO_ORIGINAL_DST, through @mesh/original-dst) when
// iptables redirected the connection, stored on the socket so that filter
// chain matching, use_original_dst hand-off, the TCP proxy and ORIGINAL_DST
// clusters all see the same address. Without a redirect the socket's local
// address is the destination, as in Envoy.
import type { Socket } from 'node:net';
import { originalDestination, originalDestinationAvailable } from '@mesh/original-dst';

export interface Destination {
  readonly address: string;
  readonly port: number;
}

/** How a listener learns a socket's original destination (tests inject one). */
export type OriginalDestinationResolver = (socket: Socket) => Destination | undefined;

const kOriginalDst = Symbol('originalDestination');
type WithDestination = Socket & { [kOriginalDst]?: Destination };

/** Records the restored destination (set by the original_dst listener filter). */
export function setOriginalDestination(socket: Socket, dst: Destination): void {
  (socket as WithDestination)[kOriginalDst] = { address: normalizeIp(dst.address), port: dst.port };
}

/** The destination restored by the original_dst listener filter, if the connection was redirected. */
export function originalDestinationOf(socket: Socket): Destination | undefined {
  return (socket as WithDestination)[kOriginalDst];
}

/** Where the connection was going: its restored original destination, else the socket's local address. */
export function destinationOf(socket: Socket): Destination | undefined {
  const restored = originalDestinationOf(socket);
  if (restored !== undefined) return restored;
  if (socket.localAddress === undefined || socket.localPort === undefined) return undefined;
  return { address: normalizeIp(socket.localAddress), port: socket.localPort };
}

/** `::ffff:10.0.0.1` (a v4 peer on a dual-stack socket) as `10.0.0.1`. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

// ---------------------------------------------------------------------------
// The SO_ORIGINAL_DST addon (@mesh/original-dst loads its native part on first
// use and says why when it cannot).

/** Whether the kernel's original destination can be read here; when not, why (named in the listener's error). */
export function originalDestinationAvailability(): { ok: true } | { ok: false; reason: string } {
  try {
    return originalDestinationAvailable();
  } catch (err) {
    return { ok: false, reason: `@mesh/original-dst: ${(err as Error).message}` };
  }
}

/** The production resolver: SO_ORIGINAL_DST through the addon (undefined when the connection was not redirected). */
export const kernelOriginalDestination: OriginalDestinationResolver = (socket) => {
  const d = originalDestination(socket);
  return d === undefined ? undefined : { address: d.address, port: d.port };
};
