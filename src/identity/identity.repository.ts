// Store access for tenants, users, clients, tenant roles and role assignments. Every query that reads
// tenant data takes the tenant id: a row of another tenant is simply not found.
import type { Selectable } from 'kysely';
import { type Db, toCount } from '../db/database.ts';
import { precompiled } from '../db/precompiled.ts';
import type { ClientRow, RoleRow, TenantRow, UserRow } from '../db/schema.ts';
import type { Paging } from '../http/schemas.ts';

export type Tenant = Selectable<TenantRow>;
export type User = Selectable<UserRow>;
export type Client = Selectable<ClientRow>;
export type Role = Selectable<RoleRow>;

// Tenants

export const insertTenant = (db: Db, row: TenantRow) => db.insertInto('tenants').values(row).execute();

export const findTenant = (db: Db, id: string) =>
  db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();

export const listTenants = (db: Db, paging: Paging, onlyId?: string) => {
  let query = db.selectFrom('tenants').selectAll();
  if (onlyId !== undefined) query = query.where('id', '=', onlyId);
  return query.orderBy('created_at').orderBy('id').offset(paging.skip).limit(paging.count).execute();
};

export async function countTenants(db: Db, onlyId?: string): Promise<number> {
  let query = db.selectFrom('tenants').select((eb) => eb.fn.countAll().as('n'));
  if (onlyId !== undefined) query = query.where('id', '=', onlyId);
  return toCount((await query.executeTakeFirst())?.n);
}

