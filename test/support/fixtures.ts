// Fixture builders that go through the public API, for suites that need a community with members.
import { COMMUNITY_ROLE_TYPES } from '../../src/identity/roles.ts';
import type { TenantFixture, TestApp } from './app.ts';

export async function createCommunity(
  t: TestApp,
  owner: TenantFixture,
  name = `Community ${Date.now()}-${Math.random()}`,
) {
  const response = await t.call('POST', '/api/v1-preview/Communities', {
    token: owner.token,
    body: { Name: name, ContactEmail: 'owner@owner.test' },
  });
  if (response.statusCode !== 201) throw new Error(`community: ${response.statusCode} ${response.body}`);
  return response.json() as {
    Id: string;
    MemberRoleId: string;
    CommunityRoles: { Id: string; Name: string; RoleTypeId: string }[];
  };
}

/** The whole handshake over the API: the owner invites, the guest's administrator accepts, the owner confirms. */
export async function joinThroughInvitation(
  t: TestApp,
  owner: TenantFixture,
  guest: TenantFixture,
  communityId: string,
): Promise<string> {
  const invited = await t.call('POST', `/api/v1-preview/communities/${communityId}/invitations`, {
    token: owner.token,
    body: { InvitationRecipient: `admin-${guest.id}@guest.test` },
  });
  if (invited.statusCode !== 201) throw new Error(`invite: ${invited.statusCode} ${invited.body}`);
  const id = invited.json().Id as string;
  const accepted = await t.call('PUT', `/api/v1-preview/communityinvitations/${id}`, {
    token: guest.token,
    body: { Action: 'Accept', ContactEmail: `contact-${guest.id}@guest.test` },
  });
  if (accepted.statusCode !== 202) throw new Error(`accept: ${accepted.statusCode} ${accepted.body}`);
  const confirmed = await t.call('PUT', `/api/v1-preview/communityinvitations/${id}`, {
    token: owner.token,
    body: { Action: 'Confirm' },
  });
  if (confirmed.statusCode !== 202) throw new Error(`confirm: ${confirmed.statusCode} ${confirmed.body}`);
  return id;
}

export const roleId = (community: { CommunityRoles: { Id: string; Name: string }[] }, name: string) => {
  const role = community.CommunityRoles.find((r) => r.Name === `Community ${name}`);
  if (role === undefined) throw new Error(`no role ${name}`);
  return role.Id;
};

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
  roles: readonly (keyof typeof COMMUNITY_ROLE_TYPES)[],
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
