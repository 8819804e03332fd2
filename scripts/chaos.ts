// `npm run test:chaos [-- --long]`: the crash run (scripts/chaos/crash.ts) on SQLite and on PostgreSQL, the
// two-instance run (test/chaos/two-instances.ts) and, when test/fuzz/fuzz.ts exists, the OpenAPI fuzzer;
// then the figures. The short setting takes a few minutes on two cores; --long runs the full sizes
// (1,000 writes per crash run, 100,000 fuzzed requests). PostgreSQL is CONVENE_TEST_DATABASE_URL or a
// throwaway cluster started here. Exits non-zero when any run fails; the others still run.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  describeTwoInstances,
  runTwoInstances,
  type TwoInstanceFigures,
} from '../test/chaos/two-instances.ts';
import type { TestApp } from '../test/support/app.ts';
import { type PostgresCluster, startPostgresCluster } from '../test/support/postgres.ts';
import { type CrashFigures, describeCrash, runCrash } from './chaos/crash.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const FUZZER = path.join(root, 'test', 'fuzz', 'fuzz.ts');

interface FuzzResult {
  requests: number;
  byStatus: Record<string, number> | Map<number | string, number>;
  failures: unknown[];
  /** All failures, when `failures` holds only the first of them. */
  failureCount?: number;
}
type RunFuzz = (t: TestApp, options: { requests: number }) => Promise<FuzzResult>;

const { values } = parseArgs({
  options: { long: { type: 'boolean', default: false }, seed: { type: 'string' } },
  strict: true,
});
const long = values.long === true;
const sizes = long
  ? { writes: 1000, concurrency: 32, fuzz: 100_000, invitations: 32 }
  : { writes: 300, concurrency: 32, fuzz: 3000, invitations: 16 };
const seed = values.seed === undefined ? undefined : Number(values.seed);

const failures: string[] = [];
const crashes: CrashFigures[] = [];
let twoInstances: TwoInstanceFigures | undefined;
let fuzz: FuzzResult | undefined;

async function attempt(name: string, work: () => Promise<void>): Promise<void> {
  const started = Date.now();
  console.log(`==> ${name}`);
  try {
    await work();
    console.log(`==> ${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`${name}: ${message.split('\n')[0]}`);
    console.error(`==> ${name}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s\n${message}`);
  }
}

let cluster: PostgresCluster | undefined;
const stop = async (code: number): Promise<never> => {
  await cluster?.stop().catch(() => {});
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(130));

let serverUrl = process.env.CONVENE_TEST_DATABASE_URL?.trim() || undefined;
if (serverUrl === undefined) {
  try {
    cluster = await startPostgresCluster();
    serverUrl = cluster.url;
    console.log(`PostgreSQL: throwaway cluster, ${cluster.version}`);
  } catch (error) {
    failures.push(`PostgreSQL: ${(error as Error).message.split('\n')[0]}`);
    console.error('Could not start a throwaway PostgreSQL cluster; the PostgreSQL runs fail.', error);
  }
} else {
  console.log('PostgreSQL: CONVENE_TEST_DATABASE_URL');
}
console.log(`Chaos, ${long ? 'long' : 'short'} setting: ${JSON.stringify(sizes)}`);

try {
  for (const engine of ['sqlite', 'postgres'] as const) {
    await attempt(`crash [${engine}]`, async () => {
      if (engine === 'postgres' && serverUrl === undefined) throw new Error('no PostgreSQL server');
      const figures = await runCrash({
        engine,
        writes: sizes.writes,
        concurrency: sizes.concurrency,
        ...(seed === undefined ? {} : { seed }),
        ...(serverUrl === undefined ? {} : { serverUrl }),
        log: (line) => console.log(line),
      });
      crashes.push(figures);
      console.log(describeCrash(figures));
    });
  }

  await attempt('two instances [postgres]', async () => {
    if (serverUrl === undefined) throw new Error('no PostgreSQL server');
    twoInstances = await runTwoInstances({
      serverUrl,
      invitations: sizes.invitations,
      log: (line) => console.log(line),
    });
    console.log(describeTwoInstances(twoInstances));
  });

  if (existsSync(FUZZER)) {
    await attempt(`fuzz [sqlite], ${sizes.fuzz} requests`, async () => {
      const { startTestApp } = await import('../test/support/app.ts');
      const { runFuzz } = (await import(pathToFileURL(FUZZER).href)) as { runFuzz: RunFuzz };
      const t = await startTestApp('sqlite');
      try {
        fuzz = await runFuzz(t, { requests: sizes.fuzz });
      } finally {
        await t.close();
      }
      const byStatus = fuzz.byStatus instanceof Map ? Object.fromEntries(fuzz.byStatus) : fuzz.byStatus;
      console.log(`fuzz: ${fuzz.requests} requests, by status ${JSON.stringify(byStatus)}`);
      const failed = fuzz.failureCount ?? fuzz.failures.length;
      if (failed > 0) {
        const shown = fuzz.failures.slice(0, 20).map((f) => (typeof f === 'string' ? f : JSON.stringify(f)));
        throw new Error(`${failed} failures; the first ones:\n  ${shown.join('\n  ')}`);
      }
    });
  } else {
    console.log('==> fuzz: skipped (test/fuzz/fuzz.ts does not exist)');
  }
} finally {
  await cluster?.stop().catch(() => {});
}

const sum = (pick: (f: CrashFigures) => number) => crashes.reduce((n, f) => n + pick(f), 0);
console.log(`\nChaos figures (${long ? 'long' : 'short'} setting):`);
console.log(`  requests fuzzed: ${fuzz === undefined ? 'none (no fuzzer, or it failed)' : fuzz.requests}`);
for (const f of crashes) {
  console.log(
    `  crash [${f.engine}]: ${f.writes} writes, ${f.acknowledged} acknowledged; ${f.acknowledgedBeforeKill} acknowledged before the SIGKILL, ${f.foundAfterKill} found after the restart; ${f.unknownAtKill} in flight (${f.unknownCommitted} committed)`,
  );
}
console.log(
  `  messages delivered: ${sum((f) => f.delivered)} of ${sum((f) => f.messages)} in the crash runs (${sum((f) => f.pendingAtKill)} unsent at the kills, ${sum((f) => f.duplicates)} sent twice)` +
    (twoInstances === undefined
      ? ''
      : `; ${twoInstances.received} of ${twoInstances.messages} with two instances (A ${twoInstances.deliveredByA}, B ${twoInstances.deliveredByB}, each once)`),
);
if (failures.length > 0) {
  console.error(`\nChaos: ${failures.length} failed:\n  ${failures.join('\n  ')}`);
  await stop(1);
}
console.log('\nChaos: all passed.');
await stop(0);
