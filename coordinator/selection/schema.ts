// The shape of a target group in a drill (`targets.<name>`): which containers or processes, how many, where.
import { z } from 'zod';
import { parseOrThrow } from '../../lib/validation.js';
import { REGEX_MAX_LENGTH, userRegexProblem, userRegexSchema } from '../../lib/user-regex.js';
import { labelKeyProblem, labelValueProblem, tryParseLabelSelector } from './label-selector.js';

export const TOPOLOGY_KEYS = ['node', 'zone'] as const;
export type TopologyKey = (typeof TOPOLOGY_KEYS)[number];

/** An RE2 regular expression, unanchored: write `^…$` to match the whole name (lib/user-regex.ts). */
const regexSchema = userRegexSchema;

/**
 * A name pattern: `/…/` (a leading and a trailing slash, no flags) is an unanchored RE2 regex; anything
 * else is an exact name. Kubernetes cluster and namespace names never contain "/", so the two cannot collide;
 * an entry that starts with "/" but does not end with one (e.g. `/x/i`) is rejected rather than guessed.
 */
const namePatternSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(REGEX_MAX_LENGTH + 2, `must be at most ${REGEX_MAX_LENGTH + 2} characters`)
  .superRefine((entry, ctx) => {
    if (!entry.startsWith('/')) return;
    if (entry.length < 3 || !entry.endsWith('/')) {
      ctx.addIssue({ code: 'custom', message: 'a regex is written /…/ (non-empty, no flags); an exact name has no "/"', input: entry });
      return;
    }
    const problem = userRegexProblem(entry.slice(1, -1));
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: entry });
  });

/** Bounds on a group's lists (each entry may be a regex: matching cost grows with them). */
const MAX_PATTERNS = 100;
const MAX_LABELS = 64;

const labelMapSchema = z.record(z.string(), z.string({ error: 'must be a string' })).superRefine((labels, ctx) => {
  if (Object.keys(labels).length > MAX_LABELS) {
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_LABELS} labels` });
    return;
  }
  for (const [key, value] of Object.entries(labels)) {
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path: [key], input: value });
  }
});

/** Kubernetes label selector syntax; see label-selector.ts. Errors name the 1-based column. */
const labelSelectorStringSchema = z.string().max(4096, 'must be at most 4096 characters').superRefine((selector, ctx) => {
  const result = tryParseLabelSelector(selector);
  if (!result.ok) ctx.addIssue({ code: 'custom', message: `column ${result.error.column}: ${result.error.message}`, input: selector });
});

export const targetGroupSchema = z
  .strictObject({
    /** Cluster names, exact or `/regex/`; a target matches when any entry matches. Absent = every cluster. */
    clusters: z.array(namePatternSchema).min(1, 'must list at least one cluster (leave it out for all)').max(MAX_PATTERNS, `at most ${MAX_PATTERNS} entries`).optional(),
    /** Namespace names, exact or `/regex/` (same rule as clusters). Absent = every namespace. */
    namespaces: z.array(namePatternSchema).min(1, 'must list at least one namespace (leave it out for all)').max(MAX_PATTERNS, `at most ${MAX_PATTERNS} entries`).optional(),
    /** Pod labels: a `{key: value}` map (all must be equal) or a Kubernetes selector string. */
    labels: z
      .union([labelMapSchema, labelSelectorStringSchema], {
        error: 'must be a {key: value} map or a label selector string such as "app=etcd,env in (a,b)"',
      })
      .optional(),
    /** Regex on the pod name (unanchored). */
    pod: regexSchema.optional(),
    /** Regexes on the container name; a target matches when any matches. */
    containers: z.array(regexSchema).min(1, 'must list at least one regex (leave it out for all)').max(MAX_PATTERNS, `at most ${MAX_PATTERNS} entries`).optional(),
    /** Host mode: plain processes whose command line matches. Exclusive with pod and containers. */
    processes: z.strictObject({ cmdline: regexSchema }).optional(),
    /** How many to pick. Exclusive with percent; with neither, every match is picked. */
    count: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').optional(),
    /** Percentage of the matches to pick, 1..100, rounded up (at least 1). Exclusive with count. */
    percent: z.number({ error: 'must be a number' }).min(1, 'must be 1..100').max(100, 'must be 1..100').optional(),
    /** Pick across as many distinct topology domains as possible. Exclusive with pack. */
    spread: z.enum(TOPOLOGY_KEYS, { error: `must be one of ${TOPOLOGY_KEYS.join(', ')}` }).optional(),
    /** Pick from as few topology domains as possible. Exclusive with spread. */
    pack: z.enum(TOPOLOGY_KEYS, { error: `must be one of ${TOPOLOGY_KEYS.join(', ')}` }).optional(),
    /** Makes the pick repeatable; 42 and "42" are the same seed. */
    seed: z.union([z.number().int(), z.string().min(1)], { error: 'must be an integer or a non-empty string' }).optional(),
  })
  .superRefine((g, ctx) => {
    const exclusive = (a: keyof typeof g, b: keyof typeof g, why = '') => {
      if (g[a] !== undefined && g[b] !== undefined) {
        ctx.addIssue({ code: 'custom', message: `cannot be combined with ${String(a)}${why}`, path: [b] });
      }
    };
    exclusive('pod', 'processes', ' (processes selects host processes, not pods)');
    exclusive('containers', 'processes', ' (processes selects host processes, not containers)');
    exclusive('count', 'percent', '; give one');
    exclusive('spread', 'pack', '; give one');
  });

export type TargetGroupInput = z.input<typeof targetGroupSchema>;
export type TargetGroup = z.output<typeof targetGroupSchema>;

/** Validates a target group; errors are ValidationErrors named under `path` (e.g. `targets.member.percent: must be 1..100`). */
export function parseTargetGroup(input: unknown, path = 'targets'): TargetGroup {
  return parseOrThrow(targetGroupSchema, input, path);
}
