// Probes: HTTP(S) checks judged by status and jq, with jq off the main thread. See README.md.
export { duration, positiveDuration, parseDuration, formatDuration, MAX_DURATION_MS } from './duration.js';
export {
  probeSpecSchema,
  parseProbeSpec,
  validateProbe,
  renderProbe,
  probeUsesTarget,
  PROBE_METHODS,
  TARGET_FIELDS,
} from './spec.js';
export type { ProbeSpec, ProbeSpecInput, RenderedProbe, ProbeTarget, ProbeMethod, StatusExpectation, StatusClass, TargetField } from './spec.js';
export { JqPool, checkJqFilter, loadInThreadJq } from './jq.js';
export type { JqPoolOptions, JqEvaluation } from './jq.js';
export { ProbeRunner, judgeJqOutputs, statusMatches } from './runner.js';
export type { ProbeResult, ProbeRunnerOptions, WaitForOptions, WaitForResult } from './runner.js';
export { JqRuntimeError, JqInputError, JqTimeoutError, JqWorkerError } from './errors.js';
