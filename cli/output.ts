// How the CLI prints: aligned tables for people, JSON for scripts, durations and times in one style.
import { Option, type Command } from 'commander';

export interface OutputOptions {
  output?: string;
  json?: boolean;
}

/** `-o, --output table|json` and its shorthand `--json`. */
export function withOutput(command: Command): Command {
  return command
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--json', 'same as --output json (for scripts)');
}

export function wantsJson(opts: OutputOptions): boolean {
  return opts.json === true || opts.output === 'json';
}

export function printJson(value: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Columns padded to the widest cell; the last column is not padded. On a terminal each line is cut to its width
 * with "…" (a command line would otherwise wrap and break the columns); piped output is never cut, nor is --json.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, width: number | undefined = terminalWidth()): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ''))));
  return `${all
    .map((r) =>
      fit(
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
          .join('  ')
          .trimEnd(),
        width,
      ),
    )
    .join('\n')}\n`;
}

/** The terminal's width when stdout is one (COLUMNS first, as shells export it), else undefined: do not cut. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  if (stream.isTTY !== true) return undefined;
  const fromEnv = Number(process.env.COLUMNS);
  const columns = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : stream.columns;
  return columns > 0 ? columns : undefined;
}

/** A line cut to width visible characters with "…"; colour escapes are kept whole and reset at the cut. */
function fit(line: string, width: number | undefined): string {
  if (width === undefined || visibleLength(line) <= width) return line;
  let out = '';
  let shown = 0;
  for (let i = 0; i < line.length && shown < width - 1; ) {
    const escape = line[i] === '\x1b' ? ANSI.exec(line.slice(i)) : null;
    if (escape?.index === 0) {
      out += escape[0];
      i += escape[0].length;
    } else {
      out += line[i++];
      shown++;
    }
  }
  return `${out}${out.includes('\x1b') ? '\x1b[0m' : ''}…`;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/;
const ANSI_ALL = new RegExp(ANSI.source, 'g');
export function visibleLength(s: string): number {
  return s.replace(ANSI_ALL, '').length;
}

/** Colours for a TTY that wants them (NO_COLOR, FORCE_COLOR, TERM=dumb are honoured). */
export function colors(stream: NodeJS.WriteStream = process.stdout) {
  const on = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0' ? true : stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  const paint = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { on, red: paint('31'), green: paint('32'), yellow: paint('33'), blue: paint('34'), dim: paint('2'), bold: paint('1') };
}
export type Colors = ReturnType<typeof colors>;

/** 850 ms, 1.25 s, 2m05s. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A stopwatch: 00:07.3, 12:04.0. */
export function clock(ms: number): string {
  const tenths = Math.max(0, Math.floor(ms / 100));
  const minutes = Math.floor(tenths / 600);
  const seconds = (tenths % 600) / 10;
  return `${String(minutes).padStart(2, '0')}:${seconds.toFixed(1).padStart(4, '0')}`;
}

/** ISO-like local time, always with its date (a list read tomorrow, or pasted into a ticket, must still say when). */
export function when(at: number | null | undefined): string {
  if (at === null || at === undefined) return '-';
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function ago(at: number | null | undefined, now = Date.now()): string {
  if (at === null || at === undefined) return '-';
  return `${duration(Math.max(0, now - at))} ago`;
}
