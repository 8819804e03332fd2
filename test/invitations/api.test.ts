// The Community Invitations API over HTTP: every endpoint of the seed page and every role rule of
// CONTRACT §4, on both engines. Each test builds its own tenants; every rejected request is checked to
// leave the store as it was.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachEngine, type TestApp } from '../support/app.ts';
import {
  act,
  actOk,
  adminToken,
  assertRealState,
  type CommunityWire,
  createCommunity,
  DAY_MS,
  type DetailsWire,
  type ErrorBody,
  GUID,
  grantCommunityRoles,
  type InvitationWire,
  invite,
  joinThroughHandshake,
  mailMatching,
  membershipRows,
  outboxRows,
  paths,
  readInvitation,
  rejectedWithoutChange,
} from '../support/invitations.ts';

/**
 * A community C of `owner` (contact `ownerContact`) with a caller in every role §4 distinguishes:
 * the owner's moderator, C-admin (not a Tenant Administrator) and a plain user; a member tenant (joined
 * through the handshake) with a moderator; `guest`, a tenant outside C to invite, with a non-admin user;
 * and `outsider`, a third tenant outside C.
 */
async function scenario(t: TestApp) {
  const owner = await t.createTenant();
  const ownerContact = `owner-contact@${owner.id}.test`;
  const community = await createCommunity(t, owner.token, { ContactEmail: ownerContact });
  const ownerModerator = await t.createUser(owner);
  await grantCommunityRoles(t, community.Id, owner.id, ownerModerator.id, ['moderator', 'member']);
  const ownerCAdmin = await t.createUser(owner);
  await grantCommunityRoles(t, community.Id, owner.id, ownerCAdmin.id, ['administrator', 'member']);
  const ownerPlain = await t.createUser(owner);
  const member = await t.createTenant();
  await joinThroughHandshake(t, owner.token, community.Id, member, `member-contact@${member.id}.test`);
  const memberModerator = await t.createUser(member);
  await grantCommunityRoles(t, community.Id, member.id, memberModerator.id, ['moderator', 'member']);
  const guest = await t.createTenant();
  const guestUser = await t.createUser(guest);
  const outsider = await t.createTenant();
  const outsiderUser = await t.createUser(outsider);
  return {
    owner,
    ownerContact,
    community,
    C: community.Id,
    ownerModerator,
    ownerCAdmin,
    ownerPlain,
    member,
    memberModerator,
    guest,
    guestUser,
    outsider,
    outsiderUser,
  };
}

const recipientFor = (label: string) => `${label}-${randomUUID().slice(0, 8)}@guest.test`;

