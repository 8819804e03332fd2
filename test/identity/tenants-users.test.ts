// Tenants (operator) and tenant users (CONTRACT §6, §7) through the HTTP API, with the cross-tenant 404s.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { assertErrorResponse, describeEachEngine, type TenantFixture, type TestApp } from '../support/app.ts';
import { clientCredentials, GUID, tokenRequest } from './support.ts';

const usersOf = (tenant: { id: string }) => `/api/v1/Tenants/${tenant.id}/Users`;

async function postUser(t: TestApp, tenant: TenantFixture, body: Record<string, unknown>) {
  const response = await t.call('POST', usersOf(tenant), { token: tenant.token, body });
  assert.equal(response.statusCode, 201, response.body);
  return response.json();
}

describeEachEngine('tenants', (t) => {
  test('the operator creates a tenant: 201 with the tenant and its first client, secret included', async () => {
    const response = await t().call('POST', '/api/v1/Tenants', {
      token: await t().operatorToken(),
      body: { Name: '  Acme Oil  ', ContactEmail: ' ops@acme.test ' },
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.headers['content-type'], 'application/json');
    const { Tenant, Client, ...rest } = response.json();
    assert.deepEqual(rest, {});
    assert.match(Tenant.Id, GUID);
    assert.equal(Tenant.Name, 'Acme Oil');
    assert.equal(Tenant.ContactEmail, 'ops@acme.test');
    assert.equal(Tenant.DateCreated, t().clock.now().toISOString());
    assert.match(Client.Id, GUID);
    assert.equal(Client.ClientId, Client.Id);
    assert.equal(Client.Enabled, true);
    assert.equal(typeof Client.ClientSecret, 'string');
    assert.ok(Client.ClientSecret.length >= 32);

    const token = (await tokenRequest(t(), clientCredentials(Client.ClientId, Client.ClientSecret))).json()
      .access_token;
    const roles = (await t().call('GET', `/api/v1/Tenants/${Tenant.Id}/Roles`, { token })).json() as {
      Id: string;
      Name: string;
    }[];
    const idOf = (name: string) => roles.find((r) => r.Name === name)?.Id;
    assert.deepEqual(
      [...Client.RoleIds].sort(),
      [idOf('Tenant Administrator'), idOf('Tenant Member')].sort(),
      'the first client holds Tenant Administrator (and Member)',
    );
  });

  test('a tenant without a name, or with a bad contact e-mail, is a 400 that creates nothing', async () => {
    const token = await t().operatorToken();
    const before = await t().snapshot();
    for (const body of [
      {},
      { Name: '' },
      { Name: '   ' },
      { Name: 'Ok', ContactEmail: 'not-an-email' },
      { Name: 'x'.repeat(201) },
    ]) {
      assertErrorResponse(await t().call('POST', '/api/v1/Tenants', { token, body }), 400);
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('creating a tenant needs a token', async () => {
    assertErrorResponse(await t().call('POST', '/api/v1/Tenants', { body: { Name: 'No token' } }), 401);
  });

  test('a tenant reads itself; another tenant is a 404; a malformed id is a 400', async () => {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const own = await t().call('GET', `/api/v1/Tenants/${a.id}`, { token: a.token });
    assert.equal(own.statusCode, 200);
    assert.deepEqual(Object.keys(own.json()).sort(), ['ContactEmail', 'DateCreated', 'Id', 'Name']);
    assert.equal(own.json().Id, a.id);
    // Any principal of the tenant may read it, not only its administrator.
    const user = await t().createUser(a);
    assert.equal((await t().call('GET', `/api/v1/Tenants/${a.id}`, { token: user.token })).statusCode, 200);
    assert.equal(
      (await t().call('GET', `/api/v1/Tenants/${a.id.toUpperCase()}`, { token: a.token })).statusCode,
      200,
    );

    assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${b.id}`, { token: a.token }), 404);
    assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${randomUUID()}`, { token: a.token }), 404);
    assertErrorResponse(await t().call('GET', '/api/v1/Tenants/not-a-guid', { token: a.token }), 400);
  });

  test('GET /Tenants lists only the caller’s tenant; the operator sees them all', async () => {
    const a = await t().createTenant();
    await t().createTenant();
    const own = await t().call('GET', '/api/v1/Tenants', { token: a.token });
    assert.equal(own.statusCode, 200);
    assert.equal(own.headers['total-count'], '1');
    assert.deepEqual(
      own.json().map((x: { Id: string }) => x.Id),
      [a.id],
    );
    const all = await t().call('GET', '/api/v1/Tenants?count=1000', { token: await t().operatorToken() });
    assert.equal(all.statusCode, 200);
    assert.ok(Number(all.headers['total-count']) >= 2);
    assert.equal(all.json().length, Number(all.headers['total-count']));
    assert.ok(all.json().some((x: { Id: string }) => x.Id === a.id));
  });

  test('DELETE a tenant (operator): 204, then its tokens stop working and it is gone', async () => {
    const tenant = await t().createTenant();
    const user = await t().createUser(tenant, { admin: true });
    await t().call('POST', `/api/v1/Tenants/${tenant.id}/Roles`, {
      token: tenant.token,
      body: { Name: 'Own' },
    });
    const community = await t().call('POST', '/api/v1-preview/Communities', {
      token: tenant.token,
      body: { Name: `Owned by ${tenant.id}` },
    });
    assert.equal(community.statusCode, 201, community.body);
    const operator = await t().operatorToken();
    const deleted = await t().call('DELETE', `/api/v1/Tenants/${tenant.id}`, {
      token: operator,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal(deleted.body, '');

    assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: tenant.token }), 401);
    assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: user.token }), 401);
    assert.equal(
      (await tokenRequest(t(), clientCredentials(tenant.clientId, tenant.secret))).statusCode,
      401,
    );
    assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: operator }), 404);
    assertErrorResponse(await t().call('DELETE', `/api/v1/Tenants/${tenant.id}`, { token: operator }), 404);

    // Everything it owned went with it: users, clients, roles, assignments, its community and that
    // community's roles and memberships.
    const rows = await t().snapshot();
    for (const [table, list] of Object.entries(rows)) {
      for (const row of list) {
        assert.ok(!String(row).includes(tenant.id), `${table} still holds ${row}`);
        assert.ok(!String(row).includes(community.json().Id), `${table} still holds ${row}`);
      }
    }
  });

  test('a tenant cannot delete itself (403) nor another tenant (404)', async () => {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const before = await t().snapshot();
    assertErrorResponse(await t().call('DELETE', `/api/v1/Tenants/${a.id}`, { token: a.token }), 403);
    assertErrorResponse(await t().call('DELETE', `/api/v1/Tenants/${b.id}`, { token: a.token }), 404);
    assert.deepEqual(await t().snapshot(), before);
  });
});

