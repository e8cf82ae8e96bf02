// The drills `eris init` writes (and GET /v1/drill-templates serves the console): three templates (etcd, freeze-guard,
// host) and three scenarios, as commented YAML.
import { stringify } from 'yaml';

export const TEMPLATES = ['etcd', 'freeze-guard', 'host'] as const;
export type Template = (typeof TEMPLATES)[number];

export const SCENARIOS = ['freeze', 'kill', 'freeze-then-kill'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface InitAnswers {
  template: Template;
  name: string;
  /** Kubernetes templates. */
  namespace: string;
  pod: string;
  container: string;
  /** Host template: regex on the command line. */
  cmdline: string;
  /** `count: N` or `percent: N`. */
  pick: { count: number } | { percent: number };
  spread?: 'node' | 'zone';
  pack?: 'node' | 'zone';
  probeUrl: string;
  jq: string;
  scenario: Scenario;
  /** freeze and freeze-guard: how long the target stays frozen. */
  freezeFor: string;
}

/** What each template proposes (and what a prompt shows in brackets). */
export function templateDefaults(template: Template): InitAnswers {
  const common = { pick: { count: 1 }, jq: '.health == "true"', freezeFor: '30s' } as const;
  switch (template) {
    case 'etcd':
      return {
        ...common,
        template,
        name: 'etcd-member-failure',
        namespace: 'default',
        pod: '^etcd-\\d+$',
        container: '^etcd$',
        cmdline: '',
        // A StatefulSet's pods resolve through its headless service: POD.SERVICE.NAMESPACE.svc.
        probeUrl: 'http://{{target.pod}}.etcd.{{target.namespace}}.svc.cluster.local:2379/health',
        scenario: 'freeze-then-kill',
      };
    case 'freeze-guard':
      return {
        ...common,
        template,
        name: 'freeze-guarded',
        namespace: 'default',
        pod: '^etcd-\\d+$',
        container: '^etcd$',
        cmdline: '',
        // The service, not the member: the guard checks that clients still get answers.
        probeUrl: 'http://etcd-client.default.svc.cluster.local:2379/health',
        scenario: 'freeze',
      };
    case 'host':
      return {
        ...common,
        template,
        name: 'host-member-failure',
        namespace: '',
        pod: '',
        container: '',
        cmdline: '^etcd .*--name',
        // Host processes get labels from their flags: --listen-client-urls http://h:2379 → listen-client-urls.port.
        probeUrl: 'http://127.0.0.1:{{target.labels.listen-client-urls.port}}/health',
        scenario: 'freeze-then-kill',
      };
  }
}

const y = (value: unknown) => stringify(value, { lineWidth: 0 }).trimEnd();
// Inside [ ] a plain scalar must not hold flow indicators; a JSON string is a valid YAML double-quoted scalar.
const flow = (value: string) => (/[,[\]{}#]/.test(value) ? JSON.stringify(value) : y(value));

export function usesTarget(url: string): boolean {
  return /\{\{\s*target\./.test(url);
}

/** The drill as YAML, with the yaml-language-server line first so editors validate it as it is typed. */
export function renderDrill(a: InitAnswers, schemaRef: string): string {
  const perTarget = usesTarget(a.probeUrl);
  const lines: string[] = [];
  lines.push(`# yaml-language-server: $schema=${schemaRef}`);
  lines.push(`# Check it: eris validate FILE · preview the picks: eris run --dry-run FILE · run it: eris run FILE`);
  lines.push('apiVersion: eris.dev/v1alpha1');
  lines.push('kind: Drill');
  lines.push('metadata:');
  lines.push(`  name: ${y(a.name)}`);
  lines.push(`  description: ${y(describe(a))}`);
  lines.push('spec:');
  lines.push('  targets:');
  lines.push('    # The group the faults hit; it is picked once per run (eris run --seed S repeats a pick).');
  lines.push('    victim:');
  if (a.template === 'host') {
    lines.push('      # Host mode: plain processes whose command line matches (agents started with --host-processes).');
    lines.push('      processes:', `        cmdline: ${y(a.cmdline)}`);
  } else {
    if (a.namespace !== '') lines.push(`      namespaces: [${flow(a.namespace)}]`);
    lines.push(`      pod: ${y(a.pod)}`);
    lines.push(`      containers: [${flow(a.container)}]`);
  }
  lines.push('count' in a.pick ? `      count: ${a.pick.count}` : `      percent: ${a.pick.percent}`);
  if (a.spread) lines.push(`      spread: ${a.spread}`);
  if (a.pack) lines.push(`      pack: ${a.pack}`);
  lines.push('  probes:');
  lines.push(perTarget ? '    # Evaluated once per picked target ({{target.*}} is filled in for each).' : '    # One URL for the whole system under test.');
  lines.push('    health:');
  lines.push(`      url: ${y(a.probeUrl)}`);
  if (a.jq !== '') lines.push(`      jq: ${y(a.jq)}`);
  lines.push('      timeout: 1s');
  lines.push('      interval: 500ms');
  if (!perTarget) {
    lines.push('  # Must pass before the first step.');
    lines.push('  steadyState: [health]');
  }
  lines.push('  steps:');
  if (perTarget) {
    lines.push('    - name: steady state', '      probe: health', '      target: victim');
  }
  const step = (...entries: string[]) => entries.forEach((e, i) => lines.push(`${i === 0 ? '    - ' : '      '}${e}`));
  const target = perTarget ? ['target: victim'] : [];
  if (a.template === 'freeze-guard') {
    step(
      `name: ${y(`freeze ${a.freezeFor} while the service stays healthy`)}`,
      '# Three failed probes in a row abort the run (and resume everything).',
      'guard: health',
      ...target,
      'consecutive: 3',
      'steps:',
      '  - signal: SIGSTOP',
      '    target: victim',
      `    lease: ${y(leaseFor(a.freezeFor))}`,
      `  - sleep: ${y(a.freezeFor)}`,
      '  - signal: SIGCONT',
      '    target: victim',
    );
    return `${lines.join('\n')}\n`;
  }
  const detect = ['name: the probe sees it fail', 'wait: health', ...target, 'until: fail', 'timeout: 10s'];
  const recover = (timeout: string) => ['name: it recovers', 'wait: health', ...target, 'until: pass', `timeout: ${timeout}`, 'consecutive: 3'];
  const lease = (value: string) => ['# The agents resume by themselves when the lease runs out.', `lease: ${y(value)}`];
  if (a.scenario === 'freeze') {
    step('name: freeze it (SIGSTOP)', 'signal: SIGSTOP', 'target: victim', ...lease(leaseFor(a.freezeFor)));
    step(...detect);
    step('name: stay frozen', `sleep: ${y(a.freezeFor)}`);
    step('name: resume it (SIGCONT)', 'signal: SIGCONT', 'target: victim');
    step(...recover('60s'));
  } else if (a.scenario === 'kill') {
    step('name: kill it (SIGKILL)', 'signal: SIGKILL', 'target: victim');
    step(...detect);
    step(...recover('120s'));
  } else {
    step('name: freeze it (SIGSTOP), like a hung node', 'signal: SIGSTOP', 'target: victim', ...lease('60s'));
    step(...detect);
    step('name: kill it (SIGKILL), like a crash', 'signal: SIGKILL', 'target: victim');
    step(...recover('120s'));
  }
  return `${lines.join('\n')}\n`;
}

function describe(a: InitAnswers): string {
  const what = a.template === 'host' ? 'host processes' : 'containers';
  const how = 'count' in a.pick ? `${a.pick.count}` : `${a.pick.percent}%`;
  if (a.template === 'freeze-guard') return `Freeze ${how} of the ${what} for ${a.freezeFor} while a guard probe watches the service.`;
  const scenario = { freeze: `freeze for ${a.freezeFor}, then resume`, kill: 'kill', 'freeze-then-kill': 'freeze until the probe fails, then kill' }[a.scenario];
  return `Pick ${how} of the ${what}: ${scenario}; measure time to detect and time to recover.`;
}

/** A lease comfortably longer than the freeze, so the agents never resume early. */
function leaseFor(freezeFor: string): string {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(freezeFor.trim());
  if (!m) return '5m';
  const seconds = Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's'] ?? 1);
  return `${Math.ceil(seconds + 60)}s`;
}
