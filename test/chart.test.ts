// The Helm chart cannot be rendered here (no helm binary): these checks keep it consistent with the code instead —
// every value a template reads exists, and every flag it passes is one the binary knows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { AGENT_OPTIONS } from '../daemon/config.js';
import { COORDINATOR_OPTIONS } from '../coordinator/config.js';

const CHART = fileURLToPath(new URL('../charts/eris/', import.meta.url));
const templates = readdirSync(join(CHART, 'templates')).map((f) => ({ name: f, text: readFileSync(join(CHART, 'templates', f), 'utf8') }));
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;

function has(obj: unknown, path: string[]): boolean {
  let node = obj;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

const flagsOf = (table: readonly { flag: string }[]) => new Set(table.map((o) => o.flag.split(' ')[0]!));

function argsOf(text: string, command: string): string[] {
  const block = text.slice(text.indexOf(`- ${command}\n`));
  return [...block.matchAll(/^\s+- (--[a-z-]+)/gm)].map((m) => m[1]!);
}

describe('Helm chart', () => {
  it('Chart.yaml and values.yaml parse', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { name: string; apiVersion: string };
    assert.equal(chart.name, 'eris');
    assert.equal(chart.apiVersion, 'v2');
  });

  it('reads only values that values.yaml defines', () => {
    for (const t of templates) {
      for (const m of t.text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) {
        const path = m[1]!.slice(1).split('.');
        assert.ok(has(values, path), `${t.name}: .Values.${path.join('.')} is not in values.yaml`);
      }
    }
  });

  it('passes the agent and the coordinator only flags they know', () => {
    const agentYaml = templates.find((t) => t.name === 'agent-daemonset.yaml')!.text;
    const coordinatorYaml = templates.find((t) => t.name === 'coordinator.yaml')!.text;
    assert.ok(argsOf(agentYaml, 'agent').length >= 10 && argsOf(coordinatorYaml, 'coordinator').length >= 3, 'found the args lists');
    const agentFlags = flagsOf(AGENT_OPTIONS);
    for (const flag of argsOf(agentYaml, 'agent')) assert.ok(agentFlags.has(flag), `agent flag ${flag}`);
    const coordinatorFlags = flagsOf(COORDINATOR_OPTIONS);
    for (const flag of argsOf(coordinatorYaml, 'coordinator')) assert.ok(coordinatorFlags.has(flag), `coordinator flag ${flag}`);
    assert.match(agentYaml, /hostPID: true/);
    assert.match(agentYaml, /privileged: true/);
  });
});
