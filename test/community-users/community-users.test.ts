// Community Users (seed page, CONTRACT §5): every status of PUT, DELETE, GET and HEAD
// /api/v1-preview/Communities/{C}/Tenants/{T}/Users[/{U}], the Member role rule and who may read and write.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachEngine, type TestApp } from '../support/app.ts';
import { createCommunity } from '../support/fixtures.ts';
import {
  assertHeadLikeGet,
  COMMUNITIES,
  createClient,
  listedIds,
  put,
  rejected,
  sorted,
  storedRoles,
  type World,
  world,
} from './support.ts';

/** A user of T holding only C's Member role, and a user of T holding no role in C. */
async function readers(t: TestApp, w: World) {
  const member = await t.createUser(w.guest);
  await put(t, w.users(), member.id, [], w.guest.token);
  const stranger = await t.createUser(w.guest);
  return { member, stranger };
}

describeEachEngine('community users: PUT', (t) => {
  test('201 when the user was not in C, then 200; the body is the tenant User with its roles in C', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const added = await t().call('PUT', `${w.users()}/${user.id}`, { token: w.guest.token, body: [] });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.headers['content-type'], 'application/json');
    const tenantUser = await t().call('GET', `/api/v1/Tenants/${w.guest.id}/Users/${user.id}`, {
      token: w.guest.token,
    });
    const { RoleIds: tenantRoles, ...profile } = tenantUser.json();
    assert.notDeepEqual(tenantRoles, [w.roles.member]);
    assert.deepEqual(added.json(), { ...profile, RoleIds: [w.roles.member] });
    assert.equal(added.json().Email, user.email);

    const replaced = await t().call('PUT', `${w.users()}/${user.id}`, {
      token: w.guest.token,
      body: [w.roles.admin],
    });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.deepEqual(replaced.json(), { ...profile, RoleIds: [w.roles.admin, w.roles.member] });
    assert.deepEqual(
      await storedRoles(t(), w.community.Id, user.id),
      sorted([w.roles.admin, w.roles.member]),
    );

    // The same roles again is still a replacement (200), and the tenant roles are untouched.
    const same = await t().call('PUT', `${w.users()}/${user.id}`, {
      token: w.guest.token,
      body: [w.roles.admin],
    });
    assert.equal(same.statusCode, 200);
    const after = await t().call('GET', `/api/v1/Tenants/${w.guest.id}/Users/${user.id}`, {
      token: w.guest.token,
    });
    assert.deepEqual(after.json().RoleIds, tenantRoles);
  });

  test('the Member role is always included, duplicates collapse and ids match in any case', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const path = `${w.users()}/${user.id}`;
    const cases: [string[], string[]][] = [
      [[], [w.roles.member]],
      [[w.roles.moderator], [w.roles.moderator, w.roles.member]],
      [[w.roles.member], [w.roles.member]],
      [
        [w.roles.member, w.roles.moderator, w.roles.admin],
        [w.roles.admin, w.roles.moderator, w.roles.member],
      ],
      [
        [w.roles.moderator, w.roles.moderator, w.roles.moderator.toUpperCase()],
        [w.roles.moderator, w.roles.member],
      ],
      [
        [w.roles.admin, w.roles.member, w.roles.admin, w.roles.member],
        [w.roles.admin, w.roles.member],
      ],
      [[], [w.roles.member]],
    ];
    for (const [body, expected] of cases) {
      const response = await t().call('PUT', path, { token: w.guest.token, body });
      assert.ok([200, 201].includes(response.statusCode), response.body);
      assert.deepEqual(response.json().RoleIds, expected, JSON.stringify(body));
      assert.deepEqual(await storedRoles(t(), w.community.Id, user.id), sorted(expected));
      const listed = (await t().call('GET', w.users(), { token: w.guest.token })).json() as {
        Id: string;
        RoleIds: string[];
      }[];
      assert.deepEqual(listed.find((u) => u.Id === user.id)?.RoleIds, expected);
    }
  });

  test('path ids in upper case address the same user, community and tenant', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const url = `${COMMUNITIES}/${w.community.Id.toUpperCase()}/Tenants/${w.guest.id.toUpperCase()}/Users/${user.id.toUpperCase()}`;
    const added = await t().call('PUT', url, { token: w.guest.token, body: [] });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().Id, user.id);
    const lower = await t().call('PUT', `${w.users()}/${user.id}`, { token: w.guest.token, body: [] });
    assert.equal(lower.statusCode, 200);
  });

  test('400 for a body that is not a JSON array of GUIDs, and nothing changes', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const path = `${w.users()}/${user.id}`;
    const before = await t().snapshot();
    // A bare GUID string must not pass for a one-element array.
    for (const raw of [
      `"${w.roles.member}"`,
      '{}',
      `{"0":"${w.roles.member}"}`,
      'null',
      '5',
      'true',
      '"x"',
    ]) {
      const reason = rejected(await t().call('PUT', path, { token: w.guest.token, raw }), 400);
      assert.match(reason, /array/i, raw);
    }
    const noBody = await t().app.inject({
      method: 'PUT',
      url: path,
      headers: { authorization: `Bearer ${w.guest.token}` },
    });
    rejected(noBody, 400);
    for (const body of [['not-a-guid'], [5], [null], [w.roles.member, 'x'], [[w.roles.member]], [{}]]) {
      rejected(await t().call('PUT', path, { token: w.guest.token, body }), 400);
    }
    const malformed = await t().call('PUT', path, { token: w.guest.token, raw: '[' });
    rejected(malformed, 400);
    assert.deepEqual(await t().snapshot(), before);
  });

  test('400 for a role id that is not one of C’s roles, and nothing changes', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const path = `${w.users()}/${user.id}`;
    await put(t(), w.users(), user.id, [w.roles.moderator], w.guest.token);
    const other = await createCommunity(t(), w.owner);
    const before = await t().snapshot();
    const foreign = [
      w.guest.roles['Tenant Administrator'] as string,
      w.guest.roles['Tenant Member'] as string,
      other.MemberRoleId,
      other.CommunityRoles[0]?.Id as string,
      randomUUID(),
    ];
    for (const id of foreign) {
      const reason = rejected(
        await t().call('PUT', path, { token: w.guest.token, body: [w.roles.admin, id] }),
        400,
      );
      assert.match(reason, /not a role of this community/, id);
    }
    assert.deepEqual(await t().snapshot(), before);
    assert.deepEqual(
      await storedRoles(t(), w.community.Id, user.id),
      sorted([w.roles.moderator, w.roles.member]),
    );
  });

  test('400 when U is not a user of T (another tenant’s user, a client of T, an unknown id)', async () => {
    const w = await world(t());
    const elsewhere = await t().createUser(w.third);
    const ownerUser = await t().createUser(w.owner);
    const client = await createClient(t(), w.guest);
    const before = await t().snapshot();
    for (const id of [elsewhere.id, ownerUser.id, client.id, w.guest.clientId, randomUUID()]) {
      const reason = rejected(
        await t().call('PUT', `${w.users()}/${id}`, { token: w.guest.token, body: [] }),
        400,
      );
      assert.match(reason, /is not a user of tenant/, id);
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('400 for a path id that is not a GUID, before any 404', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const urls = [
      `${COMMUNITIES}/not-a-guid/Tenants/${w.guest.id}/Users/${user.id}`,
      `${COMMUNITIES}/${w.community.Id}/Tenants/not-a-guid/Users/${user.id}`,
      `${w.users()}/not-a-guid`,
    ];
    for (const url of urls) {
      rejected(await t().call('PUT', url, { token: w.guest.token, body: [] }), 400);
      rejected(await t().call('PUT', url, { token: w.outsider.token, body: [] }), 400);
      rejected(await t().call('DELETE', url, { token: w.guest.token }), 400);
    }
    for (const url of [
      `${COMMUNITIES}/x/Tenants/${w.guest.id}/Users`,
      `${COMMUNITIES}/${w.community.Id}/Tenants/x/Users`,
    ]) {
      rejected(await t().call('GET', url, { token: w.guest.token }), 400);
      const head = await assertHeadLikeGet(t(), url, w.guest.token);
      assert.equal(head.statusCode, 400);
    }
  });

  test('401 without a valid token, on every route', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    for (const token of [undefined, 'not-a-token', `${w.guest.token}x`]) {
      const options = token === undefined ? {} : { token };
      rejected(await t().call('PUT', `${w.users()}/${user.id}`, { ...options, body: [] }), 401);
      rejected(await t().call('DELETE', `${w.users()}/${user.id}`, options), 401);
      rejected(await t().call('GET', w.users(), options), 401);
      const head = await assertHeadLikeGet(t(), w.users(), token);
      assert.equal(head.statusCode, 401);
    }
  });

  test('403 for a caller who sees C but is not a C-moderator of T, and nothing changes', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    await put(t(), w.users(), user.id, [], w.guest.token);
    const { member, stranger } = await readers(t(), w);
    // A moderator of another member tenant moderates its own tenant only.
    const thirdModerator = await t().createUser(w.third);
    await put(t(), w.users(w.third), thirdModerator.id, [w.roles.moderator], w.third.token);
    const ownerUser = await t().createUser(w.owner, { admin: true });
    const before = await t().snapshot();
    const callers = {
      'owner’s Tenant Administrator': w.owner.token,
      'owner’s Tenant Administrator user': ownerUser.token,
      'another member tenant’s administrator': w.third.token,
      'another member tenant’s moderator': thirdModerator.token,
      'a C-member of T (Member role only)': member.token,
      'a user of T without C roles': stranger.token,
    };
    for (const [who, token] of Object.entries(callers)) {
      rejected(await t().call('PUT', `${w.users()}/${user.id}`, { token, body: [w.roles.admin] }), 403);
      rejected(await t().call('PUT', `${w.users()}/${stranger.id}`, { token, body: [] }), 403);
      // 403 comes before the validation of the body (CONTRACT §1).
      const reason = rejected(await t().call('PUT', `${w.users()}/${user.id}`, { token, body: 'x' }), 403);
      assert.match(reason, /Moderator/, who);
      rejected(await t().call('DELETE', `${w.users()}/${user.id}`, { token }), 403);
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('404 when T is not a member of C, C does not exist or the caller’s tenant is not in C', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    await put(t(), w.users(), user.id, [], w.guest.token);
    const outsiderUser = await t().createUser(w.outsider);
    const before = await t().snapshot();

    // T not a member of C, asked by a caller who sees C: Tenant not found, before 403 and 400.
    for (const token of [w.owner.token, w.guest.token, w.outsider.token]) {
      const url = `${w.users(w.outsider)}/${outsiderUser.id}`;
      for (const body of [[], 'x']) rejected(await t().call('PUT', url, { token, body }), 404);
    }
    const unknownTenant = `${COMMUNITIES}/${w.community.Id}/Tenants/${randomUUID()}/Users`;
    const reason = rejected(
      await t().call('PUT', `${unknownTenant}/${user.id}`, { token: w.guest.token, body: [] }),
      404,
    );
    assert.match(reason, /^Tenant '/);
    rejected(await t().call('DELETE', `${unknownTenant}/${user.id}`, { token: w.guest.token }), 404);
    rejected(await t().call('GET', unknownTenant, { token: w.guest.token }), 404);
    assert.equal((await assertHeadLikeGet(t(), unknownTenant, w.guest.token)).statusCode, 404);

    // The outsider's principals get 404 on every route, and the same answer as for a community that does
    // not exist: nothing tells them C exists.
    const missing = randomUUID();
    const missingUsers = `${COMMUNITIES}/${missing}/Tenants/${w.guest.id}/Users`;
    for (const token of [w.outsider.token, outsiderUser.token]) {
      for (const [method, url, body] of [
        ['PUT', `${w.users()}/${user.id}`, []],
        ['PUT', `${w.users()}/${user.id}`, 'x'],
        ['DELETE', `${w.users()}/${user.id}`, undefined],
        ['GET', w.users(), undefined],
        ['GET', `${w.users()}?count=0`, undefined],
      ] as const) {
        const seen = rejected(await t().call(method, url, { token, body }), 404);
        const unseen = rejected(
          await t().call(method, url.replace(w.community.Id, missing), { token, body }),
          404,
        );
        assert.equal(seen.replaceAll(w.community.Id, missing), unseen, `${method} ${url}`);
      }
      assert.equal((await assertHeadLikeGet(t(), w.users(), token)).statusCode, 404);
      assert.equal((await assertHeadLikeGet(t(), missingUsers, token)).statusCode, 404);
    }
    // The operator belongs to no tenant, so to no community either.
    const operator = await t().operatorToken();
    rejected(await t().call('GET', w.users(), { token: operator }), 404);
    rejected(await t().call('PUT', `${w.users()}/${user.id}`, { token: operator, body: [] }), 404);
    assert.deepEqual(await t().snapshot(), before);
  });
});

describeEachEngine('community users: DELETE', (t) => {
  test('204 removes every role of the user in C; 404 once it is not in C', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    const stays = await t().createUser(w.guest);
    await put(t(), w.users(), user.id, [w.roles.admin, w.roles.moderator], w.guest.token);
    await put(t(), w.users(), stays.id, [], w.guest.token);

    const removed = await t().call('DELETE', `${w.users()}/${user.id}`, { token: w.guest.token });
    assert.equal(removed.statusCode, 204);
    assert.equal(removed.body, '');
    assert.deepEqual(await storedRoles(t(), w.community.Id, user.id), []);
    assert.deepEqual(listedIds(await t().call('GET', w.users(), { token: w.guest.token }), 1), [stays.id]);
    // Still a user of T, with its tenant roles.
    const tenantUser = await t().call('GET', `/api/v1/Tenants/${w.guest.id}/Users/${user.id}`, {
      token: w.guest.token,
    });
    assert.equal(tenantUser.statusCode, 200);
    assert.ok((tenantUser.json().RoleIds as string[]).includes(w.guest.roles['Tenant Member'] as string));

    rejected(await t().call('DELETE', `${w.users()}/${user.id}`, { token: w.guest.token }), 404);
    // A body with a JSON content type but empty, as the public client sends it, is no body.
    const again = await t().call('DELETE', `${w.users()}/${stays.id}`, {
      token: w.guest.token,
      raw: '',
      contentType: 'application/json',
    });
    assert.equal(again.statusCode, 204, again.body);
    // Re-adding is a creation again.
    const readded = await t().call('PUT', `${w.users()}/${user.id}`, { token: w.guest.token, body: [] });
    assert.equal(readded.statusCode, 201);
  });

  test('404 for a user never in C, an unknown id, another tenant’s user or a client id', async () => {
    const w = await world(t());
    const never = await t().createUser(w.guest);
    const elsewhere = await t().createUser(w.third);
    await put(t(), w.users(w.third), elsewhere.id, [], w.third.token);
    const client = await createClient(t(), w.guest);
    await put(t(), w.clients(), client.id, [], w.guest.token);
    const before = await t().snapshot();
    for (const id of [never.id, randomUUID(), elsewhere.id, client.id]) {
      rejected(await t().call('DELETE', `${w.users()}/${id}`, { token: w.guest.token }), 404);
    }
    // The client is not removed through the Users path.
    assert.deepEqual(await t().snapshot(), before);
    assert.deepEqual(await storedRoles(t(), w.community.Id, client.id), [w.roles.member]);
  });
});

