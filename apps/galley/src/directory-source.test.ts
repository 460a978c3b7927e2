import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@mesh/telemetry';
import { waitFor } from '@mesh/testing';
import { DirectorySource, listConfigFiles, scanDirectory, type ScanCache } from './directory-source.ts';
import type { SourceSnapshot } from './source.ts';

const gw = (name: string, port = 80) =>
  `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ${name}}\nspec:\n  servers:\n  - port: {number: ${port}, name: http, protocol: HTTP}\n    hosts: ["*"]\n`;
const silent = createLogger('test', { write: () => {} });

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'galley-src-'));
  after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function names(s: SourceSnapshot | undefined): string[] {
  return (s?.origins ?? []).flatMap((o) => o.accepted.map((a) => `${path.basename(o.origin)}:${a.resource.metadata.name}:${(a.resource.spec as any).servers[0].port.number}`)).sort();
}

describe('listConfigFiles', () => {
  it('finds yaml, yml and json files recursively, sorted, skipping hidden entries and following symlinks once', () => {
    const d = tempDir();
    mkdirSync(path.join(d, 'sub/deeper'), { recursive: true });
    mkdirSync(path.join(d, '..data'));
    mkdirSync(path.join(d, '.git'));
    for (const f of ['b.yaml', 'a.yml', 'sub/c.json', 'sub/deeper/d.YAML', 'notes.txt', '.hidden.yaml', '..data/e.yaml', '.git/f.yaml', 'a.yaml.swp']) writeFileSync(path.join(d, f), '');
    symlinkSync(path.join(d, '..data/e.yaml'), path.join(d, 'e.yaml'));
    symlinkSync(d, path.join(d, 'sub/loop'));
    return listConfigFiles(d).then((files) =>
      assert.deepEqual(
        files.map((f) => path.relative(d, f)),
        ['a.yml', 'b.yaml', 'e.yaml', 'sub/c.json', 'sub/deeper/d.YAML'],
      ),
    );
  });
});

describe('scanDirectory', () => {
  it('re-parses only files whose text changed, and forgets deleted files', async () => {
    const d = tempDir();
    writeFileSync(path.join(d, 'a.yaml'), gw('a'));
    writeFileSync(path.join(d, 'b.yaml'), gw('b'));
    const cache: ScanCache = new Map();
    const first = await scanDirectory(d, {}, cache);
    writeFileSync(path.join(d, 'b.yaml'), gw('b', 81));
    const second = await scanDirectory(d, {}, cache);
    assert.equal(second.origins[0].accepted[0].parsed, first.origins[0].accepted[0].parsed, 'unchanged a.yaml reused');
    assert.notEqual(second.origins[1].accepted[0].parsed, first.origins[1].accepted[0].parsed, 'changed b.yaml parsed again');
    assert.deepEqual(names(second), ['a.yaml:a:80', 'b.yaml:b:81']);
    unlinkSync(path.join(d, 'a.yaml'));
    await scanDirectory(d, {}, cache);
    assert.deepEqual([...cache.keys()].map((f) => path.basename(f)), ['b.yaml']);
  });
});

describe('DirectorySource', () => {
  it('delivers a snapshot at start and after edits, atomic replaces, new subdirectories and deletions', async () => {
    const d = tempDir();
    writeFileSync(path.join(d, 'a.yaml'), gw('a'));
    let last: SourceSnapshot | undefined;
    let count = 0;
    const source = new DirectorySource({ dir: d, log: silent, debounceMs: 20, resyncMs: 0 });
    after(() => source.stop());
    await source.start((s) => {
      last = s;
      count++;
    });
    assert.equal(count, 1, 'the first snapshot is delivered before start() resolves');
    assert.deepEqual(names(last), ['a.yaml:a:80']);

    writeFileSync(path.join(d, 'a.yaml'), gw('a', 81));
    await waitFor('edit seen', () => names(last).includes('a.yaml:a:81'), { timeoutMs: 3000 });

    // Editors save by writing a temporary file and renaming it over the original.
    writeFileSync(path.join(d, '.a.yaml.tmp'), gw('a', 82));
    renameSync(path.join(d, '.a.yaml.tmp'), path.join(d, 'a.yaml'));
    await waitFor('atomic replace seen', () => names(last).includes('a.yaml:a:82'), { timeoutMs: 3000 });

    mkdirSync(path.join(d, 'team'));
    writeFileSync(path.join(d, 'team', 'b.yaml'), gw('b'));
    await waitFor('file in a new subdirectory seen', () => names(last).includes('b.yaml:b:80'), { timeoutMs: 3000 });

    unlinkSync(path.join(d, 'a.yaml'));
    await waitFor('deletion seen', () => !names(last).some((n) => n.startsWith('a.yaml')), { timeoutMs: 3000 });
    assert.deepEqual(names(last), ['b.yaml:b:80']);
  });

  it('delivers nothing while the directory is missing, then picks it up when it appears', async () => {
    const parent = tempDir();
    const d = path.join(parent, 'config');
    let last: SourceSnapshot | undefined;
    const source = new DirectorySource({ dir: d, log: silent, debounceMs: 20, resyncMs: 0, retryMs: 50 });
    after(() => source.stop());
    await source.start((s) => (last = s));
    assert.equal(last, undefined, 'no snapshot: nothing accepted earlier may be removed');
    mkdirSync(d);
    writeFileSync(path.join(d, 'a.yaml'), gw('a'));
    await waitFor('directory picked up', () => names(last).includes('a.yaml:a:80'), { timeoutMs: 3000 });
  });

  it('a removed directory delivers no empty snapshot; it resumes when the directory comes back', async () => {
    const parent = tempDir();
    const d = path.join(parent, 'config');
    mkdirSync(d);
    writeFileSync(path.join(d, 'a.yaml'), gw('a'));
    const snapshots: SourceSnapshot[] = [];
    const source = new DirectorySource({ dir: d, log: silent, debounceMs: 20, resyncMs: 0, retryMs: 50 });
    after(() => source.stop());
    await source.start((s) => snapshots.push(s));
    rmSync(d, { recursive: true });
    source.rescan();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(snapshots.every((s) => s.origins.length > 0), 'never an empty snapshot');
    mkdirSync(d);
    writeFileSync(path.join(d, 'b.yaml'), gw('b'));
    await waitFor('new directory watched', () => names(snapshots.at(-1)).includes('b.yaml:b:80'), { timeoutMs: 3000 });
    writeFileSync(path.join(d, 'b.yaml'), gw('b', 90));
    await waitFor('edits in the new directory seen', () => names(snapshots.at(-1)).includes('b.yaml:b:90'), { timeoutMs: 3000 });
  });
});
