// Checks a drill's text and finds every problem in it (YAML syntax, schema, references, jq filters), each placed at
// the line and column of the YAML node its path names — for a missing key, the node that should hold it. `eris
// validate` runs it on files; the coordinator on the console editor's text (POST /v1/drills/validate).
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ErisError } from '../../lib/errors.js';
import { formatPath } from '../../lib/validation.js';
import { drillSchema, type Drill } from './schema.js';
import { drillReferenceProblems, drillUnusedWarnings } from './validate.js';
import { checkJqFilter, type JqPool } from '../probes/jq.js';

export interface DrillProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the drill, e.g. `spec.steps[2].timeout`; `(yaml)` for a syntax error. */
  path: string;
  message: string;
}

export interface CheckedDrill {
  file: string;
  /** The document as plain data (what is sent to the coordinator); undefined when the YAML is broken. */
  raw: unknown;
  /** The validated drill when there is no problem. */
  drill: Drill | null;
  problems: DrillProblem[];
  /** What is not wrong but likely a mistake (a probe or target group nothing uses); only for a drill without problems. */
  warnings: DrillProblem[];
}

/** `FILE:LINE:COL: PATH: message`, the way compilers say it (editors jump to it). */
export function formatProblem(p: DrillProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path}: ${p.message}`;
}

/** Where the first alias that names no anchor is, or the start of the text. */
function unresolvedAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined) return undefined;
      offset = alias.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

/** `pool`: a pool to compile filters in (the coordinator's, bounded in time and memory); in-process without one. */
export async function checkDrillText(text: string, file = '<input>', pool?: JqPool): Promise<CheckedDrill> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(1, line), column: Math.max(1, col) };
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({ file, ...at(e.pos[0]), path: '(yaml)', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') }));
    return { file, raw: undefined, drill: null, problems, warnings: [] };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // What parsing cannot see: an alias to no anchor (`a: *b`), or aliases past the bound (a "billion laughs").
    const message = (error as Error).message;
    return { file, raw: undefined, drill: null, problems: [{ file, ...at(unresolvedAliasOffset(doc)), path: '(yaml)', message }], warnings: [] };
  }
  const found: Array<{ path: string; message: string; offset: number }> = [];
  const add = (path: string, text: string, offset: number) => {
    // One line per problem (jq's own message adds a caret drawing below).
    const message = text.split('\n')[0]!.replace(/:\s*$/, '');
    if (!found.some((f) => f.path === path && f.message === message)) found.push({ path, message, offset });
  };

  const parsed = drillSchema.safeParse(raw);
  let drill: Drill | null = null;
  if (parsed.success) {
    drill = parsed.data;
    for (const p of drillReferenceProblems(drill)) add(p.path, p.message, locate(doc, p.path));
  } else {
    for (const issue of parsed.error.issues) {
      for (const { path, message, atKey } of issueProblems(issue)) add(formatPath(path) || '(root)', missingKey(raw, path) ? required(message) : message, locateSegments(doc, path, atKey));
    }
    // References too, so one run reports every problem: checked on the raw document where its shape allows.
    for (const p of lenientReferenceProblems(raw)) if (!found.some((f) => f.path === p.path)) add(p.path, p.message, locate(doc, p.path));
  }
  // jq filters are compiled even when the schema failed elsewhere, so one run reports every problem.
  for (const [name, filter] of jqFilters(raw)) {
    const path = `spec.probes.${name}.jq`;
    if (found.some((f) => f.path === path)) continue;
    try {
      await (pool !== undefined ? pool.compile(filter, path) : checkJqFilter(filter, path));
    } catch (error) {
      if (!(error instanceof ErisError)) throw error;
      add(path, error.message.startsWith(`${path}: `) ? error.message.slice(path.length + 2) : error.message, locateSegments(doc, ['spec', 'probes', name, 'jq']));
    }
  }
  const problems = found.map((f) => ({ file, ...at(f.offset), path: f.path, message: f.message })).sort((a, b) => a.line - b.line || a.column - b.column);
  const valid = problems.length === 0 ? drill : null;
  const warnings = valid ? drillUnusedWarnings(valid).map((w) => ({ file, ...at(locate(doc, w.path)), path: w.path, message: w.message })) : [];
  return { file, raw, drill: valid, problems, warnings };
}

/**
 * The reference problems of a drill the schema refused (`no probe "helth"` beside a schema error): the raw document
 * with the schema's defaults filled in, when targets, probes and steps have the right shape; nothing otherwise.
 */
function lenientReferenceProblems(raw: unknown): Array<{ path: string; message: string }> {
  const isMapLike = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const spec = isMapLike(raw) ? raw.spec : undefined;
  if (!isMapLike(spec)) return [];
  const targets = spec.targets ?? {};
  const probes = spec.probes ?? {};
  const steadyState = spec.steadyState ?? [];
  const steps = spec.steps ?? [];
  if (!isMapLike(targets) || !isMapLike(probes) || !Array.isArray(steadyState) || !Array.isArray(steps)) return [];
  try {
    return drillReferenceProblems({ ...(raw as object), spec: { ...spec, targets, probes, steadyState, steps } } as unknown as Drill);
  } catch {
    return []; // a shape the walk does not expect: the schema's problems say enough
  }
}

/** Whether the last key of `path` is absent from its map in the raw document (a missing required field). */
function missingKey(raw: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0 || typeof path.at(-1) !== 'string') return false;
  let node: unknown = raw;
  for (const segment of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) && !Object.hasOwn(node, path.at(-1) as string);
}

/** `must be a duration: …` for a field left out reads `required (a duration: …)`. */
function required(message: string): string {
  const what = /^must be (.*)$/s.exec(message)?.[1];
  return what !== undefined ? `required (${what})` : /required/i.test(message) ? message : `required: ${message}`;
}

/** One problem per zod issue, except that every unknown key of an object is its own problem, at that key. */
function issueProblems(issue: z.core.$ZodIssue): Array<{ path: PropertyKey[]; message: string; atKey?: boolean }> {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown key ${JSON.stringify(key)}`, atKey: true }));
  }
  return [{ path: issue.path, message: issue.message }];
}

