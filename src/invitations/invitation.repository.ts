// Store access for invitations. Reads that serve a tenant take its id; transitions are compare-and-set
// on the row's version, so of two concurrent transitions exactly one changes the row.
import type { Selectable } from 'kysely';
import { type Db, toCount } from '../db/database.ts';
import type { InvitationRow } from '../db/schema.ts';
import type { Paging } from '../http/schemas.ts';

export type Invitation = Selectable<InvitationRow>;
export interface InvitationView extends Invitation {
  community_name: string;
}

const withCommunity = (db: Db) =>
  db
    .selectFrom('invitations')
    .innerJoin('communities', 'communities.id', 'invitations.community_id')
    .selectAll('invitations')
    .select('communities.name as community_name');

export const insertInvitation = (db: Db, row: InvitationRow) =>
  db.insertInto('invitations').values(row).execute();

export const findInvitation = (db: Db, id: string) =>
  withCommunity(db).where('invitations.id', '=', id).executeTakeFirst();

/** An invitation of C as the issuing tenant sees it. */
export const findIssuedInvitation = (db: Db, communityId: string, issuingTenantId: string, id: string) =>
  withCommunity(db)
    .where('invitations.id', '=', id)
    .where('invitations.community_id', '=', communityId)
    .where('invitations.issuing_tenant_id', '=', issuingTenantId)
    .executeTakeFirst();

export const listIssuedInvitations = (db: Db, communityId: string, issuingTenantId: string, paging: Paging) =>
  withCommunity(db)
    .where('invitations.community_id', '=', communityId)
    .where('invitations.issuing_tenant_id', '=', issuingTenantId)
    .orderBy('invitations.created_at')
    .orderBy('invitations.id')
    .offset(paging.skip)
    .limit(paging.count)
    .execute();

export async function countIssuedInvitations(db: Db, communityId: string, issuingTenantId: string) {
  const row = await db
    .selectFrom('invitations')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('community_id', '=', communityId)
    .where('issuing_tenant_id', '=', issuingTenantId)
    .executeTakeFirst();
  return toCount(row?.n);
}

export const listAcceptedInvitations = (db: Db, invitedTenantId: string, paging: Paging) =>
  withCommunity(db)
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
