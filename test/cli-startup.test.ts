// How the daemons start, through the real binary: a start-up failure is one line naming the flag (no stack trace);
// "generated" is said only when a token was generated; logs are JSON on a pipe and readable with --log-format pretty.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, assertBuilt, cleanEnv, collect, runCli, spawnCli } from './cli-harness.js';
import { waitFor } from './harness/processes.js';
import { defaultDataDir } from '../coordinator/config.js';

describe('eris agent start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-cli-startup-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['agent', '--no-cri', '--host-processes', '--listen', '127.0.0.1:0'];

  /** Starts the agent, waits for `ready` in its output, stops it with SIGTERM; its output and exit code. */
  const startAndStop = async (args: string[], ready: RegExp) => {
    const child = spawnCli(args);
    const result = collect(child, 20_000);
    child.stdin!.end();
    try {
      await waitFor(() => ready.test(result.output().stdout), 15_000, `${ready}`);
    } finally {
      child.kill('SIGTERM');
    }
    return result;
  };

  it('a non-root agent with the default state dir says so in one line naming --state-dir (exit 2)', async (t) => {
    assertBuilt();
    // As root, run it as nobody (the path a new user takes); otherwise this user is already not root.
    const asNobody = process.getuid?.() === 0;
    if (asNobody && spawnSync('setpriv', ['--version']).status !== 0) return t.skip('no setpriv to drop root');
    // CI's clone may sit in a 0700 directory nobody cannot enter: CAP_DAC_READ_SEARCH lets it read the package, and
    // grants no write, so the mkdir of /var/lib/eris is still refused.
    const READ_ANYWHERE = ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];
    const argv = [process.execPath, BIN, 'agent', '--no-cri', '--host-processes', '--listen', '127.0.0.1:0'];
    const r = asNobody
      ? spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...READ_ANYWHERE, ...argv], { cwd: ROOT, env: cleanEnv({ ERIS_AGENT_STATE_DIR: undefined }), encoding: 'utf8', timeout: 20_000 })
      : spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^eris: --state-dir: no permission to \w+ \/var\/lib\/eris.*\(--state-dir DIR or ERIS_AGENT_STATE_DIR\)$/);
  });

  it('an address in use names --listen (exit 2)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runCli(['agent', '--no-cri', '--host-processes', '--state-dir', join(dir, 'busy'), '--listen', `127.0.0.1:${port}`]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `eris: --listen: cannot listen on 127.0.0.1:${port}: the address is in use (--listen HOST:PORT or ERIS_AGENT_LISTEN)\n`);
    } finally {
      server.close();
    }
  });

  it('"generated one" only when it was generated; the next start says it reuses it', async () => {
    const state = ['--state-dir', join(dir, 'token')];
    const first = await startAndStop([...base, ...state], /eris-agent listening/);
    assert.match(first.stdout, /"msg":"no token configured: generated one; only that token is accepted"/);
    const second = await startAndStop([...base, ...state, '--log-format', 'json'], /eris-agent listening/);
    assert.doesNotMatch(second.stdout, /generated one/);
    assert.match(second.stdout, /"msg":"no token configured: using the one generated earlier; only that token is accepted"/);
  });

  it('--log-format pretty: one readable line per record, no JSON', async () => {
    const r = await startAndStop([...base, '--state-dir', join(dir, 'pretty'), '--log-format', 'pretty'], /eris-agent: eris-agent listening/);
    assert.match(r.stdout, /^\d\d:\d\d:\d\d INFO  eris-agent: eris-agent listening .*url=http:\/\/127\.0\.0\.1:\d+/m);
    assert.match(r.stdout, /^\d\d:\d\d:\d\d WARN  eris-agent: no token configured: generated one/m);
    assert.doesNotMatch(r.stdout, /^\{/m);
    const bad = await runCli([...base, '--log-format', 'xml']);
    assert.equal(bad.code, 2);
    // Config errors name the flag and its variable, not the config key.
    assert.equal(bad.stderr, 'eris: ERIS_ERR_CONFIG: --log-format: Invalid option: expected one of "pretty"|"json" (or ERIS_LOG_FORMAT)\n');
    const noTarget = await runCli(['agent', '--no-cri', '--state-dir', join(dir, 'x')]);
    assert.equal(noTarget.code, 2);
    assert.equal(noTarget.stderr, 'eris: ERIS_ERR_CONFIG: --no-cri: without a runtime the agent needs --host-processes, or it has nothing to target (or ERIS_NO_CRI)\n');
  });
});

describe('eris coordinator start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eris-coord-startup-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the default --data-dir is /var/lib/eris-coordinator as root, else the XDG state folder', () => {
    assert.equal(defaultDataDir({ XDG_STATE_HOME: '/x/state' }, 0), '/var/lib/eris-coordinator');
    assert.equal(defaultDataDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' }, 1000), '/x/state/eris-coordinator');
    // A relative XDG_STATE_HOME is invalid (XDG Base Directory spec): ignored.
    assert.equal(defaultDataDir({ XDG_STATE_HOME: 'rel', HOME: '/home/u' }, 1000), '/home/u/.local/state/eris-coordinator');
  });

  /** `eris coordinator --listen 127.0.0.1:0` without --data-dir as a user that is not root (nobody, when this is root). */
  const spawnNonRoot = (env: Record<string, string>, cwd: string) => {
    const argv = [process.execPath, BIN, 'coordinator', '--listen', '127.0.0.1:0'];
    const READ_ANYWHERE = ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];
    const [cmd, ...args] = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...READ_ANYWHERE, ...argv] : argv;
    return spawn(cmd!, args, { cwd, env: cleanEnv({ ...env, ERIS_DATA_DIR: undefined, ERIS_COORDINATOR_TOKEN: undefined }), stdio: ['ignore', 'pipe', 'pipe'] });
  };
  /** Folders open to nobody (mkdtemp makes 0700). */
  const openDir = (name: string) => {
    chmodSync(dir, 0o777);
    const d = mkdtempSync(join(dir, name));
    chmodSync(d, 0o777);
    return d;
  };

  it('a non-root coordinator without --data-dir keeps its state under $XDG_STATE_HOME, not in the current folder', async (t) => {
    assertBuilt();
    if (process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status !== 0) return t.skip('no setpriv to drop root');
    const state = openDir('state-');
    const cwd = openDir('cwd-');
    // setpriv execs the CLI: the child's pid is the coordinator's.
    const child = spawnNonRoot({ XDG_STATE_HOME: state }, cwd);
    const result = collect(child, 20_000);
    try {
      await waitFor(() => /eris-coordinator listening/.test(result.output().stdout), 15_000, 'listening');
    } finally {
      child.kill('SIGTERM');
    }
    const r = await result;
    assert.match(r.stdout, new RegExp(`"dataDir":"${join(state, 'eris-coordinator')}"`));
    assert.ok(existsSync(join(state, 'eris-coordinator', 'eris.db')), 'eris.db in the XDG state folder');
    assert.deepEqual(readdirSync(cwd), [], 'nothing written to the current folder');
  });

  it('a default --data-dir it cannot create is one line naming --data-dir (exit 2)', async (t) => {
    assertBuilt();
    if (process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status !== 0) return t.skip('no setpriv to drop root');
    const cwd = openDir('cwd-');
    const file = join(cwd, 'a-file');
    writeFileSync(file, '');
    const r = await collect(spawnNonRoot({ XDG_STATE_HOME: file }, cwd), 20_000);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^eris: --data-dir: ENOTDIR on \/.*a-file.*\(--data-dir DIR or ERIS_DATA_DIR\)\n$/);
  });
});
