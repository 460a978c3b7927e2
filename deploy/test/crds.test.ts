// The CRDs must be Istio's, name for name: users' existing YAML (any served
// apiVersion), `kubectl get vs` / `kubectl get istio-io`, and tools that know
// Istio's resources all depend on the group, names, short names, categories
// and versions being exactly Istio's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO_ROOT, ofKind, parseYaml, yamlFilesUnder, type K8sObject } from './load.ts';

const NETWORKING = { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], categories: ['istio-io', 'networking-istio-io'] };
const SECURITY = { group: 'security.istio.io', versions: ['v1beta1', 'v1'], categories: ['istio-io', 'security-istio-io'] };

// From Istio's CRDs (manifests/charts/base/files/crd-all.gen.yaml).
const ISTIO: Array<{ kind: string; plural: string; shortNames: string[]; api: typeof NETWORKING }> = [
  { kind: 'VirtualService', plural: 'virtualservices', shortNames: ['vs'], api: NETWORKING },
  { kind: 'DestinationRule', plural: 'destinationrules', shortNames: ['dr'], api: NETWORKING },
  { kind: 'Gateway', plural: 'gateways', shortNames: ['gw'], api: NETWORKING },
  { kind: 'ServiceEntry', plural: 'serviceentries', shortNames: ['se'], api: NETWORKING },
  { kind: 'WorkloadEntry', plural: 'workloadentries', shortNames: ['we'], api: NETWORKING },
  { kind: 'Sidecar', plural: 'sidecars', shortNames: [], api: NETWORKING },
  { kind: 'PeerAuthentication', plural: 'peerauthentications', shortNames: ['pa'], api: SECURITY },
  { kind: 'RequestAuthentication', plural: 'requestauthentications', shortNames: ['ra'], api: SECURITY },
  { kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', shortNames: ['ap'], api: SECURITY },
];

const crds = () => ofKind('CustomResourceDefinition').map((m) => m.obj);

/** Schema nodes of type object that declare nothing and do not preserve unknown fields: the API server would prune their contents. */
function prunedObjects(node: K8sObject, at: string): string[] {
  const out: string[] = [];
  if (node.type === 'object' && !node.properties && !node.additionalProperties && !node['x-kubernetes-preserve-unknown-fields']) out.push(at);
  for (const [k, v] of Object.entries(node.properties ?? {})) out.push(...prunedObjects(v as K8sObject, `${at}.${k}`));
  if (node.items) out.push(...prunedObjects(node.items, `${at}[]`));
  if (typeof node.additionalProperties === 'object') out.push(...prunedObjects(node.additionalProperties, `${at}.*`));
  return out;
}

describe("Istio's CRDs", () => {
  it('are exactly the nine config kinds', () => {
    assert.deepEqual(crds().map((c) => c.spec.names.kind).sort(), ISTIO.map((i) => i.kind).sort());
  });

  for (const istio of ISTIO) {
    it(`${istio.kind}: ${istio.plural}.${istio.api.group}, short names [${istio.shortNames.join(', ')}], served as ${istio.api.versions.join(', ')}`, () => {
      const crd = crds().find((c) => c.spec.names.kind === istio.kind);
      assert.ok(crd, `no CRD for ${istio.kind}`);
      assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
      assert.equal(crd.metadata.name, `${istio.plural}.${istio.api.group}`);
      assert.equal(crd.spec.group, istio.api.group);
      assert.equal(crd.spec.scope, 'Namespaced');
      assert.deepEqual(crd.spec.names, {
        kind: istio.kind,
        listKind: `${istio.kind}List`,
        plural: istio.plural,
        singular: istio.kind.toLowerCase(),
        ...(istio.shortNames.length ? { shortNames: istio.shortNames } : {}),
        categories: istio.api.categories,
      });
      const versions: K8sObject[] = crd.spec.versions;
      assert.deepEqual(versions.map((v) => v.name).sort(), [...istio.api.versions].sort());
      for (const v of versions) {
        assert.equal(v.served, true, `${istio.kind} ${v.name} is not served`);
        assert.deepEqual(v.subresources, { status: {} }, `${istio.kind} ${v.name}: galley writes status through the status subresource`);
        const spec = v.schema.openAPIV3Schema.properties.spec;
        assert.equal(spec.type, 'object');
        assert.equal(spec['x-kubernetes-preserve-unknown-fields'], true, `${istio.kind} ${v.name}: spec must keep fields the schema does not declare`);
        assert.ok(Object.keys(spec.properties ?? {}).length > 0, `${istio.kind} ${v.name}: declare the top level of spec`);
        assert.deepEqual(prunedObjects(v.schema.openAPIV3Schema, 'openAPIV3Schema'), [], `${istio.kind} ${v.name}: objects whose fields would be silently dropped`);
        assert.equal(v.additionalPrinterColumns.at(-1).name, 'Age');
      }
      assert.deepEqual(versions.filter((v) => v.storage).map((v) => v.name), ['v1'], `${istio.kind}: exactly one storage version, v1`);
    });
  }

  it('serve every apiVersion and kind used in examples/local and the cluster sample', () => {
    const files = [...yamlFilesUnder(path.join(REPO_ROOT, 'examples')), ...yamlFilesUnder(path.join(REPO_ROOT, 'deploy/kubernetes/samples'))];
    let checked = 0;
    for (const file of files) {
      for (const doc of parseYaml(file).docs as K8sObject[]) {
        const [group, version] = String(doc.apiVersion).split('/');
        if (!group.endsWith('.istio.io')) continue;
        const crd = crds().find((c) => c.spec.group === group && c.spec.names.kind === doc.kind);
        assert.ok(crd, `${path.relative(REPO_ROOT, file)}: no CRD serves ${doc.kind} in ${group}`);
        assert.ok(crd.spec.versions.some((v: K8sObject) => v.name === version && v.served), `${path.relative(REPO_ROOT, file)}: ${doc.apiVersion} is not served`);
        checked++;
      }
    }
    assert.ok(checked >= 8, `expected the examples' Istio resources, checked ${checked}`);
  });
});