describeEachEngine('community invitations API', (t) => {
  // Create

  test('POST creates an invitation: 201 with the seed shape, Issued now, Expires 14 days on, and the e-mail', async () => {
    const s = await scenario(t());
    const now = t().clock.now().toISOString();
    const response = await t().call('POST', paths.invitations(s.C), {
      token: s.owner.token,
      // Property names match case-insensitively; a null property counts as absent (CONTRACT §1).
      body: { invitationRecipient: '  Guest.Admin@Guest.TEST ', Id: null },
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.match(String(response.headers['operation-id']), GUID);
    const invitation = response.json() as InvitationWire;
    assert.match(invitation.Id, GUID);
    assert.deepEqual(
      { ...invitation, Id: '' },
      {
        Id: '',
        Issued: now,
        Expires: new Date(Date.parse(now) + 14 * DAY_MS).toISOString(),
        State: 'InvitationCreated',
        IssuingTenantId: s.owner.id,
        CommunityId: s.C,
        CommunityName: s.community.Name,
        InvitationRecipient: 'Guest.Admin@Guest.TEST',
      },
      'nulls (Accepted, InvitedTenantId, AcceptedUserEmail, AcceptedTenantName) are omitted',
    );
    const verbose = await t().call('GET', paths.invitation(s.C, invitation.Id), {
      token: s.owner.token,
      headers: { 'Accept-Verbosity': 'verbose' },
    });
    assert.equal(verbose.json().Accepted, null);
    assert.equal(verbose.json().InvitedTenantId, null);

    const mail = await mailMatching(t(), (m) => m.to === 'Guest.Admin@Guest.TEST');
    const link = new RegExp(`http://convene\\.test/invitations/${invitation.Id}\\?token=[A-Za-z0-9_-]{20,}`);
    assert.match(mail.text, link);
    assert.match(mail.html, link);
    assert.match(mail.subject, new RegExp(`invites you to the community ${s.community.Name}`));
    const rows = (await outboxRows(t())).filter((r) => r.recipient === 'Guest.Admin@Guest.TEST');
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['invitation'],
    );
  });

  test('who may invite: C-moderators of the owning tenant only', async () => {
    const s = await scenario(t());
    // A Community Moderator and a Community Administrator (neither a Tenant Administrator) of the owner.
    for (const caller of [s.ownerModerator, s.ownerCAdmin]) {
      const created = await t().call('POST', paths.invitations(s.C), {
        token: caller.token,
        body: { InvitationRecipient: recipientFor('by-role') },
      });
      assert.equal(created.statusCode, 201, created.body);
    }
    const body = { InvitationRecipient: recipientFor('refused') };
    // The owner's user without a community role, and a member tenant's moderator and administrator: 403.
    for (const token of [s.ownerPlain.token, s.memberModerator.token, s.member.token]) {
      const error = await rejectedWithoutChange(t(), 403, () =>
        t().call('POST', paths.invitations(s.C), { token, body }),
      );
      assert.match(error.Reason, /owns the community|owning tenant/);
    }
    // A tenant outside C does not see C: 404, as for a community that does not exist.
    for (const [token, community] of [
      [s.outsider.token, s.C],
      [s.owner.token, randomUUID()],
    ] as const) {
      await rejectedWithoutChange(t(), 404, () =>
        t().call('POST', paths.invitations(community), { token, body }),
      );
    }
    // Precedence: 404, then 403, before the body is validated.
    const bad = { InvitationRecipient: 'not an address' };
    await rejectedWithoutChange(t(), 404, () =>
      t().call('POST', paths.invitations(s.C), { token: s.outsider.token, body: bad }),
    );
    await rejectedWithoutChange(t(), 403, () =>
      t().call('POST', paths.invitations(s.C), { token: s.memberModerator.token, body: bad }),
    );
    await rejectedWithoutChange(t(), 400, () =>
      t().call('POST', paths.invitations('not-a-guid'), { token: s.owner.token, body }),
    );
    await rejectedWithoutChange(t(), 401, () => t().call('POST', paths.invitations(s.C), { body }));
  });

  // List and get

  test('GET list: the invitations of C issued by the caller’s tenant, for C-members, with Total-Count', async () => {
    const s = await scenario(t());
    const other = await createCommunity(t(), s.owner.token);
    const a = await invite(t(), s.owner.token, s.C, recipientFor('a'));
    const b = await invite(t(), s.owner.token, s.C, recipientFor('b'));
    await invite(t(), s.owner.token, other.Id, recipientFor('elsewhere'));
    // The member's handshake invitation is Completed and listed too.
    for (const token of [s.owner.token, s.ownerModerator.token, s.ownerCAdmin.token]) {
      const list = await t().call('GET', paths.invitations(s.C), { token });
      assert.equal(list.statusCode, 200, list.body);
      assert.equal(list.headers['total-count'], '3');
      const items = list.json() as InvitationWire[];
      assert.equal(items.length, 3);
      for (const item of items) {
        assert.equal(item.CommunityId, s.C);
        assert.equal(item.IssuingTenantId, s.owner.id);
        assertRealState(item.State);
      }
      assert.ok(items.some((i) => i.Id === a.Id) && items.some((i) => i.Id === b.Id));
      assert.ok(items.some((i) => i.State === 'InvitationCompleted' && i.InvitedTenantId === s.member.id));
    }
    // A member tenant is a C-member but issued nothing: an empty page.
    for (const token of [s.member.token, s.memberModerator.token]) {
      const list = await t().call('GET', paths.invitations(s.C), { token });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json(), []);
      assert.equal(list.headers['total-count'], '0');
    }
    await rejectedWithoutChange(t(), 403, () =>
      t().call('GET', paths.invitations(s.C), { token: s.ownerPlain.token }),
    );
    await rejectedWithoutChange(t(), 404, () =>
      t().call('GET', paths.invitations(s.C), { token: s.outsider.token }),
    );
    await rejectedWithoutChange(t(), 404, () =>
      t().call('GET', paths.invitations(randomUUID()), { token: s.owner.token }),
    );
  });

  test('GET one: the issuing tenant’s C-members read it; anyone else 404; a user without a role 403', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('one'));
    for (const token of [s.owner.token, s.ownerModerator.token]) {
      const read = await readInvitation(t(), token, s.C, invitation.Id);
      assert.deepEqual(read, invitation);
    }
    // Upper-case ids and a differently cased path are the same resource (CONTRACT §1).
    const shouting = await t().call(
      'GET',
      `/API/V1-PREVIEW/Communities/${s.C.toUpperCase()}/Invitations/${invitation.Id.toUpperCase()}`,
      { token: s.owner.token },
    );
    assert.equal(shouting.statusCode, 200, shouting.body);
    assert.equal(shouting.json().Id, invitation.Id);

    await rejectedWithoutChange(t(), 403, () =>
      t().call('GET', paths.invitation(s.C, invitation.Id), { token: s.ownerPlain.token }),
    );
    // A member tenant did not issue it; the outsider does not see C; an unknown id; the id under another
    // of the owner's communities.
    const other = await createCommunity(t(), s.owner.token);
    for (const [token, c, i] of [
      [s.member.token, s.C, invitation.Id],
      [s.memberModerator.token, s.C, invitation.Id],
      [s.outsider.token, s.C, invitation.Id],
      [s.owner.token, s.C, randomUUID()],
      [s.owner.token, other.Id, invitation.Id],
      // Precedence: an unknown invitation is a 404 even for a caller who would lack the role.
      [s.ownerPlain.token, s.C, randomUUID()],
    ] as const) {
      await rejectedWithoutChange(t(), 404, () => t().call('GET', paths.invitation(c, i), { token }));
    }
    await rejectedWithoutChange(t(), 400, () =>
      t().call('GET', paths.invitation(s.C, 'nope'), { token: s.owner.token }),
    );
  });

  // Delete

  test('DELETE: a C-admin of the owning tenant deletes (204) in any state; others 403 or 404', async () => {
    const s = await scenario(t());
    const created = await invite(t(), s.owner.token, s.C, recipientFor('delete'));
    await rejectedWithoutChange(t(), 403, () =>
      t().call('DELETE', paths.invitation(s.C, created.Id), { token: s.ownerModerator.token }),
    );
    for (const token of [s.member.token, s.outsider.token]) {
      await rejectedWithoutChange(t(), 404, () =>
        t().call('DELETE', paths.invitation(s.C, created.Id), { token }),
      );
    }
    await rejectedWithoutChange(t(), 404, () =>
      t().call('DELETE', paths.invitation(s.C, randomUUID()), { token: s.owner.token }),
    );
    // The public client sends its DELETEs with a JSON content type and no body.
    const deleted = await t().call('DELETE', paths.invitation(s.C, created.Id), {
      token: s.ownerCAdmin.token,
      raw: '',
    });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal(deleted.body, '');
    await rejectedWithoutChange(t(), 404, () =>
      t().call('GET', paths.invitation(s.C, created.Id), { token: s.owner.token }),
    );
    await rejectedWithoutChange(t(), 404, () =>
      t().call('DELETE', paths.invitation(s.C, created.Id), { token: s.owner.token }),
    );
    await rejectedWithoutChange(t(), 404, () =>
      act(t(), s.guest.token, created.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }),
    );

    // An accepted invitation can be deleted too; it leaves the accepting tenant's list.
    const accepted = await invite(t(), s.owner.token, s.C, recipientFor('delete-accepted'));
    await actOk(t(), s.guest.token, accepted.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }, 202);
    const deletedAccepted = await t().call('DELETE', paths.invitation(s.C, accepted.Id), {
      token: s.owner.token,
    });
    assert.equal(deletedAccepted.statusCode, 204, deletedAccepted.body);
    const list = await t().call('GET', paths.accepted(s.guest.id), { token: s.guest.token });
    assert.deepEqual(list.json(), []);
  });

  // Details

  test('GET details: any Tenant Administrator holding the id; ContactEmail is the owner’s contact for C', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('details'));
    const guestAdmin = await t().createUser(s.guest, { admin: true });
    for (const token of [s.guest.token, guestAdmin.token, s.outsider.token, s.member.token, s.owner.token]) {
      const response = await t().call('GET', paths.details(invitation.Id), { token });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json() as DetailsWire, {
        CommunityName: s.community.Name,
        CommunityId: s.C,
        InvitationState: 'InvitationCreated',
        ContactEmail: s.ownerContact,
      });
    }
    // The contact is read when asked: the owner changing it shows at once.
    const changed = await t().call('PUT', paths.community(s.C), {
      token: s.owner.token,
      body: { ContactEmail: 'new-contact@owner.test' },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    const after = await t().call('GET', paths.details(invitation.Id), { token: s.guest.token });
    assert.equal(after.json().ContactEmail, 'new-contact@owner.test');

    for (const token of [s.guestUser.token, s.ownerModerator.token, s.ownerCAdmin.token]) {
      const error = await rejectedWithoutChange(t(), 403, () =>
        t().call('GET', paths.details(invitation.Id), { token }),
      );
      assert.match(error.Reason, /Tenant Administrator/);
    }
    await rejectedWithoutChange(t(), 404, () =>
      t().call('GET', paths.details(randomUUID()), { token: s.guest.token }),
    );
    await rejectedWithoutChange(t(), 400, () =>
      t().call('GET', paths.details('123'), { token: s.guest.token }),
    );
  });

  // Accept

  test('Accept: 202 by another tenant’s administrator, recording who accepted; the issuer is told', async () => {
    const s = await scenario(t());
    const guestAdmin = await t().createUser(s.guest, { admin: true, email: `Boss@${s.guest.id}.test` });
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('accept'));
    const at = t().clock.now().toISOString();
    const response = await act(t(), guestAdmin.token, invitation.Id, {
      action: 'aCCEPT',
      contactemail: '  Contact@Guest.test ',
    });
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(response.body, '');
    const read = await readInvitation(t(), s.owner.token, s.C, invitation.Id);
    assert.deepEqual(read, {
      ...invitation,
      State: 'InvitationAccepted',
      Accepted: at,
      InvitedTenantId: s.guest.id,
      AcceptedTenantName: s.guest.name,
      AcceptedUserEmail: `Boss@${s.guest.id}.test`,
    });
    const stored = await t()
      .store.db.selectFrom('invitations')
      .select('contact_email')
      .where('id', '=', invitation.Id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.contact_email, 'Contact@Guest.test', 'ContactEmail is trimmed');
    const told = await mailMatching(
      t(),
      (m) => m.to === s.ownerContact && m.subject.startsWith(`${s.guest.name} accepted`),
    );
    assert.match(told.subject, new RegExp(`${s.guest.name} accepted the invitation to ${s.community.Name}`));
    assert.match(told.text, new RegExp(invitation.Id));

    // A client (not a user) accepting leaves AcceptedUserEmail absent.
    const second = await invite(t(), s.owner.token, s.C, recipientFor('accept-client'));
    await actOk(t(), s.outsider.token, second.Id, { Action: 'Accept', ContactEmail: 'o@outsider.test' }, 202);
    const byClient = await readInvitation(t(), s.owner.token, s.C, second.Id);
    assert.equal(byClient.State, 'InvitationAccepted');
    assert.equal(byClient.AcceptedTenantName, s.outsider.name);
    assert.equal('AcceptedUserEmail' in byClient, false);
  });

  test('Accept needs a valid ContactEmail: 400, and nothing changes', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('contact'));
    for (const body of [
      { Action: 'Accept' },
      { Action: 'Accept', ContactEmail: null },
      { Action: 'Accept', ContactEmail: '' },
      { Action: 'Accept', ContactEmail: 'no-at-sign' },
      { Action: 'Accept', ContactEmail: 'c@guest.test\r\nBcc: x@y.test' },
    ]) {
      const error = await rejectedWithoutChange(t(), 400, () => act(t(), s.guest.token, invitation.Id, body));
      assert.match(error.Reason, /ContactEmail/);
    }
    const read = await readInvitation(t(), s.owner.token, s.C, invitation.Id);
    assert.equal(read.State, 'InvitationCreated');
    // Precedence (CONTRACT §1): a missing ContactEmail is a 400 before a 409 of the state or membership.
    await rejectedWithoutChange(t(), 400, () => act(t(), s.owner.token, invitation.Id, { Action: 'Accept' }));
    // ... but a caller who may not accept at all gets 403 first.
    await rejectedWithoutChange(t(), 403, () =>
      act(t(), s.guestUser.token, invitation.Id, { Action: 'Accept' }),
    );
  });

  test('Accept refused: the owner and members 409 (already members), non-admins 403, a taken one 409', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('refused'));
    const body = { Action: 'Accept', ContactEmail: 'c@tenant.test' };
    for (const token of [s.owner.token, s.member.token]) {
      const error = await rejectedWithoutChange(t(), 409, () => act(t(), token, invitation.Id, body));
      assert.match(error.Reason, /already a member/);
    }
    for (const token of [
      s.guestUser.token,
      s.ownerModerator.token,
      s.ownerPlain.token,
      s.memberModerator.token,
    ]) {
      await rejectedWithoutChange(t(), 403, () => act(t(), token, invitation.Id, body));
    }
    await actOk(t(), s.guest.token, invitation.Id, body, 202);
    for (const token of [s.guest.token, s.outsider.token]) {
      const error = await rejectedWithoutChange(t(), 409, () => act(t(), token, invitation.Id, body));
      assert.match(error.Reason, /InvitationAccepted/);
    }
  });

  test('a tenant awaiting confirmation for C cannot accept another invitation to C (409) until it cancels', async () => {
    const s = await scenario(t());
    const first = await invite(t(), s.owner.token, s.C, recipientFor('first'));
    const second = await invite(t(), s.owner.token, s.C, recipientFor('second'));
    const body = { Action: 'Accept', ContactEmail: 'c@guest.test' };
    await actOk(t(), s.guest.token, first.Id, body, 202);
    const error = await rejectedWithoutChange(t(), 409, () => act(t(), s.guest.token, second.Id, body));
    assert.match(error.Reason, /awaiting confirmation/);
    // Another community of the same owner is another matter.
    const other = await createCommunity(t(), s.owner.token);
    const elsewhere = await invite(t(), s.owner.token, other.Id, recipientFor('elsewhere'));
    await actOk(t(), s.guest.token, elsewhere.Id, body, 202);
    // Cancelling the first frees the tenant to accept the second.
    await actOk(t(), s.guest.token, first.Id, { Action: 'Decline' }, 200);
    await actOk(t(), s.guest.token, second.Id, body, 202);
  });

  // Decline

  test('Decline of a Created invitation: 200 by an invited tenant’s administrator; the owner 409; non-admins 403', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('decline'));
    // The owner withdraws an unanswered invitation with DELETE, not Decline.
    const error = await rejectedWithoutChange(t(), 409, () =>
      act(t(), s.owner.token, invitation.Id, { Action: 'Decline' }),
    );
    assert.match(error.Reason, /InvitationCreated/);
    for (const token of [s.guestUser.token, s.ownerModerator.token]) {
      await rejectedWithoutChange(t(), 403, () => act(t(), token, invitation.Id, { Action: 'Decline' }));
    }
    const outboxBefore = (await outboxRows(t())).length;
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'decline' }, 200);
    assert.equal((await outboxRows(t())).length, outboxBefore, 'declining a Created invitation mails no one');
    const read = await readInvitation(t(), s.owner.token, s.C, invitation.Id);
    assert.equal(read.State, 'InvitationDeclined');
    assert.equal('InvitedTenantId' in read, false);
    for (const action of ['Decline', 'Accept', 'Confirm', 'Resend']) {
      // Each asked by a caller who may take that action in some state, so the answer is about the state.
      const token = action === 'Accept' || action === 'Decline' ? s.outsider.token : s.owner.token;
      const body = { Action: action, ContactEmail: 'c@outsider.test' };
      const refused = await rejectedWithoutChange(t(), 409, () => act(t(), token, invitation.Id, body));
      assert.match(refused.Reason, /InvitationDeclined/);
    }
  });

  test('Decline of an Accepted invitation: the accepting tenant cancels; a third tenant 403', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('cancel'));
    const contact = `cancel-contact@${s.guest.id}.test`;
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Accept', ContactEmail: contact }, 202);
    for (const token of [s.outsider.token, s.member.token, s.guestUser.token, s.ownerModerator.token]) {
      await rejectedWithoutChange(t(), 403, () => act(t(), token, invitation.Id, { Action: 'Decline' }));
    }
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Decline' }, 200);
    const read = await readInvitation(t(), s.owner.token, s.C, invitation.Id);
    assert.equal(read.State, 'InvitationDeclined');
    const declinedMails = (await outboxRows(t())).filter((r) => r.kind === 'invitation-declined');
    assert.equal(
      declinedMails.some((r) => r.recipient === contact),
      false,
      'a tenant cancelling its own acceptance is not mailed about it',
    );
    assert.deepEqual(await membershipRows(t(), s.C, s.guest.id), []);
  });

  test('Decline of an Accepted invitation by the owner’s C-admin: 200, and the accepting tenant’s contact is told', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('reject'));
    const contact = `reject-contact@${s.guest.id}.test`;
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Accept', ContactEmail: contact }, 202);
    await actOk(t(), s.ownerCAdmin.token, invitation.Id, { Action: 'Decline' }, 200);
    const read = await readInvitation(t(), s.owner.token, s.C, invitation.Id);
    assert.equal(read.State, 'InvitationDeclined');
    const mail = await mailMatching(t(), (m) => m.to === contact);
    assert.match(mail.subject, new RegExp(`The invitation to ${s.community.Name} was declined`));
    assert.deepEqual(await membershipRows(t(), s.C, s.guest.id), []);
    const accepted = await t().call('GET', paths.accepted(s.guest.id), { token: s.guest.token });
    assert.deepEqual(accepted.json(), []);
  });

  // Confirm

  test('Confirm: 202; the accepting tenant becomes an Active member, with its ContactEmail, once', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('confirm'));
    const body = { Action: 'Confirm' };
    // Not yet accepted.
    const early = await rejectedWithoutChange(t(), 409, () => act(t(), s.owner.token, invitation.Id, body));
    assert.match(early.Reason, /InvitationCreated/);
    const contact = `joined@${s.guest.id}.test`;
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Accept', ContactEmail: contact }, 202);
    // A moderator (not an administrator) of the owner, the accepting tenant and others may not confirm.
    for (const token of [
      s.ownerModerator.token,
      s.ownerPlain.token,
      s.guest.token,
      s.member.token,
      s.outsider.token,
    ]) {
      await rejectedWithoutChange(t(), 403, () => act(t(), token, invitation.Id, body));
    }
    const outboxBefore = new Set((await outboxRows(t())).map((r) => r.id));
    await actOk(t(), s.ownerCAdmin.token, invitation.Id, { action: 'CONFIRM' }, 202);
    // The notification was accepted into the outbox with the transition.
    const written = (await outboxRows(t())).filter((r) => !outboxBefore.has(r.id));
    assert.deepEqual(
      written.map((r) => [r.kind, r.recipient]),
      [['invitation-confirmed', contact]],
    );
    await mailMatching(t(), (m) => m.to === contact);

    const read = await readInvitation(t(), s.owner.token, s.C, invitation.Id);
    assert.equal(read.State, 'InvitationCompleted');
    const rows = await membershipRows(t(), s.C, s.guest.id);
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0]?.status, rows[0]?.is_owner, rows[0]?.contact_email], ['Active', 0, contact]);

    // The new member sees C, Active with its contact; no tenant Status reads "None".
    const community = await t().call('GET', paths.community(s.C), { token: s.guest.token });
    assert.equal(community.statusCode, 200, community.body);
    const tenants = (community.json() as CommunityWire).Tenants;
    const self = tenants.find((m) => m.Id === s.guest.id);
    assert.deepEqual([self?.Status, self?.IsOwner, self?.ContactEmail], ['Active', false, contact]);
    for (const m of tenants) assert.ok(m.Status === 'Active' || m.Status === 'Paused', m.Status);

    // Completed: it leaves the accepted list, and nothing moves it any more.
    const accepted = await t().call('GET', paths.accepted(s.guest.id), { token: s.guest.token });
    assert.deepEqual(accepted.json(), []);
    const again = await rejectedWithoutChange(t(), 409, () => act(t(), s.owner.token, invitation.Id, body));
    assert.match(again.Reason, /InvitationCompleted/);
    const decline = await rejectedWithoutChange(t(), 409, () =>
      act(t(), s.guest.token, invitation.Id, { Action: 'Decline' }),
    );
    assert.match(decline.Reason, /InvitationCompleted/);
    // The tenant is now a member: another invitation to C is a 409 when it accepts.
    const another = await invite(t(), s.owner.token, s.C, recipientFor('member-again'));
    const member = await rejectedWithoutChange(t(), 409, () =>
      act(t(), s.guest.token, another.Id, { Action: 'Accept', ContactEmail: contact }),
    );
    assert.match(member.Reason, /already a member/);
  });

  test('Confirm when the accepting tenant has become a member meanwhile, or was deleted: 409, never 500', async () => {
    const s = await scenario(t());
    // Made a member behind the handshake's back (the API offers no such path; the store rule still holds).
    const sneaky = await invite(t(), s.owner.token, s.C, recipientFor('sneaky'));
    await actOk(t(), s.outsider.token, sneaky.Id, { Action: 'Accept', ContactEmail: 'c@outsider.test' }, 202);
    await t()
      .store.db.insertInto('community_tenants')
      .values({
        community_id: s.C,
        tenant_id: s.outsider.id,
        status: 'Active',
        is_owner: 0,
        contact_email: null,
        community_alias: null,
        joined_at: t().clock.now().toISOString(),
      })
      .execute();
    const member = await rejectedWithoutChange(t(), 409, () =>
      act(t(), s.owner.token, sneaky.Id, { Action: 'Confirm' }),
    );
    assert.match(member.Reason, /already a member/);
    assert.equal((await membershipRows(t(), s.C, s.outsider.id)).length, 1);

    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('vanished'));
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }, 202);
    const deleted = await t().call('DELETE', `/api/v1/Tenants/${s.guest.id}`, {
      token: await t().operatorToken(),
    });
    assert.equal(deleted.statusCode, 204, deleted.body);
    const error = await rejectedWithoutChange(t(), 409, () =>
      act(t(), s.owner.token, invitation.Id, { Action: 'Confirm' }),
    );
    assert.match(error.Reason, /no longer exists/);
    await actOk(t(), s.owner.token, invitation.Id, { Action: 'Decline' }, 200);
  });

  // Resend

  test('Resend: 202 on a Created invitation, with new Issued and Expires and the e-mail again', async () => {
    const s = await scenario(t());
    const recipient = recipientFor('resend');
    const invitation = await invite(t(), s.owner.token, s.C, recipient);
    const first = await mailMatching(t(), (m) => m.to === recipient);
    t().clock.advance(60_000);
    const now = t().clock.now().toISOString();
    for (const token of [
      s.member.token,
      s.memberModerator.token,
      s.outsider.token,
      s.guest.token,
      s.ownerPlain.token,
    ]) {
      await rejectedWithoutChange(t(), 403, () => act(t(), token, invitation.Id, { Action: 'Resend' }));
    }
    await actOk(t(), s.ownerModerator.token, invitation.Id, { Action: 'resend' }, 202);
    const read = await readInvitation(t(), s.owner.token, s.C, invitation.Id);
    assert.deepEqual(read, {
      ...invitation,
      Issued: now,
      Expires: new Date(Date.parse(now) + 14 * DAY_MS).toISOString(),
    });
    const second = await mailMatching(t(), (m) => m.to === recipient && m !== first);
    assert.match(second.subject, /^Reminder: /);
    const link = new RegExp(`http://convene\\.test/invitations/${invitation.Id}\\?token=([A-Za-z0-9_-]+)`);
    const [oldToken, newToken] = [first.text.match(link)?.[1], second.text.match(link)?.[1]];
    assert.ok(oldToken !== undefined && newToken !== undefined && oldToken !== newToken, 'a new link');
    // Still Created: it can be accepted.
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }, 202);
  });

  test('Resend is a 409 on Accepted, Declined and Completed invitations', async () => {
    const s = await scenario(t());
    const body = { Action: 'Accept', ContactEmail: 'c@tenant.test' };
    const accepted = await invite(t(), s.owner.token, s.C, recipientFor('r-accepted'));
    await actOk(t(), s.guest.token, accepted.Id, body, 202);
    const declined = await invite(t(), s.owner.token, s.C, recipientFor('r-declined'));
    await actOk(t(), s.outsider.token, declined.Id, { Action: 'Decline' }, 200);
    const completed = await invite(t(), s.owner.token, s.C, recipientFor('r-completed'));
    await actOk(t(), s.outsider.token, completed.Id, body, 202);
    await actOk(t(), s.owner.token, completed.Id, { Action: 'Confirm' }, 202);
    for (const [invitation, state] of [
      [accepted, 'InvitationAccepted'],
      [declined, 'InvitationDeclined'],
      [completed, 'InvitationCompleted'],
    ] as const) {
      for (const token of [s.owner.token, s.ownerModerator.token]) {
        const error = await rejectedWithoutChange(t(), 409, () =>
          act(t(), token, invitation.Id, { Action: 'Resend' }),
        );
        assert.match(error.Reason, new RegExp(state));
      }
    }
  });

  // The action itself

  test('PUT: an unknown action 400, any case of a known one, unknown id 404, malformed id or body 400', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('actions'));
    for (const action of ['Approve', '', 'Accept!', 'None']) {
      const error = await rejectedWithoutChange(t(), 400, () =>
        act(t(), s.guest.token, invitation.Id, { Action: action, ContactEmail: 'c@guest.test' }),
      );
      assert.match(error.Reason + error.Resolution, /Accept, Decline, Confirm, Resend/);
    }
    await rejectedWithoutChange(t(), 400, () => act(t(), s.guest.token, invitation.Id, {}));
    await rejectedWithoutChange(t(), 400, () =>
      t().call('PUT', paths.process(invitation.Id), { token: s.guest.token, raw: '{"Action": ' }),
    );
    await rejectedWithoutChange(t(), 404, () => act(t(), s.guest.token, randomUUID(), { Action: 'Accept' }));
    await rejectedWithoutChange(t(), 404, () => act(t(), s.guest.token, randomUUID(), { Action: 'Bogus' }));
    await rejectedWithoutChange(t(), 400, () => act(t(), s.guest.token, 'x', { Action: 'Accept' }));
    await rejectedWithoutChange(t(), 401, () =>
      t().call('PUT', paths.process(invitation.Id), { body: { Action: 'Decline' } }),
    );
    // A caller who may take no action at all on it is refused as such, whatever the body.
    await rejectedWithoutChange(t(), 403, () =>
      act(t(), s.outsiderUser.token, invitation.Id, { Action: 'Bogus' }),
    );
    // Any case, and surrounding blanks, name the same action.
    await actOk(t(), s.guest.token, invitation.Id, { ACTION: ' dEcLiNe ' }, 200);
  });

  // The accepting tenant's list

  test('GET /tenants/{T}/communityinvitations: only T’s InvitationAccepted invitations, for T’s administrators', async () => {
    const s = await scenario(t());
    const body = { Action: 'Accept', ContactEmail: 'c@guest.test' };
    const [c2, c3] = [await createCommunity(t(), s.owner.token), await createCommunity(t(), s.owner.token)];
    const one = await invite(t(), s.owner.token, s.C, recipientFor('t-one'));
    const two = await invite(t(), s.owner.token, c2.Id, recipientFor('t-two'));
    await invite(t(), s.owner.token, c3.Id, recipientFor('t-created'));
    const declined = await invite(t(), s.owner.token, c3.Id, recipientFor('t-declined'));
    const byOther = await invite(t(), s.owner.token, c3.Id, recipientFor('t-other'));
    await actOk(t(), s.guest.token, one.Id, body, 202);
    await actOk(t(), s.guest.token, two.Id, body, 202);
    await actOk(t(), s.guest.token, declined.Id, body, 202);
    await actOk(t(), s.guest.token, declined.Id, { Action: 'Decline' }, 200);
    await actOk(t(), s.outsider.token, byOther.Id, body, 202);

    const guestAdmin = await t().createUser(s.guest, { admin: true });
    for (const token of [s.guest.token, guestAdmin.token]) {
      const list = await t().call('GET', paths.accepted(s.guest.id), { token });
      assert.equal(list.statusCode, 200, list.body);
      assert.equal(list.headers['total-count'], '2');
      const items = list.json() as InvitationWire[];
      assert.deepEqual(items.map((i) => i.Id).sort(), [one.Id, two.Id].sort());
      for (const item of items) {
        assert.equal(item.State, 'InvitationAccepted');
        assert.equal(item.InvitedTenantId, s.guest.id);
      }
      assert.deepEqual(items.map((i) => i.CommunityId).sort(), [s.C, c2.Id].sort());
    }
    const page = await t().call('GET', `${paths.accepted(s.guest.id)}?skip=1&count=1`, {
      token: s.guest.token,
    });
    assert.equal(page.headers['total-count'], '2');
    assert.equal((page.json() as InvitationWire[]).length, 1);

    await rejectedWithoutChange(t(), 403, () =>
      t().call('GET', paths.accepted(s.guest.id), { token: s.guestUser.token }),
    );
    // Another tenant's list, even as a Tenant Administrator, and an unknown tenant: 404 alike.
    for (const [token, tenant] of [
      [s.outsider.token, s.guest.id],
      [s.owner.token, s.guest.id],
      [s.guest.token, randomUUID()],
      [s.guestUser.token, s.outsider.id],
    ] as const) {
      await rejectedWithoutChange(t(), 404, () => t().call('GET', paths.accepted(tenant), { token }));
    }
    await rejectedWithoutChange(t(), 400, () =>
      t().call('GET', `${paths.accepted(s.guest.id)}?count=0`, { token: s.guest.token }),
    );
  });

  // Recipients

  test('a second pending invitation to the same recipient (case and blanks aside) is a 409', async () => {
    const s = await scenario(t());
    const local = `dup-${randomUUID().slice(0, 8)}`;
    const invitation = await invite(t(), s.owner.token, s.C, `${local}@Guest.test`);
    for (const variant of [
      `${local}@Guest.test`,
      `  ${local.toUpperCase()}@GUEST.TEST\t`,
      `${local}@guest.test `,
    ]) {
      const error = await rejectedWithoutChange(t(), 409, () =>
        t().call('POST', paths.invitations(s.C), {
          token: s.owner.token,
          body: { InvitationRecipient: variant },
        }),
      );
      assert.match(error.Reason, /pending invitation/);
    }
    // Another community may invite the same address.
    const other = await createCommunity(t(), s.owner.token);
    await invite(t(), s.owner.token, other.Id, `${local}@guest.test`);
    // Accepted is still pending; once declined, the recipient can be invited again.
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }, 202);
    await rejectedWithoutChange(t(), 409, () =>
      t().call('POST', paths.invitations(s.C), {
        token: s.owner.token,
        body: { InvitationRecipient: `${local}@guest.test` },
      }),
    );
    await actOk(t(), s.owner.token, invitation.Id, { Action: 'Decline' }, 200);
    const again = await invite(t(), s.owner.token, s.C, `${local.toUpperCase()}@guest.test`);
    assert.notEqual(again.Id, invitation.Id);
  });

  test('InvitationRecipient must be an e-mail address of at most 254 characters: 400 with a clear Reason', async () => {
    const s = await scenario(t());
    const local = 'a'.repeat(64);
    const domain = (last: number) => `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(last)}.test`;
    const longest = `${local}@${domain(56)}`;
    assert.equal(longest.length, 254);
    const created = await invite(t(), s.owner.token, s.C, longest);
    assert.equal(created.InvitationRecipient, longest);

    const cases: [unknown, RegExp][] = [
      ['no-at-sign.guest.test', /not a valid e-mail address/],
      ['two words@guest.test', /not a valid e-mail address/],
      ['a@guest .test', /not a valid e-mail address/],
      [`${local}@${domain(57)}`, /254/],
      [`${'x'.repeat(300)}@guest.test`, /254/],
      ['a@b.test\r\nBcc: x@y.test', /not a valid e-mail address/],
      ['a@b.test\nBcc: x@y.test', /not a valid e-mail address/],
      ['a@b.test, x@y.test', /not a valid e-mail address/],
      ['Someone <a@b.test>', /not a valid e-mail address/],
      ['@guest.test', /not a valid e-mail address/],
      ['a@', /not a valid e-mail address/],
      ['   ', /not a valid e-mail address/],
      ['a..b@guest.test', /not a valid e-mail address/],
    ];
    for (const [value, reason] of cases) {
      const error = await rejectedWithoutChange(t(), 400, () =>
        t().call('POST', paths.invitations(s.C), {
          token: s.owner.token,
          body: { InvitationRecipient: value },
        }),
      );
      assert.match(error.Reason, /InvitationRecipient/, `${JSON.stringify(value)}: ${error.Reason}`);
      assert.match(error.Reason, reason, `${JSON.stringify(value)}: ${error.Reason}`);
    }
    for (const body of [{}, { InvitationRecipient: null }, { Recipient: 'a@b.test' }]) {
      const error = await rejectedWithoutChange(t(), 400, () =>
        t().call('POST', paths.invitations(s.C), { token: s.owner.token, body }),
      );
      assert.match(error.Reason, /InvitationRecipient/);
      assert.match(error.Reason, /required/);
    }
    await rejectedWithoutChange(t(), 400, () =>
      t().call('POST', paths.invitations(s.C), { token: s.owner.token }),
    );
  });

  // Paging and visibility

  test('paging: skip and count over a stable order, Total-Count always the whole, bounds enforced', async () => {
    const s = await scenario(t());
    const community = await createCommunity(t(), s.owner.token);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await invite(t(), s.owner.token, community.Id, recipientFor(`page${i}`))).Id);
      if (i % 2 === 0) t().clock.advance(1);
    }
    const url = paths.invitations(community.Id);
    const all = await t().call('GET', url, { token: s.owner.token });
    assert.equal(all.headers['total-count'], '5');
    const order = (all.json() as InvitationWire[]).map((i) => i.Id);
    assert.deepEqual([...order].sort(), [...ids].sort());

    const pages: string[] = [];
    for (const skip of [0, 2, 4]) {
      const page = await t().call('GET', `${url}?skip=${skip}&count=2`, { token: s.owner.token });
      assert.equal(page.statusCode, 200, page.body);
      assert.equal(page.headers['total-count'], '5');
      pages.push(...(page.json() as InvitationWire[]).map((i) => i.Id));
    }
    assert.deepEqual(pages, order, 'pages concatenate to the full list, without gaps or repeats');
    for (const query of ['skip=5', 'skip=1000&count=1000']) {
      const beyond = await t().call('GET', `${url}?${query}`, { token: s.owner.token });
      assert.equal(beyond.statusCode, 200, beyond.body);
      assert.deepEqual(beyond.json(), []);
      assert.equal(beyond.headers['total-count'], '5');
    }
    const ignored = await t().call('GET', `${url}?query=anything&Count=1`, { token: s.owner.token });
    assert.equal(ignored.statusCode, 200, ignored.body);
    assert.deepEqual(
      (ignored.json() as InvitationWire[]).map((i) => i.Id),
      order.slice(0, 1),
    );
    for (const query of [
      'count=0',
      'count=1001',
      'count=-1',
      'count=many',
      'skip=-1',
      'skip=one',
      'count=1.5',
    ]) {
      const error = await rejectedWithoutChange(t(), 400, () =>
        t().call('GET', `${url}?${query}`, { token: s.owner.token }),
      );
      assert.match(error.Reason, /query string/);
    }
    // Precedence: a caller who cannot see C gets its 404 before the 400 of the paging.
    await rejectedWithoutChange(t(), 404, () =>
      t().call('GET', `${url}?count=0`, { token: s.outsider.token }),
    );
  });

  test('across tenants: 404 that reads the same as for something that does not exist', async () => {
    const s = await scenario(t());
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('secret'));
    const unknownC = randomUUID();
    const unknownI = randomUUID();
    const GUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
    const shape = (body: ErrorBody) => JSON.stringify({ ...body, OperationId: '' }).replace(GUIDS, '{id}');
    const pairs: [string, string, string][] = [
      ['GET', paths.invitations(s.C), paths.invitations(unknownC)],
      ['GET', paths.invitation(s.C, invitation.Id), paths.invitation(unknownC, unknownI)],
      ['DELETE', paths.invitation(s.C, invitation.Id), paths.invitation(unknownC, unknownI)],
      ['POST', paths.invitations(s.C), paths.invitations(unknownC)],
      ['GET', paths.accepted(s.owner.id), paths.accepted(randomUUID())],
    ];
    for (const [method, real, fake] of pairs) {
      const options = {
        token: s.outsider.token,
        ...(method === 'POST' ? { body: { InvitationRecipient: 'x@y.test' } } : {}),
      };
      const seen = await rejectedWithoutChange(t(), 404, () => t().call(method as 'GET', real, options));
      const none = await rejectedWithoutChange(t(), 404, () => t().call(method as 'GET', fake, options));
      assert.equal(shape(seen), shape(none), `${method} ${real}`);
      const text = JSON.stringify(seen);
      for (const secret of [s.community.Name, invitation.InvitationRecipient ?? '', s.owner.name]) {
        assert.equal(text.includes(secret), false, `${method} ${real} leaks ${secret}`);
      }
    }
  });
});

