// The events a run emits (stored, and streamed over SSE as `event: <type>` with `data: {at, ...payload}`): one map, so
// the engine's emits and the SDK's readers are checked against the same types.
import type { Fault } from '../../daemon/faults/manager.js';
import type { TargetRecord } from '../selection/types.js';
import type { RunStatus } from '../store/types.js';
import type { RunReport, StepRecord, TimelineEntry } from './report.js';

export type FinalRunStatus = Exclude<RunStatus, 'pending' | 'running'>;

export interface RunEventPayloads {
  step: StepRecord;
  probe: { probe: string; target?: string; ok: boolean; at: number; latencyMs: number; status?: number; reason?: string };
  /**
   * A fault the run placed; or (`endedEarly`) an agent ended one of its SIGSTOPs before the run did (lease, lost
   * coordinator); or (`endedBy: sigcont`) a SIGCONT continued everything one of its SIGSTOPs held, which ended it.
   */
  fault:
    | { agent: string; faultId: string; signal: Fault['signal']; result: Fault['result']; durationMs: number; targets: string[]; endedEarly?: undefined; endedBy?: undefined }
    | { agent: string; faultId: string; signal: Fault['signal']; state: Fault['state']; resumeReason?: Fault['resumeReason'] | undefined; endedEarly: true; endedBy?: undefined }
    | { agent: string; faultId: string; signal: Fault['signal']; state: Fault['state']; resumeReason: 'sigcont'; resumedBy?: string; endedBy: 'sigcont'; endedEarly?: undefined };
  timeline: TimelineEntry;
  selection: { group: string; wanted: number; matched: number; picked: TargetRecord[]; seed: string };
  resumed: RunReport['resumed'];
  run: { status: 'running'; drill: string; seed: string } | { status: FinalRunStatus; error?: RunReport['error'] | undefined; report: RunReport };
}
