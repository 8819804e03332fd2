// A throwaway PostgreSQL cluster for tests, built from the Debian `postgresql` package's binaries.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './net.ts';

export interface PostgresCluster {
  url: string;
  /** `pg_ctl --version` output, for log lines. */
  version: string;
  stop(): Promise<void>;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const IS_ROOT = process.getuid?.() === 0;

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string): Promise<RunResult> {
  // initdb and pg_ctl refuse to run as root, so hand them to the `postgres` user.
  const [cmd, argv] = IS_ROOT ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    // cwd inside our folder: the postgres user may not be able to enter the caller's cwd (e.g. /root).
    execFile(cmd, argv, { cwd, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${path.basename(file)} failed: ${error.message}\n${stdout}\n${stderr}`.trim()));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The bin folder of the newest installed PostgreSQL, or of whatever `initdb` is on the PATH. */
export function findPostgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name) && isExecutable(path.join(root, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return path.join(root, versions[0], 'bin');
  }
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/bin']) {
    if (dir && isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('PostgreSQL binaries not found: install the Debian `postgresql` package (initdb, pg_ctl).');
}

async function makeTempDir(): Promise<string> {
  const candidates = [os.tmpdir(), '/tmp'].filter((dir, i, all) => all.indexOf(dir) === i);
  let lastError: unknown;
  for (const parent of candidates) {
    const dir = await mkdtemp(path.join(parent, 'convene-pg-'));
    if (!IS_ROOT) return dir;
    try {
      await new Promise<void>((resolve, reject) =>
        execFile('chown', ['-R', 'postgres:', dir], (error) => (error ? reject(error) : resolve())),
      );
      // The postgres user must be able to reach the folder; a private TMPDIR (e.g. under /root) blocks it.
      await new Promise<void>((resolve, reject) =>
        execFile(
          'runuser',
          ['-u', 'postgres', '--', 'test', '-w', dir, '-a', '-x', dir],
          { cwd: '/' },
          (error) => (error ? reject(new Error(`user postgres cannot use ${dir}`)) : resolve()),
        ),
      );
      return dir;
    } catch (error) {
      lastError = error;
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = findPostgresBinDir();
  const initdb = path.join(bin, 'initdb');
  const pgCtl = path.join(bin, 'pg_ctl');
  const base = await makeTempDir();
  const dataDir = path.join(base, 'data');
  const logFile = path.join(base, 'postgres.log');
  const remove = () => rm(base, { recursive: true, force: true });

  try {
    // Locale C: byte-wise collation and no dependency on which locales the machine has generated.
    await run(
      initdb,
      ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
      base,
    );
    const { stdout: version } = await run(pgCtl, ['--version'], base);

    // The port is free when picked but may be taken before postgres binds it; retry a few times.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${base}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        // -l: postgres keeps its stdout open, so without a log file the pipe (and this call) never ends.
        await run(pgCtl, ['-w', '-D', dataDir, '-l', logFile, '-o', options, 'start'], base);
      } catch (error) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
        throw new Error(`${(error as Error).message}\n--- postgres.log ---\n${log}`);
      }

      let stopped: Promise<void> | undefined;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        version: version.trim(),
        stop() {
          stopped ??= run(pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop'], base)
            .then(
              () => undefined,
              () => undefined, // already gone: still remove the folder
            )
            .then(remove);
          return stopped;
        },
      };
    }
  } catch (error) {
    await remove();
    throw error;
  }
}

/** A fresh, empty database on the server at `serverUrl` (whose user may CREATE DATABASE). */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `t_${randomBytes(8).toString('hex')}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';

  const withAdmin = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  await withAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;

  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop() {
      // FORCE: a pool the test forgot to close must not keep the database alive.
      dropped ??= withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return dropped;
    },
  };
}
