// Immutable once released: add a new migration instead of editing this one. Portable DDL only (text,
// integer), so the same file runs on SQLite and PostgreSQL.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('contact_email', 'text')
    .addColumn('given_name', 'text')
    .addColumn('surname', 'text')
    .addColumn('name', 'text')
    .addColumn('contact_given_name', 'text')
    .addColumn('contact_surname', 'text')
    .addColumn('external_user_id', 'text')
    .addColumn('identity_provider_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('users_tenant')
    .on('users')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
  // An external identity maps to at most one user per tenant (NULLs are distinct on both engines).
  await db.schema
    .createIndex('users_external_identity')
    .on('users')
    .columns(['identity_provider_id', 'external_user_id', 'tenant_id'])
    .unique()
    .execute();

  await db.schema
    .createTable('clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('access_token_lifetime', 'integer', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('secret_description', 'text')
    .addColumn('secret_expiration', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('clients_tenant')
    .on('clients')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('communities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('preferred_region_id', 'text')
    .addColumn('member_role_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // A tenant cannot own two communities whose names differ only in case.
  await db.schema
    .createIndex('communities_owner_name')
    .on('communities')
    .columns(['owner_tenant_id', 'name_key'])
    .unique()
    .execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('community_id', 'text', (c) => c.references('communities.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('scope', 'integer', (c) => c.notNull())
    .addColumn('role_type_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('roles_tenant').on('roles').columns(['tenant_id', 'created_at']).execute();
  await db.schema
    .createIndex('roles_community')
    .on('roles')
    .columns(['community_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('community_tenants')
    .addColumn('community_id', 'text', (c) => c.notNull().references('communities.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('is_owner', 'integer', (c) => c.notNull())
    .addColumn('contact_email', 'text')
    .addColumn('community_alias', 'text')
    .addColumn('joined_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('community_tenants_pk', ['community_id', 'tenant_id'])
    .execute();
  await db.schema
    .createIndex('community_tenants_tenant')
    .on('community_tenants')
    .column('tenant_id')
    .execute();

  // Users and clients share the assignment table: a principal id is a GUID unique across both.
  await db.schema
    .createTable('role_assignments')
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('community_id', 'text', (c) => c.references('communities.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('role_assignments_pk', ['principal_id', 'role_id'])
    .execute();
  await db.schema
    .createIndex('role_assignments_community')
    .on('role_assignments')
    .columns(['community_id', 'tenant_id', 'principal_id'])
    .execute();
  await db.schema.createIndex('role_assignments_role').on('role_assignments').column('role_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
