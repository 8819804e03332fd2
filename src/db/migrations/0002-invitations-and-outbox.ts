// Immutable once released. Community invitations, the mail outbox and the one-time sign-in links of the
// invitation page. Partial unique indexes (supported by both engines) enforce the pending-invitation rules.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('community_id', 'text', (c) => c.notNull().references('communities.id').onDelete('cascade'))
    .addColumn('issuing_tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('recipient_key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    // Incremented by every transition: the compare-and-set token that makes concurrent transitions safe.
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .addColumn('invited_tenant_id', 'text', (c) => c.references('tenants.id').onDelete('set null'))
    .addColumn('accepted_tenant_name', 'text')
    .addColumn('accepted_user_email', 'text')
    .addColumn('contact_email', 'text')
    .addColumn('link_token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('invitations_community')
    .on('invitations')
    .columns(['community_id', 'issuing_tenant_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('invitations_invited_tenant')
    .on('invitations')
    .columns(['invited_tenant_id', 'state', 'created_at', 'id'])
    .execute();
  // One pending (Created or Accepted) invitation per community and recipient. A Created invitation that
  // has expired is stored as expired by the next write that needs the slot.
  await db.schema
    .createIndex('invitations_one_pending')
    .on('invitations')
    .columns(['community_id', 'recipient_key'])
    .unique()
    .where(sql.ref('state'), 'in', ['InvitationCreated', 'InvitationAccepted'])
    .execute();
  // A tenant awaits confirmation of at most one accepted invitation per community.
  await db.schema
    .createIndex('invitations_one_accepted')
    .on('invitations')
    .columns(['community_id', 'invited_tenant_id'])
    .unique()
    .where(sql.ref('state'), '=', 'InvitationAccepted')
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['sent_at', 'next_attempt_at']).execute();

  await db.schema
    .createTable('sign_in_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('return_to', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
