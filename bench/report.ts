// The results of a run: the JSON document (raw figures and machine facts), the terminal table and the SVG
// chart of the service/baseline ratios.
import type { ProfileSummary } from './profile.ts';
import type { Layout } from './seed.ts';
import type { WritePass, WriteVerification } from './write.ts';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface PassFigure {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: number;
  requests: number;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  /** `service`, `baseline stringify` or `baseline bytes`. */
  server: string;
  engine?: 'sqlite' | 'postgres';
  size?: 'small' | 'large';
  instances: number;
  passes: PassFigure[];
  rps: Spread;
  p99Ms: Spread;
  /** Peak VmRSS of each instance during the scenario (warm-up included). */
  rssMb: number[];
  responseBytes?: number;
  ratio?: { stringify?: number; bytes?: number };
}

export interface WriteScenarioResult {
  engine: 'sqlite' | 'postgres';
  instances: number;
  warmup: WritePass;
  passes: WritePass[];
  transitionsPerSecond: Spread;
  createsPerSecond: Spread;
  p99Ms: Spread;
  rssMb: number[];
  verification: WriteVerification;
}

export interface TargetResult {
  name: string;
  target: string;
  measured: string;
  met: boolean | null;
}

export interface BenchReport {
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  seconds: number;
  machine: {
    cores: number;
    model: string;
    memoryGb: number;
    os: string;
    node: string;
    sqlite: string;
    postgres: string;
    loadTool: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
  };
  settings: {
    runtime: string;
    connections: number;
    readThreads: number;
    writeConnections: number;
    warmupSeconds: number;
    passSeconds: number;
    passes: number;
    postgres: string[];
    layouts: Record<string, Layout>;
    log: string;
    smtp: string;
  };
  seeds: { engine: string; size: string; seconds: number; rows: Record<string, number> }[];
  baselineChecks: { scenario: string; compared: number; bodyBytes: number; headers: string[] }[];
  scenarios: ScenarioResult[];
  writes: WriteScenarioResult[];
  coldStart: { runtime: string; ms: number[]; median: number }[];
  scale: { engine: string; scenario: string; smallP99Ms: number; largeP99Ms: number; ratio: number }[];
  targets: TargetResult[];
  profiles: { name: string; summary: ProfileSummary }[];
  warnings: string[];
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median =
    n === 0
      ? 0
      : n % 2
        ? (sorted[(n - 1) / 2] as number)
        : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[n - 1] ?? 0 };
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f2 = (n: number) => n.toFixed(2);

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

