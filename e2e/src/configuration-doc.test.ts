import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { currentConfigurationDoc, renderConfigurationDoc } from './configuration-doc.ts';

describe('docs/configuration.md', () => {
  it("matches every app's --help (run `npm run docs` after changing a flag)", () => {
    assert.equal(currentConfigurationDoc(), renderConfigurationDoc());
  });
});
