// Runs `proxy init` on its own: node libs/iptables/src/cli.ts <istio-iptables flags>.
// The proxy app wires the same runInit() behind its `init` mode.
import { runInit } from './init.ts';

process.exitCode = await runInit(process.argv.slice(2));
