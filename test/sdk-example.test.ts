// The SDK the way a user writes it in their own integration tests: start a drill against the system under test,
// wait for the result, assert on time to detect and time to recover. (Here the "system" is the sample cluster:
// three members on a coordinator + host-mode agent that this file starts; in your tests, it is your cluster.)
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ErisClient, type DrillInput, type RunEvent } from '../sdk/index.js';
import { startSampleCluster, stoppedMembers, type SampleCluster } from './cli-harness.js';

describe('SDK example: a member dies and the cluster recovers within budget', () => {
  let system: SampleCluster;
  let eris: ErisClient;

  before(async () => {
    system = await startSampleCluster('sdk-example');
    // In a real suite: new ErisClient({ baseUrl: process.env.ERIS_COORDINATOR!, token: process.env.ERIS_TOKEN })
    eris = new ErisClient({ baseUrl: system.url, token: system.token });
  });
  after(async () => {
    await system?.close();
  });

  it('detects a frozen member within 2 s and recovers from its crash within 10 s', async () => {
    // A typed drill: the editor completes and checks it against the coordinator's own schema types.
    const drill: DrillInput = {
      apiVersion: 'eris.dev/v1alpha1',
      kind: 'Drill',
      metadata: { name: 'member-crash-budget' },
      spec: {
        targets: {
          member: { processes: { cmdline: `--tag ${system.tag}` }, count: 1 },
          all: { processes: { cmdline: `--tag ${system.tag}` } },
        },
        probes: {
          // Host processes get labels from their flags: `--port 9001` → {{target.labels.port}}.
          health: { url: 'http://127.0.0.1:{{target.labels.port}}/health', jq: '.health == "true"', timeout: '500ms', interval: '100ms' },
        },
        steps: [
          { name: 'steady state', probe: 'health', target: 'all' },
          { name: 'freeze', signal: 'SIGSTOP', target: 'member', lease: '30s' },
          { name: 'detected', wait: 'health', target: 'member', until: 'fail', timeout: '10s' },
          { name: 'crash', signal: 'SIGKILL', target: 'member' },
          { name: 'recovered', wait: 'health', target: 'all', until: 'pass', timeout: '60s', consecutive: 2 },
        ],
      },
    };

    // Check the picks first (nothing is touched), then run.
    const preview = await eris.runs.start({ spec: drill }, { dryRun: true, seed: 'ci' });
    assert.equal(preview.groups.member?.picked.length, 1);

    const run = await eris.runs.start({ spec: drill }, { seed: 'ci' });
    const log: string[] = [];
    const report = await eris.runs.wait(run.id, {
      onEvent: (e: RunEvent) => {
        if (e.type === 'step' && e.data.status !== 'running') log.push(`${e.data.name}: ${e.data.status}`);
      },
    });

    assert.equal(report.status, 'passed', `${report.error?.message ?? ''}\n${log.join('\n')}`);
    assert.deepEqual(log, ['steady state: passed', 'freeze: passed', 'detected: passed', 'crash: passed', 'recovered: passed']);
    const [member] = report.timeline;
    assert.ok(member, 'one member was hit');
    assert.deepEqual(member.injected.map((i) => i.signal), ['SIGSTOP', 'SIGKILL']);
    assert.ok(member.timeToDetectMs !== undefined && member.timeToDetectMs < 2_000, `time to detect ${member.timeToDetectMs} ms`);
    assert.ok(member.timeToRecoverMs !== undefined && member.timeToRecoverMs < 10_000, `time to recover ${member.timeToRecoverMs} ms`);
    assert.equal(report.resumed.errors, 0);

    // The JUnit report for the CI server, and nothing left frozen.
    assert.match(await eris.runs.report(run.id, 'junit'), /failures="0"/);
    assert.deepEqual(stoppedMembers(system), []);
  });
});