describeEachEngine('invitation expiry (default TTL of 14 days)', (t) => {
  async function setup() {
    const owner = await t().createTenant();
    const guest = await t().createTenant();
    const community = await createCommunity(t(), owner.token, { ContactEmail: 'owner@owner.test' });
    return { owner, guest, community, C: community.Id };
  }

  test('a Created invitation reads InvitationExpired once Expires has passed; the recipient can be invited again', async () => {
    const s = await setup();
    const recipient = recipientFor('expiring');
    const invitation = await invite(t(), s.owner.token, s.C, recipient);
    assert.equal(Date.parse(invitation.Expires) - Date.parse(invitation.Issued), 14 * DAY_MS);

    t().clock.advance(14 * DAY_MS - 1);
    let [owner, guest] = [await adminToken(t(), s.owner), await adminToken(t(), s.guest)];
    assert.equal((await readInvitation(t(), owner, s.C, invitation.Id)).State, 'InvitationCreated');

    t().clock.advance(1);
    [owner, guest] = [await adminToken(t(), s.owner), await adminToken(t(), s.guest)];
    const read = await readInvitation(t(), owner, s.C, invitation.Id);
    assert.deepEqual(read, { ...invitation, State: 'InvitationExpired' });
    const list = await t().call('GET', paths.invitations(s.C), { token: owner });
    assert.deepEqual(
      (list.json() as InvitationWire[]).map((i) => [i.Id, i.State]),
      [[invitation.Id, 'InvitationExpired']],
    );
    const details = await t().call('GET', paths.details(invitation.Id), { token: guest });
    assert.equal((details.json() as DetailsWire).InvitationState, 'InvitationExpired');

    const accept = { Action: 'Accept', ContactEmail: 'c@guest.test' };
    const error = await rejectedWithoutChange(t(), 409, () => act(t(), guest, invitation.Id, accept));
    assert.match(error.Reason, /InvitationExpired/);
    assert.match(error.Resolution, /resend/i);
    for (const [token, action] of [
      [guest, 'Decline'],
      [owner, 'Confirm'],
    ] as const) {
      const refused = await rejectedWithoutChange(t(), 409, () =>
        act(t(), token, invitation.Id, { Action: action }),
      );
      assert.match(refused.Reason, /InvitationExpired/);
    }

    // No longer pending: the same recipient (in another case) can be invited again.
    const again = await invite(t(), owner, s.C, recipient.toUpperCase());
    assert.notEqual(again.Id, invitation.Id);
    assert.equal(again.State, 'InvitationCreated');
    assert.equal((await readInvitation(t(), owner, s.C, invitation.Id)).State, 'InvitationExpired');
    // Resending the old one now would make two pending invitations to one recipient.
    const resend = await rejectedWithoutChange(t(), 409, () =>
      act(t(), owner, invitation.Id, { Action: 'Resend' }),
    );
    assert.match(resend.Reason, /pending/);
    await actOk(t(), guest, again.Id, accept, 202);
  });

  test('Resend revives an expired invitation: 202, InvitationCreated with Issued now and Expires 14 days on', async () => {
    const s = await setup();
    const recipient = recipientFor('revive');
    const invitation = await invite(t(), s.owner.token, s.C, recipient);
    t().clock.advance(20 * DAY_MS);
    const [owner, guest] = [await adminToken(t(), s.owner), await adminToken(t(), s.guest)];
    const now = t().clock.now().toISOString();
    await actOk(t(), owner, invitation.Id, { Action: 'Resend' }, 202);
    const read = await readInvitation(t(), owner, s.C, invitation.Id);
    assert.deepEqual(read, {
      ...invitation,
      State: 'InvitationCreated',
      Issued: now,
      Expires: new Date(Date.parse(now) + 14 * DAY_MS).toISOString(),
    });
    await mailMatching(t(), (m) => m.to === recipient && m.subject.startsWith('Reminder: '));
    await actOk(t(), guest, invitation.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }, 202);
  });

  test('an Accepted invitation does not expire: it can still be confirmed weeks later', async () => {
    const s = await setup();
    const invitation = await invite(t(), s.owner.token, s.C, recipientFor('slow'));
    await actOk(t(), s.guest.token, invitation.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }, 202);
    t().clock.advance(30 * DAY_MS);
    const owner = await adminToken(t(), s.owner);
    assert.equal((await readInvitation(t(), owner, s.C, invitation.Id)).State, 'InvitationAccepted');
    await actOk(t(), owner, invitation.Id, { Action: 'Confirm' }, 202);
    assert.equal((await membershipRows(t(), s.C, s.guest.id)).length, 1);
  });
});

