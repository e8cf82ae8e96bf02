// A SIGCONT fault placed while a SIGSTOP fault on the same process is still being verified: the SIGSTOP fault must
// not then register a hold on a running process (records and processes agree whatever the interleaving).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger } from '../lib/logger.js';
import { ProcFs, type ProcStat } from '../daemon/proc/procfs.js';
import { CgroupResolver } from '../daemon/proc/cgroup.js';
import { Signaller } from '../daemon/proc/signal.js';
import { loadPidfd } from '../native/pidfd.js';
import { Journal } from '../daemon/faults/journal.js';
import { SafetyPolicy } from '../daemon/faults/safety.js';
import { TargetResolver } from '../daemon/faults/resolve.js';
import { FaultManager } from '../daemon/faults/manager.js';
import { createAgentMetrics } from '../daemon/metrics.js';
import { isRunning, killTree, procState, spawnTree, waitFor } from './harness/processes.js';

/** The seam: /proc as it is, except that a stopped `slowPid` reads as sleeping a few more times (a slow SIGSTOP). */
class SlowStopProcFs extends ProcFs {
  slowPid = 0;
  lag = 0;
  override stat(pid: number): ProcStat | null {
    const st = super.stat(pid);
    if (pid === this.slowPid && st?.state === 'T' && this.lag > 0) {
      this.lag--;
      return { ...st, state: 'S' };
    }
    return st;
  }
}

describe('overlapping SIGSTOP and SIGCONT faults', () => {
  it('a SIGCONT placed while a SIGSTOP is being verified ends that SIGSTOP fault too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eris-overlap-'));
    const tree = await spawnTree(1);
    const procfs = new SlowStopProcFs();
    const manager = new FaultManager({
      resolver: new TargetResolver({ containers: null, procfs, cgroups: new CgroupResolver({ procfs }), hostProcesses: true, isExcludedFromSelection: () => false }),
      signaller: new Signaller({ procfs, pidfd: loadPidfd() }),
      procfs,
      journal: new Journal(dir),
      safety: new SafetyPolicy({ procfs, denyNamespaces: [] }),
      metrics: createAgentMetrics(new Registry()),
      logger: silentLogger(),
      leaseDefaultSeconds: 30,
      leaseMaxSeconds: 60,
    });
    try {
      procfs.slowPid = tree.pid;
      procfs.lag = 200;
      const stopping = manager.create({ signal: 'SIGSTOP', target: { pids: [tree.pid] }, scope: 'init', method: 'signal', override: [] }, 'test');
      await waitFor(() => procState(tree.pid) === 'T', 2000, 'the SIGSTOP to land');
      procfs.lag = 200; // stays "not yet stopped" for the SIGSTOP's verification while the SIGCONT runs
      const cont = await manager.create({ signal: 'SIGCONT', target: { pids: [tree.pid] }, scope: 'init', method: 'signal', override: [] }, 'test');
      procfs.lag = 0;
      const stop = await stopping;
      assert.equal(cont.result, 'ok');
      assert.deepEqual(cont.undid, [stop.id]);
      assert.equal(stop.state, 'resumed', 'no active record on a running process');
      assert.equal(stop.resumeReason, 'sigcont');
      assert.equal(stop.resumedBy, cont.id);
      assert.deepEqual(stop.targets[0]!.processes[0]!.resume, { ok: true, byFault: cont.id });
      assert.deepEqual(manager.active(), []);
      assert.ok(isRunning(tree.pid));
    } finally {
      manager.resumeAll('shutdown');
      manager.close();
      killTree(tree.pid);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
