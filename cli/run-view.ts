// What `eris run` shows while a run goes on: a live view redrawn in place on a terminal, plain lines elsewhere,
// and the summary at the end (steps, and per target the time to detect and the time to recover).
import type { RunEvent, RunReport, StepRecord, TargetRecord, TimelineEntry } from '../sdk/types.js';
import { targetKey } from '../coordinator/engine/targets.js';
import { targetName } from '../coordinator/engine/target-name.js';
import { clock, duration, table, type Colors } from './output.js';

type ProbeState = Extract<RunEvent, { type: 'probe' }>['data'];

/** Everything the events said so far. */
export class RunProgress {
  readonly steps = new Map<string, StepRecord>();
  readonly picks = new Map<string, { wanted: number; matched: number; picked: TargetRecord[] }>();
  readonly labels = new Map<string, string>();
  readonly timeline = new Map<string, TimelineEntry>();
  readonly probes = new Map<string, ProbeState>();
  status = 'running';
  seed = '…';
  aborting = false;
  resumed: { faults: number; errors: number } | null = null;

  constructor(
    readonly runId: string,
    readonly drill: string,
    public startedAt: number,
  ) {}

  apply(e: RunEvent): void {
    switch (e.type) {
      case 'run':
        if (e.data.status === 'running') {
          this.startedAt = e.data.at;
          this.seed = e.data.seed;
        }
        this.status = e.data.status;
        break;
      case 'step':
        this.steps.set(e.data.path, e.data);
        break;
      case 'selection':
        this.picks.set(e.data.group, { wanted: e.data.wanted, matched: e.data.matched, picked: e.data.picked });
        for (const t of e.data.picked) this.labels.set(targetKey(t), targetLabel(t));
        break;
      case 'timeline':
        this.timeline.set(targetKey(e.data.target), e.data);
        // The engine's name follows a restarted host process to its new pid.
        if (e.data.target.name !== undefined) this.labels.set(targetKey(e.data.target), e.data.target.name);
        break;
      case 'probe':
        this.probes.set(`${e.data.probe}\u0000${e.data.target ?? ''}`, e.data);
        break;
      case 'resumed':
        this.resumed = { faults: e.data.faults, errors: e.data.errors };
        break;
      default:
        break;
    }
  }

  label(key: string | undefined): string {
    if (key === undefined) return '';
    return this.labels.get(key) ?? key;
  }
}

/** As users name a target (coordinator/engine/target-name.ts): `default/etcd-0 (etcd) on node-1`, `name=m0 (pid 913) on node-1`. */
export function targetLabel(t: Pick<TargetRecord, 'node' | 'namespace' | 'pod' | 'container'> & { kind: string; pid?: number | undefined; labels?: Record<string, string> | undefined }): string {
  return targetName(t);
}

export interface RunView {
  onEvent(event: RunEvent): void;
  /** Says the run is being aborted (Ctrl-C). */
  note(message: string): void;
  close(): void;
}

const MARK = { running: '▶', passed: '✔', failed: '✘', skipped: '-' } as const;

function stepMark(c: Colors, status: StepRecord['status']): string {
  const mark = MARK[status];
  return status === 'passed' ? c.green(mark) : status === 'failed' ? c.red(mark) : status === 'running' ? c.yellow(mark) : c.dim(mark);
}

