// Community membership and community roles written straight to the store, for tests that need them set up.
import { toStoredTime } from '../../src/db/database.ts';
import type { COMMUNITY_ROLE_TYPES } from '../../src/identity/roles.ts';
import type { TestApp } from '../support/app.ts';

export { grantCommunityRoles } from '../support/fixtures.ts';

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
