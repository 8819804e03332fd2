// Store access for communities, their member tenants and their roles.
import type { Selectable } from 'kysely';
import { type Db, toCount } from '../db/database.ts';
import { precompiledFirst } from '../db/precompiled.ts';
import type { CommunityRow, CommunityTenantRow, RoleAssignmentRow } from '../db/schema.ts';
import type { Paging } from '../http/schemas.ts';

export type Community = Selectable<CommunityRow>;
export type Membership = Selectable<CommunityTenantRow>;

export interface MemberTenant extends Membership {
  tenant_name: string;
  user_count: number;
  client_count: number;
}

export const findCommunity = (db: Db, id: string) =>
  db.selectFrom('communities').selectAll().where('id', '=', id).executeTakeFirst();

export const findMembership = (db: Db, communityId: string, tenantId: string) =>
  db
    .selectFrom('community_tenants')
    .selectAll()
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();

const communityAndMembershipQuery = precompiledFirst((db, p: { communityId: string; tenantId: string }) =>
  db
    .selectFrom('communities')
    .leftJoin('community_tenants', (join) =>
      join
        .onRef('community_tenants.community_id', '=', 'communities.id')
        .on('community_tenants.tenant_id', '=', p.tenantId),
    )
    .selectAll('communities')
    .select([
      'community_tenants.tenant_id as m_tenant_id',
      'community_tenants.status as m_status',
      'community_tenants.is_owner as m_is_owner',
      'community_tenants.contact_email as m_contact_email',
      'community_tenants.community_alias as m_community_alias',
      'community_tenants.joined_at as m_joined_at',
    ])
    .where('communities.id', '=', p.communityId),
);

/** C and the tenant's membership of it in one query (a round trip fewer on every community request). */
export async function findCommunityAndMembership(
  db: Db,
  communityId: string,
  tenantId: string,
): Promise<{ community?: Community; membership?: Membership }> {
  const row = await communityAndMembershipQuery(db, { communityId, tenantId });
  if (row === undefined) return {};
  const { m_tenant_id, m_status, m_is_owner, m_contact_email, m_community_alias, m_joined_at, ...community } =
    row;
  if (m_tenant_id === null) return { community };
  const membership: Membership = {
    community_id: community.id,
    tenant_id: m_tenant_id,
    status: m_status as string,
    is_owner: m_is_owner as number,
    contact_email: m_contact_email,
    community_alias: m_community_alias,
    joined_at: m_joined_at as string,
  };
  return { community, membership };
}

/**
 * Communities where the tenant is an Active member, optionally only those in `onlyIds`, in creation order.
 * A paused membership grants nothing (CONTRACT §3), so its community is left out like any it cannot see.
 */
export function listCommunitiesOf(db: Db, tenantId: string, paging: Paging, onlyIds?: string[]) {
  let query = db
    .selectFrom('communities')
    .innerJoin('community_tenants', 'community_tenants.community_id', 'communities.id')
    .selectAll('communities')
    .where('community_tenants.tenant_id', '=', tenantId)
    .where('community_tenants.status', '=', 'Active');
  if (onlyIds !== undefined) {
    if (onlyIds.length === 0) return Promise.resolve([]);
    query = query.where('communities.id', 'in', onlyIds);
  }
  return query
    .orderBy('communities.created_at')
    .orderBy('communities.id')
    .offset(paging.skip)
    .limit(paging.count)
    .execute();
}

export async function countCommunitiesOf(db: Db, tenantId: string, onlyIds?: string[]): Promise<number> {
  if (onlyIds !== undefined && onlyIds.length === 0) return 0;
  let query = db
    .selectFrom('community_tenants')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'Active');
  if (onlyIds !== undefined) query = query.where('community_id', 'in', onlyIds);
  return toCount((await query.executeTakeFirst())?.n);
}

export const insertCommunity = (db: Db, row: CommunityRow) =>
  db.insertInto('communities').values(row).execute();

export const updateCommunity = (
  db: Db,
  id: string,
  changes: Partial<Pick<CommunityRow, 'name' | 'name_key' | 'description' | 'preferred_region_id'>>,
) => db.updateTable('communities').set(changes).where('id', '=', id).execute();

/** Whether C was there to delete (a concurrent delete may have taken it). */
export async function deleteCommunity(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('communities').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export const insertMembership = (db: Db, row: CommunityTenantRow) =>
  db.insertInto('community_tenants').values(row).execute();

/**
 * Changes the membership; with `expectedStatus`, only while it still has that Status (compare-and-set).
 * Returns whether a row was changed.
 */
export async function updateMembership(
  db: Db,
  communityId: string,
  tenantId: string,
  changes: Partial<Pick<CommunityTenantRow, 'status' | 'contact_email' | 'community_alias'>>,
  expectedStatus?: string,
): Promise<boolean> {
  let query = db
    .updateTable('community_tenants')
    .set(changes)
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId);
  if (expectedStatus !== undefined) query = query.where('status', '=', expectedStatus);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Removes the tenant from the community, with every community role its users and clients held there.
 * Returns whether it was a member (a concurrent removal may have come first).
 */
export async function deleteMembership(db: Db, communityId: string, tenantId: string): Promise<boolean> {
  // The membership row first: a concurrent PUT of a community user locks it, so it either finishes before
  // this (and its roles are deleted next) or sees the tenant gone; roles first could leave some behind.
  const result = await db
    .deleteFrom('community_tenants')
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  await db
    .deleteFrom('role_assignments')
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId)
    .execute();
  return Number(result.numDeletedRows) > 0;
}

export async function memberTenants(db: Db, communityId: string): Promise<MemberTenant[]> {
  const [members, users, clients] = await Promise.all([
    db
      .selectFrom('community_tenants')
      .innerJoin('tenants', 'tenants.id', 'community_tenants.tenant_id')
      .selectAll('community_tenants')
      .select('tenants.name as tenant_name')
      .where('community_tenants.community_id', '=', communityId)
      // Owner first even when a member joined within the same millisecond as the community was created.
      .orderBy('community_tenants.is_owner', 'desc')
      .orderBy('community_tenants.joined_at')
      .orderBy('community_tenants.tenant_id')
      .execute(),
    countPrincipalsByTenant(db, communityId, 'users'),
    countPrincipalsByTenant(db, communityId, 'clients'),
  ]);
  return members.map((m) => ({
    ...m,
    user_count: users.get(m.tenant_id) ?? 0,
    client_count: clients.get(m.tenant_id) ?? 0,
  }));
}

async function countPrincipalsByTenant(db: Db, communityId: string, table: 'users' | 'clients') {
  const rows = await db
    .selectFrom('role_assignments')
    .where('role_assignments.community_id', '=', communityId)
    .where('role_assignments.principal_id', 'in', (eb) => eb.selectFrom(table).select('id'))
    .select((eb) => [
      'role_assignments.tenant_id',
      eb.fn.count<number>('role_assignments.principal_id').distinct().as('n'),
    ])
    .groupBy('role_assignments.tenant_id')
    .execute();
  return new Map(rows.map((r) => [r.tenant_id, toCount(r.n)]));
}

export const communityRoles = (db: Db, communityId: string) =>
  db
    .selectFrom('roles')
    .selectAll()
    .where('community_id', '=', communityId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

export const insertAssignments = (db: Db, rows: RoleAssignmentRow[]) =>
  db.insertInto('role_assignments').values(rows).execute();
