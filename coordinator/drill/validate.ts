// Loads a drill: the schema first, then what a schema cannot say (references between targets, probes and
// steps; jq filters compiled by jq). Every error names the path.
import { ValidationError } from '../../lib/errors.js';
import { parseOrThrow } from '../../lib/validation.js';
import { checkJqFilter, type JqPool } from '../probes/jq.js';
import { JqTooCostlyError } from '../probes/errors.js';
import { probeUsesTarget, type ProbeSpec } from '../probes/spec.js';
import { drillSchema, type Drill } from './schema.js';
import { eachStep } from './each-step.js';

export interface DrillProblem {
  path: string;
  message: string;
}

/** Semantic problems of a drill that passed the schema (no jq). */
export function drillReferenceProblems(drill: Drill): DrillProblem[] {
  const problems: DrillProblem[] = [];
  const groups = new Set(Object.keys(drill.spec.targets));
  const probes = drill.spec.probes;
  const checkGroup = (group: string | undefined, path: string) => {
    if (group !== undefined && !groups.has(group)) problems.push({ path, message: `no target group "${group}" (groups: ${[...groups].join(', ')})` });
  };
  const checkProbe = (name: string, group: string | undefined, path: string, targetPath: string) => {
    // Own keys only: a step naming `constructor` or `toString` must not find Object.prototype's (a fuzzed crash).
    const probe = Object.hasOwn(probes, name) ? (probes[name] as ProbeSpec) : undefined;
    if (!probe) {
      problems.push({ path, message: `no probe "${name}" (probes: ${Object.keys(probes).join(', ') || 'none'})` });
      return;
    }
    if (probeUsesTarget(probe) && group === undefined) {
      problems.push({ path: targetPath, message: `probe "${name}" uses {{target.*}}: name the target group it is evaluated for` });
    }
  };
  drill.spec.steadyState.forEach((name, i) => checkProbe(name, undefined, `spec.steadyState[${i}]`, `spec.steadyState[${i}]`));
  eachStep(drill.spec.steps, 'spec.steps', (step, p) => {
    if ('signal' in step) {
      checkGroup(step.target, `${p}.target`);
      if (step.lease !== undefined && step.signal !== 'SIGSTOP') problems.push({ path: `${p}.lease`, message: 'only a SIGSTOP step has a lease' });
    } else if ('wait' in step) {
      checkGroup(step.target, `${p}.target`);
      checkProbe(step.wait, step.target, `${p}.wait`, `${p}.target`);
    } else if ('probe' in step) {
      checkGroup(step.target, `${p}.target`);
      checkProbe(step.probe, step.target, `${p}.probe`, `${p}.target`);
    } else if ('guard' in step) {
      checkGroup(step.target, `${p}.target`);
      checkProbe(step.guard, step.target, `${p}.guard`, `${p}.target`);
    }
  });
  return problems;
}

/**
 * Target groups and probes a drill defines but no step (nor steadyState) names: not wrong, but often a typo's other
 * half or a step left out, so `eris validate` says so as a warning.
 */
export function drillUnusedWarnings(drill: Drill): DrillProblem[] {
  const groups = new Set<string>();
  const probes = new Set<string>(drill.spec.steadyState);
  eachStep(drill.spec.steps, 'spec.steps', (step) => {
    if ('target' in step && step.target !== undefined) groups.add(step.target);
    if ('wait' in step) probes.add(step.wait);
    else if ('probe' in step) probes.add(step.probe);
    else if ('guard' in step) probes.add(step.guard);
  });
  return [
    ...Object.keys(drill.spec.targets).filter((g) => !groups.has(g)).map((g) => ({ path: `spec.targets.${g}`, message: `target group "${g}" is not used by any step` })),
    ...Object.keys(drill.spec.probes).filter((p) => !probes.has(p)).map((p) => ({ path: `spec.probes.${p}`, message: `probe "${p}" is not used by steadyState or any step` })),
  ];
}

/** Validates a drill completely or throws the first problem as a ValidationError naming its path. */
export interface LoadDrillOptions {
  /**
   * Where jq filters are compile-checked: a pool (workers bounded in time and memory, off the calling thread — what a
   * server must use), or, absent, the calling thread (the CLI).
   */
  jq?: JqPool;
  /** All of a drill's filters together may take this long to compile. Default 3000 ms. */
  jqBudgetMs?: number;
}

export async function loadDrill(input: unknown, options: LoadDrillOptions = {}): Promise<Drill> {
  const drill = parseOrThrow(drillSchema, input);
  const problems = drillReferenceProblems(drill);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new ValidationError(`${first.path}: ${first.message}`, { path: first.path, details: { problems } });
  }
  // A hundred probes each just under the per-filter bound would still hold a worker for minutes: one budget a drill.
  const budgetMs = options.jqBudgetMs ?? 3000;
  const started = performance.now();
  for (const [name, probe] of Object.entries(drill.spec.probes)) {
    if (probe.jq === undefined) continue;
    const path = `spec.probes.${name}.jq`;
    if (options.jq !== undefined) await options.jq.compile(probe.jq, path);
    else await checkJqFilter(probe.jq, path);
    if (performance.now() - started > budgetMs) {
      throw new JqTooCostlyError(`${path}: the drill's jq filters took longer than ${budgetMs} ms to compile`, { path });
    }
  }
  return drill;
}