describeEachEngine(
  'invitation expiry (CONVENE_INVITATION_TTL=1h)',
  (t) => {
    test('the lifetime is configurable: Expires is Issued plus one hour, and it expires then', async () => {
      const owner = await t().createTenant();
      const guest = await t().createTenant();
      const community = await createCommunity(t(), owner.token);
      const invitation = await invite(t(), owner.token, community.Id, recipientFor('hour'));
      assert.equal(Date.parse(invitation.Expires) - Date.parse(invitation.Issued), 60 * 60 * 1000);
      t().clock.advance(60 * 60 * 1000);
      const [ownerToken, guestToken] = [await adminToken(t(), owner), await adminToken(t(), guest)];
      assert.equal(
        (await readInvitation(t(), ownerToken, community.Id, invitation.Id)).State,
        'InvitationExpired',
      );
      const error = await rejectedWithoutChange(t(), 409, () =>
        act(t(), guestToken, invitation.Id, { Action: 'Accept', ContactEmail: 'c@guest.test' }),
      );
      assert.match(error.Reason, /InvitationExpired/);
      const now = t().clock.now().toISOString();
      await actOk(t(), ownerToken, invitation.Id, { Action: 'Resend' }, 202);
      const resent = await readInvitation(t(), ownerToken, community.Id, invitation.Id);
      assert.equal(resent.Issued, now);
      assert.equal(Date.parse(resent.Expires) - Date.parse(now), 60 * 60 * 1000);
    });
  },
  { env: { CONVENE_INVITATION_TTL: '1h' } },
);
