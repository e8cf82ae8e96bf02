// Target selection: which containers or processes a drill step hits. No I/O; randomness only when no seed is given.
export type { TargetRecord, TargetKind } from './types.js';
export { TARGET_KINDS, RUNNING_STATE } from './types.js';
export { targetGroupSchema, parseTargetGroup, TOPOLOGY_KEYS } from './schema.js';
export type { TargetGroup, TargetGroupInput, TopologyKey } from './schema.js';
export {
  LABEL_OPERATORS,
  parseLabelSelector,
  tryParseLabelSelector,
  matchesLabels,
  equalityRequirements,
  formatLabelSelector,
  labelKeyProblem,
  labelValueProblem,
} from './label-selector.js';
export type { LabelOperator, LabelRequirement, LabelSelectorParse, LabelSelectorSyntaxError } from './label-selector.js';
export { select, compileTargetGroup, wantedCount, compareTargets, topologyDomain } from './select.js';
export type { Selection, SelectOptions, CompiledGroup } from './select.js';
export { hashSeed, mulberry32, seededRandom } from './prng.js';
export type { Random } from './prng.js';
