// Summaries of V8 CPU profiles (`node --cpu-prof`): self time by function and by package, which is where
// the time goes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface CpuProfile {
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of non-idle time by package or source area. */
  byArea: { area: string; percent: number }[];
  /** Top functions by self time (share of non-idle time). */
  topFrames: { frame: string; percent: number }[];
}

/** `fastify`, `kysely`, `src/invitations`, `node:internal`, `(garbage collector)`… */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (core)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '?');
  }
  const src = /\/(src|dist)\/([^/]+)\//.exec(url);
  if (src) return `src/${src[2]}`;
  const file = /\/(src|dist)\/([^/]+)\.(ts|js)$/.exec(url);
  if (file) return `src/${file[2]}`;
  return path.basename(url);
}

/** Microseconds on the monotonic clock V8 stamps profiles with (CLOCK_MONOTONIC, as process.hrtime). */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time by function and area; with `window` (monotonic µs), only samples taken inside it, so the
 * start-up of the process is left out of a load's profile.
 */
export function summarizeProfile(
  file: string,
  top = 15,
  window?: { startUs: number; endUs: number },
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const timeOf = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window !== undefined && (at < window.startUs || at > window.endUs)) return;
    timeOf.set(id, (timeOf.get(id) ?? 0) + delta);
  });
  const frames = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const node of profile.nodes) {
    const us = timeOf.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = url === '' ? '' : ` ${shortUrl(url)}:${lineNumber + 1}`;
    const frame = `${functionName || '(anonymous)'}${where}`;
    frames.set(frame, (frames.get(frame) ?? 0) + us);
  }
  const share = (us: number) => Math.round((1000 * us) / Math.max(1, busy)) / 10;
  return {
    file,
    totalMs: Math.round(total / 1000),
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, percent: share(us) })),
    topFrames: [...frames]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, us]) => ({ frame, percent: share(us) })),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const src = url.search(/\/(src|dist|bench)\//);
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^node:/, '');
}

/** The newest .cpuprofile in a folder. */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

export function formatProfile(title: string, summary: ProfileSummary): string {
  const lines = [`${title} (${summary.totalMs} ms sampled)`];
  lines.push(`  by area: ${summary.byArea.map((a) => `${a.area} ${a.percent}%`).join(', ')}`);
  for (const f of summary.topFrames) lines.push(`  ${String(f.percent).padStart(5)}%  ${f.frame}`);
  return lines.join('\n');
}
