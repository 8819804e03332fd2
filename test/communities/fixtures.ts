// HTTP-level builders and wire types shared by the communities tests.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TenantFixture, TestApp } from '../support/app.ts';
import { joinCommunity } from './membership.ts';

export const COMMUNITIES = '/api/v1-preview/Communities';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface RoleWire {
  Id: string;
  Name: string;
  Description?: string;
  RoleScope: number;
  TenantId?: string;
  CommunityId?: string;
  RoleTypeId?: string;
}

export interface CommunityTenantWire {
  Id: string;
  Name: string;
  Status: string;
  IsOwner: boolean;
  UserCount: number;
  ClientCount: number;
  PreferredRegionId?: string;
  ContactEmail?: string;
  CommunityAlias?: string;
}

export interface CommunityWire {
  Id: string;
  MemberRoleId: string;
  Name: string;
  DisplayName: string;
  Description?: string;
  Tenants: CommunityTenantWire[];
  DateCreated: string;
  PreferredRegionId?: string;
  CommunityRoles: RoleWire[];
}

/** Creates a community through the API as `token` (the tenant's first client unless told). */
let counter = 0;

export async function createCommunity(
  t: TestApp,
  tenant: TenantFixture,
  body: Record<string, unknown> = {},
  token = tenant.token,
): Promise<CommunityWire> {
  const response = await t.call('POST', COMMUNITIES, {
    token,
    body: { Name: `Community ${++counter}`, ...body },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as CommunityWire;
}

export interface Scenario {
  owner: TenantFixture;
  member: TenantFixture;
  outsider: TenantFixture;
  community: CommunityWire;
}

/** An owner's community with a second, Active member tenant, and a third tenant that is not a member. */
export async function communityWithMember(t: TestApp): Promise<Scenario> {
  const [owner, member, outsider] = [await t.createTenant(), await t.createTenant(), await t.createTenant()];
  const community = await createCommunity(t, owner, { ContactEmail: 'owner@owner.test' });
  await joinCommunity(t, community.Id, member.id, { contactEmail: 'member@member.test' });
  return { owner, member, outsider, community };
}

/** The Tenants[] entry of `tenantId` in the community as the owner reads it. */
export async function memberAsOwnerSees(t: TestApp, s: Scenario, tenantId: string) {
  const response = await t.call('GET', `${COMMUNITIES}/${s.community.Id}`, { token: s.owner.token });
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as CommunityWire).Tenants.find((m) => m.Id === tenantId);
}

export function assertJson(response: LightMyRequestResponse, status: number): unknown {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.match(String(response.headers['operation-id']), GUID);
  return response.json();
}

export async function membershipRows(t: TestApp, communityId: string) {
  return t.store.db
    .selectFrom('community_tenants')
    .selectAll()
    .where('community_id', '=', communityId)
    .orderBy('tenant_id')
    .execute();
}

export async function assignmentRows(t: TestApp, communityId: string, tenantId?: string) {
  let query = t.store.db.selectFrom('role_assignments').selectAll().where('community_id', '=', communityId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  return query.execute();
}

/**
 * Asserts that two `t.snapshot()`s hold the same rows. A failure names only the rows added and removed, per
 * table, where a diff of two whole snapshots buries them among every unchanged row.
 */
export function assertUnchanged(before: Record<string, unknown[]>, after: Record<string, unknown[]>): void {
  const changes: Record<string, { added: unknown[]; removed: unknown[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = new Set(before[table] ?? []);
    const is = new Set(after[table] ?? []);
    const added = [...is].filter((row) => !was.has(row));
    const removed = [...was].filter((row) => !is.has(row));
    if (added.length > 0 || removed.length > 0) changes[table] = { added, removed };
  }
  assert.deepEqual(changes, {});
}
