// The drill editor, loaded only when the Drills view opens (its own chunk): CodeMirror 6 with YAML highlighting,
// key completion from the drill JSON Schema the coordinator serves, and the coordinator's own validation
// (POST /v1/drills/validate, the code `eris validate` runs) shown as lint diagnostics at its line:column.
import { EditorView, basicSetup } from 'codemirror';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import type { Text } from '@codemirror/state';

export interface Problem {
  line: number;
  column: number;
  path: string;
  message: string;
}
export interface Check {
  ok: boolean;
  name?: string;
  problems: Problem[];
  warnings: Problem[];
}

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  /** The drill JSON Schema (GET /v1/schemas/drill.json), for key completion. */
  schema: JsonSchema;
  /** Asks the coordinator; called after typing pauses. */
  validate: (text: string) => Promise<Check>;
  onChange: (text: string) => void;
  onChecked: (check: Check) => void;
}

export interface DrillEditor {
  text(): string;
  setText(text: string): void;
  destroy(): void;
}

type JsonSchema = { [key: string]: unknown };

/** 1-based line and column to an offset, clamped to the document. */
function offsetOf(doc: Text, line: number, column: number): number {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  return Math.min(l.from + Math.max(0, column - 1), l.to);
}

export function diagnostics(doc: Text, check: Check): Diagnostic[] {
  const one = (p: Problem, severity: 'error' | 'warning'): Diagnostic => {
    const from = offsetOf(doc, p.line, p.column);
    const to = Math.max(from, doc.lineAt(from).to);
    return { from, to, severity, source: p.path, message: `${p.line}:${p.column}: ${p.path}: ${p.message}` };
  };
  return [...check.problems.map((p) => one(p, 'error')), ...check.warnings.map((p) => one(p, 'warning'))];
}

/** Follows $ref (local #/$defs/…) and the first branch of anyOf/oneOf/allOf that has properties. */
function resolve(root: JsonSchema, s: JsonSchema | undefined, depth = 0): JsonSchema | undefined {
  if (!s || depth > 20) return s;
  if (typeof s.$ref === 'string' && s.$ref.startsWith('#/')) {
    let node: unknown = root;
    for (const part of s.$ref.slice(2).split('/')) node = (node as JsonSchema | undefined)?.[part];
    return resolve(root, node as JsonSchema, depth + 1);
  }
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    const branches = s[k] as JsonSchema[] | undefined;
    if (Array.isArray(branches)) {
      const merged: JsonSchema = { properties: {} };
      for (const b of branches) {
        const r = resolve(root, b, depth + 1);
        if (r?.properties) Object.assign(merged.properties as object, r.properties);
        if (r?.items) merged.items = r.items;
        if (r?.additionalProperties && typeof r.additionalProperties === 'object') merged.additionalProperties = r.additionalProperties;
      }
      return merged;
    }
  }
  return s;
}

/** The keys a map at this indentation may hold: the path is found from the less indented keys above. */
function keysAt(root: JsonSchema, doc: Text, lineNo: number, indent: number): string[] {
  const path: Array<{ key: string | null }> = [];
  let want = indent;
  for (let n = lineNo - 1; n >= 1 && want > 0; n--) {
    const text = doc.line(n).text;
    const m = /^(\s*)(- )?([A-Za-z_][\w-]*)?\s*:?/.exec(text);
    if (!m || text.trim() === '' || text.trim().startsWith('#')) continue;
    const ind = m[1]!.length;
    if (m[2] && ind + 2 === want) {
      path.unshift({ key: null }); // the line is in this list item's map
      want = ind;
    } else if (ind < want) {
      if (m[3]) path.unshift({ key: m[3] });
      if (m[2]) path.unshift({ key: null }); // under a key of a list item
      want = ind;
    }
  }
  let s = resolve(root, root);
  for (const p of path) {
    if (!s) return [];
    if (p.key === null) s = resolve(root, s.items as JsonSchema);
    else {
      const props = s.properties as Record<string, JsonSchema> | undefined;
      s = resolve(root, props?.[p.key] ?? (typeof s.additionalProperties === 'object' ? (s.additionalProperties as JsonSchema) : undefined));
    }
  }
  return Object.keys((s?.properties as object | undefined) ?? {});
}

function schemaKeys(root: JsonSchema) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const line = ctx.state.doc.lineAt(ctx.pos);
    const before = line.text.slice(0, ctx.pos - line.from);
    const m = /^(\s*)(- )?([A-Za-z_][\w-]*)?$/.exec(before);
    if (!m) return null;
    if (!m[3] && !ctx.explicit) return null;
    const indent = m[1]!.length + (m[2] ? 2 : 0);
    const keys = keysAt(root, ctx.state.doc, line.number, indent);
    if (keys.length === 0) return null;
    return { from: ctx.pos - (m[3]?.length ?? 0), options: keys.map((k) => ({ label: k, type: 'property', apply: `${k}: ` })), validFor: /^[\w-]*$/ };
  };
}

export function createEditor(o: EditorOptions): DrillEditor {
  const view = new EditorView({
    parent: o.parent,
    doc: o.doc,
    extensions: [
      basicSetup,
      yaml(),
      lintGutter(),
      autocompletion({ override: [schemaKeys(o.schema)] }),
      linter(
        async (v) => {
          const text = v.state.doc.toString();
          if (text.trim() === '') return [];
          const check = await o.validate(text);
          if (v.state.doc.toString() !== text) return []; // typed meanwhile: the next pass says
          o.onChecked(check);
          return diagnostics(v.state.doc, check);
        },
        { delay: 400 },
      ),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) o.onChange(u.state.doc.toString());
      }),
      EditorView.contentAttributes.of({ 'aria-label': 'Drill YAML' }),
    ],
  });
  return {
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    destroy: () => view.destroy(),
  };
}