describeEachEngine('community users: GET and HEAD', (t) => {
  test('any C-member may read T’s users; others get 403 and outsiders 404, HEAD alike', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    await put(t(), w.users(), user.id, [w.roles.moderator], w.guest.token);
    const { member, stranger } = await readers(t(), w);
    const thirdMember = await t().createUser(w.third);
    await put(t(), w.users(w.third), thirdMember.id, [], w.third.token);
    const thirdStranger = await t().createUser(w.third);
    const ownerMember = await t().createUser(w.owner);
    await put(t(), w.users(w.owner), ownerMember.id, [], w.owner.token);
    const ownerStranger = await t().createUser(w.owner);
    const outsiderUser = await t().createUser(w.outsider);

    const expected = sorted([user.id, member.id]);
    const cases: [string, string, number][] = [
      ['T’s administrator', w.guest.token, 200],
      ['T’s moderator', user.token, 200],
      ['T’s plain member', member.token, 200],
      ['the owner’s administrator', w.owner.token, 200],
      ['the owner’s plain member', ownerMember.token, 200],
      ['another member tenant’s administrator', w.third.token, 200],
      ['another member tenant’s plain member', thirdMember.token, 200],
      ['a user of T without C roles', stranger.token, 403],
      ['a user of another member tenant without C roles', thirdStranger.token, 403],
      ['a user of the owner without C roles', ownerStranger.token, 403],
      ['the outsider’s administrator', w.outsider.token, 404],
      ['an outsider user', outsiderUser.token, 404],
    ];
    for (const [who, token, status] of cases) {
      const list = await t().call('GET', w.users(), { token });
      if (status === 200) assert.deepEqual(sorted(listedIds(list, 2)), expected, who);
      else rejected(list, status);
      const head = await assertHeadLikeGet(t(), w.users(), token);
      assert.equal(head.statusCode, status, who);
      if (status === 200) assert.equal(head.headers['total-count'], '2');
      else assert.equal(head.headers['total-count'], undefined);
    }
  });

  test('each listed user carries its roles in C only', async () => {
    const w = await world(t());
    const a = await t().createUser(w.guest);
    const b = await t().createUser(w.guest);
    await put(t(), w.users(), a.id, [w.roles.admin], w.guest.token);
    await put(t(), w.users(), b.id, [], w.guest.token);
    // b also belongs to a second community, whose roles must not show here.
    const other = await createCommunity(t(), w.guest);
    await put(t(), `${COMMUNITIES}/${other.Id}/Tenants/${w.guest.id}/Users`, b.id, [], w.guest.token);
    const list = await t().call('GET', w.users(), { token: w.owner.token });
    const byId = new Map((list.json() as { Id: string; RoleIds: string[] }[]).map((u) => [u.Id, u.RoleIds]));
    assert.deepEqual(byId.get(a.id), [w.roles.admin, w.roles.member]);
    assert.deepEqual(byId.get(b.id), [w.roles.member]);
    assert.equal(byId.size, 2);
  });

  test('paging: Total-Count, skip and count, a stable order by creation time then id, bounds are 400', async () => {
    const w = await world(t());
    // Two pairs share a creation time; they are added to C in another order than they were created.
    const created = [];
    for (const step of [0, 0, 1000, 1000, 1000, 2000]) {
      t().clock.advance(step);
      created.push({ ...(await t().createUser(w.guest)), at: t().clock.now().getTime() });
    }
    const notInC = await t().createUser(w.guest);
    for (const user of [...created].reverse()) await put(t(), w.users(), user.id, [], w.guest.token);
    const expected = [...created]
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((u) => u.id);

    assert.deepEqual(listedIds(await t().call('GET', w.users(), { token: w.guest.token }), 6), expected);
    assert.ok(!expected.includes(notInC.id));
    const pages: string[] = [];
    for (let skip = 0; skip < 6; skip += 4) {
      const page = await t().call('GET', `${w.users()}?skip=${skip}&count=4`, { token: w.owner.token });
      pages.push(...listedIds(page, 6));
    }
    assert.deepEqual(pages, expected);
    assert.deepEqual(
      listedIds(await t().call('GET', `${w.users()}?skip=2&count=1`, { token: w.guest.token }), 6),
      [expected[2]],
    );
    assert.deepEqual(
      listedIds(await t().call('GET', `${w.users()}?skip=6`, { token: w.guest.token }), 6),
      [],
    );
    assert.deepEqual(
      listedIds(await t().call('GET', `${w.users()}?count=1000&query=ignored`, { token: w.guest.token }), 6),
      expected,
    );
    // Query parameter names match in any case.
    assert.deepEqual(
      listedIds(await t().call('GET', `${w.users()}?Skip=5&COUNT=1`, { token: w.guest.token }), 6),
      [expected[5]],
    );

    for (const query of ['skip=-1', 'count=0', 'count=1001', 'count=-5', 'skip=abc', 'count=1.5']) {
      rejected(await t().call('GET', `${w.users()}?${query}`, { token: w.guest.token }), 400);
      const head = await assertHeadLikeGet(t(), `${w.users()}?${query}`, w.guest.token);
      assert.equal(head.statusCode, 400, query);
    }
    // HEAD counts everything, whatever skip and count.
    const head = await assertHeadLikeGet(t(), `${w.users()}?skip=1&count=2`, w.guest.token);
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['total-count'], '6');
  });

  test('the OpenAPI description states the order of the list', async () => {
    const doc = (await t().call('GET', '/openapi.json')).json() as {
      paths: Record<string, Record<string, { description?: string; parameters?: { name: string }[] }>>;
    };
    const path = doc.paths[`${COMMUNITIES}/{communityId}/Tenants/{tenantId}/Users`];
    assert.match(path?.get?.description ?? '', /Ordered by the creation time of the user or client, then id/);
    assert.ok(path?.head, 'HEAD is documented');
    for (const name of ['skip', 'count', 'query']) {
      assert.ok(
        path?.get?.parameters?.some((p) => p.name === name),
        name,
      );
    }
    for (const method of ['put', 'delete']) {
      assert.ok(doc.paths[`${COMMUNITIES}/{communityId}/Tenants/{tenantId}/Users/{userId}`]?.[method]);
    }
  });
});

