import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachEngine } from '../support/app.ts';

describeEachEngine('invitation handshake over the API', (t) => {
  test('create → accept → confirm makes the invited tenant an Active member, with the mails', async () => {
    const owner = await t().createTenant('Owner Co');
    const guest = await t().createTenant('Guest Co');
    const community = (
      await t().call('POST', '/api/v1-preview/Communities', {
        token: owner.token,
        body: { Name: 'Basin', ContactEmail: 'owner-contact@owner.test' },
      })
    ).json();
    const created = await t().call('POST', `/api/v1-preview/communities/${community.Id}/invitations`, {
      token: owner.token,
      body: { InvitationRecipient: '  Admin@Guest.test ' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const invitation = created.json();
    assert.equal(invitation.State, 'InvitationCreated');
    assert.equal(invitation.InvitationRecipient, 'Admin@Guest.test');
    const mails = await t().mail.waitFor(1);
    assert.equal(mails[0]?.to, 'Admin@Guest.test');
    assert.match(
      mails[0]?.text ?? '',
      new RegExp(`http://convene.test/invitations/${invitation.Id}\\?token=`),
    );

    const accepted = await t().call('PUT', `/api/v1-preview/communityinvitations/${invitation.Id}`, {
      token: guest.token,
      body: { Action: 'Accept', ContactEmail: 'guest-contact@guest.test' },
    });
    assert.equal(accepted.statusCode, 202, accepted.body);
    assert.equal(accepted.body, '');
    await t().mail.waitFor(2);
    assert.equal(t().mail.sent[1]?.to, 'owner-contact@owner.test');

    const pending = await t().call('GET', `/api/v1-preview/tenants/${guest.id}/communityinvitations`, {
      token: guest.token,
    });
    assert.equal(pending.headers['total-count'], '1');
    assert.equal(pending.json()[0].AcceptedTenantName, 'Guest Co');

    const confirmed = await t().call('PUT', `/api/v1-preview/communityinvitations/${invitation.Id}`, {
      token: owner.token,
      body: { action: 'confirm' },
    });
    assert.equal(confirmed.statusCode, 202, confirmed.body);
    await t().mail.waitFor(3);
    assert.equal(t().mail.sent[2]?.to, 'guest-contact@guest.test');

    const read = await t().call('GET', `/api/v1-preview/Communities/${community.Id}`, { token: guest.token });
    assert.equal(read.statusCode, 200, read.body);
    const member = read.json().Tenants.find((m: { Id: string }) => m.Id === guest.id);
    assert.deepEqual(
      [member.Status, member.IsOwner, member.ContactEmail],
      ['Active', false, 'guest-contact@guest.test'],
    );

    const again = await t().call('PUT', `/api/v1-preview/communityinvitations/${invitation.Id}`, {
      token: owner.token,
      body: { Action: 'Confirm' },
    });
    assert.equal(again.statusCode, 409);
    assert.match(again.json().Reason, /InvitationCompleted/);
  });
});
