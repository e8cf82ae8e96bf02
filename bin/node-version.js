// The Node.js eris needs, checked before anything else is loaded: on an older runtime the import of node:sqlite
// would fail with a bare ERR_UNKNOWN_BUILTIN_MODULE instead of saying what to do. Plain JavaScript, no imports,
// so that it runs on any Node.js.
export const NODE_MAJOR_NEEDED = 26;

/** The error line for a runtime too old for eris, or null when `version` (like `v26.1.0`) will do. */
export function nodeVersionProblem(version, execPath) {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major >= NODE_MAJOR_NEEDED) return null;
  return (
    `eris: ERIS_ERR_NODE_VERSION: needs Node.js >= ${NODE_MAJOR_NEEDED} (the current LTS; the coordinator's store is ` +
    `its built-in node:sqlite), but this is ${version} (${execPath}). Install Node.js ${NODE_MAJOR_NEEDED}, or in a ` +
    'clone of eris run `. scripts/node-lts.sh` first.'
  );
}
