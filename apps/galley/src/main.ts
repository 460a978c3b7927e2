// galley: config ingestion and validation. `galley` (serve) watches a
// directory of Istio YAML and keeps NATS KV equal to what is valid in it;
// `galley validate FILE...` checks files offline, like istioctl validate.
import { runMain, startService } from '@mesh/service';
import { DirectorySource } from './directory-source.ts';
import { SERVE_FLAGS, VALIDATE_FLAGS } from './flags.ts';
import { startGalley } from './galley.ts';
import { loadKubeConfig } from './kube-credentials.ts';
import { runValidate } from './validate-command.ts';

if (process.argv[2] === 'validate') {
  await runMain('galley validate', 'validate Istio YAML/JSON files or directories offline (usage: galley validate [flags] FILE|DIR|- ...)', VALIDATE_FLAGS, async (flags) => {
    const paths = flags._.slice(1);
    if (!paths.length) {
      process.stderr.write('galley validate: name at least one file or directory (or - for standard input)\n');
      process.exit(2);
    }
    const status = await runValidate(paths, { strict: flags.strict, defaultNamespace: flags.defaultNamespace, domainSuffix: flags.domainSuffix }, (line) =>
      process.stdout.write(line + '\n'),
    );
    process.exitCode = status;
  });
} else {
  await runMain('galley', 'config ingestion and validation: Istio YAML from a directory into NATS (galley validate FILE... checks files offline)', SERVE_FLAGS, async (flags) => {
    const command = flags._[0] ?? 'serve';
    if (command !== 'serve') throw new Error(`unknown command "${command}"; expected serve or validate`);
    if (!flags.configDir) throw new Error('--config-dir (or GALLEY_CONFIG_DIR) is required: the directory of Istio YAML to watch');
    if (flags.credentialSource !== 'dir' && flags.credentialSource !== 'kubernetes') throw new Error(`--credential-source must be dir or kubernetes, got "${flags.credentialSource}"`);
    const kube = flags.credentialSource === 'kubernetes';
    if (kube && flags.credentialDir) throw new Error('--credential-dir is for --credential-source=dir; with --credential-source=kubernetes credentials are Secrets');
    // Before any port opens: a kubeconfig that cannot be read stops the start, saying so.
    const kubeConfig = kube ? loadKubeConfig(flags.kubeconfig || undefined) : undefined;

    const svc = await startService({ component: 'galley', monitoringHost: flags.monitoringHost, monitoringPort: flags.monitoringPort });
    svc.setReady(false, 'first config scan not yet written to NATS');
    const source = new DirectorySource({
      dir: flags.configDir,
      log: svc.log,
      defaultNamespace: flags.defaultNamespace,
      unknownFields: flags.strict ? 'error' : 'warn',
      debounceMs: flags.debounceMs,
      resyncMs: flags.resyncSeconds * 1000,
    });
    const galley = await startGalley({
      source,
      natsUrl: flags.natsUrl,
      log: svc.log,
      meshConfigFile: flags.meshConfig || undefined,
      domainSuffix: flags.domainSuffix,
      meshConfigResyncMs: flags.resyncSeconds * 1000,
      credentialDir: flags.credentialDir || undefined,
      credentialNamespace: flags.credentialNamespace,
      kubeCredentials: kubeConfig ? { kubeConfig, namespaces: flags.credentialNamespaces } : undefined,
    });
    svc.addDebug('/debug/configz', () => galley.configz());
    svc.addDebug('/debug/rejected', () => galley.rejected());
    svc.addDebug('/debug/credentials', () => galley.credentials());
    svc.onShutdown(() => galley.stop());
    void galley.ready.then(() => {
      svc.log.info('config written to NATS; ready');
      svc.setReady(true);
    });
  });
}
