import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePodInfoLabels, translateAgentArgs } from './istio-agent-args.ts';

describe("Istio agent command lines (what injected pods run)", () => {
  it('turns the injected sidecar command into our flags, taking pilot from PROXY_CONFIG', () => {
    const { argv, ignored } = translateAgentArgs(
      'sidecar',
      ['--domain', 'default.svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
      { PROXY_CONFIG: '{"discoveryAddress":"istio-pilot.istio-system.svc:15010"}\n', ISTIO_META_INTERCEPTION_MODE: 'REDIRECT' },
    );
    assert.deepEqual(argv, ['--mode', 'sidecar', '--log-level', 'warn', '--pilot', 'istio-pilot.istio-system.svc:15010', '--status-host', '0.0.0.0', '--interception-mode', 'REDIRECT']);
    assert.deepEqual(ignored, ['--proxyComponentLogLevel', '--log_output_level']);
  });

  it('runs a router as a gateway and lets explicit flags and env win', () => {
    const { argv } = translateAgentArgs('router', ['--pilot', '10.0.0.1:15010', '--status-host', '127.0.0.1'], { PROXY_CONFIG: '{"discoveryAddress":"x:1"}' });
    assert.deepEqual(argv, ['--mode', 'gateway', '--pilot', '10.0.0.1:15010', '--status-host', '127.0.0.1']);
    assert.deepEqual(translateAgentArgs('router', [], { PILOT_ADDRESS: 'p:1', PROXY_CONFIG: '{"discoveryAddress":"x:1"}' }).argv, ['--mode', 'gateway', '--status-host', '0.0.0.0']);
  });

  it('says what is wrong with an unreadable PROXY_CONFIG', () => {
    assert.throws(() => translateAgentArgs('sidecar', [], { PROXY_CONFIG: '{nope' }), /PROXY_CONFIG is not valid JSON/);
  });

  it("takes the pod's labels from the downward API volume, as pilot-agent does (Sidecar and policy selection need them)", () => {
    const files: Record<string, string> = { '/etc/istio/pod/labels': 'app="reviews"\nsecurity.istio.io/tlsMode="istio"\nversion="v2"\n' };
    const read = (f: string) => {
      if (!(f in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return files[f];
    };
    const { argv } = translateAgentArgs('sidecar', [], {}, read);
    assert.deepEqual(argv.slice(argv.indexOf('--labels'), argv.indexOf('--labels') + 2), ['--labels', 'app=reviews,security.istio.io/tlsMode=istio,version=v2']);
    // POD_INFO_DIR points elsewhere (tests, VMs); explicit labels win; no volume: no labels.
    files['/tmp/pod/labels'] = 'app="ratings"\n';
    assert.ok(translateAgentArgs('sidecar', [], { POD_INFO_DIR: '/tmp/pod' }, read).argv.includes('app=ratings'));
    assert.ok(!translateAgentArgs('sidecar', ['--labels', 'app=x'], {}, read).argv.includes('app=reviews'));
    assert.ok(!translateAgentArgs('sidecar', [], { POD_INFO_DIR: '/nowhere' }, read).argv.includes('--labels'));
  });

  it('refuses a labels file that is not the downward API format, naming the line', () => {
    assert.deepEqual(parsePodInfoLabels('a="x\\"y"\nb=""\n', 'f'), { a: 'x"y', b: '' });
    assert.throws(() => parsePodInfoLabels('app="ok"\napp=notquoted\n', '/etc/istio/pod/labels'), /\/etc\/istio\/pod\/labels:2: not a downward API label line/);
  });
});
