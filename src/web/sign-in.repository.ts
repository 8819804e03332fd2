// Store access for the sign-in links of the pages. A link is stored only as the SHA-256 hash of its
// token; using it is a compare-and-set, so a link signs in once.
import { sql } from 'kysely';
import { type Db, toCount } from '../db/database.ts';
import type { SignInLinkRow } from '../db/schema.ts';

/** Users of any tenant whose e-mail or contact e-mail is `email`, compared case-insensitively. */
export function findUsersByAddress(db: Db, email: string) {
  const key = email.trim().toLowerCase();
  return (
    db
      .selectFrom('users')
      .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
      .select(['users.id as user_id', 'users.tenant_id', 'tenants.name as tenant_name'])
      .where((eb) =>
        eb.or([eb(sql`lower(users.email)`, '=', key), eb(sql`lower(users.contact_email)`, '=', key)]),
      )
      .orderBy('tenants.name')
      .orderBy('users.id')
      // A bound on the mail one request can cause; nobody is a user of this many tenants.
      .limit(20)
      .execute()
  );
}

export const insertLink = (db: Db, row: SignInLinkRow) =>
  db.insertInto('sign_in_links').values(row).execute();

/** Links of the user that can still be used: bounds how much mail one address can be sent. */
export async function countLiveLinks(db: Db, userId: string, now: string): Promise<number> {
  const row = await db
    .selectFrom('sign_in_links')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return toCount(row?.n);
}

/** Marks the link used if it is unused and unexpired; returns it only then. */
export const useLink = (db: Db, tokenHash: string, now: string) =>
  db
    .updateTable('sign_in_links')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['user_id', 'tenant_id', 'return_to'])
    .executeTakeFirst();

export const findLink = (db: Db, tokenHash: string) =>
  db
    .selectFrom('sign_in_links')
    .select(['used_at', 'expires_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();

/** Links that can no longer be used are of no further interest. */
export const deleteDeadLinks = (db: Db, before: string) =>
  db
    .deleteFrom('sign_in_links')
    .where((eb) => eb.or([eb('expires_at', '<=', before), eb('used_at', '<=', before)]))
    .execute();
