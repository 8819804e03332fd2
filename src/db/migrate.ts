// One ordered list of migrations for both engines. Kysely's Migrator takes a lock (a table on SQLite, an
// advisory lock on PostgreSQL), so several instances may start at once.
import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db } from './database.ts';
import * as m0001 from './migrations/0001-identity-and-communities.ts';
import * as m0002 from './migrations/0002-invitations-and-outbox.ts';
import * as m0003 from './migrations/0003-rate-limits-and-idempotency.ts';

const migrations: Record<string, Migration> = {
  '0001-identity-and-communities': m0001,
  '0002-invitations-and-outbox': m0002,
  '0003-rate-limits-and-idempotency': m0003,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface MigrationReport {
  applied: string[];
}

/** Applies pending migrations; throws (with the failing migration named) on failure. */
export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'convene_migrations' });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error');
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`, { cause: error });
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
