// `npm run bench [-- --quick] [--engines=sqlite,postgres] [--runtime=dist|tsx] [--profile] [--keep]`
//
// Seeds datasets through the store layer, starts the service as separate processes on loopback and drives
// them with wrk at 10 connections: a warm-up, then measured passes (median and min–max). Baselines are bare
// node:http servers answering the same bytes. Results go to bench/results/ (JSON, SVG) and the terminal.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../src/clock.ts';
import { openStore, type Store } from '../src/db/database.ts';
import { TokenService } from '../src/identity/token.service.ts';
import { freePort } from '../test/support/net.ts';
import { coldStart } from './coldstart.ts';
import {
  buildBaselineFixture,
  ownerTokens,
  type PlannedRequest,
  planRequests,
  READ_SCENARIOS,
  type ReadScenario,
  SCENARIO_TITLES,
  writeRequestFile,
} from './fixtures.ts';
import { type LoadResult, loadTool, runLoad, wrkVersion } from './load.ts';
import { type BenchCluster, startBenchCluster } from './postgres.ts';
import { formatProfile, monotonicUs, newestProfile, summarizeProfile } from './profile.ts';
import {
  type BenchReport,
  formatTable,
  type PassFigure,
  ratioChart,
  type ScenarioResult,
  spread,
  type TargetResult,
  type WriteScenarioResult,
} from './report.ts';
import { type Dataset, type Layout, seed } from './seed.ts';
import {
  httpRequest,
  type ServiceInstance as Instance,
  PUBLIC_URL,
  type RawResponse,
  ROOT,
  type Runtime,
  ServiceInstance,
  type ServiceOptions,
  sleep,
} from './service.ts';
import { type SmtpSink, startSmtpSink } from './smtp-sink.ts';
import { planWrites, runWritePath, writeCommunities } from './write.ts';

type Engine = 'sqlite' | 'postgres';

/** Where one measurement goes: a service (one or more instances) or a baseline. */
interface Target {
  server: string;
  urls: string[];
  file: string;
  instances: Instance[];
  where: { engine?: Engine; size?: 'small' | 'large' };
  warmup?: number;
}

interface Mode {
  name: 'quick' | 'full';
  warmup: number;
  pass: number;
  passes: number;
  writeWarmup: number;
  writePass: number;
  writePasses: number;
  drainTimeout: number;
  baseline: ReadScenario[];
  small: Record<Engine, ReadScenario[]>;
  large: ReadScenario[];
  twoInstances: ReadScenario[];
  coldStartRuns: number;
  layouts: { small: Layout; large: Layout };
}

const CONNECTIONS = 10;
const READ_THREADS = 2;
const WRITE_THREADS = 10;

const small = (guests: number): Layout => ({
  name: 'small',
  invitations: 1000,
  communities: 10,
  pagedCommunities: 1,
  write: { owners: WRITE_THREADS, communitiesPerOwner: 10, guests },
});

const MODES: Record<'quick' | 'full', Mode> = {
  full: {
    name: 'full',
    warmup: 2,
    pass: 3,
    passes: 3,
    writeWarmup: 2,
    writePass: 3,
    writePasses: 3,
    drainTimeout: 15,
    baseline: ['get', 'list', 'users', 'users-head'],
    small: { sqlite: [...READ_SCENARIOS], postgres: [...READ_SCENARIOS] },
    large: [...READ_SCENARIOS],
    twoInstances: ['get', 'list'],
    coldStartRuns: 5,
    layouts: {
      small: small(300),
      large: { name: 'large', invitations: 1_000_000, communities: 10_000, pagedCommunities: 900 },
    },
  },
  quick: {
    name: 'quick',
    warmup: 1,
    pass: 1,
    passes: 2,
    writeWarmup: 1,
    writePass: 2,
    writePasses: 2,
    drainTimeout: 3,
    baseline: ['get', 'list'],
    small: { sqlite: [...READ_SCENARIOS], postgres: ['get', 'list', 'first'] },
    large: ['get', 'first'],
    twoInstances: ['get'],
    coldStartRuns: 1,
    layouts: {
      small: small(100),
      // Quick mode's "large" is 50,000 invitations in 500 communities, not a million.
      large: { name: 'large', invitations: 50_000, communities: 500, pagedCommunities: 45 },
    },
  },
};

interface Cli {
  mode: Mode;
  engines: Engine[];
  runtime: Runtime;
  profile: boolean;
  keep: boolean;
  pgSynchronousCommit: boolean;
  smtpNoPool: boolean;
}

