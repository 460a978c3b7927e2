import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MESH_CONFIG, parseMeshConfig } from './mesh-config.ts';

describe('parseMeshConfig', () => {
  it('reads MeshConfig YAML as mounted from the istio ConfigMap, keeping unknown fields', () => {
    const r = parseMeshConfig('trustDomain: example.org\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\ndefaultConfig:\n  discoveryAddress: pilot:15010\n');
    assert.deepEqual(r, { config: { trustDomain: 'example.org', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, defaultConfig: { discoveryAddress: 'pilot:15010' } } });
  });
  it('reads the ConfigMap itself and a {mesh: "..."} map', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: |-\n    trustDomain: corp.local\n';
    assert.equal((parseMeshConfig(cm) as any).config.trustDomain, 'corp.local');
    assert.equal((parseMeshConfig('mesh: "trustDomain: x.y"\n') as any).config.trustDomain, 'x.y');
  });
  it('fills defaults for an empty file', () => {
    assert.deepEqual(parseMeshConfig(''), { config: DEFAULT_MESH_CONFIG });
    assert.deepEqual(DEFAULT_MESH_CONFIG, { trustDomain: 'cluster.local', outboundTrafficPolicy: { mode: 'ALLOW_ANY' } });
  });
  it('rejects bad values with the field path', () => {
    assert.deepEqual(parseMeshConfig('outboundTrafficPolicy: {mode: DENY}\n'), { errors: ['outboundTrafficPolicy.mode: Invalid option: expected one of "ALLOW_ANY"|"REGISTRY_ONLY"'] });
    assert.deepEqual(parseMeshConfig('trustDomain: "bad domain"\n'), { errors: ['trustDomain: host "bad domain" is not a valid DNS name: label "bad domain" may hold only letters, digits and \'-\', and must start and end with a letter or digit'] });
    assert.match((parseMeshConfig('a: [1\n') as any).errors[0], /^YAML syntax error/);
    assert.deepEqual(parseMeshConfig('kind: ConfigMap\ndata: {}\n'), { errors: ['ConfigMap has no data.mesh key holding the mesh config'] });
  });
  it('accepts pathNormalization (kept for pilot) and rejects an unknown normalization with the valid values', () => {
    assert.deepEqual((parseMeshConfig('pathNormalization:\n  normalization: MERGE_SLASHES\n') as any).config.pathNormalization, { normalization: 'MERGE_SLASHES' });
    assert.deepEqual(parseMeshConfig('pathNormalization: {normalization: MERGE}\n'), {
      errors: ['pathNormalization.normalization: "MERGE" is not one of DEFAULT, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES'],
    });
  });
});
