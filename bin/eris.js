#!/usr/bin/env node
// The `eris` executable: the compiled CLI lives in dist/ (built by `npm install` via `prepare`).
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version, process.execPath);
if (problem) {
  console.error(problem);
  process.exit(1);
}
await import('../dist/cli/main.js');