export function formatTable(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(
    `Convene benchmark (${report.mode}), ${report.startedAt}: ${[`${m.cores} × ${m.model}`, `Node ${m.node}`, m.sqlite, m.postgres, m.loadTool].filter(Boolean).join(', ')}`,
  );
  out.push(
    `load average before ${m.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${m.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}; ${report.settings.connections} connections, ${report.settings.passes} passes of ${report.settings.passSeconds} s after ${report.settings.warmupSeconds} s warm-up`,
  );
  out.push('');
  const rows: string[][] = [
    ['scenario', 'server', 'req/s median', 'min–max', 'p99 ms', 'vs stringify', 'vs bytes', 'RSS MB'],
  ];
  for (const s of report.scenarios) {
    const where =
      s.engine === undefined
        ? s.server
        : `${s.engine}${s.size === 'large' ? ' large' : ''}${s.instances > 1 ? ` ×${s.instances}` : ''}`;
    rows.push([
      s.title,
      where,
      f0(s.rps.median),
      `${f0(s.rps.min)}–${f0(s.rps.max)}`,
      f2(s.p99Ms.median),
      s.ratio?.stringify === undefined ? '' : f2(s.ratio.stringify),
      s.ratio?.bytes === undefined ? '' : f2(s.ratio.bytes),
      s.rssMb.length === 0 ? '' : s.rssMb.map((r) => r.toFixed(0)).join('/'),
    ]);
  }
  out.push(pad(rows));
  if (report.writes.length > 0) {
    out.push('');
    const w: string[][] = [
      ['write path', 'server', 'transitions/s', 'min–max', 'p99 ms', 'lost/dup', 'mails/s load', 'RSS MB'],
    ];
    for (const s of report.writes) {
      const v = s.verification;
      w.push([
        'create → Accept → Confirm',
        `${s.engine}${s.instances > 1 ? ` ×${s.instances}` : ''}`,
        f0(s.transitionsPerSecond.median),
        `${f0(s.transitionsPerSecond.min)}–${f0(s.transitionsPerSecond.max)}`,
        f2(s.p99Ms.median),
        `${v.lost}/${v.duplicated}`,
        f0(v.mail.perSecondUnderLoad),
        s.rssMb.map((r) => r.toFixed(0)).join('/'),
      ]);
    }
    out.push(pad(w));
    for (const s of report.writes) {
      const v = s.verification;
      out.push(
        `  ${s.engine} ×${s.instances}: ${v.acknowledged.confirmed} confirmed, ${v.unacknowledged} applied but unacknowledged (in flight at a run's end); mail: ${v.mail.delivered}/${v.mail.expected} delivered (outbox ${v.mail.outbox}, ${v.mail.duplicates} duplicates, ${v.mail.pendingAfterDrain} pending after ${v.mail.drainSeconds.toFixed(1)} s drain), ${f0(v.mail.perSecondOverall)} mails/s overall`,
      );
    }
  }
  if (report.scale.length > 0) {
    out.push('');
    const rowsScale: string[][] = [['scale (p99)', 'engine', '1K ms', 'large ms', 'ratio']];
    for (const s of report.scale) {
      rowsScale.push([s.scenario, s.engine, f2(s.smallP99Ms), f2(s.largeP99Ms), f2(s.ratio)]);
    }
    out.push(pad(rowsScale));
  }
  if (report.coldStart.length > 0) {
    out.push('');
    for (const c of report.coldStart) {
      out.push(
        `cold start to first 200 (${c.runtime}): median ${f0(c.median)} ms (${c.ms.map(f0).join(', ')})`,
      );
    }
  }
  out.push('');
  out.push(
    pad([
      ['target', 'goal', 'measured', ''],
      ...report.targets.map((t) => [
        t.name,
        t.target,
        t.measured,
        t.met === null ? 'n/a' : t.met ? 'met' : 'NOT MET',
      ]),
    ]),
  );
  if (report.warnings.length > 0) {
    out.push('');
    for (const w of report.warnings) out.push(`WARNING: ${w}`);
  }
  return out.join('\n');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A hand-written bar chart: service/baseline ratio per scenario and engine, with the 0.5 target line. */
export function ratioChart(report: BenchReport): string {
  const bars = report.scenarios.filter((s) => s.server === 'service' && s.ratio?.stringify !== undefined);
  const rowHeight = 34;
  const left = 370;
  const width = 980;
  const plot = width - left - 40;
  const top = 60;
  const height = top + bars.length * rowHeight + 80;
  const max = Math.max(1, ...bars.map((b) => Math.max(b.ratio?.stringify ?? 0, b.ratio?.bytes ?? 0)));
  const x = (v: number) => left + (v / max) * plot;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(
    `<text x="16" y="24" font-size="15" font-weight="600">Convene / bare node:http (req/s ratio, median of passes)</text>`,
  );
  parts.push(
    `<text x="16" y="42" fill="#555">${xml(`${report.startedAt} · ${report.machine.cores} × ${report.machine.model} · Node ${report.machine.node} · ${report.mode}`)}</text>`,
  );
  for (let t = 0; t <= max + 1e-9; t += 0.25) {
    parts.push(
      `<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${top + bars.length * rowHeight}" stroke="#eee"/>`,
    );
    parts.push(
      `<text x="${x(t)}" y="${top + bars.length * rowHeight + 16}" text-anchor="middle" fill="#555">${t.toFixed(2)}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const y = top + i * rowHeight;
    const label = `${b.title} · ${b.engine}${b.size === 'large' ? ' large' : ''}${b.instances > 1 ? ` ×${b.instances}` : ''}`;
    parts.push(`<text x="${left - 8}" y="${y + 19}" text-anchor="end">${xml(label)}</text>`);
    const s = b.ratio?.stringify ?? 0;
    const by = b.ratio?.bytes ?? 0;
    parts.push(
      `<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(s) - left)}" height="12" fill="#1f5fbf"/>`,
    );
    parts.push(`<text x="${x(s) + 4}" y="${y + 14}" fill="#1f5fbf">${s.toFixed(2)}</text>`);
    parts.push(
      `<rect x="${left}" y="${y + 17}" width="${Math.max(1, x(by) - left)}" height="12" fill="#9bb7e0"/>`,
    );
    parts.push(`<text x="${x(by) + 4}" y="${y + 27}" fill="#555">${by.toFixed(2)}</text>`);
  });
  parts.push(
    `<line x1="${x(0.5)}" y1="${top - 10}" x2="${x(0.5)}" y2="${top + bars.length * rowHeight}" stroke="#c0392b" stroke-dasharray="4 3"/>`,
  );
  parts.push(`<text x="${x(0.5) + 4}" y="${top - 12}" fill="#c0392b">target 0.50</text>`);
  const ly = top + bars.length * rowHeight + 34;
  parts.push(`<rect x="${left}" y="${ly}" width="12" height="12" fill="#1f5fbf"/>`);
  parts.push(
    `<text x="${left + 18}" y="${ly + 10}">vs baseline serializing per request (JSON.stringify)</text>`,
  );
  parts.push(`<rect x="${left}" y="${ly + 20}" width="12" height="12" fill="#9bb7e0"/>`);
  parts.push(`<text x="${left + 18}" y="${ly + 30}">vs baseline writing pre-serialized bytes</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
