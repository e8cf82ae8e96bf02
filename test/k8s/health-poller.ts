// An observer independent of eris: polls one etcd member's /health by pod IP from the machine (the pod range is
// routed into the node) and records when it stopped and started answering healthy, to check eris's reported
// times to detect and recover against.
import { request } from 'node:http';

export interface HealthSample {
  /** When the answer (or the timeout) came back, ms since the epoch. */
  at: number;
  healthy: boolean;
}

function healthOnce(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

export class HealthPoller {
  readonly samples: HealthSample[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;

  /** Polls every `intervalMs`, each request with `timeoutMs` — the same rule as the drill's probe. */
  constructor(readonly url: string, readonly intervalMs: number, readonly timeoutMs: number) {}

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        const started = Date.now();
        // Requests overlap when one hangs, as the probe's do: one starts every interval regardless.
        void healthOnce(this.url, this.timeoutMs).then((healthy) => this.samples.push({ at: Date.now(), healthy }));
        await new Promise((r) => setTimeout(r, Math.max(0, this.intervalMs - (Date.now() - started))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await new Promise((r) => setTimeout(r, this.timeoutMs + 50)); // the last requests come back
  }

  /** The first unhealthy answer after `since`. */
  firstFailureAfter(since: number): number | undefined {
    return this.#sorted().find((s) => s.at >= since && !s.healthy)?.at;
  }

  /** The first healthy answer after `since`. */
  firstSuccessAfter(since: number): number | undefined {
    return this.#sorted().find((s) => s.at >= since && s.healthy)?.at;
  }

  #sorted(): HealthSample[] {
    return [...this.samples].sort((a, b) => a.at - b.at);
  }
}
