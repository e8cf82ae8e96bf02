// Kubernetes label selectors (`app=etcd,tier!=cache,env in (a,b),!legacy,has`): parser and matcher.
// ref: kubernetes/apimachinery pkg/labels/selector.go (Lexer/Parser) and pkg/util/validation/validation.go (IsQualifiedName, IsValidLabelValue)
import { ValidationError } from '../../lib/errors.js';
import { clip } from '../../lib/text.js';

export const LABEL_OPERATORS = ['exists', 'doesNotExist', 'equals', 'notEquals', 'in', 'notIn'] as const;
export type LabelOperator = (typeof LABEL_OPERATORS)[number];

export type LabelRequirement =
  | { key: string; operator: 'exists' | 'doesNotExist' }
  | { key: string; operator: 'equals' | 'notEquals'; value: string }
  | { key: string; operator: 'in' | 'notIn'; values: string[] };

/** A parse failure: `column` is 1-based, counted in UTF-16 code units of the selector string. */
export interface LabelSelectorSyntaxError {
  column: number;
  message: string;
}

export type LabelSelectorParse = { ok: true; requirements: LabelRequirement[] } | { ok: false; error: LabelSelectorSyntaxError };

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key (`[prefix/]name`), or null when it is. */
export function labelKeyProblem(key: string): string | null {
  const parts = key.split('/');
  if (parts.length > 2) return `label key "${clip(key, 80)}" has more than one "/"`;
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') return `label key "${clip(key, 80)}" has an empty prefix before "/"`;
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN_RE.test(prefix)) {
      return `label key prefix "${clip(prefix, 80)}" must be a DNS subdomain (lower-case alphanumerics, "-" and ".", at most 253 characters)`;
    }
  }
  if (name === '') return `label key "${clip(key, 80)}" has an empty name`;
  if (name.length > 63) return `label key name "${clip(name, 80)}" is longer than 63 characters`;
  if (!NAME_RE.test(name)) {
    return `label key name "${clip(name, 80)}" must consist of alphanumerics, "-", "_" or "." and start and end with an alphanumeric`;
  }
  return null;
}

/** Why `value` is not a valid label value, or null when it is (the empty string is valid). */
export function labelValueProblem(value: string): string | null {
  if (value === '') return null;
  if (value.length > 63) return `label value "${clip(value, 80)}" is longer than 63 characters`;
  if (!NAME_RE.test(value)) {
    return `label value "${clip(value, 80)}" must consist of alphanumerics, "-", "_" or "." and start and end with an alphanumeric`;
  }
  return null;
}

type TokenKind = 'ident' | '!' | '=' | '==' | '!=' | ',' | '(' | ')' | '<' | '>' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset in the input. */
  at: number;
}

// Characters that end an identifier (the Kubernetes lexer's special symbols, plus whitespace).
const SPECIAL = new Set(['!', '=', ',', '(', ')', '<', '>']);
const isSpace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '!' && input[i + 1] === '=') {
      tokens.push({ kind: '!=', text: '!=', at: i });
      i += 2;
    } else if (ch === '=' && input[i + 1] === '=') {
      tokens.push({ kind: '==', text: '==', at: i });
      i += 2;
    } else if (SPECIAL.has(ch)) {
      tokens.push({ kind: ch as TokenKind, text: ch, at: i });
      i++;
    } else {
      const start = i;
      while (i < input.length && !SPECIAL.has(input[i]!) && !isSpace(input[i]!)) i++;
      tokens.push({ kind: 'ident', text: input.slice(start, i), at: start });
    }
  }
  tokens.push({ kind: 'end', text: '', at: input.length });
  return tokens;
}

