#!/usr/bin/env node
// The `eris` executable: the compiled CLI lives in dist/ (built by `npm install` via `prepare`).
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version, process.execPath);
if (problem) {
  console.error(problem);
  process.exit(1);
}
// `eris agent` idles for weeks on a live heap of ~20 MB: V8's default young generation alone keeps ~15 MiB more
// resident than the agent needs (issue 14). The limit is read only at start-up, so the agent re-executes itself
// with it — execve: the same PID, stdio and environment, no second process. An operator's own setting wins.
const SEMI_SPACE = '--max-semi-space-size';
if (
  process.argv[2] === 'agent' &&
  typeof process.execve === 'function' &&
  !process.execArgv.some((a) => a.startsWith(SEMI_SPACE)) &&
  !(process.env.NODE_OPTIONS ?? '').includes(SEMI_SPACE)
) {
  process.execve(process.execPath, [process.execPath, `${SEMI_SPACE}=1`, ...process.execArgv, ...process.argv.slice(1)]);
}
// The agent's own entry leaves commander (and the rest of the CLI) unloaded: memory on every node (issue 14).
await import(process.argv[2] === 'agent' ? '../dist/cli/agent-main.js' : '../dist/cli/main.js');
