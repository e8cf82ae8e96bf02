// Walking and rewriting JSON-ish values by path: how the fuzz tests mutate one node of a valid document at a time.

export type JsonPath = (string | number)[];

/** Every path (as key lists) inside a JSON-ish value, the root (`[]`) first. */
export function pathsOf(value: unknown, prefix: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

/** A copy of `value` with the thing at `path` replaced (or, at the root, `replacement` itself). */
export function replaceAt(value: unknown, path: JsonPath, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const [head, ...rest] = path;
  copy[head!] = replaceAt(copy[head!], rest, replacement);
  return copy;
}
