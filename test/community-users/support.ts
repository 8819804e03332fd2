// Builders for the community-users suites: a community with member tenants, set up through the public API
// (the invitation handshake included), and direct reads of role_assignments to check what the API says.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { assertErrorResponse, type TenantFixture, type TestApp } from '../support/app.ts';
import { createCommunity, joinThroughInvitation, roleId } from '../support/fixtures.ts';

export const COMMUNITIES = '/api/v1-preview/Communities';

export type Community = Awaited<ReturnType<typeof createCommunity>>;

export interface World {
  community: Community;
  /** The tenant that created the community. */
  owner: TenantFixture;
  /** An active member tenant, joined through an invitation: the T of most tests. */
  guest: TenantFixture;
  /** Another active member tenant. */
  third: TenantFixture;
  /** A tenant that is not in the community. */
  outsider: TenantFixture;
  /** C's role ids by short name. */
  roles: { admin: string; moderator: string; member: string };
  users(tenant?: TenantFixture): string;
  clients(tenant?: TenantFixture): string;
}

/** A community owned by one tenant, with two more member tenants and a tenant outside it. */
export async function world(t: TestApp): Promise<World> {
  const owner = await t.createTenant();
  const guest = await t.createTenant();
  const third = await t.createTenant();
  const outsider = await t.createTenant();
  const community = await createCommunity(t, owner);
  await joinThroughInvitation(t, owner, guest, community.Id);
  await joinThroughInvitation(t, owner, third, community.Id);
  // The outsider owns a community of its own, so it has community rights somewhere, just not in C.
  await createCommunity(t, outsider);
  const roles = {
    admin: roleId(community, 'Administrator'),
    moderator: roleId(community, 'Moderator'),
    member: roleId(community, 'Member'),
  };
  assert.equal(roles.member, community.MemberRoleId);
  return {
    community,
    owner,
    guest,
    third,
    outsider,
    roles,
    users: (tenant = guest) => `${COMMUNITIES}/${community.Id}/Tenants/${tenant.id}/Users`,
    clients: (tenant = guest) =>
      `${COMMUNITIES}/${community.Id}/Tenants/${tenant.id}/ClientCredentialClients`,
  };
}

/** A client of the tenant (holding Tenant Member only) and a token for it. */
export async function createClient(t: TestApp, tenant: TenantFixture, name = 'Community client') {
  const response = await t.call('POST', `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients`, {
    token: tenant.token,
    body: { Name: name, RoleIds: [] },
  });
  assert.equal(response.statusCode, 201, response.body);
  const { Id, ClientId, ClientSecret } = response.json() as Record<string, string>;
  assert.equal(Id, ClientId);
  return { id: ClientId as string, token: await t.tokenFor(ClientId as string, ClientSecret as string) };
}

/** PUT the principal into C with these roles, as `token` (T's administrator by default); asserts 200/201. */
export async function put(
  t: TestApp,
  path: string,
  id: string,
  roleIds: string[],
  token: string,
): Promise<LightMyRequestResponse> {
  const response = await t.call('PUT', `${path}/${id}`, { token, body: roleIds });
  assert.ok([200, 201].includes(response.statusCode), `${response.statusCode} ${response.body}`);
  return response;
}

/** The community role ids the principal holds in C, straight from the store, sorted. */
export async function storedRoles(t: TestApp, communityId: string, principalId: string): Promise<string[]> {
  const rows = await t.store.db
    .selectFrom('role_assignments')
    .select('role_id')
    .where('community_id', '=', communityId)
    .where('principal_id', '=', principalId)
    .execute();
  return rows.map((r) => r.role_id).sort();
}

/** Every role assignment row in C (optionally of one tenant). */
export async function assignmentsIn(t: TestApp, communityId: string, tenantId?: string) {
  let query = t.store.db.selectFrom('role_assignments').selectAll().where('community_id', '=', communityId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  return query.execute();
}

/** Ids of a list response, asserting 200 and its Total-Count. */
export function listedIds(response: LightMyRequestResponse, total: number): string[] {
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['total-count'], String(total));
  assert.equal(response.headers['content-type'], 'application/json');
  return (response.json() as { Id: string }[]).map((item) => item.Id);
}

/** An error answer of the ErrorResponse shape; returns its Reason. */
export function rejected(response: LightMyRequestResponse, status: number): string {
  return assertErrorResponse(response, status).Reason as string;
}

/** HEAD has the status and headers of the matching GET and never a body. */
export async function assertHeadLikeGet(
  t: TestApp,
  url: string,
  token: string | undefined,
): Promise<LightMyRequestResponse> {
  const options = token === undefined ? {} : { token };
  const get = await t.call('GET', url, options);
  const head = await t.call('HEAD', url, options);
  assert.equal(head.statusCode, get.statusCode, `HEAD ${url}: ${head.statusCode}, GET: ${get.statusCode}`);
  assert.equal(head.body, '', 'HEAD has no body');
  assert.equal(head.headers['total-count'], get.headers['total-count']);
  assert.ok(head.headers['operation-id']);
  return head;
}

export const sorted = (ids: string[]) => [...ids].sort();
