// A real Prometheus (Debian's) that scrapes the given targets on loopback, in a temp dir, stopped by its PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './processes.js';

export interface PrometheusInstance {
  url: string;
  /** An instant query, at `time` (Unix seconds) when given. */
  query(expr: string, time?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/** `ruleFiles`: Prometheus rule files (recording and alerting rules) it loads, evaluated every second. */
export async function startPrometheus(targets: Array<{ job: string; address: string; metricsPath?: string }>, options: { ruleFiles?: string[] } = {}): Promise<PrometheusInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'eris-prom-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles === undefined ? [] : ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)]),
    'scrape_configs:',
    ...targets.flatMap((t) => [
      `  - job_name: ${t.job}`,
      `    metrics_path: ${t.metricsPath ?? '/metrics'}`,
      '    static_configs:',
      `      - targets: ['${t.address}']`,
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const logs: string[] = [];
  child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`).catch(() => null))?.ok === true, 20000, `prometheus ready (${logs.join('').slice(-500)})`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async query(expr, time) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}${time === undefined ? '' : `&time=${time}`}`);
      const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.data.result;
    },
    stop,
  };
}
