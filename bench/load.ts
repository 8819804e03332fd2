// Load generation: wrk (Debian package `wrk`) with the Lua scripts of bench/lua, or autocannon in a child
// process when wrk is missing (with a warning: on two cores it competes with the server for CPU).
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './service.ts';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Per-thread counters of the write script. */
  threads?: WriteThread[];
}

export interface WriteThread {
  tid: number;
  next: number;
  created: number;
  accepted: number;
  confirmed: number;
  failed: number;
  exhausted: number;
  statuses: Record<string, number>;
}

export interface LoadOptions {
  /** Base URL (the first instance); `hosts` spreads threads over several. */
  url: string;
  hosts?: string[];
  /** `head`: HEAD requests, which wrk cannot read (bench/head-load.ts runs them). */
  script: 'read' | 'write' | 'head';
  args: string[];
  threads: number;
  connections: number;
  seconds: number;
}

const LUA_DIR = path.join(ROOT, 'bench', 'lua');

let tool: 'wrk' | 'autocannon' | undefined;

export function loadTool(): 'wrk' | 'autocannon' {
  if (tool !== undefined) return tool;
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    tool = 'wrk';
  } catch (error) {
    // wrk --version exits 1 after printing its banner; only a missing binary is ENOENT.
    tool = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'autocannon' : 'wrk';
  }
  if (tool === 'autocannon') {
    console.warn(
      'WARNING: wrk not found (Debian package `wrk`); falling back to autocannon, which runs in node and ' +
        'competes with the server for the CPU: figures are lower and not comparable with wrk runs.',
    );
  }
  return tool;
}

export function wrkVersion(): string {
  try {
    execFileSync('wrk', ['--version'], { encoding: 'utf8' });
    return 'wrk';
  } catch (error) {
    const out = String((error as { stdout?: unknown }).stdout ?? '');
    return (
      out
        .split('\n')[0]
        ?.replace(/\s*Copyright.*$/, '')
        .trim() || 'wrk (version unknown)'
    );
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.script === 'head') return runNodeTool('head-load.ts', options);
  if (loadTool() === 'wrk') return runWrk(options);
  if (options.script === 'write') {
    throw new Error('the write path needs wrk (its Lua script keeps per-connection state)');
  }
  return runNodeTool('autocannon-runner.ts', options);
}

function runWrk(options: LoadOptions): Promise<LoadResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    path.join(LUA_DIR, `${options.script}.lua`),
    options.url,
    '--',
    ...options.args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, {
      env: { ...process.env, BENCH_LUA_DIR: LUA_DIR, BENCH_HOSTS: (options.hosts ?? []).join(',') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk failed (${code}): ${err}\n${out}`));
        return;
      }
      resolve(parseReport(JSON.parse(line.slice('BENCHJSON '.length))));
    });
  });
}

interface RawReport {
  requests: number;
  duration_us: number;
  errors: LoadResult['errors'];
  latency_us: Record<keyof LoadResult['latencyMs'], number>;
  threads?: WriteThread[];
}

function parseReport(raw: RawReport): LoadResult {
  const seconds = raw.duration_us / 1e6;
  const ms = (us: number) => us / 1000;
  return {
    requests: raw.requests,
    seconds,
    rps: raw.requests / seconds,
    errors: raw.errors,
    latencyMs: {
      p50: ms(raw.latency_us.p50),
      p90: ms(raw.latency_us.p90),
      p99: ms(raw.latency_us.p99),
      p999: ms(raw.latency_us.p999),
      max: ms(raw.latency_us.max),
      mean: ms(raw.latency_us.mean),
    },
    ...(raw.threads === undefined ? {} : { threads: raw.threads }),
  };
}

/** A load generator of bench/ in its own node process, reporting the BENCHJSON line of the Lua scripts. */
function runNodeTool(file: string, options: LoadOptions): Promise<LoadResult> {
  const hosts = options.hosts?.length ? options.hosts : [options.url.replace(/^http:\/\//, '')];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench', file), JSON.stringify({ ...options, hosts })],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
      if (code !== 0 || line === undefined) reject(new Error(`${file} failed (${code}): ${out}`));
      else resolve(parseReport(JSON.parse(line.slice('BENCHJSON '.length))));
    });
  });
}
