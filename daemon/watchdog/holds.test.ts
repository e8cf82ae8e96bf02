// The watchdog's book of holds: due holds resume only what no later hold still keeps stopped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WatchdogHolds } from './holds.js';
import { parseWatchdogMessage } from './protocol.js';

const p = (pid: number, startTime = '100') => ({ pid, startTime, pin: null });

describe('WatchdogHolds', () => {
  it('takes only what is due, and keeps back what a hold running longer still holds (overlapping faults)', () => {
    const holds = new WatchdogHolds<null>();
    holds.add('short', 1000, [p(1), p(2)], [{ version: 1, dir: '/sys/fs/cgroup/freezer/a' }]);
    holds.add('long', 5000, [p(2)], [{ version: 1, dir: '/sys/fs/cgroup/freezer/a' }]);
    assert.equal(holds.nextDeadline(), 1000);
    assert.deepEqual(holds.takeDue(999), []);
    const [due] = holds.takeDue(1000);
    assert.equal(due!.hold.faultId, 'short');
    assert.deepEqual(due!.resume.map((x) => x.pid), [1], 'pid 2 stays stopped: the long fault holds it');
    assert.deepEqual(due!.thaw, [], 'the cgroup stays frozen: the long fault holds it');
    assert.equal(holds.nextDeadline(), 5000);
    const [last] = holds.takeDue(6000);
    assert.deepEqual(last!.resume.map((x) => x.pid), [2]);
    assert.equal(last!.thaw.length, 1);
    assert.equal(holds.size, 0);
  });

  it('a pid with another start time is another process: not kept back by a hold on the old one', () => {
    const holds = new WatchdogHolds<null>();
    holds.add('a', 1000, [p(7, '100')], []);
    holds.add('b', 5000, [p(7, '200')], []);
    assert.deepEqual(holds.takeDue(1000)[0]!.resume.map((x) => x.startTime), ['100']);
  });

  it('several holds of one fault add up (processes found later); a release forgets the fault', () => {
    const holds = new WatchdogHolds<null>();
    holds.add('f', 1000, [p(1)], []);
    holds.add('f', 1000, [p(3)], []);
    assert.deepEqual(holds.remove('f')!.processes.map((x) => x.pid), [1, 3]);
    assert.deepEqual(holds.takeDue(2000), []);
  });
});

describe('watchdog messages', () => {
  it('accepts holds, releases and bye; names what is wrong otherwise', () => {
    assert.deepEqual(parseWatchdogMessage('{"op":"release","faultId":"f"}'), { op: 'release', faultId: 'f' });
    assert.deepEqual(parseWatchdogMessage('{"op":"hold","faultId":"f","deadline":5,"processes":[{"pid":3,"startTime":"9"}]}'), {
      op: 'hold', faultId: 'f', deadline: 5, processes: [{ pid: 3, startTime: '9' }],
    });
    assert.equal(parseWatchdogMessage('{"op":"hold","faultId":"f","deadline":5,"processes":[{"pid":-1,"startTime":"9"}]}'), 'processes[0]: must be {pid, startTime}');
    assert.equal(parseWatchdogMessage('{"op":"hold","faultId":"f","processes":[]}'), 'deadline: must be a number');
    assert.equal(parseWatchdogMessage('null'), 'not an object');
    assert.equal(parseWatchdogMessage('{"op":"reboot","faultId":"f"}'), 'op: unknown "reboot"');
    assert.equal(parseWatchdogMessage('{'), 'not JSON');
  });
});