describeEachEngine('community users: who may write', (t) => {
  test('a C-moderator of T adds and removes T’s users; a C-administrator user may too', async () => {
    const w = await world(t());
    const moderator = await t().createUser(w.guest);
    const admin = await t().createUser(w.guest);
    await put(t(), w.users(), moderator.id, [w.roles.moderator], w.guest.token);
    await put(t(), w.users(), admin.id, [w.roles.admin], w.guest.token);
    const [a, b] = [await t().createUser(w.guest), await t().createUser(w.guest)];

    const byModerator = await t().call('PUT', `${w.users()}/${a.id}`, {
      token: moderator.token,
      body: [w.roles.moderator],
    });
    assert.equal(byModerator.statusCode, 201, byModerator.body);
    assert.deepEqual(byModerator.json().RoleIds, [w.roles.moderator, w.roles.member]);
    const byAdmin = await t().call('PUT', `${w.users()}/${b.id}`, { token: admin.token, body: [] });
    assert.equal(byAdmin.statusCode, 201, byAdmin.body);
    const removed = await t().call('DELETE', `${w.users()}/${b.id}`, { token: moderator.token });
    assert.equal(removed.statusCode, 204);

    // Neither writes another member tenant's users.
    const thirdUser = await t().createUser(w.third);
    for (const token of [moderator.token, admin.token]) {
      rejected(await t().call('PUT', `${w.users(w.third)}/${thirdUser.id}`, { token, body: [] }), 403);
    }
    // A client of T holding the Moderator role writes too.
    const client = await createClient(t(), w.guest);
    await put(t(), w.clients(), client.id, [w.roles.moderator], w.guest.token);
    const byClient = await t().call('PUT', `${w.users()}/${b.id}`, { token: client.token, body: [] });
    assert.equal(byClient.statusCode, 201, byClient.body);
  });

  test('the owning tenant’s own users are managed by the owner’s moderators the same way', async () => {
    const w = await world(t());
    const ownerUser = await t().createUser(w.owner);
    const added = await t().call('PUT', `${w.users(w.owner)}/${ownerUser.id}`, {
      token: w.owner.token,
      body: [w.roles.moderator],
    });
    assert.equal(added.statusCode, 201, added.body);
    // The client that created C holds Administrator and Member in it.
    const list = await t().call('GET', w.clients(w.owner), { token: w.owner.token });
    const creator = (list.json() as { Id: string; RoleIds: string[] }[]).find(
      (c) => c.Id === w.owner.clientId,
    );
    assert.deepEqual(creator?.RoleIds, [w.roles.admin, w.roles.member]);
    rejected(
      await t().call('PUT', `${w.users(w.owner)}/${ownerUser.id}`, { token: w.guest.token, body: [] }),
      403,
    );
  });
});
