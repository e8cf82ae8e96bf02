// The agent's cached view of the containers on its node, refreshed from a RuntimeClient, with change events.
import type { Logger } from '../../lib/logger.js';
import type { ContainerInfo } from '../types.js';
import type { RuntimeClient } from './client.js';

export interface InventoryChange {
  added: string[];
  removed: string[];
  /** Same id, something that matters moved: state, init PID, restart count, names, pod labels. */
  changed: string[];
}

export type InventoryListener = (change: InventoryChange, containers: readonly ContainerInfo[]) => void;

export interface InventoryOptions {
  logger?: Logger;
  /** Clock (unix ms); a seam for tests. */
  now?: () => number;
}

export class Inventory {
  readonly #client: RuntimeClient;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  #containers: readonly ContainerInfo[] = [];
  #byId = new Map<string, ContainerInfo>();
  #fingerprints = new Map<string, string>();
  #inFlight: Promise<ContainerInfo[]> | undefined;
  #queued: Promise<ContainerInfo[]> | undefined;
  #listeners = new Set<InventoryListener>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #lastRefreshAt: number | null = null;
  #lastError: Error | null = null;

  constructor(client: RuntimeClient, options: InventoryOptions = {}) {
    this.#client = client;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** The containers of the last successful refresh (empty before the first). */
  list(): readonly ContainerInfo[] {
    return this.#containers;
  }

  findById(id: string): ContainerInfo | undefined {
    return this.#byId.get(id);
  }

  /** Unix ms of the last successful refresh. */
  get lastRefreshAt(): number | null {
    return this.#lastRefreshAt;
  }

  /** Why the last refresh failed; cleared by the next success. */
  get lastError(): Error | null {
    return this.#lastError;
  }

  /**
   * Asks the runtime again. At most one runtime round trip is in flight: calls made while none is share a new
   * one; calls made while one is in flight share one follow-up round that starts when it ends — so every caller
   * gets an answer the runtime gave after its call (a container created just before `refresh()` is in it).
   */
  refresh(): Promise<ContainerInfo[]> {
    if (this.#inFlight === undefined) {
      // Cleared in a .finally (a later microtask), never inside #refreshOnce: a client that throws synchronously
      // must not leave a settled promise behind as "in flight".
      const run: Promise<ContainerInfo[]> = this.#refreshOnce().finally(() => {
        if (this.#inFlight === run) this.#inFlight = undefined;
      });
      this.#inFlight = run;
      return run;
    }
    this.#queued ??= this.#inFlight
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.refresh();
      });
    return this.#queued;
  }

  async #refreshOnce(): Promise<ContainerInfo[]> {
    try {
      const containers = await this.#client.listContainerInfos();
      this.#apply(containers);
      this.#lastError = null;
      return containers;
    } catch (err) {
      this.#lastError = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /** Refreshes now and then every intervalMs (measured from the end of one refresh to the start of the next). */
  start(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    this.stop();
    this.#running = true;
    const tick = (): void => {
      this.refresh()
        .catch((err: unknown) => this.#logger?.warn({ err }, 'inventory refresh failed'))
        .finally(() => {
          if (!this.#running) return;
          this.#timer = setTimeout(tick, intervalMs);
          this.#timer.unref();
        });
    };
    tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Subscribes to changes; returns the unsubscribe function. Not called when a refresh changed nothing. */
  onChange(listener: InventoryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #apply(containers: ContainerInfo[]): void {
    const fingerprints = new Map(containers.map((c) => [c.id, fingerprint(c)]));
    const change: InventoryChange = { added: [], removed: [], changed: [] };
    for (const [id, print] of fingerprints) {
      const before = this.#fingerprints.get(id);
      if (before === undefined) change.added.push(id);
      else if (before !== print) change.changed.push(id);
    }
    for (const id of this.#fingerprints.keys()) if (!fingerprints.has(id)) change.removed.push(id);

    this.#containers = Object.freeze([...containers]);
    this.#byId = new Map(containers.map((c) => [c.id, c]));
    this.#fingerprints = fingerprints;
    this.#lastRefreshAt = this.#now();

    if (change.added.length + change.removed.length + change.changed.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(change, this.#containers);
      } catch (err) {
        this.#logger?.error({ err }, 'inventory listener threw');
      }
    }
  }
}

function fingerprint(c: ContainerInfo): string {
  const podLabels = Object.entries(c.pod.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([c.name, c.image, c.state, c.restartCount, c.initPid, c.createdAt, c.pod.id, c.pod.name, c.pod.namespace, c.pod.uid, podLabels]);
}
