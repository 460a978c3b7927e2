import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { translateAgentArgs } from './istio-agent-args.ts';

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
});
