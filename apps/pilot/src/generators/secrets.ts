// SDS over ADS: the TLS credentials (Istio's `credentialName`) a gateway's
// listeners and clusters reference as `kubernetes://<name>` and
// `kubernetes://<name>-cacert`, served to that gateway only. Nothing else
// decides who gets a credential: a proxy gets exactly the secrets its own
// generated resources name, looked up in its own namespace, and only gateway
// proxies are given resources that name credentials (sidecars and other
// namespaces' gateways never see them). Contents are never logged.
import { referencedSecretNames, type Cluster, type Listener, type Secret } from '@mesh/xds';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { CA_SUFFIX, CREDENTIAL_PREFIX, credentialCa } from './gateway-tls.ts';

export function gatewaySecrets(push: PushContext, proxy: Proxy, resources: { listeners: readonly Listener[]; clusters: readonly Cluster[] }): Secret[] {
  if (proxy.type !== 'router') return [];
  const lookup = (name: string) => push.credential(proxy.namespace, name);
  const out: Secret[] = [];
  for (const name of [...referencedSecretNames([...resources.listeners, ...resources.clusters])].sort()) {
    if (!name.startsWith(CREDENTIAL_PREFIX)) continue;
    const base = name.slice(CREDENTIAL_PREFIX.length);
    const own = lookup(base);
    // The generators name a CA `<name>-cacert` and check it exists; a credential literally named so is its key pair.
    if (base.endsWith(CA_SUFFIX) && !(own?.cert && own.key)) {
      const ca = credentialCa(lookup, base.slice(0, -CA_SUFFIX.length)) ?? own?.ca;
      if (ca) out.push({ name, validationContext: { trustedCa: { inlineString: ca } } });
      continue;
    }
    if (own?.cert && own.key) out.push({ name, tlsCertificate: { certificateChain: { inlineString: own.cert }, privateKey: { inlineString: own.key } } });
  }
  return out;
}
