// `npm test`: provides a PostgreSQL server (CONVENE_TEST_DATABASE_URL or a throwaway cluster), then runs
// node:test over test/**/*.test.ts. `npm test -- file...` runs only those files; arguments starting with
// `-` are passed to node before the files (use the `--flag=value` form). Afterwards it checks that no
// secret the service handed the tests reached the logs of their apps (test/support/secrets.ts, SECURITY.md).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PostgresCluster, startPostgresCluster } from '../test/support/postgres.ts';
import { checkLogsForSecrets } from '../test/support/secrets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function testFiles(): string[] {
  return readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => path.posix.join('test', file.split(path.sep).join('/')))
    .sort();
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

const args = process.argv.slice(2);
const nodeFlags = args.filter((arg) => arg.startsWith('-'));
const explicitFiles = args.filter((arg) => !arg.startsWith('-'));
const files = explicitFiles.length > 0 ? explicitFiles : testFiles();
if (files.length === 0) {
  console.log('No test files found under test/.');
  process.exit(0);
}

let cluster: PostgresCluster | undefined;
let child: ChildProcess | undefined;
let interrupted: NodeJS.Signals | undefined;

async function finish(code: number): Promise<never> {
  try {
    await cluster?.stop();
  } catch (error) {
    console.error('Stopping the PostgreSQL cluster failed:', error);
  }
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    if (!child) return; // still starting the cluster: handled once the start returns
    child.kill(signal);
    // A test runner stuck on open handles must not keep the cluster alive forever.
    setTimeout(() => child?.kill('SIGKILL'), 10_000).unref();
  });
}

const signalCode = (signal: NodeJS.Signals) => 128 + (os.constants.signals[signal] ?? 1);

let serverUrl = process.env.CONVENE_TEST_DATABASE_URL?.trim();
const engines = process.env.CONVENE_TEST_ENGINES?.trim() || 'sqlite,postgres';
const needsPostgres = engines.split(',').some((engine) => engine.trim() === 'postgres');

if (serverUrl) {
  console.log(`PostgreSQL: CONVENE_TEST_DATABASE_URL ${redact(serverUrl)}`);
} else if (needsPostgres) {
  try {
    cluster = await startPostgresCluster();
  } catch (error) {
    console.error('Could not start a throwaway PostgreSQL cluster:', (error as Error).message);
    console.error(
      'Install the `postgresql` package, set CONVENE_TEST_DATABASE_URL, or CONVENE_TEST_ENGINES=sqlite.',
    );
    process.exit(1);
  }
  serverUrl = cluster.url;
  console.log(`PostgreSQL: throwaway cluster, ${cluster.version}, ${redact(serverUrl)}`);
  if (interrupted) await finish(signalCode(interrupted));
} else {
  console.log(`PostgreSQL: not used (CONVENE_TEST_ENGINES=${engines})`);
}

const env: NodeJS.ProcessEnv = { ...process.env, CONVENE_TEST_ENGINES: engines };
if (serverUrl) env.CONVENE_TEST_DATABASE_URL = serverUrl;
// Test apps log at level trace into this folder and record there every secret the service hands them.
const givenLogDir = process.env.CONVENE_TEST_LOG_DIR?.trim() || undefined;
const logDir = givenLogDir ?? mkdtempSync(path.join(os.tmpdir(), 'convene-test-logs-'));
env.CONVENE_TEST_LOG_DIR = logDir;

/** Non-zero when a secret reached a log, or when there was nothing to check where there had to be. */
function checkLogs(): number {
  const check = checkLogsForSecrets(logDir);
  const kinds = [...check.secrets].map(([kind, n]) => `${n} ${kind}`).join(', ');
  let failed = false;
  if (check.logFiles === 0) {
    // Only a run of chosen files may build no test app (a pure unit test); the whole suite always does.
    if (explicitFiles.length === 0) {
      console.error(`Log check: no test app wrote a log into ${logDir}, so there was nothing to check.`);
      failed = true;
    } else {
      console.log('Log check: these tests built no app, so there are no logs to check.');
    }
  } else if (check.logBytes === 0 || check.requestLines === 0 || check.secrets.size === 0) {
    console.error(
      `Log check: the logs in ${logDir} hold ${check.logBytes} bytes and ${check.requestLines} request lines, and ${check.secrets.size} kinds of secret were recorded; the check would prove nothing.`,
    );
    failed = true;
  } else if (check.leaks.length > 0) {
    console.error(`Log check: ${check.leaks.length} secret(s) reached the logs (the secrets are not shown):`);
    for (const leak of check.leaks.slice(0, 30)) console.error(`  ${leak}`);
    if (check.leaks.length > 30) console.error(`  … and ${check.leaks.length - 30} more`);
    failed = true;
  } else {
    const mb = (check.logBytes / 1024 / 1024).toFixed(1);
    console.log(
      `Log check: none of the recorded secrets (${kinds}) is in the ${check.logFiles} log files (${mb} MB, ${check.requestLines} requests).`,
    );
  }
  // Kept for a look when the check failed (they hold only the tests' throwaway secrets), else removed.
  if (failed) console.error(`Log check: the logs and recorded secrets are in ${logDir}.`);
  else if (givenLogDir === undefined) rmSync(logDir, { recursive: true, force: true });
  return failed ? 1 : 0;
}

child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...nodeFlags, ...files],
  { cwd: root, env, stdio: 'inherit' },
);
child.on('error', (error) => {
  console.error('Could not start the test runner:', error);
  void finish(1);
});
child.on('close', (code, signal) => {
  const testsCode = code ?? (signal ? signalCode(signal) : 1);
  let logCode = 1;
  try {
    if (!interrupted) logCode = checkLogs();
    else if (givenLogDir === undefined) rmSync(logDir, { recursive: true, force: true });
  } catch (error) {
    console.error('Log check: could not run:', error);
  }
  void finish(testsCode !== 0 ? testsCode : logCode);
});
