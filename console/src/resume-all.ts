// The emergency "resume everything": every running run is aborted (an abort resumes what the run stopped) and every
// active immediate fault is resumed. The coordinator has no single call for it, so the console makes one call per
// item; each is audited by the coordinator (run.abort, fault.resume) and none of them is rate-limited.
import { callJson, HttpError, Unauthorized } from './api.js';

interface FaultSummary {
  id: string;
  parts: { fault: { state: string } }[];
}
interface RunSummary {
  id: string;
}

export interface ResumeOutcome {
  faults: number;
  runs: number;
  errors: string[];
}

/** What is still stopping something: the faults with an active part, the running runs. */
export async function pending(token: string): Promise<{ faults: string[]; runs: string[] }> {
  const [f, r] = await Promise.all([
    callJson<{ faults: FaultSummary[] }>('GET', 'v1/faults', token),
    callJson<{ runs: RunSummary[] }>('GET', 'v1/runs?status=running&limit=1000', token),
  ]);
  return { faults: f.faults.filter((x) => x.parts.some((p) => p.fault.state === 'active')).map((x) => x.id), runs: r.runs.map((x) => x.id) };
}

export async function resumeEverything(token: string): Promise<ResumeOutcome> {
  const { faults, runs } = await pending(token);
  const out: ResumeOutcome = { faults: 0, runs: 0, errors: [] };
  // One failure must not stop the others: every item is tried, and failures are listed.
  const attempt = async (what: string, call: () => Promise<unknown>, done: () => void) => {
    try {
      await call();
      done();
    } catch (err) {
      if (err instanceof Unauthorized) throw err;
      if (err instanceof HttpError && err.status === 409) return; // the run ended meanwhile
      out.errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  await Promise.all([
    ...runs.map((id) => attempt(`run ${id}`, () => callJson('POST', `v1/runs/${encodeURIComponent(id)}/abort`, token), () => out.runs++)),
    ...faults.map((id) => attempt(`fault ${id}`, () => callJson('DELETE', `v1/faults/${encodeURIComponent(id)}`, token), () => out.faults++)),
  ]);
  return out;
}
