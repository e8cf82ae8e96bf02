// `eris agent` runs on every node for weeks, so what it loads is memory on every node (issue 14: ≤ 48 MiB idle).
// The real binary, started with a resolve hook that records every module it loads (ESM and CommonJS), must not
// load the heavy modules only other commands, or only a linked agent, need. The RSS figures are in
// docs/benchmarks.md (bench/agent-idle.bench.ts); this test guards the module graph, not a timing or a size.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgentProcess, type AgentProcess } from './harness/agent-process.js';
import { assertBuilt } from './cli-harness.js';

const TOKEN = 'module-graph-token';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOOK = fileURLToPath(new URL('./harness/module-graph-hook.mjs', import.meta.url));

/** Never on the agent's path: other commands' dependencies and modules. */
const NOT_FOR_THE_AGENT: ReadonlyArray<{ what: string; match: RegExp }> = [
  { what: 'the coordinator', match: /\/dist\/coordinator\// },
  { what: 'the CLI\'s other commands', match: /\/dist\/cli\/(program|run-command|fleet-commands|coordinator-command|demo\/)/ },
  { what: 'the console', match: /\/dist\/console\// },
  { what: 'jq-wasm', match: /\/node_modules\/jq-wasm\// },
  { what: 'yaml', match: /\/node_modules\/yaml\// },
  { what: 'swagger-ui-dist', match: /\/node_modules\/swagger-ui-dist\// },
  { what: 'node:sqlite', match: /^node:sqlite$/ },
  // `eris agent` parses its flags with node:util parseArgs (cli/agent-main.ts); commander answers only --help.
  { what: 'commander', match: /\/node_modules\/commander\// },
  { what: 'the CLI\'s entry', match: /\/dist\/cli\/(main|agent-command|options)\.js$/ },
  // Only a linked agent (--coordinator) loads the link and its WebSocket client.
  { what: 'the coordinator link (unlinked agent)', match: /\/dist\/daemon\/link\/client\.js$/ },
  { what: 'ws (unlinked agent)', match: /\/node_modules\/ws\// },
  // The agent's API is a small router over node:http (daemon/api/router.ts): hono's web Responses load undici.
  { what: 'hono', match: /\/node_modules\/(hono|@hono\/node-server)\// },
  // Built on the first GET /openapi.json only.
  { what: 'the OpenAPI generator', match: /\/dist\/(daemon\/api\/openapi|lib\/openapi\/document)\.js$/ },
];

/** The CRI client's gRPC stack: replaced by node:http2 and a small protobuf codec in daemon/cri/ (issue 14). */
const GRPC: ReadonlyArray<{ what: string; match: RegExp }> = [
  { what: '@grpc/grpc-js', match: /\/node_modules\/@grpc\/grpc-js\// },
  { what: '@grpc/proto-loader', match: /\/node_modules\/@grpc\/proto-loader\// },
  { what: 'protobufjs', match: /\/node_modules\/(protobufjs|@protobufjs)\// },
];

function offenders(urls: readonly string[], list: typeof NOT_FOR_THE_AGENT): string[] {
  return list.flatMap(({ what, match }) => {
    const hits = urls.filter((u) => match.test(u));
    return hits.length === 0 ? [] : [`${what}: ${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ` (+${hits.length - 3})` : ''}`];
  });
}

describe('eris agent: the modules it loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-module-graph-'));
  const out = join(dir, 'graph.txt');
  const builtinsOut = join(dir, 'builtins.txt');
  let agent: AgentProcess | undefined;
  let urls: string[] = [];
  let builtins: string[] = [];

  before(async () => {
    assertBuilt();
    agent = await startAgentProcess(['--state-dir', join(dir, 'state'), '--no-cri', '--host-processes'], TOKEN, {
      NODE_OPTIONS: `--import=${HOOK}`,
      ERIS_MODULE_GRAPH_OUT: out,
      ERIS_MODULE_LOAD_LIST_OUT: builtinsOut,
    });
    // The routes an idle agent answers (a scrape, a health check, a listing) may load nothing heavy either.
    for (const path of ['/healthz', '/metrics', '/v1/targets', '/v1/faults']) assert.equal((await agent.api('GET', path)).status, 200, path);
    assert.equal(await agent.stop('SIGTERM'), 0);
    urls = [...new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean))];
    builtins = readFileSync(builtinsOut, 'utf8').split('\n').filter(Boolean);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the graph (the hook works)', () => {
    assert.ok(urls.some((u) => u.endsWith('/dist/daemon/agent.js')), `daemon/agent.js not among ${urls.length} modules`);
    assert.ok(urls.every((u) => !u.startsWith('file:') || u.startsWith(`file://${ROOT}`) || u.includes('/node-lts') || !u.includes('/node_modules/')), 'modules from outside the package');
  });

  it('loads none of the coordinator\'s, the CLI\'s or a linked agent\'s modules', () => {
    assert.deepEqual(offenders(urls, NOT_FOR_THE_AGENT), []);
  });

  it('loads no gRPC stack (the CRI client speaks gRPC over node:http2)', () => {
    assert.deepEqual(offenders(urls, GRPC), []);
  });

  // undici (Node's fetch, ~10-15 MiB of RSS) is loaded by web Request/Response objects and by an ES-module import of
  // node:http (its lazy WebSocket getters); the agent imports node:http through createRequire.
  it('loads no undici (Node\'s internal list of the modules it loaded, written at exit)', () => {
    assert.ok(builtins.some((m) => m.includes('http')), `node:http not among ${builtins.length} internal modules`);
    assert.deepEqual(builtins.filter((m) => m.includes('undici')), []);
  });
});
