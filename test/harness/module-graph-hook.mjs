// Loaded with `--import` into a child process: appends every module URL the process resolves (import and require
// alike, through module.registerHooks) to the file named by ERIS_MODULE_GRAPH_OUT, one per line.
import { registerHooks } from 'node:module';
import { appendFileSync, writeFileSync } from 'node:fs';

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

// Node's own internal modules (undici among them) are not resolved through hooks: their list is written at exit.
const builtins = process.env.ERIS_MODULE_LOAD_LIST_OUT;
if (builtins) {
  process.on('exit', () => writeFileSync(builtins, `${process.moduleLoadList.join('\n')}\n`));
}
