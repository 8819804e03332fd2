import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachEngine } from '../support/app.ts';
import { createCommunity, joinThroughInvitation, roleId } from '../support/fixtures.ts';

describeEachEngine('community users', (t) => {
  test('a guest tenant adds a user (201), replaces its roles (200), lists, counts and removes it', async () => {
    const owner = await t().createTenant();
    const guest = await t().createTenant();
    const community = await createCommunity(t(), owner);
    await joinThroughInvitation(t(), owner, guest, community.Id);
    const user = await t().createUser(guest);
    const path = `/api/v1-preview/Communities/${community.Id}/Tenants/${guest.id}/Users`;

    const added = await t().call('PUT', `${path}/${user.id}`, { token: guest.token, body: [] });
    assert.equal(added.statusCode, 201, added.body);
    assert.deepEqual(added.json().RoleIds, [community.MemberRoleId]);

    const replaced = await t().call('PUT', `${path}/${user.id}`, {
      token: guest.token,
      body: [roleId(community, 'Moderator')],
    });
    assert.equal(replaced.statusCode, 200);
    assert.deepEqual(replaced.json().RoleIds, [roleId(community, 'Moderator'), community.MemberRoleId]);

    const list = await t().call('GET', path, { token: owner.token });
    assert.equal(list.statusCode, 200, list.body);
    assert.equal(list.headers['total-count'], '1');
    const head = await t().call('HEAD', path, { token: user.token });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['total-count'], '1');
    assert.equal(head.body, '');

    const byOwner = await t().call('PUT', `${path}/${user.id}`, { token: owner.token, body: [] });
    assert.equal(byOwner.statusCode, 403);

    const removed = await t().call('DELETE', `${path}/${user.id}`, { token: guest.token });
    assert.equal(removed.statusCode, 204);
    const again = await t().call('DELETE', `${path}/${user.id}`, { token: guest.token });
    assert.equal(again.statusCode, 404);
  });
});
