// The same API for client credential clients: /Communities/{C}/Tenants/{T}/ClientCredentialClients[/{id}].
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachEngine } from '../support/app.ts';
import {
  assertHeadLikeGet,
  COMMUNITIES,
  createClient,
  listedIds,
  put,
  rejected,
  sorted,
  storedRoles,
  world,
} from './support.ts';

describeEachEngine('community clients', (t) => {
  test('PUT 201 then 200 with the client shape and its roles in C; Member always included', async () => {
    const w = await world(t());
    const client = await createClient(t(), w.guest, 'Sensor uploader');
    const added = await t().call('PUT', `${w.clients()}/${client.id}`, { token: w.guest.token, body: [] });
    assert.equal(added.statusCode, 201, added.body);
    const tenantClient = await t().call(
      'GET',
      `/api/v1-preview/Tenants/${w.guest.id}/ClientCredentialClients/${client.id}`,
      { token: w.guest.token },
    );
    const { RoleIds: tenantRoles, ...shape } = tenantClient.json();
    assert.deepEqual(added.json(), { ...shape, RoleIds: [w.roles.member] });
    assert.deepEqual(Object.keys(added.json()).sort(), [
      'AccessTokenLifetime',
      'ClientId',
      'Enabled',
      'Id',
      'Name',
      'RoleIds',
      'Tags',
    ]);
    assert.equal(added.json().ClientId, client.id);
    assert.equal(added.json().ClientSecret, undefined);

    const replaced = await t().call('PUT', `${w.clients()}/${client.id}`, {
      token: w.guest.token,
      body: [w.roles.moderator, w.roles.moderator],
    });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.deepEqual(replaced.json().RoleIds, [w.roles.moderator, w.roles.member]);
    assert.deepEqual(
      await storedRoles(t(), w.community.Id, client.id),
      sorted([w.roles.moderator, w.roles.member]),
    );
    // Its tenant roles are untouched.
    const after = await t().call(
      'GET',
      `/api/v1-preview/Tenants/${w.guest.id}/ClientCredentialClients/${client.id}`,
      { token: w.guest.token },
    );
    assert.deepEqual(after.json().RoleIds, tenantRoles);
  });

  test('PUT 400: body, foreign role, not a client of T; 403; 404 — and nothing changes', async () => {
    const w = await world(t());
    const client = await createClient(t(), w.guest);
    const other = await createClient(t(), w.third);
    const user = await t().createUser(w.guest);
    const member = await t().createUser(w.guest);
    await put(t(), w.users(), member.id, [], w.guest.token);
    const before = await t().snapshot();
    const path = `${w.clients()}/${client.id}`;

    for (const raw of [`"${w.roles.member}"`, '{}', 'null', '[1]']) {
      rejected(await t().call('PUT', path, { token: w.guest.token, raw }), 400);
    }
    rejected(await t().call('PUT', path, { token: w.guest.token, body: ['nope'] }), 400);
    for (const role of [w.guest.roles['Tenant Administrator'] as string, randomUUID()]) {
      rejected(await t().call('PUT', path, { token: w.guest.token, body: [role] }), 400);
    }
    for (const id of [other.id, user.id, randomUUID()]) {
      const reason = rejected(
        await t().call('PUT', `${w.clients()}/${id}`, { token: w.guest.token, body: [] }),
        400,
      );
      assert.match(reason, /is not a client of tenant/);
    }
    for (const token of [w.owner.token, w.third.token, member.token, user.token, client.token]) {
      rejected(await t().call('PUT', path, { token, body: [] }), 403);
      rejected(await t().call('DELETE', path, { token }), 403);
    }
    for (const token of [w.outsider.token, other.token]) {
      const status = token === other.token ? 403 : 404;
      rejected(await t().call('PUT', path, { token, body: [] }), status);
    }
    rejected(
      await t().call('PUT', `${w.clients(w.outsider)}/${client.id}`, { token: w.guest.token, body: [] }),
      404,
    );
    rejected(
      await t().call(
        'PUT',
        `${COMMUNITIES}/${randomUUID()}/Tenants/${w.guest.id}/ClientCredentialClients/${client.id}`,
        {
          token: w.guest.token,
          body: [],
        },
      ),
      404,
    );
    rejected(await t().call('PUT', path, { body: [] }), 401);
    rejected(await t().call('PUT', `${w.clients()}/not-a-guid`, { token: w.guest.token, body: [] }), 400);
    assert.deepEqual(await t().snapshot(), before);
  });

  test('DELETE 204, then 404; a user id is not removed through the clients path', async () => {
    const w = await world(t());
    const client = await createClient(t(), w.guest);
    const user = await t().createUser(w.guest);
    await put(t(), w.clients(), client.id, [w.roles.admin], w.guest.token);
    await put(t(), w.users(), user.id, [], w.guest.token);

    const before = await t().snapshot();
    rejected(await t().call('DELETE', `${w.clients()}/${user.id}`, { token: w.guest.token }), 404);
    rejected(await t().call('DELETE', `${w.clients()}/${randomUUID()}`, { token: w.guest.token }), 404);
    rejected(await t().call('DELETE', `${w.clients()}/${client.id}`, {}), 401);
    rejected(await t().call('DELETE', `${w.clients()}/${client.id}`, { token: w.outsider.token }), 404);
    assert.deepEqual(await t().snapshot(), before);
    assert.deepEqual(await storedRoles(t(), w.community.Id, user.id), [w.roles.member]);

    const removed = await t().call('DELETE', `${w.clients()}/${client.id}`, { token: w.guest.token });
    assert.equal(removed.statusCode, 204);
    assert.deepEqual(await storedRoles(t(), w.community.Id, client.id), []);
    rejected(await t().call('DELETE', `${w.clients()}/${client.id}`, { token: w.guest.token }), 404);
    // The client itself still exists and still authenticates.
    assert.equal(
      (
        await t().call('GET', `/api/v1/Tenants/${w.guest.id}/ClientCredentialClients/${client.id}`, {
          token: client.token,
        })
      ).statusCode,
      200,
    );
  });

  test('GET lists only clients (in creation order), with Total-Count and paging; HEAD counts', async () => {
    const w = await world(t());
    const clients = [];
    for (let i = 0; i < 4; i++) {
      t().clock.advance(1000);
      clients.push(await createClient(t(), w.guest, `client ${i}`));
    }
    for (const c of [...clients].reverse()) await put(t(), w.clients(), c.id, [], w.guest.token);
    const user = await t().createUser(w.guest);
    await put(t(), w.users(), user.id, [], w.guest.token);
    const expected = clients.map((c) => c.id);

    for (const token of [w.guest.token, w.owner.token, w.third.token, user.token]) {
      assert.deepEqual(listedIds(await t().call('GET', w.clients(), { token }), 4), expected);
      const head = await assertHeadLikeGet(t(), w.clients(), token);
      assert.equal(head.headers['total-count'], '4');
    }
    const page = await t().call('GET', `${w.clients()}?skip=1&count=2`, { token: w.guest.token });
    assert.deepEqual(listedIds(page, 4), expected.slice(1, 3));
    const listed = page.json() as { RoleIds: string[]; Name: string }[];
    assert.deepEqual(
      listed.map((c) => c.RoleIds),
      [[w.roles.member], [w.roles.member]],
    );
    assert.deepEqual(
      listed.map((c) => c.Name),
      ['client 1', 'client 2'],
    );
    // The users list holds the user only; the clients list no user.
    assert.deepEqual(listedIds(await t().call('GET', w.users(), { token: w.guest.token }), 1), [user.id]);

    for (const query of ['skip=-1', 'count=0', 'count=1001']) {
      rejected(await t().call('GET', `${w.clients()}?${query}`, { token: w.guest.token }), 400);
      assert.equal((await assertHeadLikeGet(t(), `${w.clients()}?${query}`, w.guest.token)).statusCode, 400);
    }
    const stranger = await t().createUser(w.guest);
    for (const [token, status] of [
      [stranger.token, 403],
      [w.outsider.token, 404],
      [undefined, 401],
    ] as const) {
      rejected(await t().call('GET', w.clients(), token === undefined ? {} : { token }), status);
      assert.equal((await assertHeadLikeGet(t(), w.clients(), token)).statusCode, status);
    }
    rejected(await t().call('GET', w.clients(w.outsider), { token: w.guest.token }), 404);
  });
});
