import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { renderKustomization } from '../scripts/render.ts';

const KUBERNETES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../kubernetes');

describe('rendered manifests (npm run build in deploy/)', () => {
  it('hold every resource of the whole mesh once, CRDs first, as valid YAML', () => {
    const text = renderKustomization(KUBERNETES_DIR).join('\n---\n');
    const docs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
    const kinds = docs.map((d) => d.kind);
    assert.equal(kinds[0], 'CustomResourceDefinition');
    assert.ok(kinds.lastIndexOf('CustomResourceDefinition') < kinds.indexOf('Deployment'), 'CRDs before workloads');
    const ids = docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`);
    assert.equal(new Set(ids).size, ids.length, 'no resource twice');
    for (const name of ['istio-pilot', 'istio-citadel', 'istio-galley', 'istio-sidecar-injector', 'istio-ingressgateway']) {
      assert.ok(docs.some((d) => d.kind === 'Deployment' && d.metadata.name === name), `Deployment ${name}`);
    }
  });

  it('render one component alone', () => {
    const docs = parseAllDocuments(renderKustomization(path.join(KUBERNETES_DIR, 'pilot')).join('\n---\n')).map((d) => d.toJS());
    assert.deepEqual([...new Set(docs.map((d) => d.kind))].sort(), ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
  });
});