describeEachEngine('tenant users', (t) => {
  test('POST /Users: 201, Tenant Member always in RoleIds, input names case-insensitive, nulls absent', async () => {
    const tenant = await t().createTenant();
    const response = await t().call('POST', usersOf(tenant), {
      token: tenant.token,
      body: { id: null, email: ' Ada@Example.test ', givenName: 'Ada', Surname: 'Lovelace', Unknown: 1 },
    });
    assert.equal(response.statusCode, 201, response.body);
    const user = response.json();
    assert.match(user.Id, GUID);
    assert.equal(user.Email, 'Ada@Example.test');
    assert.equal(user.GivenName, 'Ada');
    assert.equal(user.Surname, 'Lovelace');
    assert.deepEqual(user.RoleIds, [tenant.roles['Tenant Member']]);
    assert.equal('ContactEmail' in user, false, 'nulls are omitted');
    assert.equal('Unknown' in user, false);

    const admin = await postUser(t(), tenant, {
      Email: 'admin@example.test',
      RoleIds: [tenant.roles['Tenant Administrator']],
    });
    assert.deepEqual(
      [...admin.RoleIds].sort(),
      [tenant.roles['Tenant Administrator'], tenant.roles['Tenant Member']].sort(),
    );
    const read = await t().call('GET', `${usersOf(tenant)}/${admin.Id}`, { token: tenant.token });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), admin);
  });

  test('a user without Email but with ContactEmail (the public client’s way) is created', async () => {
    const tenant = await t().createTenant();
    const user = await postUser(t(), tenant, {
      ContactEmail: 'contact@example.test',
      ContactGivenName: 'Grace',
      ContactSurname: 'Hopper',
      IdentityProviderId: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE',
      ExternalUserId: 'grace',
    });
    assert.equal('Email' in user, false);
    assert.equal(user.ContactEmail, 'contact@example.test');
    assert.equal(user.ContactGivenName, 'Grace');
    assert.equal(user.IdentityProviderId, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
    const verbose = await t().call('GET', `${usersOf(tenant)}/${user.Id}`, {
      token: tenant.token,
      headers: { 'accept-verbosity': 'verbose' },
    });
    assert.equal(verbose.json().Email, null);
  });

  test('invalid users are 400s that change nothing', async () => {
    const tenant = await t().createTenant();
    const other = await t().createTenant();
    const before = await t().snapshot();
    const cases: Record<string, unknown>[] = [
      { GivenName: 'No address' },
      { Email: 'not-an-email' },
      { Email: 'ok@example.test', ContactEmail: 'a@@b' },
      { Email: `${'x'.repeat(250)}@example.test` },
      { Email: 'ok@example.test', RoleIds: [other.roles['Tenant Administrator']] },
      { Email: 'ok@example.test', RoleIds: [randomUUID()] },
      { Email: 'ok@example.test', RoleIds: ['not-a-guid'] },
      { Email: 'ok@example.test', IdentityProviderId: 'not-a-guid' },
    ];
    for (const body of cases) {
      assertErrorResponse(await t().call('POST', usersOf(tenant), { token: tenant.token, body }), 400);
    }
    const id = randomUUID();
    assertErrorResponse(
      await t().call('PUT', `${usersOf(tenant)}/${id}`, { token: tenant.token, body: { Surname: 'x' } }),
      400,
    );
    assertErrorResponse(
      await t().call('POST', `${usersOf(tenant)}/${id}`, { token: tenant.token, body: { Email: 'bad' } }),
      400,
    );
    assertErrorResponse(
      await t().call('POST', usersOf(tenant), { token: tenant.token, raw: '{"Email": ' }),
      400,
    );
    assert.deepEqual(await t().snapshot(), before);
  });

  test('a bad e-mail on update is a 400 and leaves the user as it was', async () => {
    const tenant = await t().createTenant();
    const user = await postUser(t(), tenant, { Email: 'keep@example.test', GivenName: 'Keep' });
    const before = await t().snapshot();
    assertErrorResponse(
      await t().call('PUT', `${usersOf(tenant)}/${user.Id}`, {
        token: tenant.token,
        body: { Email: 'broken', GivenName: 'Changed' },
      }),
      400,
    );
    assert.deepEqual(await t().snapshot(), before);
  });

  test('POST /Users/{U}: creates with that id (201), then returns it unchanged (200)', async () => {
    const tenant = await t().createTenant();
    const id = randomUUID();
    const created = await t().call('POST', `${usersOf(tenant)}/${id.toUpperCase()}`, {
      token: tenant.token,
      body: { Email: 'first@example.test', GivenName: 'First' },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().Id, id);

    const again = await t().call('POST', `${usersOf(tenant)}/${id}`, {
      token: tenant.token,
      body: { Email: 'second@example.test', GivenName: 'Second' },
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json(), created.json());
  });

  test('PUT /Users/{U}: creates (201), then updates (200) keeping absent properties', async () => {
    const tenant = await t().createTenant();
    const id = randomUUID();
    const url = `${usersOf(tenant)}/${id}`;
    const created = await t().call('PUT', url, {
      token: tenant.token,
      body: {
        Email: 'put@example.test',
        GivenName: 'Put',
        Surname: 'Before',
        RoleIds: [tenant.roles['Tenant Contributor']],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().Id, id);

    const updated = await t().call('PUT', url, {
      token: tenant.token,
      body: { Surname: 'After', Email: null },
    });
    assert.equal(updated.statusCode, 200, updated.body);
    const user = updated.json();
    assert.equal(user.Surname, 'After');
    assert.equal(user.GivenName, 'Put');
    assert.equal(user.Email, 'put@example.test');
    assert.deepEqual(
      [...user.RoleIds].sort(),
      [tenant.roles['Tenant Contributor'], tenant.roles['Tenant Member']].sort(),
      'roles are kept when RoleIds is absent',
    );
    assert.deepEqual((await t().call('GET', url, { token: tenant.token })).json(), user);
  });

  test('a user id that is already a client’s id is a 409, and the client keeps its roles', async () => {
    const tenant = await t().createTenant();
    const before = await t().snapshot();
    for (const method of ['PUT', 'POST'] as const) {
      assertErrorResponse(
        await t().call(method, `${usersOf(tenant)}/${tenant.clientId}`, {
          token: tenant.token,
          body: { Email: 'clash@example.test' },
        }),
        409,
      );
    }
    assert.deepEqual(await t().snapshot(), before);
    // The first client is still the tenant's administrator.
    assert.equal(
      (
        await t().call('POST', usersOf(tenant), {
          token: tenant.token,
          body: { Email: 'after@example.test' },
        })
      ).statusCode,
      201,
    );
  });

  test('DELETE /Users/{U}: 204, then 404', async () => {
    const tenant = await t().createTenant();
    const user = await postUser(t(), tenant, { Email: 'gone@example.test' });
    const url = `${usersOf(tenant)}/${user.Id}`;
    const deleted = await t().call('DELETE', url, {
      token: tenant.token,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assertErrorResponse(await t().call('GET', url, { token: tenant.token }), 404);
    assertErrorResponse(await t().call('DELETE', url, { token: tenant.token }), 404);
  });

  test('GET /Users pages with Total-Count; HEAD counts without a body', async () => {
    const tenant = await t().createTenant();
    const ids = [];
    for (let i = 0; i < 5; i++) {
      t().clock.advance(1);
      ids.push((await postUser(t(), tenant, { Email: `u${i}@example.test` })).Id);
    }

    const all = await t().call('GET', usersOf(tenant), { token: tenant.token });
    assert.equal(all.statusCode, 200);
    assert.equal(all.headers['total-count'], '5');
    assert.deepEqual(
      all.json().map((u: { Id: string }) => u.Id),
      ids,
      'ordered by creation',
    );
    const page = await t().call('GET', `${usersOf(tenant)}?skip=1&count=2`, { token: tenant.token });
    assert.equal(page.headers['total-count'], '5');
    assert.deepEqual(
      page.json().map((u: { Id: string }) => u.Id),
      ids.slice(1, 3),
    );
    const head = await t().call('HEAD', usersOf(tenant), { token: tenant.token });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['total-count'], '5');
    assert.equal(head.body, '');

    for (const query of ['skip=-1', 'count=0', 'count=1001', 'count=abc']) {
      assertErrorResponse(await t().call('GET', `${usersOf(tenant)}?${query}`, { token: tenant.token }), 400);
    }
  });

  test('a user who is not a Tenant Administrator reads users but cannot write them (403)', async () => {
    const tenant = await t().createTenant();
    const member = await t().createUser(tenant);
    const target = await postUser(t(), tenant, { Email: 'target@example.test' });
    const url = `${usersOf(tenant)}/${target.Id}`;
    assert.equal((await t().call('GET', usersOf(tenant), { token: member.token })).statusCode, 200);
    assert.equal((await t().call('GET', url, { token: member.token })).statusCode, 200);

    const before = await t().snapshot();
    const body = { Email: 'x@example.test' };
    assertErrorResponse(await t().call('POST', usersOf(tenant), { token: member.token, body }), 403);
    assertErrorResponse(
      await t().call('POST', `${usersOf(tenant)}/${randomUUID()}`, { token: member.token, body }),
      403,
    );
    assertErrorResponse(await t().call('PUT', url, { token: member.token, body }), 403);
    assertErrorResponse(
      await t().call('PUT', `${usersOf(tenant)}/${member.id}`, {
        token: member.token,
        body: { RoleIds: [tenant.roles['Tenant Administrator']] },
      }),
      403,
    );
    assertErrorResponse(await t().call('DELETE', url, { token: member.token }), 403);
    // 403 before 400: an invalid body from a caller without the role is still a 403.
    assertErrorResponse(
      await t().call('POST', usersOf(tenant), { token: member.token, body: { Email: 'bad' } }),
      403,
    );
    assert.deepEqual(await t().snapshot(), before);
  });

  test('a user that does not exist is a 404 even for a caller without the role', async () => {
    const tenant = await t().createTenant();
    const member = await t().createUser(tenant);
    assertErrorResponse(
      await t().call('DELETE', `${usersOf(tenant)}/${randomUUID()}`, { token: member.token }),
      404,
    );
  });

  test('every users route of another tenant is a 404, and changes nothing', async () => {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const bUser = await postUser(t(), b, { Email: 'b@example.test' });
    const token = a.token;
    const body = { Email: 'intruder@example.test' };
    const before = await t().snapshot();
    const one = `${usersOf(b)}/${bUser.Id}`;
    assertErrorResponse(await t().call('GET', usersOf(b), { token }), 404);
    const head = await t().call('HEAD', usersOf(b), { token });
    assert.equal(head.statusCode, 404);
    assert.equal(head.body, '');
    assertErrorResponse(await t().call('POST', usersOf(b), { token, body }), 404);
    assertErrorResponse(await t().call('GET', one, { token }), 404);
    assertErrorResponse(await t().call('POST', one, { token, body }), 404);
    assertErrorResponse(await t().call('PUT', one, { token, body }), 404);
    assertErrorResponse(await t().call('DELETE', one, { token }), 404);
    // A's path with B's user id: the user is not A's.
    assertErrorResponse(await t().call('GET', `${usersOf(a)}/${bUser.Id}`, { token }), 404);
    assertErrorResponse(await t().call('DELETE', `${usersOf(a)}/${bUser.Id}`, { token }), 404);
    // 404 before 400: an invalid body for another tenant is still a 404.
    assertErrorResponse(await t().call('POST', usersOf(b), { token, body: { Email: 'bad' } }), 404);
    assert.deepEqual(await t().snapshot(), before);
  });

  test('a user id of another tenant cannot be taken over through PUT or POST', async () => {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const bUser = await postUser(t(), b, { Email: 'b@example.test', GivenName: 'Bee' });
    const before = await t().snapshot();
    for (const method of ['PUT', 'POST'] as const) {
      assertErrorResponse(
        await t().call(method, `${usersOf(a)}/${bUser.Id}`, {
          token: a.token,
          body: { Email: 'a@example.test' },
        }),
        409,
      );
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('a second user with the same IdentityProviderId and ExternalUserId is a 409', async () => {
    const tenant = await t().createTenant();
    const identity = { IdentityProviderId: randomUUID(), ExternalUserId: 'same-sub' };
    await postUser(t(), tenant, { Email: 'one@example.test', ...identity });
    const before = await t().snapshot();
    assertErrorResponse(
      await t().call('POST', usersOf(tenant), {
        token: tenant.token,
        body: { Email: 'two@example.test', ...identity },
      }),
      409,
    );
    // Also through PUT of another user of the tenant.
    const other = await postUser(t(), tenant, { Email: 'three@example.test' });
    const afterOther = await t().snapshot();
    assertErrorResponse(
      await t().call('PUT', `${usersOf(tenant)}/${other.Id}`, { token: tenant.token, body: identity }),
      409,
    );
    assert.deepEqual(await t().snapshot(), afterOther);
    assert.notDeepEqual(before, afterOther);
    // The same identity in another tenant is another user.
    const elsewhere = await t().createTenant();
    await postUser(t(), elsewhere, { Email: 'one@example.test', ...identity });
  });
});
