// Hand-drawn SVG charts of a run on one time axis: per target, its injections and when the drill saw it fail
// (detected) and pass again (recovered); per probe result, its latency, pass or fail.
import { h } from 'preact';
import { duration, phaseOf, targetName, type RunState } from './runs.js';

const W = 800;
const LEFT = 170;
const ROW = 28;

/** x of a time on the axis from..to. */
const xOf = (at: number, from: number, to: number) => LEFT + ((at - from) / Math.max(1, to - from)) * (W - LEFT - 10);

function axis(from: number, to: number, y: number) {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => from + f * (to - from));
  return h('g', { class: 'axis' }, h('line', { x1: LEFT, x2: W - 10, y1: y, y2: y }), ...ticks.map((t, i) => h('text', { x: xOf(t, from, to), y: y + 14, 'text-anchor': i === ticks.length - 1 ? 'end' : 'middle' }, `+${duration(t - from)}`)));
}

function mark(kind: string, x: number, y: number, label: string) {
  return h('g', { class: `mark ${kind}` }, h('title', null, label), kind === 'injected' ? h('path', { d: `M${x} ${y - 7} L${x + 6} ${y + 5} L${x - 6} ${y + 5} Z` }) : h('circle', { cx: x, cy: y, r: 6 }));
}

export function Timeline(props: { state: RunState; from: number; to: number }) {
  const { from, to } = props;
  const rows = [...props.state.timeline.entries()];
  const height = rows.length * ROW + 30;
  return h(
    'svg',
    { class: 'chart', viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': `Timeline of ${rows.length} target(s): injected, detected, recovered` },
    ...rows.map(([key, t], i) => {
      const y = i * ROW + 16;
      const start = t.injected[0]?.at ?? from;
      return h(
        'g',
        { 'data-target': key, 'data-phase': phaseOf(t) },
        h('text', { x: 4, y: y + 4 }, `${t.group} · ${targetName(t.target)}`),
        h('line', { class: 'out', x1: xOf(start, from, to), x2: xOf(t.recoveredAt ?? to, from, to), y1: y, y2: y }),
        ...t.injected.map((inj) => mark('injected', xOf(inj.at, from, to), y, `${inj.signal} injected at +${duration(inj.at - from)}`)),
        t.detectedAt === undefined ? null : mark('detected', xOf(t.detectedAt, from, to), y, `detected after ${duration(t.timeToDetectMs)}`),
        t.recoveredAt === undefined ? null : mark('recovered', xOf(t.recoveredAt, from, to), y, `recovered after ${duration(t.timeToRecoverMs)}`),
      );
    }),
    axis(from, to, rows.length * ROW + 8),
  );
}

const PH = 120;
export function ProbeChart(props: { state: RunState; from: number; to: number }) {
  const { from, to } = props;
  const probes = props.state.probes;
  const max = Math.max(1, ...probes.map((p) => p.latencyMs));
  const failed = probes.filter((p) => !p.ok).length;
  return h(
    'svg',
    { class: 'chart', viewBox: `0 0 ${W} ${PH + 24}`, role: 'img', 'aria-label': `${probes.length} probe result(s), ${failed} failed; latency up to ${duration(max)}` },
    h('text', { x: 4, y: 12 }, `latency (max ${duration(max)})`),
    ...probes.map((p) =>
      h('circle', { class: p.ok ? 'pass' : 'fail', cx: xOf(p.at, from, to), cy: PH - (p.latencyMs / max) * (PH - 20), r: 3 }, h('title', null, `${p.probe}${p.target ? ` ${p.target}` : ''}: ${p.ok ? 'pass' : `fail (${p.reason ?? 'failed'})`}, ${duration(p.latencyMs)}`)),
    ),
    axis(from, to, PH + 4),
  );
}
