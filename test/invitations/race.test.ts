// Concurrent transitions on one invitation (CONTRACT §4: "exactly one wins, the other gets 409"), fired
// together through app.inject on both engines. The store is then read to show the winner's effects
// happened exactly once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachEngine, type TenantFixture, type TestApp } from '../support/app.ts';
import {
  act,
  actOk,
  createCommunity,
  type InvitationWire,
  invite,
  membershipRows,
  outboxRows,
  paths,
  readInvitation,
} from '../support/invitations.ts';

const N = 50;

/** Status → how many responses had it; and every refusal is a well-formed 409 naming a state. */
function tally(responses: LightMyRequestResponse[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const response of responses) {
    counts.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1);
    if (response.statusCode === 409) {
      assert.equal(response.headers['content-type'], 'application/json');
      assert.match(
        response.json().Reason,
        /Invitation(Created|Accepted|Declined|Completed|Expired)|pending|awaiting confirmation/,
      );
    }
  }
  return counts;
}

function assertOneWinner(responses: LightMyRequestResponse[], winning: number): number {
  const counts = tally(responses);
  assert.deepEqual(
    Object.fromEntries(counts),
    { [winning]: 1, 409: responses.length - 1 },
    'exactly one request wins and every other one is a 409',
  );
  return responses.findIndex((r) => r.statusCode === winning);
}

async function tenants(t: TestApp, count: number): Promise<TenantFixture[]> {
  const out: TenantFixture[] = [];
  for (let i = 0; i < count; i++) out.push(await t.createTenant());
  return out;
}

const invitationRow = (t: TestApp, id: string) =>
  t.store.db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const mailsAbout = async (t: TestApp, kind: string, invitation: InvitationWire) =>
  (await outboxRows(t)).filter(
    (r) => r.kind === kind && r.text_body.includes(invitation.CommunityName ?? '?'),
  );

