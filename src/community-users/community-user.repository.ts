// Store access for the users and clients of a tenant in a community: the principals of T holding any of
// C's roles. Every query takes both the community and the tenant.
import { type Db, toCount } from '../db/database.ts';
import { precompiled, precompiledFirst } from '../db/precompiled.ts';
import type { Paging } from '../http/schemas.ts';
import { roleIdsOf } from '../identity/identity.repository.ts';

export type PrincipalTable = 'users' | 'clients';

/**
 * Inside a write's transaction: C still exists and T is still an Active member of it. On PostgreSQL it also
 * holds C's key and T's membership row until the transaction ends, so deleting C, or pausing or removing T,
 * either waits for the write or is seen by it (taken in this order, community first, as a deletion of C
 * locks C before it cascades to the memberships).
 */
export async function activeMembershipHeld(
  db: Db,
  communityId: string,
  tenantId: string,
  lock: boolean,
): Promise<'community' | 'tenant' | undefined> {
  let community = db.selectFrom('communities').select('id').where('id', '=', communityId);
  if (lock) community = community.forKeyShare();
  if ((await community.executeTakeFirst()) === undefined) return 'community';
  let membership = db
    .selectFrom('community_tenants')
    .select('status')
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId);
  if (lock) membership = membership.forShare();
  return (await membership.executeTakeFirst())?.status === 'Active' ? undefined : 'tenant';
}

/** Locks the principal's row until the transaction ends (PostgreSQL), so replacements of its roles queue. */
export async function lockPrincipal(
  db: Db,
  table: PrincipalTable,
  tenantId: string,
  id: string,
  forUpdate: boolean,
) {
  let query = db.selectFrom(table).select('id').where('tenant_id', '=', tenantId).where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return (await query.executeTakeFirst()) !== undefined;
}

/** Replaces the principal's roles in C; returns how many it held before (0: it was not in C). */
export async function replaceCommunityRoles(
  db: Db,
  communityId: string,
  tenantId: string,
  principalId: string,
  roleIds: string[],
): Promise<number> {
  const removed = await db
    .deleteFrom('role_assignments')
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', principalId)
    .executeTakeFirst();
  await db
    .insertInto('role_assignments')
    .values(
      roleIds.map((role_id) => ({
        principal_id: principalId,
        role_id,
        tenant_id: tenantId,
        community_id: communityId,
      })),
    )
    .execute();
  return Number(removed.numDeletedRows);
}

export async function removeFromCommunity(
  db: Db,
  communityId: string,
  tenantId: string,
  principalId: string,
) {
  const removed = await db
    .deleteFrom('role_assignments')
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId)
    .where('principal_id', '=', principalId)
    .executeTakeFirst();
  return Number(removed.numDeletedRows) > 0;
}

/** Ids of T's principals holding any of C's roles. */
const memberIds = (db: Db, communityId: string, tenantId: string) =>
  db
    .selectFrom('role_assignments')
    .select('principal_id')
    .where('community_id', '=', communityId)
    .where('tenant_id', '=', tenantId);

interface InCommunity {
  communityId: string;
  tenantId: string;
}
type PageInCommunity = InCommunity & { skip: number; count: number };

const usersInCommunityQuery = precompiled((db, p: PageInCommunity) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', p.tenantId)
    .where('id', 'in', memberIds(db, p.communityId, p.tenantId))
    .orderBy('created_at')
    .orderBy('id')
    .offset(p.skip)
    .limit(p.count),
);

const clientsInCommunityQuery = precompiled((db, p: PageInCommunity) =>
  db
    .selectFrom('clients')
    .selectAll()
    .where('tenant_id', '=', p.tenantId)
    .where('id', 'in', memberIds(db, p.communityId, p.tenantId))
    .orderBy('created_at')
    .orderBy('id')
    .offset(p.skip)
    .limit(p.count),
);

export const listUsersInCommunity = (db: Db, communityId: string, tenantId: string, paging: Paging) =>
  usersInCommunityQuery(db, { communityId, tenantId, skip: paging.skip, count: paging.count });

export const listClientsInCommunity = (db: Db, communityId: string, tenantId: string, paging: Paging) =>
  clientsInCommunityQuery(db, { communityId, tenantId, skip: paging.skip, count: paging.count });

const countQueries = {
  users: precompiledFirst((db, p: InCommunity) =>
    db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_id', '=', p.tenantId)
      .where('id', 'in', memberIds(db, p.communityId, p.tenantId)),
  ),
  clients: precompiledFirst((db, p: InCommunity) =>
    db
      .selectFrom('clients')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('tenant_id', '=', p.tenantId)
      .where('id', 'in', memberIds(db, p.communityId, p.tenantId)),
  ),
};

export async function countInCommunity(db: Db, table: PrincipalTable, communityId: string, tenantId: string) {
  return toCount((await countQueries[table](db, { communityId, tenantId }))?.n);
}

/** Community role ids of each principal in C, in role creation order. */
export const communityRoleIdsOf = (db: Db, communityId: string, principalIds: string[]) =>
  roleIdsOf(db, { communityId }, principalIds);
