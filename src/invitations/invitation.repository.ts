// Store access for invitations. Reads that serve a tenant take its id; transitions are compare-and-set
// on the row's version, so of two concurrent transitions exactly one changes the row.
import type { Selectable } from 'kysely';
import { type Db, toCount } from '../db/database.ts';
import { precompiled, precompiledFirst } from '../db/precompiled.ts';
import type { InvitationRow } from '../db/schema.ts';
import type { Paging } from '../http/schemas.ts';

export type Invitation = Selectable<InvitationRow>;
export interface InvitationView extends Invitation {
  community_name: string;
}

/** The columns an invitation shows on the wire (what toInvitation reads), for the lists. */
const WIRE_COLUMNS = [
  'invitations.id',
  'invitations.issued_at',
  'invitations.expires_at',
  'invitations.accepted_at',
  'invitations.state',
  'invitations.issuing_tenant_id',
  'invitations.invited_tenant_id',
  'invitations.community_id',
  'invitations.recipient',
  'invitations.accepted_user_email',
  'invitations.accepted_tenant_name',
] as const;
export type InvitationWire = Pick<
  InvitationView,
  (typeof WIRE_COLUMNS)[number] extends `invitations.${infer C}` ? C | 'community_name' : never
>;

/** A page of a list reads only the wire columns: turning stored values into JavaScript is its main cost. */
const wireWithCommunity = (db: Db) =>
  db
    .selectFrom('invitations')
    .innerJoin('communities', 'communities.id', 'invitations.community_id')
    .select(WIRE_COLUMNS)
    .select('communities.name as community_name');

const withCommunity = (db: Db) =>
  db
    .selectFrom('invitations')
    .innerJoin('communities', 'communities.id', 'invitations.community_id')
    .selectAll('invitations')
    .select('communities.name as community_name');

export const insertInvitation = (db: Db, row: InvitationRow) =>
  db.insertInto('invitations').values(row).execute();

const invitationQuery = precompiledFirst((db, p: { id: string }) =>
  withCommunity(db).where('invitations.id', '=', p.id),
);

export const findInvitation = (db: Db, id: string) => invitationQuery(db, { id });

const issuedInvitationQuery = precompiledFirst(
  (db, p: { communityId: string; issuingTenantId: string; id: string }) =>
    withCommunity(db)
      .where('invitations.id', '=', p.id)
      .where('invitations.community_id', '=', p.communityId)
      .where('invitations.issuing_tenant_id', '=', p.issuingTenantId),
);

/** An invitation of C as the issuing tenant sees it. */
export const findIssuedInvitation = (db: Db, communityId: string, issuingTenantId: string, id: string) =>
  issuedInvitationQuery(db, { communityId, issuingTenantId, id });

const issuedInvitationsQuery = precompiled(
  (db, p: { communityId: string; issuingTenantId: string; skip: number; count: number }) =>
    wireWithCommunity(db)
      .where('invitations.community_id', '=', p.communityId)
      .where('invitations.issuing_tenant_id', '=', p.issuingTenantId)
      .orderBy('invitations.created_at')
      .orderBy('invitations.id')
      .offset(p.skip)
      .limit(p.count),
);

export const listIssuedInvitations = (db: Db, communityId: string, issuingTenantId: string, paging: Paging) =>
  issuedInvitationsQuery(db, { communityId, issuingTenantId, skip: paging.skip, count: paging.count });

const issuedCountQuery = precompiledFirst((db, p: { communityId: string; issuingTenantId: string }) =>
  db
    .selectFrom('invitations')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('community_id', '=', p.communityId)
    .where('issuing_tenant_id', '=', p.issuingTenantId),
);

export async function countIssuedInvitations(db: Db, communityId: string, issuingTenantId: string) {
  return toCount((await issuedCountQuery(db, { communityId, issuingTenantId }))?.n);
}

export const listAcceptedInvitations = (db: Db, invitedTenantId: string, paging: Paging) =>
  wireWithCommunity(db)
    .where('invitations.invited_tenant_id', '=', invitedTenantId)
    .where('invitations.state', '=', 'InvitationAccepted')
    .orderBy('invitations.created_at')
    .orderBy('invitations.id')
    .offset(paging.skip)
    .limit(paging.count)
    .execute();

export async function countAcceptedInvitations(db: Db, invitedTenantId: string) {
  const row = await db
    .selectFrom('invitations')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('invited_tenant_id', '=', invitedTenantId)
    .where('state', '=', 'InvitationAccepted')
    .executeTakeFirst();
  return toCount(row?.n);
}

/** Frees the pending slot of a recipient whose Created invitation has expired, by storing it as expired. */
export const storeExpired = (db: Db, communityId: string, recipientKey: string, now: string) =>
  db
    .updateTable('invitations')
    .set((eb) => ({ state: 'InvitationExpired', version: eb('version', '+', 1) }))
    .where('community_id', '=', communityId)
    .where('recipient_key', '=', recipientKey)
    .where('state', '=', 'InvitationCreated')
    .where('expires_at', '<=', now)
    .execute();

/** Compare-and-set: applies `changes` only if the row still has `version`; returns whether it did. */
export async function transition(
  db: Db,
  id: string,
  version: number,
  changes: Partial<Omit<InvitationRow, 'id' | 'version'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ ...changes, version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteInvitation(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('invitations').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