class SyntaxFailure {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

const describe = (t: Token) => (t.kind === 'end' ? 'end of input' : `"${t.text}"`);
const isKeyword = (t: Token) => t.kind === 'ident' && (t.text === 'in' || t.text === 'notin');

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'end') this.i++;
    return t;
  }
  private fail(t: Token, message: string): never {
    throw new SyntaxFailure(t.at, message);
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    if (this.peek().kind === 'end') return out; // the empty selector matches everything
    for (;;) {
      out.push(this.requirement());
      const t = this.next();
      if (t.kind === 'end') return out;
      if (t.kind !== ',') this.fail(t, `expected "," or end of input, found ${describe(t)}`);
    }
  }

  private key(): string {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, `expected a label key, found ${describe(t)}`);
    if (isKeyword(t)) this.fail(t, `expected a label key, found the keyword "${t.text}"`);
    const problem = labelKeyProblem(t.text);
    if (problem !== null) this.fail(t, problem);
    return t.text;
  }

  private value(): string {
    const t = this.peek();
    // `key=` (then `,` or the end) is the empty value, as in Kubernetes.
    if (t.kind === ',' || t.kind === 'end') return '';
    this.next();
    if (t.kind !== 'ident') this.fail(t, `expected a label value, found ${describe(t)}`);
    const problem = labelValueProblem(t.text);
    if (problem !== null) this.fail(t, problem);
    return t.text;
  }

  private requirement(): LabelRequirement {
    if (this.peek().kind === '!') {
      this.next();
      const key = this.key();
      const after = this.peek();
      if (after.kind !== ',' && after.kind !== 'end') this.fail(after, `"!${key}" takes no operator; found ${describe(after)}`);
      return { key, operator: 'doesNotExist' };
    }
    const key = this.key();
    const op = this.peek();
    switch (op.kind) {
      case ',':
      case 'end':
        return { key, operator: 'exists' };
      case '=':
      case '==':
        this.next();
        return { key, operator: 'equals', value: this.value() };
      case '!=':
        this.next();
        return { key, operator: 'notEquals', value: this.value() };
      case '<':
      case '>':
        return this.fail(op, `operator "${op.text}" is not supported; use =, ==, !=, in, notin, or a bare key / !key`);
      case 'ident':
        if (isKeyword(op)) {
          this.next();
          return { key, operator: op.text === 'in' ? 'in' : 'notIn', values: this.set(op.text) };
        }
        return this.fail(op, `expected an operator (=, ==, !=, in, notin) after "${key}", found ${describe(op)}`);
      default:
        return this.fail(op, `expected an operator (=, ==, !=, in, notin) after "${key}", found ${describe(op)}`);
    }
  }

  private set(keyword: string): string[] {
    const open = this.next();
    if (open.kind !== '(') this.fail(open, `expected "(" after "${keyword}", found ${describe(open)}`);
    const values: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind !== 'ident') {
        this.fail(t, t.kind === ')' && values.length === 0 ? `"${keyword}" needs at least one value` : `expected a label value, found ${describe(t)}`);
      }
      const problem = labelValueProblem(t.text);
      if (problem !== null) this.fail(t, problem);
      values.push(t.text);
      const sep = this.next();
      if (sep.kind === ')') return values;
      if (sep.kind !== ',') this.fail(sep, `expected "," or ")" in the value list, found ${describe(sep)}`);
    }
  }
}

/** Parses without throwing; errors carry a 1-based column. */
export function tryParseLabelSelector(input: string): LabelSelectorParse {
  try {
    return { ok: true, requirements: new Parser(tokenize(input)).parse() };
  } catch (e) {
    if (e instanceof SyntaxFailure) return { ok: false, error: { column: e.at + 1, message: e.message } };
    throw e;
  }
}

/** Parses a selector string or throws a ValidationError like `targets.etcd.labels: column 9: expected "(" after "in", found "a"`. */
export function parseLabelSelector(input: string, path = 'labels'): LabelRequirement[] {
  const result = tryParseLabelSelector(input);
  if (result.ok) return result.requirements;
  const { column, message } = result.error;
  throw new ValidationError(`${path}: column ${column}: ${message}`, { path, details: { column, selector: input } });
}

/** The requirements of a `{key: value}` map: every key must equal its value. */
export function equalityRequirements(labels: Record<string, string>): LabelRequirement[] {
  return Object.entries(labels).map(([key, value]) => ({ key, operator: 'equals', value }));
}

/**
 * True when `labels` satisfies every requirement (Kubernetes semantics: `!=` and `notin` also match when the
 * key is absent; `=` and `in` need it present).
 */
export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>>): boolean {
  for (const r of requirements) {
    const has = Object.hasOwn(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.operator) {
      case 'exists':
        if (!has) return false;
        break;
      case 'doesNotExist':
        if (has) return false;
        break;
      case 'equals':
        if (value !== r.value) return false;
        break;
      case 'notEquals':
        if (value === r.value) return false;
        break;
      case 'in':
        if (value === undefined || !r.values.includes(value)) return false;
        break;
      case 'notIn':
        if (value !== undefined && r.values.includes(value)) return false;
        break;
    }
  }
  return true;
}

/** Renders requirements back in selector syntax (for previews and logs). */
export function formatLabelSelector(requirements: readonly LabelRequirement[]): string {
  return requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case 'doesNotExist':
          return `!${r.key}`;
        case 'equals':
          return `${r.key}=${r.value}`;
        case 'notEquals':
          return `${r.key}!=${r.value}`;
        case 'in':
          return `${r.key} in (${r.values.join(',')})`;
        case 'notIn':
          return `${r.key} notin (${r.values.join(',')})`;
      }
    })
    .join(',');
}
