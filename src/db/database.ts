// The two engines behind one Kysely instance. Everything that differs between SQLite and PostgreSQL
// (connection setup, error codes, count types) is absorbed here, so repositories are written once.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type SqliteDatabase as KyselySqliteDatabase, PostgresDialect, SqliteDialect } from 'kysely';
import type Pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import type { Database } from './schema.ts';

export type Engine = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;

export interface Store {
  db: Db;
  engine: Engine;
  /** Engine version, for diagnostics and the benchmark report. */
  version(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Kysely prepares every statement anew on better-sqlite3, which halves read throughput. Queries are built
 * from a small set of shapes, so a bounded cache of prepared statements keyed by SQL text wins it back.
 */
function cachedStatements(database: SqliteDatabase.Database, limit = 500): KyselySqliteDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last commits.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachedStatements(database) }) });
  return {
    db,
    engine: 'sqlite',
    version: async () =>
      `SQLite ${(database.prepare('select sqlite_version() as v').get() as { v: string }).v}`,
    close: () => db.destroy(),
  };
}

function openPostgres(url: string): Store {
  // Loaded only when PostgreSQL is configured: a SQLite instance starts without it (see bench/README.md).
  const pg = createRequire(import.meta.url)('pg') as typeof Pg;
  // Ten for requests, and four more for the outbox's delivery lanes, each of which holds a connection (the
  // row lock of the message) for the length of an SMTP exchange (src/mail/outbox.ts).
  const pool = new pg.Pool({ connectionString: url, max: 14 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: 'postgres',
    version: async () =>
      (await pool.query<{ v: string }>('select version() as v')).rows[0]?.v ?? 'PostgreSQL',
    close: () => db.destroy(),
  };
}

export function openStore(config: DatabaseConfig): Store {
  return config.kind === 'sqlite' ? openSqlite(config.path) : openPostgres(config.url);
}

/** A unique or primary key violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** `count(*)` is a number on SQLite and a string (bigint) on pg. */
export function toCount(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/** Times are stored as ISO-8601 UTC text with milliseconds, which sorts and compares as text. */
export function toStoredTime(date: Date): string {
  return date.toISOString();
}
