// The emergency "resume everything": one call (POST /v1/resume-all) aborts every running run (an abort resumes what
// the run stopped) and resumes every active immediate fault, within the token's scope. The coordinator audits it
// (resume.all, plus run.abort / fault.resume per item), never rate-limits it, and answers what it did to each item.
import { callJson } from './api.js';

interface FaultSummary {
  id: string;
  parts: { fault: { state: string } }[];
}
interface RunSummary {
  id: string;
}
interface ResumeAllAnswer {
  runs: { id: string; result: 'aborting' | 'failed'; message?: string }[];
  faults: { id: string; result: 'resumed' | 'unconfirmed' | 'failed'; message?: string }[];
  failures: number;
}

export interface ResumeOutcome {
  faults: number;
  runs: number;
  errors: string[];
}

/** What is still stopping something: the faults with an active part, the running runs (for the dialog's count). */
export async function pending(token: string): Promise<{ faults: string[]; runs: string[] }> {
  const [f, r] = await Promise.all([
    callJson<{ faults: FaultSummary[] }>('GET', 'v1/faults', token),
    callJson<{ runs: RunSummary[] }>('GET', 'v1/runs?status=running&limit=1000', token),
  ]);
  return { faults: f.faults.filter((x) => x.parts.some((p) => p.fault.state === 'active')).map((x) => x.id), runs: r.runs.map((x) => x.id) };
}

export async function resumeEverything(token: string): Promise<ResumeOutcome> {
  const a = await callJson<ResumeAllAnswer>('POST', 'v1/resume-all', token);
  const errors = [
    ...a.runs.filter((r) => r.result === 'failed').map((r) => `run ${r.id}: ${r.message ?? 'not aborted'}`),
    ...a.faults.filter((f) => f.result !== 'resumed').map((f) => `fault ${f.id}: ${f.message ?? 'a process was still seen stopped'}`),
  ];
  return { runs: a.runs.filter((r) => r.result === 'aborting').length, faults: a.faults.filter((f) => f.result === 'resumed').length, errors };
}