export async function deleteTenant(db: Db, id: string): Promise<boolean> {
  // Users and clients cascade through their foreign keys; assignments cascade through tenant_id.
  const result = await db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// Users

export const findUser = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();

/** At most two users (enough to tell one from several), within one tenant when `tenantId` is given. */
export function findUsersByExternalIdentity(
  db: Db,
  identityProviderId: string,
  externalUserId: string,
  tenantId?: string,
) {
  let query = db
    .selectFrom('users')
    .selectAll()
    .where('identity_provider_id', '=', identityProviderId)
    .where('external_user_id', '=', externalUserId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  return query.limit(2).execute();
}

export const listUsers = (db: Db, tenantId: string, paging: Paging) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .offset(paging.skip)
    .limit(paging.count)
    .execute();

export async function countUsers(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return toCount(row?.n);
}

export const insertUser = (db: Db, row: UserRow) => db.insertInto('users').values(row).execute();

export const updateUser = (db: Db, row: UserRow) =>
  db
    .updateTable('users')
    .set({ ...row })
    .where('tenant_id', '=', row.tenant_id)
    .where('id', '=', row.id)
    .execute();

export async function deletePrincipal(db: Db, table: 'users' | 'clients', tenantId: string, id: string) {
  // The principal's row first: concurrent role changes lock it, so none can add roles after this.
  const result = await db
    .deleteFrom(table)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  await db
    .deleteFrom('role_assignments')
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', id)
    .execute();
  return Number(result.numDeletedRows) > 0;
}

/** Whether any user or client, of any tenant, has this id: principal ids are unique across both. */
export async function principalIdInUse(db: Db, id: string): Promise<boolean> {
  const user = await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
  if (user !== undefined) return true;
  return (await db.selectFrom('clients').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

// Clients

export const findClient = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('clients')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();

/** The token endpoint knows only the client id, not the tenant. */
export const findClientForToken = (db: Db, id: string) =>
  db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();

export const listClients = (db: Db, tenantId: string, paging: Paging) =>
  db
    .selectFrom('clients')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .offset(paging.skip)
    .limit(paging.count)
    .execute();

export async function countClients(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('clients')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return toCount(row?.n);
}

export const insertClient = (db: Db, row: ClientRow) => db.insertInto('clients').values(row).execute();

export const updateClient = (
  db: Db,
  tenantId: string,
  id: string,
  changes: Partial<Pick<ClientRow, 'name' | 'enabled' | 'tags' | 'access_token_lifetime'>>,
) => db.updateTable('clients').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();

// Roles

export const insertRoles = (db: Db, rows: RoleRow[]) => db.insertInto('roles').values(rows).execute();

/** The tenant's own roles, then the community roles of every community the tenant belongs to. */
export function tenantVisibleRoles(db: Db, tenantId: string) {
  return db
    .selectFrom('roles')
    .selectAll('roles')
    .where((eb) =>
      eb.or([
        eb('roles.tenant_id', '=', tenantId),
        eb(
          'roles.community_id',
          'in',
          eb.selectFrom('community_tenants').select('community_id').where('tenant_id', '=', tenantId),
        ),
      ]),
    );
}

export const listRoles = (db: Db, tenantId: string, paging: Paging) =>
  tenantVisibleRoles(db, tenantId)
    .orderBy('roles.scope')
    .orderBy('roles.created_at')
    .orderBy('roles.id')
    .offset(paging.skip)
    .limit(paging.count)
    .execute();

export async function countRoles(db: Db, tenantId: string): Promise<number> {
  const row = await tenantVisibleRoles(db, tenantId)
    .clearSelect()
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return toCount(row?.n);
}

export const findRole = (db: Db, tenantId: string, id: string) =>
  tenantVisibleRoles(db, tenantId).where('roles.id', '=', id).executeTakeFirst();

export const findTenantRoles = (db: Db, tenantId: string) =>
  db
    .selectFrom('roles')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

export const updateRole = (
  db: Db,
  tenantId: string,
  id: string,
  changes: Pick<RoleRow, 'name' | 'description'>,
) => db.updateTable('roles').set(changes).where('tenant_id', '=', tenantId).where('id', '=', id).execute();

export async function deleteRole(db: Db, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('role_assignments').where('role_id', '=', id).execute();
  await db.deleteFrom('roles').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

// Role assignments

/**
 * Role ids held by each of the given principals, in role creation order: their tenant roles (community
 * roles excluded) for `{ tenantId }`, their roles in one community for `{ communityId }`.
 */
export async function roleIdsOf(
  db: Db,
  scope: { tenantId: string } | { communityId: string },
  principalIds: string[],
): Promise<Map<string, string[]>> {
  const byPrincipal = new Map<string, string[]>(principalIds.map((id) => [id, []]));
  if (principalIds.length === 0) return byPrincipal;
  let query = db
    .selectFrom('role_assignments')
    .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
    .select(['role_assignments.principal_id', 'role_assignments.role_id'])
    .where('role_assignments.principal_id', 'in', principalIds);
  query =
    'tenantId' in scope
      ? query
          .where('role_assignments.tenant_id', '=', scope.tenantId)
          .where('role_assignments.community_id', 'is', null)
      : query.where('role_assignments.community_id', '=', scope.communityId);
  const rows = await query.orderBy('roles.created_at').orderBy('roles.id').execute();
  for (const row of rows) byPrincipal.get(row.principal_id)?.push(row.role_id);
  return byPrincipal;
}

/** Tenant role ids held by each of the given principals (community roles excluded). */
export const tenantRoleIdsOf = (db: Db, tenantId: string, principalIds: string[]) =>
  roleIdsOf(db, { tenantId }, principalIds);

export async function replaceTenantRoles(db: Db, tenantId: string, principalId: string, roleIds: string[]) {
  await db
    .deleteFrom('role_assignments')
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', principalId)
    .where('community_id', 'is', null)
    .execute();
  if (roleIds.length > 0) {
    await db
      .insertInto('role_assignments')
      .values(
        roleIds.map((role_id) => ({
          principal_id: principalId,
          role_id,
          tenant_id: tenantId,
          community_id: null,
        })),
      )
      .execute();
  }
}

/**
 * The role types the principal holds at tenant level. Community roles are read per community, when a
 * request reaches one (communityRoleTypesOf): a principal may hold roles in many communities, and
 * reading them all on every request was most of the cost of an authenticated GET.
 */
const tenantRoleTypesQuery = precompiled((db, p: { tenantId: string; principalId: string }) =>
  db
    .selectFrom('role_assignments')
    .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
    .select('roles.role_type_id')
    .where('role_assignments.principal_id', '=', p.principalId)
    .where('role_assignments.tenant_id', '=', p.tenantId)
    .where('role_assignments.community_id', 'is', null),
);

export const tenantRoleTypesOf = (db: Db, tenantId: string, principalId: string) =>
  tenantRoleTypesQuery(db, { tenantId, principalId });

const communityRoleTypesQuery = precompiled(
  (db, p: { communityId: string; tenantId: string; principalId: string }) =>
    db
      .selectFrom('role_assignments')
      .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
      .select('roles.role_type_id')
      .where('role_assignments.community_id', '=', p.communityId)
      .where('role_assignments.tenant_id', '=', p.tenantId)
      .where('role_assignments.principal_id', '=', p.principalId),
);

/** The role types the principal holds in community C. */
export const communityRoleTypesOf = (db: Db, communityId: string, tenantId: string, principalId: string) =>
  communityRoleTypesQuery(db, { communityId, tenantId, principalId });

/** The communities in which the principal holds a role with a role type (those the access check counts). */
export const communitiesWithRolesOf = async (db: Db, tenantId: string, principalId: string) =>
  (
    await db
      .selectFrom('role_assignments')
      .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
      .select('role_assignments.community_id')
      .distinct()
      .where('role_assignments.tenant_id', '=', tenantId)
      .where('role_assignments.principal_id', '=', principalId)
      .where('role_assignments.community_id', 'is not', null)
      .where('roles.role_type_id', 'is not', null)
      .execute()
  ).map((row) => row.community_id as string);

/**
 * A client with its tenant-level role types, in one query (a round trip fewer on every authenticated
 * request): no rows when the client does not exist, one row with a null role when it holds none.
 */
const clientAccessQuery = precompiled((db, p: { tenantId: string; clientId: string }) =>
  db
    .selectFrom('clients')
    .leftJoin('role_assignments', (join) =>
      join
        .onRef('role_assignments.principal_id', '=', 'clients.id')
        .onRef('role_assignments.tenant_id', '=', 'clients.tenant_id')
        .on('role_assignments.community_id', 'is', null),
    )
    .leftJoin('roles', 'roles.id', 'role_assignments.role_id')
    .select(['clients.enabled', 'roles.role_type_id'])
    .where('clients.tenant_id', '=', p.tenantId)
    .where('clients.id', '=', p.clientId),
);

export const clientAccessRows = (db: Db, tenantId: string, clientId: string) =>
  clientAccessQuery(db, { tenantId, clientId });

/** As clientAccessRows, for a user (with the addresses the principal carries). */
const userAccessQuery = precompiled((db, p: { tenantId: string; userId: string }) =>
  db
    .selectFrom('users')
    .leftJoin('role_assignments', (join) =>
      join
        .onRef('role_assignments.principal_id', '=', 'users.id')
        .onRef('role_assignments.tenant_id', '=', 'users.tenant_id')
        .on('role_assignments.community_id', 'is', null),
    )
    .leftJoin('roles', 'roles.id', 'role_assignments.role_id')
    .select(['users.email', 'users.contact_email', 'roles.role_type_id'])
    .where('users.tenant_id', '=', p.tenantId)
    .where('users.id', '=', p.userId),
);

export const userAccessRows = (db: Db, tenantId: string, userId: string) =>
  userAccessQuery(db, { tenantId, userId });
