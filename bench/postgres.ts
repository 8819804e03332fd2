// A throwaway PostgreSQL cluster for the benchmark. Unlike the test cluster (fsync off) it keeps the
// server's durability defaults except synchronous_commit=off, which matches what SQLite promises here
// (WAL + synchronous=NORMAL: a crash of the operating system may lose the last commits, nothing else).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../test/support/net.ts';
import { findPostgresBinDir } from '../test/support/postgres.ts';

export interface BenchCluster {
  serverUrl: string;
  version: string;
  settings: string[];
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const IS_ROOT = process.getuid?.() === 0;

function run(file: string, args: string[], cwd: string): Promise<string> {
  const [cmd, argv] = IS_ROOT ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { cwd, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export async function startBenchCluster(options: { synchronousCommit: boolean }): Promise<BenchCluster> {
  const bin = findPostgresBinDir();
  const base = await mkdtemp('/tmp/convene-bench-pg-');
  if (IS_ROOT) {
    await new Promise<void>((resolve, reject) =>
      execFile('chown', ['-R', 'postgres:', base], (error) => (error ? reject(error) : resolve())),
    );
  }
  const dataDir = path.join(base, 'data');
  const logFile = path.join(base, 'postgres.log');
  await run(
    path.join(bin, 'initdb'),
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C'],
    base,
  );
  const port = await freePort();
  const settings = [
    `synchronous_commit=${options.synchronousCommit ? 'on' : 'off'}`,
    'max_connections=100',
    // Fewer checkpoints (and full-page images) while a million rows are seeded; a common production value.
    'max_wal_size=4GB',
    // Autovacuum stays on (the service relies on it); the seed ends with VACUUM ANALYZE.
  ];
  const serverOptions = [
    `-p ${port}`,
    `-k ${base}`,
    '-c listen_addresses=127.0.0.1',
    ...settings.map((s) => `-c ${s}`),
  ].join(' ');
  try {
    await run(
      path.join(bin, 'pg_ctl'),
      ['-w', '-D', dataDir, '-l', logFile, '-o', serverOptions, 'start'],
      base,
    );
  } catch (error) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await rm(base, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  const serverUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = async <T>(query: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return (await client.query(query)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const version = (await admin<{ v: string }>("select current_setting('server_version') as v"))[0]?.v ?? '?';
  let stopped: Promise<void> | undefined;
  return {
    serverUrl,
    version: `PostgreSQL ${version}`,
    settings,
    async createDatabase(name) {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      stopped ??= run(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', 'stop'], base)
        .catch(() => '')
        .then(() => rm(base, { recursive: true, force: true }));
      return stopped;
    },
  };
}
