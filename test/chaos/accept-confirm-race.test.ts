// Found by the crash run: a tenant's Accept of a second invitation to C, racing the Confirm of its first
// one, could be answered 202 although in either serial order it is a 409 (before the Confirm: the tenant
// already has an accepted invitation to C; after it: the tenant is a member). The Confirm of that second
// invitation then failed with "already a member". The race is fired many times at once; no pair may end
// with both requests winning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachEngine, type TenantFixture } from '../support/app.ts';
import { act, actOk, createCommunity, invite } from '../support/invitations.ts';

const PAIRS = 30;

describeEachEngine('Accept racing the Confirm of the same tenant’s other invitation', (t) => {
  test(`${PAIRS} races: the Accept wins only when the Confirm loses`, async () => {
    const owner = await t().createTenant();
    const guests: TenantFixture[] = [];
    const pairs: { first: string; second: string; guest: TenantFixture; community: string }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const guest = await t().createTenant();
      guests.push(guest);
      const community = await createCommunity(t(), owner.token);
      const first = await invite(t(), owner.token, community.Id, `first${i}@guest.test`);
      const second = await invite(t(), owner.token, community.Id, `second${i}@guest.test`);
      await actOk(t(), guest.token, first.Id, { Action: 'Accept', ContactEmail: `c${i}@guest.test` }, 202);
      pairs.push({ first: first.Id, second: second.Id, guest, community: community.Id });
    }

    const outcomes = await Promise.all(
      pairs.map(async ({ first, second, guest }) => {
        const [confirm, accept] = await Promise.all([
          act(t(), owner.token, first, { Action: 'Confirm' }),
          act(t(), guest.token, second, { Action: 'Accept', ContactEmail: `again@${guest.id}.test` }),
        ]);
        return [confirm.statusCode, accept.statusCode] as const;
      }),
    );

    for (const [i, [confirm, accept]] of outcomes.entries()) {
      assert.equal(confirm, 202, `pair ${i}: the Confirm of the accepted invitation wins`);
      assert.equal(
        accept,
        409,
        `pair ${i}: the Accept by a tenant that is (or is about to be) a member loses`,
      );
      const pair = pairs[i] as (typeof pairs)[number];
      const second = await t()
        .store.db.selectFrom('invitations')
        .select(['state', 'invited_tenant_id'])
        .where('id', '=', pair.second)
        .executeTakeFirstOrThrow();
      assert.deepEqual(second, { state: 'InvitationCreated', invited_tenant_id: null });
    }
  });
});
