#!/usr/bin/env node
// The `eris` executable: the compiled CLI lives in dist/ (built by `npm install` via `prepare`).
import '../dist/cli/main.js';
