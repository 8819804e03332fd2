// HTTP-level builders for the community invitation tests: paths, a community with callers in every role
// that CONTRACT §4 distinguishes, the handshake steps, and probes of the store (snapshots, outbox rows).
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { MailMessage } from '../../src/mail/mailer.ts';
import type { TenantFixture, TestApp } from './app.ts';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DAY_MS = 24 * 60 * 60 * 1000;

export const paths = {
  communities: '/api/v1-preview/Communities',
  community: (c: string) => `/api/v1-preview/Communities/${c}`,
  invitations: (c: string) => `/api/v1-preview/communities/${c}/invitations`,
  invitation: (c: string, i: string) => `/api/v1-preview/communities/${c}/invitations/${i}`,
  process: (i: string) => `/api/v1-preview/communityinvitations/${i}`,
  details: (i: string) => `/api/v1-preview/communityinvitations/${i}/details`,
  accepted: (tenant: string) => `/api/v1-preview/tenants/${tenant}/communityinvitations`,
};

export interface InvitationWire {
  Id: string;
  Issued: string;
  Expires: string;
  Accepted?: string;
  State: string;
  IssuingTenantId: string;
  InvitedTenantId?: string;
  CommunityId: string;
  CommunityName?: string;
  InvitationRecipient?: string;
  AcceptedUserEmail?: string;
  AcceptedTenantName?: string;
}

export interface DetailsWire {
  CommunityName?: string;
  CommunityId: string;
  InvitationState: string;
  ContactEmail?: string;
}

export interface CommunityWire {
  Id: string;
  Name: string;
  Tenants: { Id: string; Name: string; Status: string; IsOwner: boolean; ContactEmail?: string }[];
}

/** A fresh token for the tenant's first client (which holds Tenant Administrator). */
export const adminToken = (t: TestApp, tenant: TenantFixture) => t.tokenFor(tenant.clientId, tenant.secret);

let communityCounter = 0;

export async function createCommunity(
  t: TestApp,
  token: string,
  body: Record<string, unknown> = {},
): Promise<CommunityWire> {
  const response = await t.call('POST', paths.communities, {
    token,
    body: { Name: `Invitations community ${++communityCounter}`, ...body },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as CommunityWire;
}

export { grantCommunityRoles } from './fixtures.ts';

export async function invite(
  t: TestApp,
  token: string,
  communityId: string,
  recipient: string,
): Promise<InvitationWire> {
  const response = await t.call('POST', paths.invitations(communityId), {
    token,
    body: { InvitationRecipient: recipient },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as InvitationWire;
}

export const act = (t: TestApp, token: string, invitationId: string, body: Record<string, unknown>) =>
  t.call('PUT', paths.process(invitationId), { token, body });

/** PUT an action and insist on its status. */
export async function actOk(
  t: TestApp,
  token: string,
  invitationId: string,
  body: Record<string, unknown>,
  status: 200 | 202,
): Promise<void> {
  const response = await act(t, token, invitationId, body);
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.body, '', 'a processed action has no body');
}

/** GET one invitation as its issuing tenant sees it. */
export async function readInvitation(
  t: TestApp,
  token: string,
  communityId: string,
  invitationId: string,
): Promise<InvitationWire> {
  const response = await t.call('GET', paths.invitation(communityId, invitationId), { token });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as InvitationWire;
}

/** The full handshake: invite, accept (by `guest`'s first client), confirm. Returns the invitation id. */
export async function joinThroughHandshake(
  t: TestApp,
  ownerToken: string,
  communityId: string,
  guest: TenantFixture,
  contactEmail: string,
): Promise<string> {
  const invitation = await invite(t, ownerToken, communityId, `admin@${guest.id}.test`);
  await actOk(t, guest.token, invitation.Id, { Action: 'Accept', ContactEmail: contactEmail }, 202);
  await actOk(t, ownerToken, invitation.Id, { Action: 'Confirm' }, 202);
  return invitation.Id;
}

export interface ErrorBody {
  OperationId: string;
  Error: string;
  Reason: string;
  Resolution: string;
}

/** Runs `work`, which must be rejected with `status`, and shows that it changed nothing in the store. */
export async function rejectedWithoutChange(
  t: TestApp,
  status: number,
  work: () => Promise<LightMyRequestResponse>,
): Promise<ErrorBody> {
  const before = await t.snapshot();
  const response = await work();
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['content-type'], 'application/json');
  const body = response.json() as ErrorBody;
  for (const key of ['OperationId', 'Error', 'Reason', 'Resolution'] as const) {
    assert.equal(typeof body[key], 'string', `ErrorResponse has ${key}: ${response.body}`);
    assert.notEqual(body[key], '', `ErrorResponse has ${key}: ${response.body}`);
  }
  assert.equal(body.OperationId, response.headers['operation-id']);
  assert.deepEqual(await t.snapshot(), before, `a rejected request (${status}) changed the store`);
  return body;
}

/** Waits until the memory mailer holds a message matching `match` (messages arrive after commit). */
export async function mailMatching(
  t: TestApp,
  match: (m: MailMessage) => boolean,
  ms = 5000,
): Promise<MailMessage> {
  const started = Date.now();
  for (;;) {
    const found = t.mail.sent.find(match);
    if (found !== undefined) return found;
    if (Date.now() - started > ms) {
      throw new Error(`no matching mail among ${t.mail.sent.map((m) => `${m.to}: ${m.subject}`).join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const mailsTo = (t: TestApp, to: string) => t.mail.sent.filter((m) => m.to === to);

export const outboxRows = (t: TestApp) => t.store.db.selectFrom('outbox').selectAll().execute();

export const membershipRows = (t: TestApp, communityId: string, tenantId?: string) => {
  let query = t.store.db.selectFrom('community_tenants').selectAll().where('community_id', '=', communityId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  return query.execute();
};

/** Every state a response shows is one of the five real ones: `None` is never produced. */
export function assertRealState(state: unknown): void {
  assert.ok(
    [
      'InvitationCreated',
      'InvitationAccepted',
      'InvitationDeclined',
      'InvitationExpired',
      'InvitationCompleted',
    ].includes(state as string),
    `state ${String(state)}`,
  );
}
