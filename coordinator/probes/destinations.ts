// A drill's probe destinations checked against the probe policy when the drill is stored or run, before any probe
// is sent: literal addresses and metadata names at once, host names on what they resolve to now (the request-time
// check on each DNS answer still stands behind this one).
import { lookup } from 'node:dns/promises';
import type { Drill } from '../drill/schema.js';
import { ProbePolicyError, type ProbePolicy } from './policy.js';

// {{target.…}} placeholders: a host filled per target is checked when the request is made.
const PLACEHOLDER = /\{\{[^{}]*\}\}/;
/** How long a validation waits for DNS; a name that does not resolve yet is left to the request-time check. */
const RESOLVE_TIMEOUT_MS = 2000;

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export async function checkProbeDestinations(drill: Drill, policy: ProbePolicy, resolve: Resolver = systemResolver): Promise<void> {
  for (const [name, probe] of Object.entries(drill.spec.probes)) {
    // The API server is the operator's (--kubeconfig), not the drill author's: the policy does not apply to it.
    if (probe.kubernetes !== undefined) continue;
    const path = `spec.probes.${name}.${probe.prometheus !== undefined ? 'prometheus.url' : 'url'}`;
    const raw = probe.prometheus?.url ?? probe.url ?? '';
    const hostPart = /^[a-z]+:\/\/([^/?#]*)/i.exec(raw)?.[1] ?? '';
    if (PLACEHOLDER.test(hostPart)) continue;
    const url = new URL(raw.replace(/\{\{[^{}]*\}\}/g, '1'));
    const problem = policy.urlProblem(url);
    if (problem !== null) throw new ProbePolicyError(`${path}: refused by the probe policy: ${problem}`, { path });
    const host = url.hostname;
    if (host.startsWith('[') || /^[\d.]+$/.test(host) || policy.allowsName(host)) continue;
    let addresses: string[];
    try {
      addresses = await Promise.race([
        resolve(host),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('DNS timeout')), RESOLVE_TIMEOUT_MS).unref()),
      ]);
    } catch {
      continue;
    }
    for (const address of addresses) {
      const refused = policy.addressProblem(address);
      if (refused !== null) throw new ProbePolicyError(`${path}: refused by the probe policy: ${host} resolves to ${refused}`, { path });
    }
  }
}