/** One line per thing that happened, prefixed with the time since the run started. Probes only when they change. */
export function plainView(stream: NodeJS.WritableStream, progress: RunProgress, c: Colors): RunView {
  const last = new Map<string, boolean>();
  const line = (at: number, text: string) => stream.write(`${c.dim(`[${clock(at - progress.startedAt)}]`)} ${text}\n`);
  return {
    onEvent(e) {
      const before = e.type === 'timeline' ? progress.timeline.get(targetKey(e.data.target)) : undefined;
      const known = before ? { detected: before.detectedAt, recovered: before.recoveredAt, injected: before.injected.length } : null;
      progress.apply(e);
      switch (e.type) {
        case 'run':
          if (e.data.status === 'running') line(e.data.at, `run ${progress.runId} started: drill ${e.data.drill}, seed ${e.data.seed}`);
          else line(e.data.at, `run ${e.data.status}${e.data.error ? `: ${e.data.error.message}` : ''}`);
          break;
        case 'step': {
          const s = e.data;
          if (s.status === 'running') line(e.data.at, `${stepMark(c, s.status)} ${s.name} ${c.dim(`(${s.path})`)}`);
          else line(e.data.at, `${stepMark(c, s.status)} ${s.name} ${s.status} in ${duration(s.durationMs)}${skewNote(s)}${s.error ? `: ${s.error.message}` : ''}`);
          break;
        }
        case 'selection':
          line(e.data.at, `${e.data.group}: picked ${e.data.picked.length} of ${e.data.matched} (seed ${e.data.seed}): ${e.data.picked.map(targetLabel).join(', ')}`);
          break;
        case 'fault':
          // A SIGKILL or SIGCONT fault is `done` as soon as it is sent, and a SIGSTOP fault whose processes a later
          // step killed has nothing left to hold: no news. One that ended early for another reason (its lease
          // expired, its agent was lost) is, and stays visible.
          if (e.data.endedEarly && (e.data.state === 'done' || e.data.resumeReason === 'processes-gone')) break;
          // Ended by the SIGCONT whose own line was just printed: that line says it.
          if (e.data.endedBy === 'sigcont') break;
          if (e.data.endedEarly) line(e.data.at, c.yellow(`${e.data.signal} fault ${e.data.faultId.slice(0, 8)} on ${e.data.agent} ended before the run did: ${e.data.state}${e.data.resumeReason ? ` (${e.data.resumeReason})` : ''}`));
          else line(e.data.at, `${e.data.signal} ${e.data.result} on ${e.data.targets.map((k) => progress.label(k)).join(', ')} (${duration(e.data.durationMs)})`);
          break;
        case 'probe': {
          const key = `${e.data.probe}\u0000${e.data.target ?? ''}`;
          if (last.get(key) === e.data.ok) break;
          last.set(key, e.data.ok);
          const where = e.data.target ? ` ${progress.label(e.data.target)}` : '';
          line(e.data.at, `probe ${e.data.probe}${where}: ${e.data.ok ? c.green('pass') : c.red(`fail${e.data.reason ? `: ${e.data.reason}` : ''}`)}`);
          break;
        }
        case 'timeline': {
          const t = e.data;
          const label = targetLabel(t.target);
          if (t.detectedAt !== undefined && known?.detected === undefined) line(e.data.at, `${label}: detected after ${duration(t.timeToDetectMs)}`);
          if (t.recoveredAt !== undefined && known?.recovered === undefined) line(e.data.at, `${label}: recovered after ${duration(t.timeToRecoverMs)} (outage ${duration(t.outageMs)})`);
          break;
        }
        case 'resumed':
          // The summary right after says it (once); said here only when something could not be resumed.
          if (e.data.errors > 0 || (e.data.seen?.stopped ?? 0) > 0) line(e.data.at, `resumed ${e.data.faults} fault${e.data.faults === 1 ? '' : 's'}${e.data.errors ? c.red(` (${e.data.errors} could not be resumed: the agents' leases will)`) : ''}${stillStopped(e.data, c)}`);
          break;
        default:
          break;
      }
    },
    note(message) {
      line(Date.now(), c.yellow(message));
    },
    close() {},
  };
}

/** A block redrawn in place (ANSI: cursor up, clear to the end): header, steps, targets, last probe states. */
export function liveView(stream: NodeJS.WriteStream, progress: RunProgress, c: Colors): RunView {
  let drawn = 0;
  let notes: string[] = [];
  let closed = false;
  // A pseudo-terminal without a size says 0 columns.
  const width = () => Math.max(40, (stream.columns || Number(process.env.COLUMNS) || 100) - 1);
  const fit = (s: string) => {
    // Cut on visible characters; colour codes are kept and reset.
    let visible = 0;
    let out = '';
    for (const part of s.split(/(\x1b\[[0-9;?]*[A-Za-z])/)) {
      if (part.startsWith('\x1b[')) {
        out += part;
        continue;
      }
      const room = width() - visible;
      if (room <= 0) break;
      out += part.length > room ? `${part.slice(0, room - 1)}…` : part;
      visible += Math.min(part.length, room);
    }
    return c.on ? `${out}\x1b[0m` : out;
  };

  const render = () => {
    const now = Date.now();
    const lines: string[] = [];
    const status = progress.aborting && progress.status === 'running' ? c.yellow('aborting…') : progress.status === 'running' ? c.yellow('running') : progress.status === 'passed' ? c.green(progress.status) : c.red(progress.status);
    lines.push(`${c.bold(`drill ${progress.drill}`)}  run ${progress.runId.slice(0, 8)}  seed ${progress.seed}  ${c.bold(clock(now - progress.startedAt))}  ${status}`);
    const steps = [...progress.steps.values()];
    const shown = steps.slice(-8);
    if (steps.length > shown.length) lines.push(c.dim(`  … ${steps.length - shown.length} earlier steps`));
    for (const s of shown) {
      const time = s.status === 'running' ? clock(now - s.startedAt) : duration(s.durationMs);
      lines.push(`  ${stepMark(c, s.status)} ${s.name}  ${c.dim(time)}${s.error ? `  ${c.red(s.error.message)}` : ''}`);
    }
    if (progress.picks.size > 0) {
      lines.push(`${c.dim('picked')}  ${[...progress.picks].map(([group, p]) => `${group} ${p.picked.length} of ${p.matched}`).join(' · ')}`);
    }
    if (progress.timeline.size > 0) {
      lines.push(c.dim('targets'));
      const rows: string[] = [];
      for (const [key, t] of progress.timeline) {
        const first = t.injected[0]?.at ?? now;
        const signals = t.injected.map((i) => i.signal).join(', ');
        const detect = t.timeToDetectMs !== undefined ? `detected ${duration(t.timeToDetectMs)}` : `out ${clock(now - first)}`;
        const recover = t.timeToRecoverMs !== undefined ? c.green(`recovered ${duration(t.timeToRecoverMs)}`) : t.detectedAt !== undefined ? c.yellow('not recovered yet') : '';
        rows.push(`  ${t.group}  ${progress.label(key)}  ${signals}  ${detect}  ${recover}`);
      }
      lines.push(...rows.slice(0, 10));
      if (rows.length > 10) lines.push(c.dim(`  … ${rows.length - 10} more`));
    }
    if (progress.probes.size > 0) {
      lines.push(c.dim('probes'));
      const probes = [...progress.probes.values()].sort((a, b) => b.at - a.at).slice(0, 8);
      for (const p of probes) {
        const state = p.ok ? c.green('pass') : c.red(`fail${p.reason ? `: ${p.reason}` : ''}`);
        lines.push(`  ${p.probe}${p.target ? ` ${progress.label(p.target)}` : ''}  ${state}  ${c.dim(`${duration(p.latencyMs)}, ${duration(now - p.at)} ago`)}`);
      }
    }
    for (const n of notes) lines.push(c.yellow(n));
    let out = drawn > 0 ? `\r\x1b[${drawn}A\x1b[0J` : '';
    out += lines.map((l) => `${fit(l)}\n`).join('');
    stream.write(out);
    drawn = lines.length;
  };

  if (c.on || stream.isTTY) stream.write('\x1b[?25l');
  render();
  const timer = setInterval(render, 200);
  return {
    onEvent(e) {
      progress.apply(e);
      if (e.type !== 'ping') render();
    },
    note(message) {
      notes = [...notes, message].slice(-3);
      render();
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      render();
      stream.write('\x1b[?25h');
    },
  };
}

/** The end of a run: status, failed steps, and per target what was injected, time to detect, time to recover. */
export function summary(report: RunReport, c: Colors): string {
  const out: string[] = [];
  const status = report.status === 'passed' ? c.green(report.status) : c.red(report.status);
  out.push(`${c.bold(`run ${report.id}`)} ${status} in ${duration(report.durationMs)} (drill ${report.drill}, seed ${report.seed})`);
  if (report.error) out.push(`  ${c.red(report.error.code)}: ${report.error.message}`);
  out.push('');
  out.push(
    table(
      ['', 'STEP', 'NAME', 'TIME'],
      report.steps.map((s) => [stepMark(c, s.status), s.path, s.name, `${duration(s.durationMs)}${skewNote(s)}`]),
    ).trimEnd(),
  );
  if (report.timeline.length > 0) {
    out.push('');
    out.push(
      table(
        ['TARGET', 'GROUP', 'INJECTED', 'TIME TO DETECT', 'TIME TO RECOVER', 'OUTAGE'],
        report.timeline.map((t) => [
          targetLabel(t.target),
          t.group,
          t.injected.map((i) => i.signal).join(', '),
          t.timeToDetectMs !== undefined ? duration(t.timeToDetectMs) : 'not detected',
          t.timeToRecoverMs !== undefined ? duration(t.timeToRecoverMs) : 'not recovered',
          duration(t.outageMs),
        ]),
      ).trimEnd(),
    );
  }
  if (report.resumed.faults > 0) {
    out.push('');
    out.push(`resumed ${report.resumed.faults} fault${report.resumed.faults === 1 ? '' : 's'}${report.resumed.errors > 0 ? c.red(`, ${report.resumed.errors} could not be resumed (the agents' leases will)`) : ''}${stillStopped(report.resumed, c)}`);
  }
  return `${out.join('\n')}\n`;
}

/** What the processes showed after the resume, when something is off: `, 1 process still stopped`. */
function stillStopped(resumed: RunReport['resumed'], c: Colors): string {
  const stopped = resumed.seen?.stopped ?? 0;
  const unknown = resumed.seen?.unknown ?? 0;
  const parts = [...(stopped > 0 ? [`${stopped} process${stopped === 1 ? '' : 'es'} still stopped`] : []), ...(unknown > 0 ? [`${unknown} not confirmed`] : [])];
  return parts.length === 0 ? '' : c.red(`, ${parts.join(', ')}`);
}

/** A simultaneous step's measured skew (its agents' fire times, first to last), or nothing. */
function skewNote(s: Pick<StepRecord, 'fireSkewMs' | 'firedAt'>): string {
  return s.fireSkewMs === undefined ? '' : ` (skew ${s.fireSkewMs.toFixed(2)} ms over ${new Set(s.firedAt?.map((f) => f.agent)).size} agents)`;
}