function jqFilters(raw: unknown): Array<[string, string]> {
  const probes = (raw as { spec?: { probes?: unknown } } | null)?.spec?.probes;
  if (probes === null || typeof probes !== 'object' || Array.isArray(probes)) return [];
  return Object.entries(probes as Record<string, unknown>).flatMap(([name, probe]) => {
    const jq = (probe as { jq?: unknown } | null)?.jq;
    return typeof jq === 'string' && jq.trim() !== '' ? [[name, jq.trim()] as [string, string]] : [];
  });
}

/** Walks the document along `path` as far as it goes; the offset of the last node reached. */
function walk(doc: Document, next: (node: Node, keys: string[]) => { key: string | number; atKey?: boolean } | null): number {
  let node = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  while (node) {
    if (isMap(node)) {
      const keys = node.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key)));
      const step = next(node, keys);
      if (step === null) break;
      const pair = node.items[keys.indexOf(String(step.key))];
      if (!pair) break;
      const value = pair.value as Node | null;
      // A scalar's problem is in its value; a map's or a list's, at its key.
      const keyNode = pair.key as Node | null;
      offset = !step.atKey && value && isScalar(value) && value.value !== null && value.range ? value.range[0] : (keyNode?.range?.[0] ?? offset);
      node = value;
    } else if (isSeq(node)) {
      const step = next(node, []);
      if (step === null || typeof step.key !== 'number') break;
      const item = node.items[step.key] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/** Exact segments (from zod); `atKey`: the last one's key rather than its value (an unknown key). */
function locateSegments(doc: Document, segments: readonly PropertyKey[], atKey = false): number {
  let i = 0;
  return walk(doc, (node, keys) => {
    if (i >= segments.length) return null;
    const segment = segments[i]!;
    if (isSeq(node)) {
      if (typeof segment !== 'number') return null;
      i++;
      return { key: segment };
    }
    if (!keys.includes(String(segment))) return null;
    i++;
    return { key: String(segment), atKey: atKey && i === segments.length };
  });
}

/**
 * A formatted path (`spec.targets.m.percent`, `spec.steps[2].timeout`). Names may contain dots (`app.kubernetes.io/name`),
 * so at each map the longest key that the rest of the path starts with is taken.
 */
export function locate(doc: Document, path: string): number {
  let rest = path === '(root)' ? '' : path;
  return walk(doc, (node, keys) => {
    rest = rest.replace(/^\./, '');
    if (rest === '') return null;
    if (isSeq(node)) {
      const m = /^\[(\d+)\]/.exec(rest);
      if (!m) return null;
      rest = rest.slice(m[0].length);
      return { key: Number(m[1]) };
    }
    const key = keys
      .filter((k) => rest === k || rest.startsWith(`${k}.`) || rest.startsWith(`${k}[`))
      .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) return null;
    rest = rest.slice(key.length);
    return { key };
  });
}
