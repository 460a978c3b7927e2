// What a network-namespace test needs from the machine, checked up front so
// that it fails with what to install instead of a row of cancelled tests (a
// test must never skip silently: CI runs these as root).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

const PACKAGES = { ip: 'iproute2', iptables: 'iptables', ip6tables: 'iptables', 'iptables-restore': 'iptables', 'iptables-save': 'iptables' } as const;
const VERSION_ARGS: Record<keyof typeof PACKAGES, string[]> = { ip: ['-V'], iptables: ['--version'], ip6tables: ['--version'], 'iptables-restore': ['--version'], 'iptables-save': ['--version'] };

/** Throws naming what is missing: root, or one of `tools` (with the Debian package that brings it). */
export async function netnsPreflight(test: string, tools: Array<keyof typeof PACKAGES>): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`${test} needs root (ip netns, veth, iptables); CI runs it as root`);
  for (const bin of tools) {
    try {
      await exec(bin, VERSION_ARGS[bin]);
    } catch (err) {
      throw new Error(`${bin} is missing or broken (${(err as Error).message}); install Debian's ${PACKAGES[bin]} package`, { cause: err });
    }
  }
}
