// The addon on real loopback sockets (no redirect), how it fails, and where it
// is found: the workspace build, MESH_ORIGINAL_DST_ADDON, and next to a bundle
// made by tools/build-app.mjs. Redirected connections: original-dst.netns.test.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ADDON_ENV, addonCandidates, originalDestination, originalDestinationAvailable } from './index.ts';

const exec = promisify(execFile);
const LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(LIB, '..', '..');
const BUILT = path.join(LIB, 'build', 'Release', 'original_dst.node');
const INDEX = path.join(LIB, 'src', 'index.ts');

/** A loopback server and one client connection; resolves with the accepted socket. */
async function acceptedPair(host: string): Promise<{ accepted: net.Socket; client: net.Socket; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect({ host, port: (server.address() as net.AddressInfo).port });
  client.on('error', () => {});
  const socket = await accepted;
  socket.on('error', () => {});
  return {
    accepted: socket,
    client,
    close: async () => {
      client.destroy();
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Runs a module body in a child Node (the addon location is decided once per process). */
async function inChild(code: string, env: NodeJS.ProcessEnv = {}): Promise<unknown> {
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, cwd: LIB });
  return JSON.parse(stdout);
}

describe('originalDestination on connections that were not redirected', () => {
  before(() => {
    const a = originalDestinationAvailable();
    assert.ok(a.ok, a.ok ? '' : `the addon must be built for these tests: ${a.reason}`);
  });

  it('is undefined on an accepted IPv4 loopback connection', async () => {
    const p = await acceptedPair('127.0.0.1');
    try {
      assert.equal(originalDestination(p.accepted), undefined);
      assert.equal(originalDestination(p.client), undefined, 'nor on the connecting side');
    } finally {
      await p.close();
    }
  });

  it('is undefined on an accepted IPv6 loopback connection', async () => {
    const p = await acceptedPair('::1');
    try {
      assert.equal(originalDestination(p.accepted), undefined);
    } finally {
      await p.close();
    }
  });

  it('is undefined on a dual-stack socket carrying an IPv4 connection (::ffff:127.0.0.1)', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '::', () => resolve()));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    const socket = await accepted;
    try {
      assert.equal(socket.localAddress, '::ffff:127.0.0.1');
      assert.equal(originalDestination(socket), undefined);
    } finally {
      client.destroy();
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is undefined for a destroyed socket (it has no file descriptor any more), and the process lives on', async () => {
    const p = await acceptedPair('127.0.0.1');
    p.accepted.destroy();
    assert.equal(originalDestination(p.accepted), undefined);
    await new Promise((resolve) => p.accepted.once('close', resolve));
    assert.equal(originalDestination(p.accepted), undefined);
    await p.close();
  });

  it('is undefined for a socket that never connected', () => {
    assert.equal(originalDestination(new net.Socket()), undefined);
  });

  it('throws the errno (EBADF, ENOTSOCK) when the descriptor is not an open socket', () => {
    const fake = (fd: number) => ({ _handle: { fd } }) as unknown as net.Socket;
    assert.throws(() => originalDestination(fake(2_000_000)), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EBADF');
      assert.match(err.message, /getsockname on fd 2000000: Bad file descriptor/);
      return true;
    });
    const file = openSync(INDEX, 'r');
    try {
      assert.throws(() => originalDestination(fake(file)), { code: 'ENOTSOCK' });
    } finally {
      closeSync(file);
    }
  });
});

describe('loading the addon', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'original-dst-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('looks in $MESH_ORIGINAL_DST_ADDON only when it is set, else build/Release, then next to the module', () => {
    assert.deepEqual(addonCandidates({ [ADDON_ENV]: '/opt/x.node' }), ['/opt/x.node']);
    assert.deepEqual(addonCandidates({}, 'file:///app/dist/main.js'), ['/app/build/Release/original_dst.node', '/app/dist/original_dst.node']);
    assert.equal(addonCandidates({})[0], BUILT);
  });

  it('says what to run when the addon is missing', async () => {
    const missing = path.join(tmp, 'missing.node');
    const r = await inChild(`import * as m from ${JSON.stringify(INDEX)}; console.log(JSON.stringify(m.originalDestinationAvailable()));`, { [ADDON_ENV]: missing });
    assert.deepEqual(r, {
      ok: false,
      reason: `the SO_ORIGINAL_DST addon was not built (${ADDON_ENV}=${missing} names no file): run \`npm rebuild @mesh/original-dst\` (needs python3, make and g++: Debian \`apt-get install build-essential python3\`)`,
    });
  });

  it('throws that reason from originalDestination() instead of reporting every connection as not redirected', async () => {
    const r = await inChild(
      `import * as m from ${JSON.stringify(INDEX)}; import net from 'node:net';
       try { m.originalDestination(new net.Socket()); console.log('null'); } catch (e) { console.log(JSON.stringify(e.message)); }`,
      { [ADDON_ENV]: path.join(tmp, 'missing.node') },
    );
    assert.match(String(r), /addon was not built .*npm rebuild @mesh\/original-dst/);
  });

  it('reports a file that is there but is not a loadable addon', async () => {
    const bogus = path.join(tmp, 'bogus.node');
    writeFileSync(bogus, 'not an ELF file');
    const r = (await inChild(`import * as m from ${JSON.stringify(INDEX)}; console.log(JSON.stringify(m.originalDestinationAvailable()));`, { [ADDON_ENV]: bogus })) as {
      ok: boolean;
      reason: string;
    };
    assert.equal(r.ok, false);
    assert.match(r.reason, new RegExp(`addon ${bogus.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not load .*npm rebuild @mesh/original-dst`));
  });

  it('loads the file $MESH_ORIGINAL_DST_ADDON names', async () => {
    const elsewhere = path.join(tmp, 'elsewhere', 'odst.node');
    mkdirSync(path.dirname(elsewhere), { recursive: true });
    copyFileSync(BUILT, elsewhere);
    const r = await inChild(`import * as m from ${JSON.stringify(INDEX)}; console.log(JSON.stringify(m.originalDestinationAvailable()));`, { [ADDON_ENV]: elsewhere });
    assert.deepEqual(r, { ok: true });
  });

  it('is found next to a bundle that tools/build-app.mjs made (as apps/proxy/dist/main.js)', async () => {
    const app = path.join(tmp, 'app');
    mkdirSync(path.join(app, 'src'), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: '@mesh/fake-app', version: '0.0.0', type: 'module' }));
    writeFileSync(
      path.join(app, 'src', 'main.ts'),
      `import net from 'node:net';\nimport { originalDestination, originalDestinationAvailable } from ${JSON.stringify(INDEX)};\n` +
        `const a = originalDestinationAvailable();\nconsole.log(JSON.stringify({ a, none: originalDestination(new net.Socket()) ?? null }));\n`,
    );
    await exec(process.execPath, [path.join(REPO, 'tools', 'build-app.mjs')], { cwd: app });
    assert.ok(existsSync(path.join(app, 'dist', 'original_dst.node')), 'build-app.mjs copies the addon next to dist/main.js');
    const { stdout } = await exec(process.execPath, [path.join(app, 'dist', 'main.js')], { cwd: tmp, env: { ...process.env, [ADDON_ENV]: '' } });
    assert.deepEqual(JSON.parse(stdout), { a: { ok: true }, none: null });
  });
});
