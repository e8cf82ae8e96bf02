// Property-based fuzzing (fast-check) of what parses hostile input without a network: the drill parser and the link
// protocol's schemas. Arbitrary values go in; a valid result or a ValidationError naming a path comes out, never
// another exception. The case count is printed (docs/security.md quotes it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { loadDrill } from '../coordinator/drill/validate.js';
import { ValidationError, ErisError } from '../lib/errors.js';
import {
  agentHelloSchema,
  agentUpdateSchema,
  checkLinkValue,
  commandResultSchemas,
  coordinatorMessageSchema,
  parseLinkMessage,
} from '../lib/link/protocol.js';
import { pathsOf, replaceAt } from './harness/json-paths.js';

const SEED = Number(process.env.ERIS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const EXAMPLE = parseYaml(readFileSync(new URL('../examples/freeze-30s-guarded.yaml', import.meta.url), 'utf8')) as unknown;

const EXAMPLE_PATHS = pathsOf(EXAMPLE);
/** Values a parser may meet: JSON, YAML's extras (dates, big numbers), prototypes' names, deep nesting. */
const hostileValue = fc.oneof(
  fc.anything({ maxDepth: 4, withDate: true, withBigInt: true, withNullPrototype: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '', '\u0000', 'x'.repeat(5000), -0, NaN, Infinity, 1e308, -1, 2 ** 53, '1s', '0ms', '99999999h'),
);
/** A valid drill with one node somewhere replaced by something hostile: reaches the semantic checks, not only the top. */
const mutatedDrill = fc
  .tuple(fc.integer({ min: 0, max: EXAMPLE_PATHS.length - 1 }), hostileValue, fc.integer({ min: 1, max: 3 }))
  .map(([i, v]) => replaceAt(EXAMPLE, EXAMPLE_PATHS[i]!, v));
/** Arbitrary text read as YAML (what `eris validate` and a YAML upload do first). */
const yamlish = fc.string({ maxLength: 200, unit: fc.constantFrom(...'apiVersion:kind: Drill\nspec- [ ]{ }"\'&*!|>#0.5e3'.split('')) }).map((text) => {
  try {
    return parseYaml(text, { maxAliasCount: 100, logLevel: 'silent' }) as unknown;
  } catch {
    return text;
  }
});

let cases = 0;

async function drillAnswer(input: unknown): Promise<void> {
  cases++;
  try {
    await loadDrill(input, { jqBudgetMs: 3000 });
  } catch (error) {
    assert.ok(error instanceof ErisError, `not an ErisError: ${(error as Error)?.stack ?? String(error)}`);
    assert.equal(error.status, 400, `${error.code}: ${error.message}`);
    assert.ok(error instanceof ValidationError || error.code.startsWith('ERIS_ERR_'), error.code);
    assert.ok(typeof error.path === 'string', `no path named: ${error.code} ${error.message}`);
  }
}

function linkAnswer(schema: Parameters<typeof checkLinkValue>[0], value: unknown, text: string): void {
  cases += 2;
  for (const r of [checkLinkValue(schema, value, 'msg'), parseLinkMessage(schema, text, 'msg')]) {
    if (r.ok) continue;
    assert.equal(typeof r.problem, 'string');
    assert.ok(r.problem.length > 0 && r.problem.length < 2000, r.problem);
  }
}

describe('fuzz: parsers (fast-check)', { timeout: 120_000 }, () => {
  it('the drill parser answers every value with a drill or a 400 naming a path', async () => {
    const started = performance.now();
    await fc.assert(fc.asyncProperty(fc.oneof(hostileValue, mutatedDrill, mutatedDrill, yamlish), drillAnswer), { numRuns: 8000, seed: SEED });
    // The example itself parses (the mutations start from a valid drill).
    await loadDrill(EXAMPLE);
    console.log(`drill parser: ${cases} cases in ${Math.round(performance.now() - started)} ms (seed ${SEED})`);
  });

  it('a step naming an Object.prototype key as its probe is a 400 naming the step (found by this fuzzing)', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const drill = replaceAt(EXAMPLE, ['spec', 'steps', 0, 'guard'], name);
      await assert.rejects(loadDrill(drill), (e: unknown) => e instanceof ValidationError && e.path === 'spec.steps[0].guard');
    }
  });

  it('the link schemas parse or reject every message, never throw', () => {
    const before = cases;
    const started = performance.now();
    const schemas = [agentHelloSchema, agentUpdateSchema, coordinatorMessageSchema, ...Object.values(commandResultSchemas)];
    const hello = { type: 'hello', protocol: 1, cluster: 'c', node: 'n', containers: [], activeFaults: [] };
    const messages = fc.oneof(
      hostileValue,
      fc.record({ type: fc.constantFrom('hello', 'inventory', 'fault', 'reply', 'command', 'ping', 'x'), id: hostileValue, ok: fc.oneof(fc.boolean(), hostileValue), fault: hostileValue, containers: hostileValue, result: hostileValue, error: hostileValue }, { requiredKeys: ['type'] }),
      fc.tuple(fc.integer({ min: 0, max: pathsOf(hello).length - 1 }), hostileValue).map(([i, v]) => replaceAt(hello, pathsOf(hello)[i]!, v)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: schemas.length - 1 }), messages, fc.string({ maxLength: 300 }), (s, value, raw) => {
        let text: string;
        try {
          text = JSON.stringify(value) ?? raw;
        } catch {
          text = raw; // BigInt and cycles: the text is the random string instead
        }
        linkAnswer(schemas[s]!, value, text);
        linkAnswer(schemas[s]!, raw, raw);
      }),
      { numRuns: 3000, seed: SEED },
    );
    console.log(`link protocol: ${cases - before} cases in ${Math.round(performance.now() - started)} ms (seed ${SEED})`);
  });
});