function parseCli(argv: string[]): Cli {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key !== undefined) flags.set(key, value ?? 'true');
  }
  const known = [
    'quick',
    'engines',
    'runtime',
    'profile',
    'keep',
    'pg-synchronous-commit',
    'smtp-no-pool',
    'help',
  ];
  for (const key of flags.keys()) {
    if (!known.includes(key)) throw new Error(`unknown option --${key} (known: ${known.join(', ')})`);
  }
  if (flags.has('help')) {
    console.log(
      'npm run bench -- [--quick] [--engines=sqlite,postgres] [--runtime=dist|tsx] [--profile] [--keep] [--pg-synchronous-commit] [--smtp-no-pool]',
    );
    process.exit(0);
  }
  const engines = (flags.get('engines') ?? 'sqlite,postgres').split(',') as Engine[];
  for (const e of engines) if (e !== 'sqlite' && e !== 'postgres') throw new Error(`unknown engine ${e}`);
  const runtime = (flags.get('runtime') ?? 'dist') as Runtime;
  if (runtime !== 'dist' && runtime !== 'tsx') throw new Error(`unknown runtime ${runtime}`);
  return {
    mode: MODES[flags.has('quick') ? 'quick' : 'full'],
    engines,
    runtime,
    profile: flags.has('profile'),
    keep: flags.has('keep'),
    pgSynchronousCommit: flags.has('pg-synchronous-commit'),
    smtpNoPool: flags.has('smtp-no-pool'),
  };
}

