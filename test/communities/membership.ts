// Community membership and community roles written straight to the store, for tests that need them set up.
import { toStoredTime } from '../../src/db/database.ts';
import { COMMUNITY_ROLE_TYPES } from '../../src/identity/roles.ts';
import type { TestApp } from '../support/app.ts';

export type CommunityRoleName = keyof typeof COMMUNITY_ROLE_TYPES;

/**
 * Makes `tenantId` a member of the community by writing its `community_tenants` row directly. It stands in
 * for the invitation handshake (create, accept, confirm; CONTRACT §4), the only way a tenant joins over
 * HTTP, so that tests of communities neither depend on invitations and mail nor wait for them; tests of
 * joining itself belong with the invitations.
 */
export async function joinCommunity(
  t: TestApp,
  communityId: string,
  tenantId: string,
  options: { status?: 'Active' | 'Paused'; contactEmail?: string } = {},
): Promise<void> {
  await t.store.db
    .insertInto('community_tenants')
    .values({
      community_id: communityId,
      tenant_id: tenantId,
      status: options.status ?? 'Active',
      is_owner: 0,
      contact_email: options.contactEmail ?? null,
      community_alias: null,
      joined_at: toStoredTime(t.clock.now()),
    })
    .execute();
}

/**
 * Grants a user or client of `tenantId` exactly the named roles of the community. Written directly rather
 * than through the Community Users API (CONTRACT §5), which always adds Community Member, so that tests
 * can set up any role mix.
 */
export async function grantCommunityRoles(
  t: TestApp,
  communityId: string,
  tenantId: string,
  principalId: string,
  roles: readonly CommunityRoleName[],
): Promise<void> {
  if (roles.length === 0) return;
  const typeIds = roles.map((name) => COMMUNITY_ROLE_TYPES[name]);
  const found = await t.store.db
    .selectFrom('roles')
    .select(['id', 'role_type_id'])
    .where('community_id', '=', communityId)
    .where('role_type_id', 'in', typeIds)
    .execute();
  if (found.length !== typeIds.length) {
    throw new Error(`community ${communityId} lacks some of the roles ${roles.join(', ')}`);
  }
  await t.store.db
    .insertInto('role_assignments')
    .values(
      found.map((role) => ({
        principal_id: principalId,
        role_id: role.id,
        tenant_id: tenantId,
        community_id: communityId,
      })),
    )
    .execute();
}

/** The community role type ids a principal holds in the community, read from the store. */
export async function communityRoleTypesOf(
  t: TestApp,
  communityId: string,
  principalId: string,
): Promise<string[]> {
  const rows = await t.store.db
    .selectFrom('role_assignments')
    .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
    .select('roles.role_type_id')
    .where('role_assignments.community_id', '=', communityId)
    .where('role_assignments.principal_id', '=', principalId)
    .execute();
  return rows.map((r) => r.role_type_id ?? '').sort();
}