describeEachEngine('concurrent invitation transitions', (t) => {
  test(`${N} administrators of ${N} tenants accept one invitation at once: one 202, the rest 409`, async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner.token, { ContactEmail: `owner@${owner.id}.test` });
    const invitation = await invite(t(), owner.token, community.Id, `race@${owner.id}.test`);
    const guests = await tenants(t(), N);

    const responses = await Promise.all(
      guests.map((guest) =>
        act(t(), guest.token, invitation.Id, { Action: 'Accept', ContactEmail: `contact@${guest.id}.test` }),
      ),
    );
    const winner = guests[assertOneWinner(responses, 202)] as TenantFixture;

    const read = await readInvitation(t(), owner.token, community.Id, invitation.Id);
    assert.equal(read.State, 'InvitationAccepted');
    assert.equal(read.InvitedTenantId, winner.id);
    assert.equal(read.AcceptedTenantName, winner.name);
    const row = await invitationRow(t(), invitation.Id);
    assert.equal(row.contact_email, `contact@${winner.id}.test`, 'the winner’s contact, not a loser’s');
    assert.equal(row.version, 2, 'one transition');
    const told = (await outboxRows(t())).filter((r) => r.kind === 'invitation-accepted');
    assert.deepEqual(
      told.filter((r) => r.recipient === `owner@${owner.id}.test`).map((r) => r.subject),
      [`${winner.name} accepted the invitation to ${community.Name}`],
    );
    for (const guest of guests) {
      const list = await t().call('GET', paths.accepted(guest.id), { token: guest.token });
      assert.equal(list.headers['total-count'], guest === winner ? '1' : '0');
    }
  });

  test(`one tenant accepts one invitation ${N} times at once: one 202, the rest 409`, async () => {
    const owner = await t().createTenant();
    const guest = await t().createTenant();
    const community = await createCommunity(t(), owner.token, { ContactEmail: `owner@${owner.id}.test` });
    const invitation = await invite(t(), owner.token, community.Id, `same@${guest.id}.test`);
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        act(t(), guest.token, invitation.Id, { Action: 'Accept', ContactEmail: `c${i}@${guest.id}.test` }),
      ),
    );
    const index = assertOneWinner(responses, 202);
    const row = await invitationRow(t(), invitation.Id);
    assert.deepEqual(
      [row.state, row.invited_tenant_id, row.contact_email, row.version],
      ['InvitationAccepted', guest.id, `c${index}@${guest.id}.test`, 2],
    );
    assert.equal((await mailsAbout(t(), 'invitation-accepted', invitation)).length, 1);
  });

  test(`one tenant accepts ${N} different invitations to one community at once: one 202, the rest 409`, async () => {
    const owner = await t().createTenant();
    const guest = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const invitations: InvitationWire[] = [];
    for (let i = 0; i < N; i++)
      invitations.push(await invite(t(), owner.token, community.Id, `r${i}@guest.test`));
    const responses = await Promise.all(
      invitations.map((invitation) =>
        act(t(), guest.token, invitation.Id, { Action: 'Accept', ContactEmail: `c@${guest.id}.test` }),
      ),
    );
    const winner = invitations[assertOneWinner(responses, 202)] as InvitationWire;
    const list = await t().call('GET', paths.accepted(guest.id), { token: guest.token });
    assert.deepEqual(
      (list.json() as InvitationWire[]).map((i) => i.Id),
      [winner.Id],
    );
    const accepted = await t()
      .store.db.selectFrom('invitations')
      .select('id')
      .where('community_id', '=', community.Id)
      .where('state', '=', 'InvitationAccepted')
      .execute();
    assert.deepEqual(
      accepted.map((r) => r.id),
      [winner.Id],
    );
  });

  test(`${N} confirms of one accepted invitation at once: one 202, the rest 409; the tenant joins once`, async () => {
    const owner = await t().createTenant();
    const guest = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const invitation = await invite(t(), owner.token, community.Id, `confirm@${guest.id}.test`);
    const contact = `joined@${guest.id}.test`;
    await actOk(t(), guest.token, invitation.Id, { Action: 'Accept', ContactEmail: contact }, 202);
    const before = (await outboxRows(t())).length;

    const responses = await Promise.all(
      Array.from({ length: N }, () => act(t(), owner.token, invitation.Id, { Action: 'Confirm' })),
    );
    assertOneWinner(responses, 202);

    const rows = await membershipRows(t(), community.Id, guest.id);
    assert.equal(rows.length, 1, 'the community has the tenant exactly once');
    assert.deepEqual([rows[0]?.status, rows[0]?.contact_email], ['Active', contact]);
    assert.equal((await membershipRows(t(), community.Id)).length, 2, 'owner and guest');
    const after = await outboxRows(t());
    assert.equal(after.length, before + 1, 'one notification');
    assert.deepEqual(
      after.filter((r) => r.kind === 'invitation-confirmed' && r.recipient === contact).length,
      1,
    );
    const row = await invitationRow(t(), invitation.Id);
    assert.deepEqual([row.state, row.version], ['InvitationCompleted', 3]);
  });

  test(`${N} mixed Confirm and Decline by the owner at once: exactly one wins`, async () => {
    const owner = await t().createTenant();
    const guest = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const invitation = await invite(t(), owner.token, community.Id, `mixed@${guest.id}.test`);
    await actOk(
      t(),
      guest.token,
      invitation.Id,
      { Action: 'Accept', ContactEmail: `c@${guest.id}.test` },
      202,
    );
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        act(t(), i % 2 === 0 ? owner.token : guest.token, invitation.Id, {
          Action: i % 2 === 0 ? 'Confirm' : 'Decline',
        }),
      ),
    );
    const counts = tally(responses);
    const wins = (counts.get(200) ?? 0) + (counts.get(202) ?? 0);
    assert.equal(wins, 1, JSON.stringify(Object.fromEntries(counts)));
    assert.equal(counts.get(409), N - 1);
    const row = await invitationRow(t(), invitation.Id);
    const joined = (await membershipRows(t(), community.Id, guest.id)).length;
    if (counts.get(202) === 1) assert.deepEqual([row.state, joined], ['InvitationCompleted', 1]);
    else assert.deepEqual([row.state, joined], ['InvitationDeclined', 0]);
  });

  test(`${N} invitations of one recipient at once: one 201, the rest 409`, async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const local = `crowd-${randomUUID().slice(0, 8)}`;
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        t().call('POST', paths.invitations(community.Id), {
          token: owner.token,
          body: {
            InvitationRecipient: i % 2 === 0 ? `${local}@guest.test` : ` ${local.toUpperCase()}@Guest.Test`,
          },
        }),
      ),
    );
    assertOneWinner(responses, 201);
    const list = await t().call('GET', paths.invitations(community.Id), { token: owner.token });
    assert.equal(list.headers['total-count'], '1');
    const invitationMails = (await outboxRows(t())).filter(
      (r) => r.kind === 'invitation' && r.recipient.toLowerCase() === `${local}@guest.test`,
    );
    assert.equal(invitationMails.length, 1, 'only the winner’s e-mail was written');
  });
});
