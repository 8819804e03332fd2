// Tenant roles (CONTRACT §3, §6) and client credential clients under /api/v1 and /api/v1-preview (§6, §7).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { assertErrorResponse, describeEachEngine, type TenantFixture, type TestApp } from '../support/app.ts';
import { assertOAuthError, clientCredentials, GUID, tokenRequest } from './support.ts';

const BUILT_IN_TENANT_ROLES = [
  ['Tenant Administrator', '2dc742ab-39ea-4fc0-a39e-2bcb71c26a5f'],
  ['Tenant Contributor', 'f1439595-e5a2-487f-8a4f-0627fefe75df'],
  ['Tenant Data Steward', '45b66433-5f57-420b-bbdf-8bbd60c1cd9d'],
  ['Tenant Member', '7ad2b9ef-5386-4ead-ac9f-ad99c5c5b977'],
  ['Tenant Viewer', 'e6cbf91e-0be8-4858-92b5-f88ecafd5574'],
];
const COMMUNITY_ROLES = [
  ['Community Administrator', 'b50b3349-fa9e-4a03-9220-cf99184b4645'],
  ['Community Moderator', 'f49f69a6-61b2-423e-8ad5-d58841be441c'],
  ['Community Member', 'f79a55da-7c76-4600-a809-0f62ca9971d9'],
];

interface RoleJson {
  Id: string;
  Name: string;
  Description?: string;
  RoleScope: number;
  TenantId?: string;
  CommunityId?: string;
  RoleTypeId?: string;
}

const rolesOf = (tenant: { id: string }) => `/api/v1/Tenants/${tenant.id}/Roles`;

async function createRole(t: TestApp, tenant: TenantFixture, body: Record<string, unknown>) {
  const response = await t.call('POST', rolesOf(tenant), { token: tenant.token, body });
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as RoleJson;
}

