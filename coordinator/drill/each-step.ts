// One walk over a drill's steps, for everything that reads them all (validation, warnings, metrics).
import type { Step } from './schema.js';

/** Visits every step with its path, depth first: the branches of a `parallel` and the steps a `guard` holds too. */
export function eachStep(steps: readonly Step[], path: string, visit: (step: Step, path: string) => void): void {
  steps.forEach((step, i) => {
    const p = `${path}[${i}]`;
    visit(step, p);
    if ('parallel' in step) step.parallel.forEach((b, j) => eachStep(b.steps, `${p}.parallel[${j}].steps`, visit));
    else if ('guard' in step) eachStep(step.steps, `${p}.steps`, visit);
  });
}
