// citadel: the mesh's certificate authority. `citadel` serves; `citadel token
// --namespace NS --service-account SA` prints a local-mode bootstrap token;
// `citadel rotate --admin-port N` asks a running citadel to rotate its root.
import { runMain, startService } from '@mesh/service';
import { createKubeApi, loadKubeConfig } from './kube/api.ts';
import { BootstrapTokens, loadOrCreateTokenKey } from './auth/bootstrap-tokens.ts';
import { configFromFlags, startCitadel } from './citadel.ts';
import { FLAGS } from './flags.ts';

await runMain('citadel', 'certificate authority: workload SPIFFE certificates, trust bundle, root rotation', FLAGS, async (flags) => {
  const command = flags._[0] ?? 'serve';
  if (command === 'token') {
    if (!flags.namespace || !flags.serviceAccount) throw new Error('citadel token needs --namespace and --service-account');
    const config = configFromFlags(flags);
    const tokens = new BootstrapTokens(await loadOrCreateTokenKey(config.rootDir), config.trustDomain);
    const { token } = await tokens.issue(flags.namespace, flags.serviceAccount, config.bootstrapTokenTtlMs / 1000);
    process.stdout.write(token + '\n');
    return;
  }
  if (command === 'rotate') {
    if (!flags.adminPort) throw new Error('citadel rotate needs --admin-port (the running citadel\'s admin port)');
    const res = await fetch(`http://127.0.0.1:${flags.adminPort}/rotate`, { method: 'POST' });
    process.stdout.write(await res.text());
    if (!res.ok) process.exitCode = 1;
    return;
  }
  if (command !== 'serve') throw new Error(`unknown command "${command}"; expected serve, token or rotate`);
  configFromFlags(flags); // refuse bad flags before opening any port
  const svc = await startService({ component: 'citadel', monitoringHost: flags.monitoringHost, monitoringPort: flags.monitoringPort });
  const kube = flags.kubernetes ? { api: createKubeApi(loadKubeConfig(flags.kubeconfig || undefined), svc.log), namespace: flags.caNamespace } : undefined;
  const citadel = await startCitadel(configFromFlags(flags, kube), svc.log);
  svc.addDebug('/debug/ca', () => citadel.authority.status());
  svc.addDebug('/debug/configmaps', () => ({ namespaces: citadel.configMaps?.namespaces() ?? [] }));
  svc.onShutdown(() => citadel.stop());
  svc.setReady(true);
});
