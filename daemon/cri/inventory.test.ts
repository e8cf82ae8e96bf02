import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerInfo, RuntimeInfo } from '../types.js';
import type { RuntimeClient } from './client.js';
import { Inventory, type InventoryChange } from './inventory.js';

function container(id: string, patch: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id,
    name: `c-${id}`,
    image: 'busybox',
    state: 'running',
    restartCount: 0,
    initPid: 100,
    createdAt: 1_700_000_000_000,
    pod: { id: 'sb1', name: 'etcd-0', namespace: 'db', uid: 'u1', labels: { app: 'etcd' } },
    ...patch,
  };
}

/** A RuntimeClient whose answers the test releases one at a time. */
class FakeClient implements RuntimeClient {
  calls = 0;
  pending: Array<{ resolve: (v: ContainerInfo[]) => void; reject: (e: unknown) => void }> = [];
  answer: ContainerInfo[] | Error | undefined;

  async version(): Promise<RuntimeInfo> {
    return { runtimeName: 'fake', runtimeVersion: '0', runtimeApiVersion: 'v1' };
  }

  listContainerInfos(): Promise<ContainerInfo[]> {
    this.calls++;
    if (this.answer instanceof Error) return Promise.reject(this.answer);
    if (this.answer) return Promise.resolve(this.answer);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  release(list: ContainerInfo[]): void {
    const next = this.pending.shift();
    assert.ok(next, 'no call pending');
    next.resolve(list);
  }

  close(): void {}
}

describe('Inventory', () => {
  it('a burst of refresh calls keeps one runtime call in flight and costs at most two', async () => {
    const client = new FakeClient();
    const inv = new Inventory(client);
    const burst = Array.from({ length: 10 }, () => inv.refresh());
    assert.equal(client.calls, 1, 'one call in flight');
    assert.equal(burst[1], burst[9], 'the callers that came while it was in flight share one promise');
    client.release([container('x')]);
    await sleep(0);
    assert.equal(client.calls, 2, 'one shared follow-up');
    client.release([container('x')]);
    const results = await Promise.all(burst);
    assert.equal(client.calls, 2);
    for (const r of results) assert.deepEqual(r.map((i) => i.id), ['x']);
  });

  it('calls made while a refresh is in flight get one shared follow-up that starts after them', async () => {
    const client = new FakeClient();
    const inv = new Inventory(client);
    const first = inv.refresh();
    const late1 = inv.refresh();
    const late2 = inv.refresh();
    client.release([container('old')]);
    assert.deepEqual((await first).map((i) => i.id), ['old']);
    await sleep(0);
    assert.equal(client.calls, 2, 'exactly one follow-up for both late callers');
    client.release([container('old'), container('new')]);
    assert.deepEqual((await late1).map((i) => i.id), ['old', 'new']);
    assert.equal(await late2, await late1);
    assert.equal(client.calls, 2);
    // Idle again: the next call starts a new round.
    const again = inv.refresh();
    assert.equal(client.calls, 3);
    client.release([]);
    assert.deepEqual(await again, []);
  });

  it('caches the last list, finds by id and records when it refreshed', async () => {
    const client = new FakeClient();
    let now = 1000;
    const inv = new Inventory(client, { now: () => now });
    assert.deepEqual(inv.list(), []);
    assert.equal(inv.lastRefreshAt, null);
    client.answer = [container('a'), container('b')];
    now = 5000;
    await inv.refresh();
    assert.deepEqual(inv.list().map((c) => c.id), ['a', 'b']);
    assert.equal(inv.findById('b')?.name, 'c-b');
    assert.equal(inv.findById('zz'), undefined);
    assert.equal(inv.lastRefreshAt, 5000);
  });

  it('reports added, removed and changed ids, and stays quiet when nothing changed', async () => {
    const client = new FakeClient();
    const inv = new Inventory(client);
    const events: InventoryChange[] = [];
    const unsubscribe = inv.onChange((change, list) => {
      events.push(change);
      assert.equal(list, inv.list(), 'listeners see the new list');
    });
    client.answer = [container('a'), container('b')];
    await inv.refresh();
    assert.deepEqual(events.at(-1), { added: ['a', 'b'], removed: [], changed: [] });

    client.answer = [container('a'), container('b')];
    await inv.refresh();
    assert.equal(events.length, 1, 'no event for an identical list');

    client.answer = [container('a', { initPid: 200, restartCount: 1 }), container('c')];
    await inv.refresh();
    assert.deepEqual(events.at(-1), { added: ['c'], removed: ['b'], changed: ['a'] });

    client.answer = [container('a', { initPid: 200, restartCount: 1, pod: { ...container('a').pod, labels: { app: 'etcd', tier: 'db' } } }), container('c')];
    await inv.refresh();
    assert.deepEqual(events.at(-1), { added: [], removed: [], changed: ['a'] }, 'pod labels count as a change');

    unsubscribe();
    client.answer = [];
    await inv.refresh();
    assert.equal(events.length, 3);
  });

  it('a listener that throws does not break the refresh or the other listeners', async () => {
    const client = new FakeClient();
    const inv = new Inventory(client);
    let seen = 0;
    inv.onChange(() => {
      throw new Error('boom');
    });
    inv.onChange(() => seen++);
    client.answer = [container('a')];
    await inv.refresh();
    assert.equal(seen, 1);
  });

  it('a failed refresh keeps the last list, sets lastError, and the next success clears it', async () => {
    const client = new FakeClient();
    const inv = new Inventory(client);
    client.answer = [container('a')];
    await inv.refresh();
    client.answer = new Error('runtime down');
    await assert.rejects(inv.refresh(), /runtime down/);
    assert.equal(inv.lastError?.message, 'runtime down');
    assert.deepEqual(inv.list().map((c) => c.id), ['a']);
    client.answer = [container('a')];
    await inv.refresh();
    assert.equal(inv.lastError, null);
  });

  it('a client that throws synchronously does not leave a refresh stuck in flight', async () => {
    let calls = 0;
    const client: RuntimeClient = {
      version: async () => ({ runtimeName: 'x', runtimeVersion: '0', runtimeApiVersion: 'v1' }),
      listContainerInfos: () => {
        calls++;
        if (calls === 1) throw new Error('sync');
        return Promise.resolve([container('a')]);
      },
      close: () => undefined,
    };
    const inv = new Inventory(client);
    await assert.rejects(inv.refresh(), /sync/);
    assert.deepEqual((await inv.refresh()).map((c) => c.id), ['a']);
    assert.equal(calls, 2);
  });

  it('start() refreshes at once and then periodically; stop() ends it', async () => {
    const client = new FakeClient();
    client.answer = [container('a')];
    const inv = new Inventory(client);
    inv.start(10);
    await sleep(120);
    inv.stop();
    const calls = client.calls;
    assert.ok(calls >= 3, `expected several refreshes, got ${calls}`);
    await sleep(40);
    assert.equal(client.calls, calls, 'no refresh after stop()');
    assert.throws(() => inv.start(0), RangeError);
  });

  it('periodic refresh errors are swallowed (and logged), the loop goes on', async () => {
    const client = new FakeClient();
    client.answer = new Error('flaky');
    const warnings: unknown[] = [];
    const logger = { warn: (obj: unknown) => warnings.push(obj) } as unknown as import('../../lib/logger.js').Logger;
    const inv = new Inventory(client, { logger });
    inv.start(10);
    await sleep(50);
    inv.stop();
    assert.ok(client.calls >= 2);
    assert.ok(warnings.length >= 2);
  });
});