describeEachEngine('tenant roles', (t) => {
  test('a new tenant has the five built-in roles with ADH’s RoleTypeIds and RoleScope 1', async () => {
    const tenant = await t().createTenant();
    const response = await t().call('GET', rolesOf(tenant), { token: tenant.token });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['total-count'], '5');
    const roles = response.json() as RoleJson[];
    assert.deepEqual(
      roles.map((r) => [r.Name, r.RoleTypeId]),
      BUILT_IN_TENANT_ROLES,
    );
    for (const role of roles) {
      assert.match(role.Id, GUID);
      assert.strictEqual(role.RoleScope, 1);
      assert.equal(role.TenantId, tenant.id);
      assert.equal('CommunityId' in role, false);
    }
    // Role instance ids are per tenant; role type ids are shared.
    const other = await t().createTenant();
    const otherRoles = (await t().call('GET', rolesOf(other), { token: other.token })).json() as RoleJson[];
    assert.deepEqual(
      otherRoles.map((r) => r.RoleTypeId),
      roles.map((r) => r.RoleTypeId),
    );
    for (const role of otherRoles) assert.ok(!roles.some((r) => r.Id === role.Id));
  });

  test('any principal of the tenant reads its roles; GET one by id', async () => {
    const tenant = await t().createTenant();
    const member = await t().createUser(tenant);
    const id = tenant.roles['Tenant Viewer'] as string;
    const response = await t().call('GET', `${rolesOf(tenant)}/${id}`, { token: member.token });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().Name, 'Tenant Viewer');
    assert.strictEqual(response.json().RoleScope, 1);
    assert.equal((await t().call('GET', rolesOf(tenant), { token: member.token })).statusCode, 200);
    assertErrorResponse(
      await t().call('GET', `${rolesOf(tenant)}/${randomUUID()}`, { token: tenant.token }),
      404,
    );
  });

  test('custom roles: POST 201, PUT 200, DELETE 204 then 404', async () => {
    const tenant = await t().createTenant();
    const role = await createRole(t(), tenant, { id: null, name: ' Engineers ', description: 'Field' });
    assert.match(role.Id, GUID);
    assert.equal(role.Name, 'Engineers');
    assert.equal(role.Description, 'Field');
    assert.strictEqual(role.RoleScope, 1);
    assert.equal(role.TenantId, tenant.id);
    assert.equal('RoleTypeId' in role, false, 'a custom role has no RoleTypeId');

    const list = await t().call('GET', rolesOf(tenant), { token: tenant.token });
    assert.equal(list.headers['total-count'], '6');
    assert.ok((list.json() as RoleJson[]).some((r) => r.Id === role.Id));

    const url = `${rolesOf(tenant)}/${role.Id}`;
    const updated = await t().call('PUT', url, { token: tenant.token, body: { Name: 'Field engineers' } });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.equal(updated.json().Name, 'Field engineers');
    assert.equal(updated.json().Description, 'Field', 'an absent Description is kept');
    assert.deepEqual((await t().call('GET', url, { token: tenant.token })).json(), updated.json());

    const deleted = await t().call('DELETE', url, { token: tenant.token });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assertErrorResponse(await t().call('GET', url, { token: tenant.token }), 404);
    assertErrorResponse(await t().call('DELETE', url, { token: tenant.token }), 404);
  });

  test('a custom role can be given to users; deleting it removes it from them', async () => {
    const tenant = await t().createTenant();
    const role = await createRole(t(), tenant, { Name: 'Auditors' });
    const user = await t().call('POST', `/api/v1/Tenants/${tenant.id}/Users`, {
      token: tenant.token,
      body: { Email: 'auditor@example.test', RoleIds: [role.Id] },
    });
    assert.equal(user.statusCode, 201, user.body);
    assert.deepEqual([...user.json().RoleIds].sort(), [role.Id, tenant.roles['Tenant Member']].sort());

    await t().call('DELETE', `${rolesOf(tenant)}/${role.Id}`, { token: tenant.token });
    const after = await t().call('GET', `/api/v1/Tenants/${tenant.id}/Users/${user.json().Id}`, {
      token: tenant.token,
    });
    assert.deepEqual(after.json().RoleIds, [tenant.roles['Tenant Member']]);
  });

  test('invalid custom roles are 400s that change nothing', async () => {
    const tenant = await t().createTenant();
    const role = await createRole(t(), tenant, { Name: 'Valid' });
    const before = await t().snapshot();
    for (const body of [{}, { Name: '' }, { Name: '   ' }, { Name: 'Scoped', RoleScope: 2 }]) {
      assertErrorResponse(await t().call('POST', rolesOf(tenant), { token: tenant.token, body }), 400);
      assertErrorResponse(
        await t().call('PUT', `${rolesOf(tenant)}/${role.Id}`, { token: tenant.token, body }),
        400,
      );
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('built-in roles cannot be changed or deleted (409)', async () => {
    const tenant = await t().createTenant();
    const before = await t().snapshot();
    for (const name of ['Tenant Administrator', 'Tenant Member', 'Tenant Viewer']) {
      const url = `${rolesOf(tenant)}/${tenant.roles[name]}`;
      const put = assertErrorResponse(
        await t().call('PUT', url, { token: tenant.token, body: { Name: 'Renamed' } }),
        409,
      );
      assert.match(put.Reason as string, /built-in/);
      assertErrorResponse(await t().call('DELETE', url, { token: tenant.token }), 409);
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('community roles appear in the tenant’s roles (RoleScope 2) and are fixed', async () => {
    const tenant = await t().createTenant();
    const other = await t().createTenant();
    const created = await t().call('POST', '/api/v1-preview/Communities', {
      token: tenant.token,
      body: { Name: `Community ${randomUUID()}` },
    });
    assert.equal(created.statusCode, 201, created.body);
    const communityId = created.json().Id as string;

    const response = await t().call('GET', rolesOf(tenant), { token: tenant.token });
    assert.equal(response.headers['total-count'], '8');
    const roles = response.json() as RoleJson[];
    assert.deepEqual(
      roles.map((r) => r.RoleScope),
      [1, 1, 1, 1, 1, 2, 2, 2],
      'tenant roles first, then community roles',
    );
    const communityRoles = roles.filter((r) => r.RoleScope === 2);
    assert.deepEqual(
      communityRoles.map((r) => [r.Name, r.RoleTypeId]),
      COMMUNITY_ROLES,
    );
    for (const role of communityRoles) {
      assert.strictEqual(role.RoleScope, 2);
      assert.equal(role.CommunityId, communityId);
      assert.equal('TenantId' in role, false);
    }
    const memberRole = communityRoles[2] as RoleJson;
    assert.equal(memberRole.Id, created.json().MemberRoleId);
    const one = await t().call('GET', `${rolesOf(tenant)}/${memberRole.Id}`, { token: tenant.token });
    assert.equal(one.statusCode, 200);
    assert.strictEqual(one.json().RoleScope, 2);

    const before = await t().snapshot();
    assertErrorResponse(
      await t().call('PUT', `${rolesOf(tenant)}/${memberRole.Id}`, {
        token: tenant.token,
        body: { Name: 'Renamed' },
      }),
      409,
    );
    assertErrorResponse(
      await t().call('DELETE', `${rolesOf(tenant)}/${memberRole.Id}`, { token: tenant.token }),
      409,
    );
    // Community roles are not tenant roles: they cannot be given through the tenant's users.
    assertErrorResponse(
      await t().call('POST', `/api/v1/Tenants/${tenant.id}/Users`, {
        token: tenant.token,
        body: { Email: 'c@example.test', RoleIds: [memberRole.Id] },
      }),
      400,
    );
    assert.deepEqual(await t().snapshot(), before);

    // A tenant that is not a member does not see them.
    const otherRoles = await t().call('GET', rolesOf(other), { token: other.token });
    assert.equal(otherRoles.headers['total-count'], '5');
    assertErrorResponse(
      await t().call('GET', `${rolesOf(other)}/${memberRole.Id}`, { token: other.token }),
      404,
    );
  });

  test('a caller without Tenant Administrator cannot write roles (403); a missing role is still 404', async () => {
    const tenant = await t().createTenant();
    const member = await t().createUser(tenant);
    const role = await createRole(t(), tenant, { Name: 'Custom' });
    const before = await t().snapshot();
    const token = member.token;
    assertErrorResponse(await t().call('POST', rolesOf(tenant), { token, body: { Name: 'X' } }), 403);
    assertErrorResponse(
      await t().call('PUT', `${rolesOf(tenant)}/${role.Id}`, { token, body: { Name: 'X' } }),
      403,
    );
    assertErrorResponse(await t().call('DELETE', `${rolesOf(tenant)}/${role.Id}`, { token }), 403);
    assertErrorResponse(await t().call('DELETE', `${rolesOf(tenant)}/${randomUUID()}`, { token }), 404);
    assertErrorResponse(
      await t().call('PUT', `${rolesOf(tenant)}/${randomUUID()}`, { token, body: { Name: 'X' } }),
      404,
    );
    assert.deepEqual(await t().snapshot(), before);
  });

  test('every roles route of another tenant is a 404, and changes nothing', async () => {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const bRole = await createRole(t(), b, { Name: 'B only' });
    const token = a.token;
    const before = await t().snapshot();
    assertErrorResponse(await t().call('GET', rolesOf(b), { token }), 404);
    assertErrorResponse(await t().call('POST', rolesOf(b), { token, body: { Name: 'X' } }), 404);
    for (const id of [bRole.Id, b.roles['Tenant Member'] as string]) {
      const url = `${rolesOf(b)}/${id}`;
      assertErrorResponse(await t().call('GET', url, { token }), 404);
      assertErrorResponse(await t().call('PUT', url, { token, body: { Name: 'X' } }), 404);
      assertErrorResponse(await t().call('DELETE', url, { token }), 404);
      // B's role under A's path is not found either.
      assertErrorResponse(await t().call('GET', `${rolesOf(a)}/${id}`, { token }), 404);
      assertErrorResponse(await t().call('DELETE', `${rolesOf(a)}/${id}`, { token }), 404);
    }
    assert.deepEqual(await t().snapshot(), before);
  });
});

const clientsOf = (version: 'v1' | 'v1-preview', tenant: { id: string }) =>
  `/api/${version}/Tenants/${tenant.id}/ClientCredentialClients`;

describeEachEngine('client credential clients', (t) => {
  test('POST on /api/v1 answers ADH’s v1 shape; its secret works with Client.Id', async () => {
    const tenant = await t().createTenant();
    const expires = new Date(t().clock.now().getTime() + 86_400_000).toISOString();
    const response = await t().call('POST', clientsOf('v1', tenant), {
      token: tenant.token,
      body: {
        Name: 'Reporting',
        RoleIds: [tenant.roles['Tenant Viewer']],
        Tags: ['ops'],
        AccessTokenLifetime: 1200,
        SecretDescription: 'for reports',
        SecretExpirationDate: expires,
      },
    });
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['Client', 'Description', 'ExpirationDate', 'Id', 'Secret']);
    assert.equal(typeof body.Secret, 'string');
    assert.equal(typeof body.Id, 'number');
    assert.equal(body.Description, 'for reports');
    assert.equal(body.ExpirationDate, expires);
    assert.match(body.Client.Id, GUID);
    assert.equal(body.Client.Name, 'Reporting');
    assert.equal(body.Client.Enabled, true);
    assert.equal(body.Client.AccessTokenLifetime, 1200);
    assert.deepEqual(body.Client.Tags, ['ops']);
    assert.deepEqual(
      [...body.Client.RoleIds].sort(),
      [tenant.roles['Tenant Viewer'], tenant.roles['Tenant Member']].sort(),
    );

    const token = await tokenRequest(t(), clientCredentials(body.Client.Id, body.Secret));
    assert.equal(token.statusCode, 200, token.body);
    assert.equal(token.json().expires_in, 1200);
    const read = await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: token.json().access_token });
    assert.equal(read.statusCode, 200);
  });

  test('POST on /api/v1-preview answers the flat ClientCredentialClientResponse; ClientId works', async () => {
    const tenant = await t().createTenant();
    const response = await t().call('POST', clientsOf('v1-preview', tenant), {
      token: tenant.token,
      body: { Name: 'Preview', RoleIds: [tenant.roles['Tenant Administrator']], Id: null },
    });
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    assert.match(body.Id, GUID);
    assert.equal(body.ClientId, body.Id);
    assert.equal(body.Name, 'Preview');
    assert.equal(body.Enabled, true);
    assert.deepEqual(body.Tags, []);
    assert.equal(typeof body.ClientSecret, 'string');
    assert.equal('Client' in body, false);
    assert.equal('SecretExpirationDate' in body, false, 'no expiry: omitted as null');

    const token = await tokenRequest(t(), clientCredentials(body.ClientId, body.ClientSecret));
    assert.equal(token.statusCode, 200, token.body);
    const created = await t().call('POST', `/api/v1/Tenants/${tenant.id}/Users`, {
      token: token.json().access_token,
      body: { Email: 'by-preview-client@example.test' },
    });
    assert.equal(created.statusCode, 201, 'the new client holds Tenant Administrator');
  });

  test('the secret is stored only as a hash, and no GET shows it', async () => {
    const tenant = await t().createTenant();
    const secrets = [tenant.secret];
    const ids = [tenant.clientId];
    for (const version of ['v1', 'v1-preview'] as const) {
      const body = (
        await t().call('POST', clientsOf(version, tenant), { token: tenant.token, body: { Name: version } })
      ).json();
      secrets.push(body.Secret ?? body.ClientSecret);
      ids.push(body.Client?.Id ?? body.ClientId);
    }
    assert.equal(new Set(secrets).size, 3);

    const rows = await t().store.db.selectFrom('clients').selectAll().execute();
    const stored = JSON.stringify(rows);
    for (const secret of secrets) {
      assert.ok(!stored.includes(secret), 'the plaintext secret is not in the clients table');
      assert.ok(!JSON.stringify(await t().snapshot()).includes(secret), 'nor anywhere else');
    }
    for (const row of rows.filter((r) => ids.includes(r.id))) assert.match(row.secret_hash, /^[0-9a-f]{64}$/);

    for (const version of ['v1', 'v1-preview'] as const) {
      const list = await t().call('GET', clientsOf(version, tenant), { token: tenant.token });
      assert.equal(list.statusCode, 200);
      assert.equal(list.headers['total-count'], '3');
      const one = await t().call('GET', `${clientsOf(version, tenant)}/${ids[1]}`, { token: tenant.token });
      assert.equal(one.statusCode, 200);
      for (const response of [list, one]) {
        for (const secret of secrets) assert.ok(!response.body.includes(secret));
        assert.doesNotMatch(response.body, /Secret"/);
      }
      assert.equal(one.json().Id, ids[1]);
      assert.equal(one.json().ClientId, ids[1]);
    }
  });

  test('PUT changes Name, Enabled and RoleIds, and they take effect', async () => {
    const tenant = await t().createTenant();
    const created = (
      await t().call('POST', clientsOf('v1-preview', tenant), {
        token: tenant.token,
        body: { Name: 'Worker', Tags: ['a'] },
      })
    ).json();
    const url = `${clientsOf('v1', tenant)}/${created.ClientId}`;
    const clientToken = async () =>
      (await tokenRequest(t(), clientCredentials(created.ClientId, created.ClientSecret))).json()
        .access_token as string;
    const usersUrl = `/api/v1/Tenants/${tenant.id}/Users`;
    const body = { Email: 'w@example.test' };
    assertErrorResponse(await t().call('POST', usersUrl, { token: await clientToken(), body }), 403);

    const updated = await t().call('PUT', url, {
      token: tenant.token,
      body: { Name: 'Worker admin', RoleIds: [tenant.roles['Tenant Administrator']] },
    });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.equal(updated.json().Name, 'Worker admin');
    assert.deepEqual(updated.json().Tags, ['a'], 'absent Tags are kept');
    assert.deepEqual(
      [...updated.json().RoleIds].sort(),
      [tenant.roles['Tenant Administrator'], tenant.roles['Tenant Member']].sort(),
    );
    assert.equal((await t().call('POST', usersUrl, { token: await clientToken(), body })).statusCode, 201);

    const disabled = await t().call('PUT', url, {
      token: tenant.token,
      body: { Name: 'Worker admin', Enabled: false },
    });
    assert.equal(disabled.statusCode, 200);
    assert.equal(disabled.json().Enabled, false);
    assert.equal(disabled.json().RoleIds.length, 2, 'absent RoleIds are kept');
    assertOAuthError(
      await tokenRequest(t(), clientCredentials(created.ClientId, created.ClientSecret)),
      401,
      'invalid_client',
    );
    const read = await t().call('GET', `${clientsOf('v1-preview', tenant)}/${created.ClientId}`, {
      token: tenant.token,
    });
    assert.deepEqual(read.json(), disabled.json());
  });

  test('invalid clients are 400s that change nothing', async () => {
    const tenant = await t().createTenant();
    const other = await t().createTenant();
    const before = await t().snapshot();
    for (const version of ['v1', 'v1-preview'] as const) {
      for (const body of [
        {},
        { Name: '   ' },
        { Name: 'X', RoleIds: [other.roles['Tenant Administrator']] },
        { Name: 'X', RoleIds: ['nope'] },
        { Name: 'X', AccessTokenLifetime: 300 },
        { Name: 'X', SecretExpirationDate: 'tomorrow' },
      ]) {
        assertErrorResponse(
          await t().call('POST', clientsOf(version, tenant), { token: tenant.token, body }),
          400,
        );
      }
      assertErrorResponse(
        await t().call('PUT', `${clientsOf(version, tenant)}/${tenant.clientId}`, {
          token: tenant.token,
          body: { Name: 'X', RoleIds: [other.roles['Tenant Member']] },
        }),
        400,
      );
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('DELETE: 204, then 404 and the secret no longer works; a client cannot delete itself', async () => {
    const tenant = await t().createTenant();
    for (const version of ['v1', 'v1-preview'] as const) {
      const created = (
        await t().call('POST', clientsOf('v1-preview', tenant), {
          token: tenant.token,
          body: { Name: 'Temp' },
        })
      ).json();
      const url = `${clientsOf(version, tenant)}/${created.ClientId}`;
      const deleted = await t().call('DELETE', url, {
        token: tenant.token,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(deleted.statusCode, 204, deleted.body);
      assertErrorResponse(await t().call('GET', url, { token: tenant.token }), 404);
      assertErrorResponse(await t().call('DELETE', url, { token: tenant.token }), 404);
      assertOAuthError(
        await tokenRequest(t(), clientCredentials(created.ClientId, created.ClientSecret)),
        401,
        'invalid_client',
      );
    }
    assertErrorResponse(
      await t().call('DELETE', `${clientsOf('v1', tenant)}/${tenant.clientId}`, { token: tenant.token }),
      409,
    );
  });

  test('HEAD counts clients under both versions', async () => {
    const tenant = await t().createTenant();
    await t().call('POST', clientsOf('v1', tenant), { token: tenant.token, body: { Name: 'One more' } });
    for (const version of ['v1', 'v1-preview'] as const) {
      const head = await t().call('HEAD', clientsOf(version, tenant), { token: tenant.token });
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['total-count'], '2');
      assert.equal(head.body, '');
    }
  });

  test('a caller without Tenant Administrator reads clients but cannot change them (403)', async () => {
    const tenant = await t().createTenant();
    const member = await t().createUser(tenant);
    const token = member.token;
    const before = await t().snapshot();
    for (const version of ['v1', 'v1-preview'] as const) {
      assert.equal((await t().call('GET', clientsOf(version, tenant), { token })).statusCode, 200);
      const url = `${clientsOf(version, tenant)}/${tenant.clientId}`;
      assertErrorResponse(
        await t().call('POST', clientsOf(version, tenant), { token, body: { Name: 'X' } }),
        403,
      );
      assertErrorResponse(await t().call('PUT', url, { token, body: { Name: 'X', Enabled: false } }), 403);
      assertErrorResponse(await t().call('DELETE', url, { token }), 403);
      assertErrorResponse(
        await t().call('DELETE', `${clientsOf(version, tenant)}/${randomUUID()}`, { token }),
        404,
      );
    }
    assert.deepEqual(await t().snapshot(), before);
  });

  test('every clients route of another tenant is a 404, under both versions, and changes nothing', async () => {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const token = a.token;
    const before = await t().snapshot();
    for (const version of ['v1', 'v1-preview'] as const) {
      const list = clientsOf(version, b);
      const one = `${list}/${b.clientId}`;
      assertErrorResponse(await t().call('GET', list, { token }), 404);
      const head = await t().call('HEAD', list, { token });
      assert.equal(head.statusCode, 404);
      assert.equal(head.body, '');
      assertErrorResponse(await t().call('POST', list, { token, body: { Name: 'X' } }), 404);
      assertErrorResponse(await t().call('GET', one, { token }), 404);
      assertErrorResponse(await t().call('PUT', one, { token, body: { Name: 'X', Enabled: false } }), 404);
      assertErrorResponse(await t().call('DELETE', one, { token }), 404);
      // B's client under A's path.
      const mixed = `${clientsOf(version, a)}/${b.clientId}`;
      assertErrorResponse(await t().call('GET', mixed, { token }), 404);
      assertErrorResponse(await t().call('PUT', mixed, { token, body: { Name: 'X' } }), 404);
      assertErrorResponse(await t().call('DELETE', mixed, { token }), 404);
    }
    assert.deepEqual(await t().snapshot(), before);
    // B's client still works.
    assert.equal((await tokenRequest(t(), clientCredentials(b.clientId, b.secret))).statusCode, 200);
  });
});
