// A run's report: steps, the per-target timeline (injected → detected → recovered), as JSON and as JUnit XML.
import type { SeenState } from '../fleet/resume-check.js';
import type { RunStatus } from '../store/types.js';

export interface StepRecord {
  path: string;
  name: string;
  kind: string;
  status: 'running' | 'passed' | 'failed' | 'skipped';
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
  error?: { code: string; message: string };
  /** A signal step over several agents, placed with one fire time: when each agent acted (coordinator clock). */
  firedAt?: Array<{ agent: string; at: number }>;
  /** First-to-last spread of `firedAt`, ms: how simultaneously the step hit its agents. */
  fireSkewMs?: number;
}

export interface TimelineEntry {
  group: string;
  target: {
    cluster: string;
    node: string;
    zone: string | null;
    namespace: string;
    /** A host process: `pid-<pid when picked>`, the entry's key however often the process restarts. */
    pod: string;
    container: string;
    kind: string;
    /** The pod's labels, or a host process's (read from its command line). Absent from reports recorded before. */
    labels?: Record<string, string>;
    /** As users name it: `default/etcd-0 (etcd) on node-1`, `name=m0 (pid 913) on node-1` (target-name.ts). Absent from reports recorded before. */
    name?: string;
    /** A host process: its pid when the run ended (a restarted process's new one). */
    pid?: number;
    /** A host process restarted during the run: the pids it had before, oldest first. */
    earlierPids?: number[];
  };
  injected: Array<{ signal: string; at: number; faultId: string; agent: string }>;
  /** When a wait `until: fail` saw the failure: the first result of the streak that satisfied it came back. */
  detectedAt?: number;
  /** When a wait `until: pass` saw recovery after the last injection. */
  recoveredAt?: number;
  /** detectedAt − first injection. */
  timeToDetectMs?: number;
  /** recoveredAt − last injection before it (e.g. the SIGKILL). */
  timeToRecoverMs?: number;
  /** recoveredAt − first injection: how long the target was out, all told. */
  outageMs?: number;
}

export interface RunReport {
  id: string;
  drill: string;
  status: RunStatus;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  seed: string;
  error?: { code: string; message: string };
  steps: StepRecord[];
  timeline: TimelineEntry[];
  probes: Record<string, { evaluations: number; failures: number; p50LatencyMs: number | null; maxLatencyMs: number | null }>;
  /**
   * What the run's end resumed. `confirmed`: faults whose every process was seen running, gone or held by another
   * fault afterwards (read from the processes, not taken from the agent's ack); `seen`: those processes by state.
   * Absent from reports recorded before resumes were confirmed.
   */
  resumed: { faults: number; errors: number; confirmed?: number; seen?: Record<SeenState, number> };
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** JUnit XML: one testsuite per run, one testcase per step, plus one per target with its detect/recover times. */
export function toJUnit(report: RunReport): string {
  const cases: string[] = [];
  for (const s of report.steps) {
    const time = ((s.durationMs ?? 0) / 1000).toFixed(3);
    const body =
      s.status === 'failed'
        ? `<failure type="${xml(s.error?.code ?? 'failed')}" message="${xml(s.error?.message ?? 'failed')}"/>`
        : s.status === 'skipped'
          ? '<skipped/>'
          : '';
    cases.push(`    <testcase classname="${xml(report.drill)}" name="${xml(`${s.path} ${s.name}`)}" time="${time}">${body}</testcase>`);
  }
  for (const t of report.timeline) {
    const name = `target ${t.group} ${t.target.name ?? `${t.target.namespace}/${t.target.pod}/${t.target.container}`}`;
    const props = [
      t.timeToDetectMs !== undefined ? `time to detect ${Math.round(t.timeToDetectMs)} ms` : 'not detected',
      t.timeToRecoverMs !== undefined ? `time to recover ${Math.round(t.timeToRecoverMs)} ms` : 'not recovered',
    ].join(', ');
    cases.push(`    <testcase classname="${xml(report.drill)}.targets" name="${xml(name)}" time="${((t.outageMs ?? 0) / 1000).toFixed(3)}"><system-out>${xml(props)}</system-out></testcase>`);
  }
  const failures = report.steps.filter((s) => s.status === 'failed').length;
  const errors = report.status === 'error' || report.status === 'interrupted' ? 1 : 0;
  const skipped = report.steps.filter((s) => s.status === 'skipped').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="eris" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(report.drill)}" id="${xml(report.id)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}" timestamp="${new Date(report.startedAt).toISOString()}">`,
    `    <properties><property name="status" value="${xml(report.status)}"/><property name="seed" value="${xml(report.seed)}"/>${report.error ? `<property name="error" value="${xml(report.error.message)}"/>` : ''}</properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

const slowest = (values: Array<number | undefined>): number | null => values.reduce<number | null>((m, v) => (v === undefined ? m : Math.max(m ?? v, v)), null);

/** The slowest target's time to detect and to recover (null when no report, or no target got that far): a run's history line. */
export function slowestTimes(report: RunReport | null): { timeToDetectMs: number | null; timeToRecoverMs: number | null } {
  const timeline = report?.timeline ?? [];
  return { timeToDetectMs: slowest(timeline.map((t) => t.timeToDetectMs)), timeToRecoverMs: slowest(timeline.map((t) => t.timeToRecoverMs)) };
}
