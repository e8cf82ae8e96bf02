import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { registerAgentStateGauges } from './metrics-state.js';
import { createAgentMetrics } from './metrics.js';

async function value(registry: Registry, name: string): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values[0]?.value;
}

describe('agent state gauges', () => {
  it('lease remaining is the soonest lease, negative once past it, absent with no fault', async () => {
    const registry = new Registry();
    let ends: number[] = [];
    registerAgentStateGauges(registry, { leaseEnds: () => ends, heldProcesses: () => ends.length, linkConnected: () => null, now: () => 100_000 });
    assert.equal(await value(registry, 'eris_fault_lease_remaining_seconds'), undefined);
    assert.equal(await value(registry, 'eris_processes_held'), 0);
    ends = [130_000, 105_000];
    assert.equal(await value(registry, 'eris_fault_lease_remaining_seconds'), 5);
    assert.equal(await value(registry, 'eris_processes_held'), 2);
    ends = [90_000];
    assert.equal(await value(registry, 'eris_fault_lease_remaining_seconds'), -10);
    ends = [];
    assert.equal(await value(registry, 'eris_fault_lease_remaining_seconds'), undefined);
    assert.doesNotMatch(await registry.metrics(), /^eris_link_connected /m);
  });

  it('link connected is 1 or 0, absent without a coordinator', async () => {
    const registry = new Registry();
    let up: boolean | null = true;
    registerAgentStateGauges(registry, { leaseEnds: () => [], heldProcesses: () => 0, linkConnected: () => up });
    assert.equal(await value(registry, 'eris_link_connected'), 1);
    up = false;
    assert.equal(await value(registry, 'eris_link_connected'), 0);
    up = null;
    assert.equal(await value(registry, 'eris_link_connected'), undefined);
  });

  it('the resume failure counter starts at 0', async () => {
    const m = createAgentMetrics(new Registry(), { defaultMetrics: false });
    assert.match(await m.registry.metrics(), /^eris_resume_failures_total 0$/m);
  });
});
