// What other changes do to community memberships: removing a tenant from C (by the owner, or leaving),
// deleting C, deleting a user or a client, pausing and reactivating a tenant; roles take effect at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoleScope } from '../../src/identity/roles.ts';
import { describeEachEngine, type TestApp } from '../support/app.ts';
import {
  assertHeadLikeGet,
  assignmentsIn,
  COMMUNITIES,
  createClient,
  listedIds,
  put,
  rejected,
  storedRoles,
  type World,
  world,
} from './support.ts';

/** T (the guest) with a moderator user, a plain user and a client in C; the third tenant with one user. */
async function populated(t: TestApp) {
  const w = await world(t);
  const moderator = await t.createUser(w.guest);
  const plain = await t.createUser(w.guest);
  const client = await createClient(t, w.guest);
  await put(t, w.users(), moderator.id, [w.roles.moderator], w.guest.token);
  await put(t, w.users(), plain.id, [], w.guest.token);
  await put(t, w.clients(), client.id, [w.roles.admin], w.guest.token);
  const thirdUser = await t.createUser(w.third);
  await put(t, w.users(w.third), thirdUser.id, [], w.third.token);
  return { w, moderator, plain, client, thirdUser };
}

async function setStatus(t: TestApp, w: World, status: 'Active' | 'Paused') {
  const response = await t.call('PUT', `${COMMUNITIES}/${w.community.Id}/Tenants/${w.guest.id}`, {
    token: w.owner.token,
    body: { Status: status },
  });
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.json().Status, status);
}

