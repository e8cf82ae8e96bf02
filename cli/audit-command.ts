// `eris audit`: who did what on the coordinator, newest first (GET /v1/audit).
import { Command } from 'commander';
import { parseDuration } from '../coordinator/probes/duration.js';
import type { AuditQuery, AuditRecord } from '../sdk/types.js';
import { clientFor } from './connection.js';
import { UsageError } from './exit.js';
import { colors, printJson, table, wantsJson, when, withOutput, type OutputOptions } from './output.js';

interface AuditOptions extends OutputOptions {
  since?: string;
  until?: string;
  actor?: string;
  action?: string;
  limit: string;
  cursor?: string;
}

/** `2h` (that long ago), Unix ms, or an ISO 8601 time. */
export function auditTime(value: string, flag: string, now = Date.now()): number {
  if (/^\d+$/.test(value)) return Number(value);
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(value)) {
    const hours = value.endsWith('d') ? Number(value.slice(0, -1)) * 24 : null;
    try {
      return now - (hours !== null ? hours * 3_600_000 : parseDuration(value, flag));
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: give a duration ago (30m, 2h, 7d), Unix ms or an ISO 8601 time`);
  return ms;
}

export function auditCommand(): Command {
  return withOutput(
    new Command('audit')
      .description('who did what on the coordinator (runs, faults, drills, overrides, refused requests), newest first')
      .option('--since <time>', 'from this long ago (30m, 2h, 7d) or this time (ISO 8601, Unix ms)')
      .option('--until <time>', 'up to this long ago or this time')
      .option('--actor <token-id>', 'only what this token did')
      .option('--action <action>', 'only this action (run.start, fault.create, fault.resume, auth.refused, …)')
      .option('--limit <n>', 'at most N records', '50')
      .option('--cursor <seq>', 'the next page: the cursor the previous page printed'),
  ).action(async (opts: AuditOptions, command: Command) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit: must be an integer 1..1000');
    const query: AuditQuery = {
      limit,
      ...(opts.since !== undefined ? { since: auditTime(opts.since, '--since') } : {}),
      ...(opts.until !== undefined ? { until: auditTime(opts.until, '--until') } : {}),
      ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
      ...(opts.action !== undefined ? { action: opts.action } : {}),
      ...(opts.cursor !== undefined ? { cursor: Number(opts.cursor) } : {}),
    };
    const page = await clientFor(command).audit(query);
    if (wantsJson(opts)) return printJson(page);
    if (page.records.length === 0) return void process.stdout.write('no audit records\n');
    const c = colors();
    const result = (r: AuditRecord) => (r.result === 'ok' ? c.green(r.result) : r.result === 'refused' ? c.yellow(r.result) : c.red(r.result));
    process.stdout.write(
      table(
        ['TIME', 'ACTOR', 'ROLE', 'ACTION', 'TARGET', 'RESULT'],
        page.records.map((r) => [when(r.at), r.actor ?? '-', r.role ?? '-', r.action, r.target ?? '-', result(r)]),
      ),
    );
    if (page.nextCursor !== null) process.stdout.write(`more: eris audit --cursor ${page.nextCursor}\n`);
  });
}