const started = Date.now();
const log = (message: string) => {
  const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${seconds}s] ${message}`);
};

class Bench {
  readonly work: string;
  readonly resultsDir = path.join(ROOT, 'bench', 'results');
  readonly signingKeyFile: string;
  readonly report: BenchReport;
  private tokens!: TokenService;
  private readonly instances = new Set<Instance>();
  private cluster?: BenchCluster;

  constructor(readonly cli: Cli) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    this.work = path.join(this.resultsDir, `work-${stamp}`);
    this.signingKeyFile = path.join(this.work, 'signing-key.json');
    mkdirSync(this.work, { recursive: true });
    const cpus = os.cpus();
    this.report = {
      mode: cli.mode.name,
      startedAt: new Date().toISOString(),
      finishedAt: '',
      seconds: 0,
      machine: {
        cores: cpus.length,
        model: cpus[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`,
        node: process.versions.node,
        sqlite: '',
        postgres: '',
        loadTool: '',
        loadAverageBefore: os.loadavg(),
        loadAverageAfter: [],
      },
      settings: {
        runtime: cli.runtime,
        connections: CONNECTIONS,
        readThreads: READ_THREADS,
        writeConnections: WRITE_THREADS,
        warmupSeconds: cli.mode.warmup,
        passSeconds: cli.mode.pass,
        passes: cli.mode.passes,
        postgres: [],
        layouts: cli.mode.layouts,
        log: 'pino JSON at the default level (info) to /dev/null',
        smtp: cli.smtpNoPool
          ? 'CONVENE_SMTP_URL=smtp://127.0.0.1:<sink>/?pool=false (a connection per message)'
          : 'CONVENE_SMTP_URL=smtp://127.0.0.1:<sink> (the default: pooled connections)',
      },
      seeds: [],
      baselineChecks: [],
      scenarios: [],
      writes: [],
      coldStart: [],
      scale: [],
      targets: [],
      profiles: [],
      warnings: [],
    };
  }

  warn(message: string): void {
    log(`WARNING: ${message}`);
    this.report.warnings.push(message);
  }

  async prepare(): Promise<void> {
    const tool = loadTool();
    this.report.machine.loadTool = tool === 'wrk' ? wrkVersion() : 'autocannon (wrk missing)';
    if (this.cli.runtime === 'dist') {
      // As `npm start` does (prestart: npm run build); a no-op in under a second when dist/ is current.
      log('npm run build (tsc -b tsconfig.build.json)');
      const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
      execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    }
    this.tokens = await TokenService.create(
      { publicUrl: PUBLIC_URL, trustedIssuers: [], signingKeyFile: this.signingKeyFile },
      systemClock,
    );
  }

  /** The sink as CONVENE_SMTP_URL; `--smtp-no-pool` adds nodemailer's `?pool=false` (a connection per message). */
  smtpUrl(sink: SmtpSink): string {
    return this.cli.smtpNoPool ? `${sink.url}/?pool=false` : sink.url;
  }

  serviceOptions(databaseUrl: string, port: number, extra: Partial<ServiceOptions> = {}): ServiceOptions {
    return {
      runtime: this.cli.runtime,
      port,
      dataDir: path.join(this.work, `data-${port}`),
      signingKeyFile: this.signingKeyFile,
      databaseUrl,
      ...extra,
    };
  }

  async startService(options: ServiceOptions, label: string): Promise<Instance> {
    const instance = await ServiceInstance.start(options, label);
    this.instances.add(instance);
    return instance;
  }

  async stopService(instance: Instance): Promise<void> {
    await instance.stop();
    this.instances.delete(instance);
  }

  async interrupt(): Promise<void> {
    await this.stopAll();
    await this.cluster?.stop();
    this.cleanup();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.instances].map((i) => i.stop()));
    this.instances.clear();
  }

  async seedDataset(store: Store, engine: Engine, layout: Layout): Promise<Dataset> {
    log(`seeding ${engine} ${layout.name}: ${layout.invitations.toLocaleString('en-US')} invitations`);
    const dataset = await seed(store, layout, (m) => log(`  ${m}`));
    log(`  seeded in ${dataset.seconds.toFixed(1)} s`);
    this.report.seeds.push({ engine, size: layout.name, seconds: dataset.seconds, rows: dataset.rows });
    return dataset;
  }

  /** Request files per scenario, and the owner tokens they carry. */
  async requestFiles(dataset: Dataset, tag: string, scenarios: ReadScenario[]) {
    const plans = new Map<ReadScenario, PlannedRequest[]>();
    for (const s of scenarios) plans.set(s, planRequests(dataset, s));
    const owners = new Set<number>();
    for (const list of plans.values()) for (const r of list) owners.add(r.owner);
    const tokens = await ownerTokens(this.tokens, dataset, owners);
    const files = new Map<ReadScenario, string>();
    for (const [s, list] of plans) {
      const file = path.join(this.work, `requests-${tag}-${s}.txt`);
      writeRequestFile(file, list, tokens);
      files.set(s, file);
    }
    return { plans, tokens, files };
  }

  async load(urls: string[], file: string, seconds: number, head = false): Promise<LoadResult> {
    return runLoad({
      url: urls[0] as string,
      hosts: urls.length > 1 ? urls.map((u) => u.replace(/^http:\/\//, '')) : [],
      script: head ? 'head' : 'read',
      args: [file],
      threads: READ_THREADS,
      connections: CONNECTIONS,
      seconds,
    });
  }

  /**
   * Warm-up, then the measured passes. With several targets (the same scenario on the 1,000 and the large
   * dataset), each gets its warm-up and then their passes alternate, so a change in the machine's load
   * during the run falls on both alike.
   */
  async measure(scenario: ReadScenario, targets: Target[]): Promise<ScenarioResult[]> {
    const { mode } = this.cli;
    const head = scenario === 'users-head';
    const name = (t: Target) =>
      t.where.engine === undefined
        ? t.server
        : `${t.where.engine} ${t.where.size}${t.instances.length > 1 ? ` ×${t.instances.length}` : ''}`;
    const passes: PassFigure[][] = targets.map(() => []);
    for (const t of targets) {
      for (const i of t.instances) i.takeWindowRss();
      const warm = await this.load(t.urls, t.file, t.warmup ?? mode.warmup, head);
      if (warm.errors.status + warm.errors.connect + warm.errors.timeout > 0) {
        this.warn(`${scenario} on ${name(t)}: errors in the warm-up ${JSON.stringify(warm.errors)}`);
      }
    }
    for (let p = 0; p < mode.passes; p++) {
      for (const [k, t] of targets.entries()) {
        const r = await this.load(t.urls, t.file, mode.pass, head);
        const errors = r.errors.status + r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout;
        if (errors > 0) this.warn(`${scenario} on ${name(t)}: ${JSON.stringify(r.errors)} in a pass`);
        passes[k]?.push({
          rps: r.rps,
          p50Ms: r.latencyMs.p50,
          p99Ms: r.latencyMs.p99,
          p999Ms: r.latencyMs.p999,
          maxMs: r.latencyMs.max,
          errors,
          requests: r.requests,
        });
      }
    }
    return targets.map((t, k) => {
      const own = passes[k] ?? [];
      const result: ScenarioResult = {
        scenario,
        title: SCENARIO_TITLES[scenario],
        server: t.server,
        ...t.where,
        instances: Math.max(1, t.instances.length),
        passes: own,
        rps: spread(own.map((x) => x.rps)),
        p99Ms: spread(own.map((x) => x.p99Ms)),
        rssMb: t.instances.map((i) => Math.round(i.takeWindowRss())),
      };
      log(
        `  ${scenario.padEnd(10)} ${name(t).padEnd(22)} ${Math.round(result.rps.median).toString().padStart(6)} req/s (${Math.round(result.rps.min)}–${Math.round(result.rps.max)}), p99 ${result.p99Ms.median.toFixed(2)} ms${result.rssMb.length ? `, RSS ${result.rssMb.join('/')} MB` : ''}`,
      );
      this.report.scenarios.push(result);
      return result;
    });
  }

  async baselines(store: Store, dataset: Dataset, serviceUrl: string): Promise<void> {
    const { mode } = this.cli;
    const { plans, tokens, files } = await this.requestFiles(dataset, 'baseline', mode.baseline);
    const { fixture, checks } = await buildBaselineFixture(store, dataset, plans, tokens, serviceUrl);
    this.report.baselineChecks = checks;
    for (const c of checks) {
      log(
        `  baseline ${c.scenario}: ${c.compared} responses byte-identical to the service's (${c.bodyBytes} B body)`,
      );
    }
    const fixtureFile = path.join(this.work, 'baseline-fixture.json');
    writeFileSync(fixtureFile, JSON.stringify(fixture));
    for (const kind of ['stringify', 'bytes'] as const) {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'bench', 'baseline-server.ts'), fixtureFile, String(port), kind],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`baseline exited ${code}`)));
      });
      try {
        await this.sameAnswers(plans, tokens, serviceUrl, `http://127.0.0.1:${port}`, kind);
        for (const s of mode.baseline) {
          const url = `http://127.0.0.1:${port}`;
          const target = {
            server: `baseline ${kind}`,
            urls: [url],
            file: files.get(s) as string,
            instances: [],
          };
          await this.measure(s, [{ ...target, where: {}, warmup: 1 }]);
        }
      } finally {
        child.kill('SIGTERM');
      }
    }
  }

  /** The baseline answers exactly as the service does: status, header names and values, body bytes. */
  async sameAnswers(
    plans: Map<ReadScenario, PlannedRequest[]>,
    tokens: Map<number, string>,
    serviceUrl: string,
    baselineUrl: string,
    kind: string,
  ): Promise<void> {
    const varying = new Set(['date', 'operation-id']);
    for (const [scenario, requests] of plans) {
      const r = requests[0] as PlannedRequest;
      const options = { method: r.method, headers: { authorization: `Bearer ${tokens.get(r.owner)}` } };
      const [a, b] = [
        await httpRequest(serviceUrl + r.path, options),
        await httpRequest(baselineUrl + r.path, options),
      ];
      const headers = (x: RawResponse) =>
        JSON.stringify(
          Object.entries(x.headers)
            .map(([k, v]) => [k, varying.has(k) ? '*' : v])
            .sort(),
        );
      if (a.status !== b.status || !a.body.equals(b.body) || headers(a) !== headers(b)) {
        throw new Error(
          `baseline ${kind} ${scenario}: answers differ\nservice:  ${headers(a)}\nbaseline: ${headers(b)}`,
        );
      }
    }
  }

  /** The read scenarios, each on every dataset given (passes alternating between them). */
  async reads(
    engine: Engine,
    sets: { size: 'small' | 'large'; dataset: Dataset; instances: Instance[] }[],
    scenarios: ReadScenario[],
  ) {
    const files = await Promise.all(
      sets.map(
        async (set) =>
          (await this.requestFiles(set.dataset, `${engine}-${set.size}-${set.instances.length}`, scenarios))
            .files,
      ),
    );
    for (const s of scenarios) {
      await this.measure(
        s,
        sets.map((set, k) => ({
          server: 'service',
          urls: set.instances.map((i) => i.url),
          file: files[k]?.get(s) as string,
          instances: set.instances,
          where: { engine, size: set.size },
        })),
      );
    }
  }

  async writes(
    engine: Engine,
    store: Store,
    dataset: Dataset,
    instances: Instance[],
    sink: SmtpSink,
    planFile: string,
    plan?: Awaited<ReturnType<typeof planWrites>>,
  ) {
    const { mode } = this.cli;
    if (loadTool() !== 'wrk') {
      this.warn(`write path on ${engine} skipped: it needs wrk`);
      return plan;
    }
    const writePlan = plan ?? (await planWrites(dataset, this.tokens, planFile, WRITE_THREADS));
    log(`  write path on ${engine} ×${instances.length}`);
    for (const i of instances) i.takeWindowRss();
    const result = await runWritePath({
      plan: writePlan,
      urls: instances.map((i) => i.url),
      ackDir: path.join(this.work, 'acks'),
      warmupSeconds: mode.writeWarmup,
      passSeconds: mode.writePass,
      passes: mode.writePasses,
      label: `${engine}-${instances.length}`,
      store,
      sink,
      communities: writeCommunities(dataset),
      drainTimeoutSeconds: mode.drainTimeout,
      log,
    });
    const v = result.verification;
    const entry: WriteScenarioResult = {
      engine,
      instances: instances.length,
      warmup: result.warmup,
      passes: result.passes,
      transitionsPerSecond: spread(result.passes.map((p) => p.transitionsPerSecond)),
      createsPerSecond: spread(result.passes.map((p) => p.createsPerSecond)),
      p99Ms: spread(result.passes.map((p) => p.p99Ms)),
      rssMb: instances.map((i) => Math.round(i.takeWindowRss())),
      verification: v,
    };
    this.report.writes.push(entry);
    const failed = result.passes.reduce((n, p) => n + p.failed, result.warmup.failed);
    if (failed > 0) {
      const statuses = result.passes.map((p) => JSON.stringify(p.statuses)).join(' ');
      this.warn(`write path on ${engine} ×${instances.length}: ${failed} requests failed (${statuses})`);
    }
    log(
      `    ${Math.round(entry.transitionsPerSecond.median)} transitions/s (${Math.round(entry.transitionsPerSecond.min)}–${Math.round(entry.transitionsPerSecond.max)}), p99 ${entry.p99Ms.median.toFixed(1)} ms, lost ${v.lost}, duplicated ${v.duplicated}, unacknowledged ${v.unacknowledged}`,
    );
    log(
      `    mail: ${v.mail.delivered}/${v.mail.expected} delivered, ${Math.round(v.mail.perSecondUnderLoad)}/s under load, ${Math.round(v.mail.perSecondOverall)}/s overall, ${v.mail.pendingAfterDrain} pending after ${v.mail.drainSeconds.toFixed(1)} s`,
    );
    return writePlan;
  }

  async coldStarts(databaseUrl: string, dataset: Dataset): Promise<void> {
    const first = planRequests(dataset, 'get')[0] as PlannedRequest;
    const token = (await ownerTokens(this.tokens, dataset, [first.owner])).get(first.owner) as string;
    const runtimes: Runtime[] = this.cli.runtime === 'dist' ? ['dist', 'tsx'] : ['tsx'];
    for (const runtime of runtimes) {
      const port = await freePort();
      const ms = await coldStart(
        { ...this.serviceOptions(databaseUrl, port), runtime },
        { path: first.path, token },
        this.cli.mode.coldStartRuns,
      );
      const median = spread(ms).median;
      this.report.coldStart.push({ runtime, ms: ms.map(Math.round), median: Math.round(median) });
      log(`  cold start (${runtime}): median ${Math.round(median)} ms (${ms.map(Math.round).join(', ')})`);
    }
  }

  /** The read scenarios on the 1,000 and the large dataset, passes alternating where a scenario runs on both. */
  async readsBySize(
    engine: Engine,
    small: { dataset: Dataset; instances: Instance[] },
    large: { dataset: Dataset; instances: Instance[] },
  ): Promise<void> {
    const { mode } = this.cli;
    const scenarios = mode.small[engine];
    const both = scenarios.filter((s) => mode.large.includes(s));
    const smallSet = { size: 'small' as const, ...small };
    const largeSet = { size: 'large' as const, ...large };
    await this.reads(engine, [smallSet, largeSet], both);
    await this.reads(
      engine,
      [smallSet],
      scenarios.filter((s) => !both.includes(s)),
    );
  }

  async runSqlite(): Promise<void> {
    const { mode } = this.cli;
    const smtp = await startSmtpSink();
    try {
      const file = path.join(this.work, 'sqlite-small.db');
      const store = openStore({ kind: 'sqlite', path: file });
      this.report.machine.sqlite = await store.version();
      const dataset = await this.seedDataset(store, 'sqlite', mode.layouts.small);
      const largeFile = path.join(this.work, 'sqlite-large.db');
      const largeStore = openStore({ kind: 'sqlite', path: largeFile });
      const large = await this.seedDataset(largeStore, 'sqlite', mode.layouts.large);
      await largeStore.close();

      const url = `sqlite:${file}`;
      const service = await this.startService(
        this.serviceOptions(url, await freePort(), { smtpUrl: this.smtpUrl(smtp) }),
        'sqlite small',
      );
      const largeService = await this.startService(
        this.serviceOptions(`sqlite:${largeFile}`, await freePort()),
        'sqlite large',
      );
      log('baselines (bare node:http)');
      await this.baselines(store, dataset, service.url);
      log(`SQLite, 1,000 and ${mode.layouts.large.invitations.toLocaleString('en-US')} invitations`);
      await this.readsBySize(
        'sqlite',
        { dataset, instances: [service] },
        { dataset: large, instances: [largeService] },
      );
      await this.stopService(largeService);
      if (!this.cli.keep) rmSync(largeFile, { force: true });

      await this.writes('sqlite', store, dataset, [service], smtp, path.join(this.work, 'writes-sqlite.txt'));
      await this.stopService(service);
      log('cold start (migrated SQLite database)');
      await this.coldStarts(url, dataset);
      await store.close();
    } finally {
      await smtp.close();
    }
  }

  async runPostgres(): Promise<void> {
    const { mode } = this.cli;
    log('starting a throwaway PostgreSQL cluster');
    const cluster = await startBenchCluster({ synchronousCommit: this.cli.pgSynchronousCommit });
    this.cluster = cluster;
    this.report.machine.postgres = cluster.version;
    this.report.settings.postgres = cluster.settings;
    const smtp = await startSmtpSink();
    try {
      const url = await cluster.createDatabase('bench_small');
      const store = openStore({ kind: 'postgres', url });
      const dataset = await this.seedDataset(store, 'postgres', mode.layouts.small);
      const largeUrl = await cluster.createDatabase('bench_large');
      const largeStore = openStore({ kind: 'postgres', url: largeUrl });
      const large = await this.seedDataset(largeStore, 'postgres', mode.layouts.large);
      await largeStore.close();

      const options = (port: number) => this.serviceOptions(url, port, { smtpUrl: this.smtpUrl(smtp) });
      const a = await this.startService(options(await freePort()), 'postgres A');
      const largeService = await this.startService(
        this.serviceOptions(largeUrl, await freePort()),
        'postgres large',
      );
      log(
        `PostgreSQL, 1,000 and ${mode.layouts.large.invitations.toLocaleString('en-US')} invitations, one instance`,
      );
      await this.readsBySize(
        'postgres',
        { dataset, instances: [a] },
        { dataset: large, instances: [largeService] },
      );
      await this.stopService(largeService);

      const b = await this.startService(options(await freePort()), 'postgres B');
      log('PostgreSQL, two instances on one database');
      await this.reads('postgres', [{ size: 'small', dataset, instances: [a, b] }], mode.twoInstances);
      await this.writes(
        'postgres',
        store,
        dataset,
        [a, b],
        smtp,
        path.join(this.work, 'writes-postgres.txt'),
      );
      await this.stopService(a);
      await this.stopService(b);
      await store.close();
    } finally {
      await this.stopAll();
      await smtp.close();
      await cluster.stop();
      this.cluster = undefined;
    }
  }

  /** --profile: CPU profiles of the service under each main load, and of a cold start. */
  async runProfiles(): Promise<void> {
    const { mode } = this.cli;
    const dir = path.join(this.resultsDir, 'profiles');
    mkdirSync(dir, { recursive: true });
    const smtp = await startSmtpSink();
    const file = path.join(this.work, 'sqlite-profile.db');
    const store = openStore({ kind: 'sqlite', path: file });
    this.report.machine.sqlite = await store.version();
    const dataset = await this.seedDataset(store, 'sqlite', mode.layouts.small);
    const url = `sqlite:${file}`;
    const { files } = await this.requestFiles(dataset, 'profile', ['get', 'list', 'users']);
    const seconds = Math.max(5, mode.pass * mode.passes);
    let writePlan: Awaited<ReturnType<typeof planWrites>> | undefined;
    try {
      for (const name of ['get', 'list', 'users', 'write'] as const) {
        const profileDir = path.join(dir, `${name}-${Date.now()}`);
        mkdirSync(profileDir, { recursive: true });
        const service = await this.startService(
          this.serviceOptions(url, await freePort(), {
            smtpUrl: this.smtpUrl(smtp),
            cpuProfileDir: profileDir,
          }),
          `profile ${name}`,
        );
        await this.load([service.url], files.get('get') as string, 1);
        const startUs = monotonicUs();
        if (name === 'write') {
          writePlan = await this.writes(
            'sqlite',
            store,
            dataset,
            [service],
            smtp,
            path.join(this.work, 'writes-profile.txt'),
            writePlan,
          );
        } else {
          const r = await this.load([service.url], files.get(name) as string, seconds);
          log(`  profile ${name}: ${Math.round(r.rps)} req/s under the profiler`);
        }
        const endUs = monotonicUs();
        await this.stopService(service);
        const profile = newestProfile(profileDir);
        if (profile === undefined) {
          this.warn(`no CPU profile written for ${name}`);
          continue;
        }
        const summary = summarizeProfile(profile, 20, { startUs, endUs });
        this.report.profiles.push({ name, summary });
        console.log(formatProfile(`profile: ${name}`, summary));
      }
      const coldDir = path.join(dir, `coldstart-${Date.now()}`);
      mkdirSync(coldDir, { recursive: true });
      const first = planRequests(dataset, 'get')[0] as PlannedRequest;
      const token = (await ownerTokens(this.tokens, dataset, [first.owner])).get(first.owner) as string;
      await coldStart(
        this.serviceOptions(url, await freePort(), { cpuProfileDir: coldDir }),
        { path: first.path, token },
        1,
      );
      const profile = newestProfile(coldDir);
      if (profile !== undefined) {
        const summary = summarizeProfile(profile, 20);
        this.report.profiles.push({ name: 'cold start', summary });
        console.log(formatProfile('profile: cold start', summary));
      }
    } finally {
      await this.stopAll();
      await store.close();
      await smtp.close();
    }
  }

  conclude(): void {
    const r = this.report;
    const find = (scenario: string, server: string, engine?: Engine, size?: string, instances = 1) =>
      r.scenarios.find(
        (s) =>
          s.scenario === scenario &&
          s.server === server &&
          s.engine === engine &&
          s.size === size &&
          s.instances === instances,
      );
    for (const s of r.scenarios) {
      if (s.server !== 'service') continue;
      const stringify = find(s.scenario, 'baseline stringify');
      const bytes = find(s.scenario, 'baseline bytes');
      s.ratio = {
        ...(stringify ? { stringify: s.rps.median / stringify.rps.median } : {}),
        ...(bytes ? { bytes: s.rps.median / bytes.rps.median } : {}),
      };
      const check = r.baselineChecks.find((c) => c.scenario === s.scenario);
      if (check) s.responseBytes = check.bodyBytes;
    }
    for (const engine of ['sqlite', 'postgres'] as const) {
      for (const scenario of READ_SCENARIOS) {
        const a = find(scenario, 'service', engine, 'small');
        const b = find(scenario, 'service', engine, 'large');
        if (a && b) {
          r.scale.push({
            engine,
            scenario,
            smallP99Ms: a.p99Ms.median,
            largeP99Ms: b.p99Ms.median,
            ratio: b.p99Ms.median / a.p99Ms.median,
          });
        }
      }
    }
    const targets: TargetResult[] = [];
    const get = find('get', 'service', 'sqlite', 'small');
    const list = find('list', 'service', 'sqlite', 'small');
    const ratioText = (s?: ScenarioResult) =>
      s?.ratio?.stringify === undefined
        ? 'not measured'
        : `${s.ratio.stringify.toFixed(2)}× (vs bytes ${s.ratio.bytes?.toFixed(2) ?? '?'}×; ${Math.round(s.rps.median)} req/s)`;
    targets.push({
      name: 'GET by id, SQLite vs bare node',
      target: '≥ 0.50×',
      measured: ratioText(get),
      met: get?.ratio?.stringify === undefined ? null : get.ratio.stringify >= 0.5,
    });
    targets.push({
      name: 'GET by id, SQLite p99 at 10 connections',
      target: '≤ 5 ms',
      measured: get
        ? `${get.p99Ms.median.toFixed(2)} ms (passes ${get.p99Ms.min.toFixed(2)}–${get.p99Ms.max.toFixed(2)})`
        : 'not measured',
      met: get ? get.p99Ms.median <= 5 : null,
    });
    targets.push({
      name: `List of 100 (${list?.responseBytes ? `${(list.responseBytes / 1024).toFixed(0)} KB` : '~45 KB'}), SQLite vs bare node`,
      target: '≥ 0.50×',
      measured: ratioText(list),
      met: list?.ratio?.stringify === undefined ? null : list.ratio.stringify >= 0.5,
    });
    for (const engine of ['sqlite', 'postgres'] as const) {
      const w = r.writes.find((x) => x.engine === engine && x.instances === (engine === 'sqlite' ? 1 : 2));
      targets.push({
        name: `Accept/Confirm transitions, ${engine}${engine === 'postgres' ? ' (2 instances)' : ''}`,
        target: '≥ 2,000/s, none lost or duplicated',
        measured: w
          ? `${Math.round(w.transitionsPerSecond.median)}/s (${Math.round(w.transitionsPerSecond.min)}–${Math.round(w.transitionsPerSecond.max)}), lost ${w.verification.lost}, duplicated ${w.verification.duplicated}`
          : 'not measured',
        met: w
          ? w.transitionsPerSecond.median >= 2000 &&
            w.verification.lost === 0 &&
            w.verification.duplicated === 0
          : null,
      });
    }
    const largeName = `${this.cli.mode.layouts.large.invitations.toLocaleString('en-US')}${r.mode === 'quick' ? ' (quick)' : ''}`;
    for (const engine of ['sqlite', 'postgres'] as const) {
      const rows = r.scale.filter(
        (s) => s.engine === engine && (s.scenario === 'get' || s.scenario === 'first'),
      );
      targets.push({
        name: `${largeName} vs 1,000 invitations, p99 of GET and first page, ${engine}`,
        target: '≤ 1.5×',
        measured: rows.length
          ? rows.map((s) => `${s.scenario} ${s.ratio.toFixed(2)}×`).join(', ')
          : 'not measured',
        met: rows.length === 2 ? rows.every((s) => s.ratio <= 1.5) : null,
      });
    }
    const rss = [...r.scenarios.filter((s) => s.server === 'service'), ...r.writes].flatMap((s) => s.rssMb);
    targets.push({
      name: 'Resident memory under load, per instance',
      target: '≤ 150 MB',
      measured: rss.length ? `max ${Math.max(...rss)} MB` : 'not measured',
      met: rss.length ? Math.max(...rss) <= 150 : null,
    });
    const cold = r.coldStart.find((c) => c.runtime === this.cli.runtime);
    targets.push({
      name: `Cold start to first 200 (migrated SQLite, ${this.cli.runtime})`,
      target: '≤ 1 s',
      measured: cold ? `${cold.median} ms` : 'not measured',
      met: cold ? cold.median <= 1000 : null,
    });
    r.targets = targets;
  }

  /** bench-<time>.json and ratios-<time>.svg (also latest.json, ratios.svg); --profile: profile-<time>.json. */
  save(): string[] {
    const r = this.report;
    r.finishedAt = new Date().toISOString();
    r.seconds = Math.round((Date.now() - started) / 1000);
    r.machine.loadAverageAfter = os.loadavg();
    const stamp = r.startedAt.replace(/[:.]/g, '-').slice(0, 19);
    const text = `${JSON.stringify(r, null, 2)}\n`;
    if (this.cli.profile) {
      const json = path.join(this.resultsDir, `profile-${stamp}.json`);
      writeFileSync(json, text);
      return [json];
    }
    const json = path.join(this.resultsDir, `bench-${stamp}.json`);
    const svg = path.join(this.resultsDir, `ratios-${stamp}.svg`);
    writeFileSync(json, text);
    writeFileSync(svg, ratioChart(r));
    writeFileSync(path.join(this.resultsDir, 'latest.json'), text);
    writeFileSync(path.join(this.resultsDir, 'ratios.svg'), ratioChart(r));
    return [json, svg];
  }

  cleanup(): void {
    if (!this.cli.keep) rmSync(this.work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const bench = new Bench(cli);
  // Interrupted: no service, database cluster or work folder is left behind.
  const stop = () => {
    void bench
      .interrupt()
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  log(
    `mode ${cli.mode.name}, engines ${cli.engines.join(', ')}, service from ${cli.runtime}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  try {
    await bench.prepare();
    if (cli.profile) await bench.runProfiles();
    else {
      if (cli.engines.includes('sqlite')) await bench.runSqlite();
      if (cli.engines.includes('postgres')) await bench.runPostgres();
    }
    bench.conclude();
    const files = bench.save();
    console.log('');
    console.log(formatTable(bench.report));
    console.log('');
    console.log(`results: ${files.map((f) => path.relative(ROOT, f)).join(', ')}`);
    await sleep(0);
  } finally {
    await bench.stopAll();
    bench.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
