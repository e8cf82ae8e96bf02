import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadAgentConfig } from './config.js';
import { ConfigError } from '../lib/errors.js';

describe('agent config', () => {
  it('has defaults a node can run with', () => {
    const c = loadAgentConfig({}, {});
    assert.equal(c.listen, '127.0.0.1:7701');
    assert.equal(c.stateDir, '/var/lib/eris');
    assert.deepEqual(c.denyNamespaces, ['kube-system']);
    assert.equal(c.leaseDefaultSeconds, 60);
  });

  it('reads env vars, and flags win over them', () => {
    const env = { ERIS_AGENT_LISTEN: '0.0.0.0:9000', ERIS_DENY_NAMESPACES: 'kube-system, monitoring', ERIS_LEASE_MAX: '120' };
    const c = loadAgentConfig({ listen: '127.0.0.1:1234' }, env);
    assert.equal(c.listen, '127.0.0.1:1234');
    assert.deepEqual(c.denyNamespaces, ['kube-system', 'monitoring']);
    assert.equal(c.leaseMaxSeconds, 120);
  });

  it('takes the longest lease a timer can hold', () => {
    assert.equal(loadAgentConfig({ leaseMaxSeconds: 2_147_483 }, {}).leaseMaxSeconds, 2_147_483);
    assert.throws(() => loadAgentConfig({}, { ERIS_LEASE_MAX: '2592000' }), /^ConfigError: leaseMaxSeconds: must be at most 2147483 seconds/);
  });

  it('reads the protected list once: PIDs and executable names', () => {
    assert.deepEqual(loadAgentConfig({}, { ERIS_PROTECT: ' 4321, postgres ,etcd' }).protect, { pids: [4321], names: ['postgres', 'etcd'] });
    assert.deepEqual(loadAgentConfig({ protect: 'mysqld' }, { ERIS_PROTECT: '1' }).protect, { pids: [], names: ['mysqld'] });
    assert.deepEqual(loadAgentConfig({}, {}).protect, { pids: [], names: [] });
  });

  it('takes one Kubernetes API server: --kube-in-cluster or --kubeconfig, not both', () => {
    assert.equal(loadAgentConfig({ kubeInCluster: 'true' }, {}).kubeInCluster, true);
    assert.equal(loadAgentConfig({}, { ERIS_KUBECONFIG: '/k' }).kubeconfig, '/k');
    assert.throws(() => loadAgentConfig({ kubeInCluster: true, kubeconfig: '/k' }, {}), (e: ConfigError) => e.path === 'kubeconfig' && /keep one/.test(e.message));
  });

  it('names the field in every error', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ listen: 'nope' }, 'listen'],
      [{ listen: '127.0.0.1:99999' }, 'listen'],
      [{ leaseDefaultSeconds: '-3' }, 'leaseDefaultSeconds'],
      [{ leaseDefaultSeconds: 100, leaseMaxSeconds: 10 }, 'leaseDefaultSeconds'],
      [{ logLevel: 'loud' }, 'logLevel'],
      [{ protect: 'etcd,/usr/bin/etcd' }, 'protect[1]'],
      [{ protect: 'two words' }, 'protect[0]'],
      [{ protect: '0' }, 'protect[0]'],
      // 30 days: setTimeout would overflow and resume at once.
      [{ leaseMaxSeconds: 30 * 86400 }, 'leaseMaxSeconds'],
      [{ leaseDefaultSeconds: 2_147_484, leaseMaxSeconds: 2_147_483 }, 'leaseDefaultSeconds'],
      [{ coordinatorGraceSeconds: 1e10 }, 'coordinatorGraceSeconds'],
      [{ noCri: true }, 'noCri'],
      [{ noCri: true, hostProcesses: true, criSocket: '/x.sock' }, 'criSocket'],
    ];
    for (const [input, path] of cases) {
      assert.throws(() => loadAgentConfig(input, {}), (e: unknown) => e instanceof ConfigError && e.path === path && e.message.startsWith(path), JSON.stringify(input));
    }
  });
});