describeEachEngine('community users: cascades', (t) => {
  test('the owner removing T from C removes T’s memberships, and only those', async () => {
    const { w, thirdUser } = await populated(t());
    assert.equal((await assignmentsIn(t(), w.community.Id, w.guest.id)).length, 5);
    const removed = await t().call('DELETE', `${COMMUNITIES}/${w.community.Id}/Tenants/${w.guest.id}`, {
      token: w.owner.token,
    });
    assert.equal(removed.statusCode, 204, removed.body);
    assert.deepEqual(await assignmentsIn(t(), w.community.Id, w.guest.id), []);
    assert.deepEqual(await storedRoles(t(), w.community.Id, thirdUser.id), [w.roles.member]);
    // T is no longer a member: its lists are "Tenant not found" to the owner; T no longer sees C.
    rejected(await t().call('GET', w.users(), { token: w.owner.token }), 404);
    rejected(await t().call('GET', w.clients(), { token: w.owner.token }), 404);
    rejected(await t().call('GET', w.users(), { token: w.guest.token }), 404);
    assert.equal((await assertHeadLikeGet(t(), w.users(), w.owner.token)).statusCode, 404);
    assert.deepEqual(listedIds(await t().call('GET', w.users(w.third), { token: w.owner.token }), 1), [
      thirdUser.id,
    ]);
  });

  test('T leaving C removes its memberships', async () => {
    const { w, moderator } = await populated(t());
    const left = await t().call('DELETE', `${COMMUNITIES}/${w.community.Id}/Tenants/${w.guest.id}`, {
      token: w.guest.token,
    });
    assert.equal(left.statusCode, 204, left.body);
    assert.deepEqual(await assignmentsIn(t(), w.community.Id, w.guest.id), []);
    rejected(await t().call('GET', w.users(), { token: w.third.token }), 404);
    rejected(await t().call('GET', w.users(), { token: moderator.token }), 404);
    // C's roles are no longer among T's roles.
    const roles = await t().call('GET', `/api/v1/Tenants/${w.guest.id}/Roles`, { token: w.guest.token });
    assert.ok(!(roles.json() as { CommunityId?: string }[]).some((r) => r.CommunityId === w.community.Id));
  });

  test('deleting C removes every membership in it', async () => {
    const { w, moderator } = await populated(t());
    assert.ok((await assignmentsIn(t(), w.community.Id)).length > 0);
    const deleted = await t().call('DELETE', `${COMMUNITIES}/${w.community.Id}`, { token: w.owner.token });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.deepEqual(await assignmentsIn(t(), w.community.Id), []);
    for (const token of [w.owner.token, w.guest.token, moderator.token]) {
      rejected(await t().call('GET', w.users(), { token }), 404);
      rejected(await t().call('PUT', `${w.users()}/${moderator.id}`, { token, body: [] }), 404);
    }
  });

  test('deleting a user or a client removes its memberships, in every community', async () => {
    const { w, plain, client, moderator } = await populated(t());
    const other = await createCommunity2(t(), w);
    assert.equal((await storedRoles(t(), other, plain.id)).length, 1);

    const deletedUser = await t().call('DELETE', `/api/v1/Tenants/${w.guest.id}/Users/${plain.id}`, {
      token: w.guest.token,
    });
    assert.equal(deletedUser.statusCode, 204, deletedUser.body);
    assert.deepEqual(await storedRoles(t(), w.community.Id, plain.id), []);
    assert.deepEqual(await storedRoles(t(), other, plain.id), []);
    assert.deepEqual(
      await t()
        .store.db.selectFrom('role_assignments')
        .selectAll()
        .where('principal_id', '=', plain.id)
        .execute(),
      [],
    );
    assert.deepEqual(listedIds(await t().call('GET', w.users(), { token: w.owner.token }), 1), [
      moderator.id,
    ]);

    const deletedClient = await t().call(
      'DELETE',
      `/api/v1/Tenants/${w.guest.id}/ClientCredentialClients/${client.id}`,
      { token: w.guest.token },
    );
    assert.equal(deletedClient.statusCode, 204, deletedClient.body);
    assert.deepEqual(await storedRoles(t(), w.community.Id, client.id), []);
    assert.deepEqual(listedIds(await t().call('GET', w.clients(), { token: w.owner.token }), 0), []);
    // Gone from the tenant, so PUT is a 400 (not a user of T), and DELETE a 404.
    rejected(await t().call('PUT', `${w.users()}/${plain.id}`, { token: w.guest.token, body: [] }), 400);
    rejected(await t().call('DELETE', `${w.users()}/${plain.id}`, { token: w.guest.token }), 404);
    // The deleted user's token no longer reads anything.
    rejected(await t().call('GET', w.users(), { token: plain.token }), 401);
  });

  test('pausing T keeps its memberships but they grant nothing until T is active again', async () => {
    const { w, moderator, plain } = await populated(t());
    const target = await t().createUser(w.guest);
    const before = await assignmentsIn(t(), w.community.Id, w.guest.id);
    const moderatorPut = () =>
      t().call('PUT', `${w.users()}/${target.id}`, { token: moderator.token, body: [w.roles.moderator] });

    await setStatus(t(), w, 'Paused');
    assert.deepEqual(
      (await assignmentsIn(t(), w.community.Id, w.guest.id)).length,
      before.length,
      'memberships are kept',
    );
    const snapshot = await t().snapshot();
    // T must be an active member: its moderators' and its administrator's writes are "Tenant not found".
    for (const token of [moderator.token, w.guest.token]) {
      const reason = rejected(
        await t().call('PUT', `${w.users()}/${target.id}`, { token, body: [w.roles.moderator] }),
        404,
      );
      assert.match(reason, /^Tenant '/);
      rejected(await t().call('DELETE', `${w.users()}/${plain.id}`, { token }), 404);
    }
    // Reading: the paused tenant's principals hold no rights in C.
    for (const token of [moderator.token, plain.token, w.guest.token]) {
      rejected(await t().call('GET', `${COMMUNITIES}/${w.community.Id}`, { token }), 403);
      rejected(await t().call('GET', w.users(), { token }), 403);
      rejected(await t().call('GET', w.users(w.third), { token }), 403);
      assert.equal((await assertHeadLikeGet(t(), w.users(), token)).statusCode, 403);
    }
    // Other members still see T's (kept) memberships.
    assert.equal(listedIds(await t().call('GET', w.users(), { token: w.owner.token }), 2).length, 2);
    assert.equal(listedIds(await t().call('GET', w.users(), { token: w.third.token }), 2).length, 2);
    // The owner cannot write T's users either (it never could).
    rejected(await t().call('PUT', `${w.users()}/${target.id}`, { token: w.owner.token, body: [] }), 404);
    assert.deepEqual(await t().snapshot(), snapshot);

    await setStatus(t(), w, 'Active');
    const resumed = await moderatorPut();
    assert.equal(resumed.statusCode, 201, resumed.body);
    assert.equal(
      (await t().call('GET', `${COMMUNITIES}/${w.community.Id}`, { token: plain.token })).statusCode,
      200,
    );
    assert.equal((await t().call('GET', w.users(), { token: plain.token })).statusCode, 200);
  });

  test('community roles take effect on the next request, granted and revoked', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const [a, b] = [await t().createUser(w.guest), await t().createUser(w.guest)];

    rejected(await t().call('PUT', `${w.users()}/${a.id}`, { token: user.token, body: [] }), 403);
    rejected(await t().call('GET', w.users(), { token: user.token }), 403);
    await put(t(), w.users(), user.id, [w.roles.moderator], w.guest.token);
    const granted = await t().call('PUT', `${w.users()}/${a.id}`, { token: user.token, body: [] });
    assert.equal(granted.statusCode, 201, granted.body);

    // Down to Member: reads, but no longer writes.
    await put(t(), w.users(), user.id, [], w.guest.token);
    rejected(await t().call('PUT', `${w.users()}/${b.id}`, { token: user.token, body: [] }), 403);
    assert.equal((await t().call('GET', w.users(), { token: user.token })).statusCode, 200);

    // Back to Moderator, then removed from C altogether.
    await put(t(), w.users(), user.id, [w.roles.moderator], w.guest.token);
    assert.equal(
      (await t().call('PUT', `${w.users()}/${b.id}`, { token: user.token, body: [] })).statusCode,
      201,
    );
    const removed = await t().call('DELETE', `${w.users()}/${user.id}`, { token: w.guest.token });
    assert.equal(removed.statusCode, 204);
    rejected(await t().call('PUT', `${w.users()}/${b.id}`, { token: user.token, body: [] }), 403);
    rejected(await t().call('GET', w.users(), { token: user.token }), 403);

    // A moderator may demote itself; its very next write is refused.
    await put(t(), w.users(), user.id, [w.roles.moderator], w.guest.token);
    const self = await t().call('PUT', `${w.users()}/${user.id}`, { token: user.token, body: [] });
    assert.equal(self.statusCode, 200, self.body);
    rejected(
      await t().call('PUT', `${w.users()}/${user.id}`, { token: user.token, body: [w.roles.moderator] }),
      403,
    );
  });

  test('C’s roles show in GET /api/v1/Tenants/{T}/Roles of every member tenant, with RoleScope 2', async () => {
    const w = await world(t());
    const expected = [w.roles.admin, w.roles.moderator, w.roles.member].sort();
    for (const tenant of [w.owner, w.guest, w.third]) {
      const response = await t().call('GET', `/api/v1/Tenants/${tenant.id}/Roles?count=1000`, {
        token: tenant.token,
      });
      assert.equal(response.statusCode, 200, response.body);
      const roles = response.json() as { Id: string; RoleScope: number; CommunityId?: string }[];
      const ofC = roles.filter((r) => r.CommunityId === w.community.Id);
      assert.deepEqual(ofC.map((r) => r.Id).sort(), expected);
      assert.ok(ofC.every((r) => r.RoleScope === RoleScope.Community));
      assert.equal(response.headers['total-count'], String(roles.length));
    }
    const outside = await t().call('GET', `/api/v1/Tenants/${w.outsider.id}/Roles?count=1000`, {
      token: w.outsider.token,
    });
    assert.ok(!(outside.json() as { CommunityId?: string }[]).some((r) => r.CommunityId === w.community.Id));
  });
});

/** A second community owned by T (the guest) with T's users in it, to show deletions reach every community. */
async function createCommunity2(t: TestApp, w: World): Promise<string> {
  const response = await t.call('POST', COMMUNITIES, {
    token: w.guest.token,
    body: { Name: `Second ${Date.now()}` },
  });
  assert.equal(response.statusCode, 201, response.body);
  const id = response.json().Id as string;
  const users = await t.call('GET', w.users(), { token: w.guest.token });
  for (const u of users.json() as { Id: string }[]) {
    await put(t, `${COMMUNITIES}/${id}/Tenants/${w.guest.id}/Users`, u.Id, [], w.guest.token);
  }
  return id;
}
