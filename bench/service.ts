// The service under test as a separate process on loopback, started the way `npm start` starts it, and
// its resident memory read from /proc while it runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Every instance shares the issuer, so tokens minted by the bench verify on all of them. */
export const PUBLIC_URL = 'http://convene.bench';

export type Runtime = 'dist' | 'tsx';

export interface ServiceOptions {
  runtime: Runtime;
  port: number;
  dataDir: string;
  signingKeyFile: string;
  databaseUrl: string;
  smtpUrl?: string;
  /** Folder for a V8 CPU profile written when the instance stops (`node --cpu-prof`). */
  cpuProfileDir?: string;
}

export function serviceCommand(runtime: Runtime): string[] {
  return runtime === 'dist' ? [path.join(ROOT, 'dist/server.js')] : ['--import', 'tsx', 'src/server.ts'];
}

/** The service's configuration for the bench: its defaults, except what a benchmark must pin. */
export function serviceEnv(options: ServiceOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Only what a node process needs from ours: no CONVENE_* of the developer's shell leaks in.
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return {
    ...env,
    CONVENE_HOST: '127.0.0.1',
    CONVENE_PORT: String(options.port),
    CONVENE_PUBLIC_URL: PUBLIC_URL,
    CONVENE_DATA_DIR: options.dataDir,
    CONVENE_SIGNING_KEY_FILE: options.signingKeyFile,
    CONVENE_DATABASE_URL: options.databaseUrl,
    // The write path creates thousands of invitations per tenant: the daily abuse limits would answer 429
    // after the first few hundred. The limits stay on (their counters cost what they cost) at a ceiling
    // the run cannot reach.
    CONVENE_RATE_INVITATIONS_PER_TENANT_PER_DAY: '1000000',
    CONVENE_RATE_INVITATIONS_PER_RECIPIENT_PER_DAY: '1000000',
    ...(options.smtpUrl === undefined ? {} : { CONVENE_SMTP_URL: options.smtpUrl }),
  };
}

export class ServiceInstance {
  readonly url: string;
  private stderr = '';
  private exited?: Promise<number | null>;
  private rssTimer?: NodeJS.Timeout;
  private windowMax = 0;
  peakRssMb = 0;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly label: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-20_000);
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  static spawn(options: ServiceOptions, label: string): ServiceInstance {
    const args = [
      ...(options.cpuProfileDir === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, '--cpu-prof-interval=500']),
      ...serviceCommand(options.runtime),
    ];
    // Logs (pino, JSON at the default level info) go to /dev/null: a write per line, as to a pipe, without
    // a reader that competes for the two cores.
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: serviceEnv(options),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return new ServiceInstance(child, options.port, label);
  }

  static async start(options: ServiceOptions, label: string): Promise<ServiceInstance> {
    const instance = ServiceInstance.spawn(options, label);
    await instance.ready();
    instance.sampleRss();
    return instance;
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited?.then((code) => {
      exitCode = code;
    });
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${this.label} exited (${exitCode}):\n${this.stderr}`);
      const status = await httpStatus(`${this.url}/health/ready`).catch(() => 0);
      if (status === 200) return;
      await sleep(20);
    }
    throw new Error(`${this.label} did not become ready in ${timeoutMs} ms:\n${this.stderr}`);
  }

  /** VmRSS of the process now, in MB. */
  rssMb(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    } catch {
      return 0;
    }
  }

  private sampleRss(): void {
    this.rssTimer = setInterval(() => {
      const mb = this.rssMb();
      if (mb > this.windowMax) this.windowMax = mb;
      if (mb > this.peakRssMb) this.peakRssMb = mb;
    }, 200);
    this.rssTimer.unref();
  }

  /** The highest RSS since the previous call (one scenario's window). */
  takeWindowRss(): number {
    const max = Math.max(this.windowMax, this.rssMb());
    this.windowMax = 0;
    return max;
  }

  get errors(): string {
    return this.stderr;
  }

  async stop(): Promise<void> {
    clearInterval(this.rssTimer);
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error('timeout')));
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            rawHeaders: response.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}
