// Loaded with `--import` into a child process: appends every module URL the process resolves (import and require
// alike, through module.registerHooks) to the file named by ERIS_MODULE_GRAPH_OUT, one per line.
import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';

const out = process.env.ERIS_MODULE_GRAPH_OUT;
if (out) {
  registerHooks({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      appendFileSync(out, `${resolved.url}\n`);
      return resolved;
    },
  });
}
