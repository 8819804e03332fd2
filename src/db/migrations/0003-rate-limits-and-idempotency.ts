// Immutable once released. Abuse limits and idempotency keys live in the store, so that they hold across
// every instance that shares it. Both tables only grow by traffic and are swept by their expiry column.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Fixed-window counters: one row per rule, key and window, incremented by an atomic upsert.
  await db.schema
    .createTable('rate_limit_counters')
    .addColumn('scope', 'text', (c) => c.notNull())
    // A digest of the counted value (client id, address, tenant), so no address is kept in clear.
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_counters_pk', ['scope', 'key', 'window_start'])
    .execute();
  await db.schema
    .createIndex('rate_limit_counters_expiry')
    .on('rate_limit_counters')
    .column('expires_at')
    .execute();

  // Idempotency-Key: a claim while the first request runs (status null), then its response, encrypted
  // with a key derived from the Idempotency-Key itself (the key is stored only as a digest).
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    // Null for the operator; a deleted tenant takes its keys (and their stored responses) with it.
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('response', 'text')
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal', 'key_hash'])
    .execute();
  await db.schema
    .createIndex('idempotency_keys_expiry')
    .on('idempotency_keys')
    .column('expires_at')
    .execute();
  await db.schema.createIndex('idempotency_keys_tenant').on('idempotency_keys').column('tenant_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
