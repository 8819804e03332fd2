// The wire conventions of CONTRACT §1, proven through the HTTP API on a real store (both engines).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  assertErrorResponse,
  describeEachEngine,
  startTestApp,
  type TenantFixture,
  type TestApp,
} from './support/app.ts';
import { testEngines } from './support/engines.ts';

const COMMUNITIES = '/api/v1-preview/Communities';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PASCAL = /^[A-Z][A-Za-z0-9]*$/;
const BODY_LIMIT = 256 * 1024;

interface Community {
  Id: string;
  Name: string;
  Description?: string | null;
  PreferredRegionId?: string | null;
  Tenants: Record<string, unknown>[];
  CommunityRoles: Record<string, unknown>[];
}

const users = (tenant: TenantFixture) => `/api/v1/Tenants/${tenant.id}/Users`;
const roles = (tenant: TenantFixture) => `/api/v1/Tenants/${tenant.id}/Roles`;

/** A JSON answer: the status, and the content type exactly `application/json`. */
function json<T = unknown>(response: LightMyRequestResponse, status: number): T {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['content-type'], 'application/json');
  return response.json() as T;
}

let names = 0;
async function createCommunity(t: TestApp, tenant: TenantFixture, body: Record<string, unknown> = {}) {
  const response = await t.call('POST', COMMUNITIES, {
    token: tenant.token,
    body: { Name: `Conventions ${++names}`, ...body },
  });
  return json<Community>(response, 201);
}

/** Every property name in `value`, at any depth. */
function propertyNames(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) propertyNames(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      out.push(key);
      propertyNames(inner, out);
    }
  }
  return out;
}

/** Paths (a.b.0.c) of every null in `value`. */
function nullPaths(value: unknown, at = ''): string[] {
  if (value === null) return [at];
  if (typeof value !== 'object') return [];
  return Object.entries(value as object).flatMap(([key, inner]) => nullPaths(inner, `${at}.${key}`));
}

function ids(response: LightMyRequestResponse): string[] {
  const body = json<{ Id: string }[]>(response, 200);
  assert.ok(Array.isArray(body), 'a list is a bare JSON array');
  return body.map((item) => item.Id);
}

describeEachEngine('conventions: paths', (t) => {
  test('static path segments match case-insensitively', async () => {
    const tenant = await t().createTenant();
    const community = await createCommunity(t(), tenant);
    await t().createUser(tenant);

    const canonical = await t().call('GET', COMMUNITIES, { token: tenant.token });
    const shouted = await t().call('GET', '/API/V1-PREVIEW/communities', { token: tenant.token });
    assert.deepEqual(ids(shouted), ids(canonical));
    assert.ok(ids(shouted).includes(community.Id));

    const one = await t().call('GET', `/api/V1-Preview/COMMUNITIES/${community.Id}/roles`, {
      token: tenant.token,
    });
    assert.equal(json<unknown[]>(one, 200).length, 3);

    const lower = await t().call('GET', `/api/v1/tenants/${tenant.id}/users`, { token: tenant.token });
    assert.deepEqual(ids(lower), ids(await t().call('GET', users(tenant), { token: tenant.token })));
    assert.equal(lower.headers['total-count'], '1');
  });

  test('a trailing slash and doubled slashes are tolerated and answered in place', async () => {
    const tenant = await t().createTenant();
    const community = await createCommunity(t(), tenant);
    const expected = ids(await t().call('GET', COMMUNITIES, { token: tenant.token }));

    for (const url of [
      '/api/v1-preview/Communities/',
      '//api/v1-preview/Communities',
      '//api/v1-preview/Communities/',
      '/api//v1-preview//Communities',
    ]) {
      const response = await t().call('GET', url, { token: tenant.token });
      assert.equal(response.headers.location, undefined, url);
      assert.deepEqual(ids(response), expected, url);
    }

    const item = await t().call('GET', `//api/v1-preview/Communities/${community.Id}/`, {
      token: tenant.token,
    });
    assert.equal(json<Community>(item, 200).Id, community.Id);

    // A client whose base URL ends in '/' writes too.
    const created = await t().call('POST', '//api/v1-preview/Communities/', {
      token: tenant.token,
      body: { Name: 'Through a doubled slash' },
    });
    assert.equal(json<Community>(created, 201).Name, 'Through a doubled slash');
    assert.equal(created.headers.location, undefined);
  });

  test('a path id that is not a GUID is a 400 ErrorResponse whose Reason names the GUID', async () => {
    const tenant = await t().createTenant();
    const cases: [string, string][] = [
      [`${COMMUNITIES}/not-a-guid`, 'communityId'],
      [`${COMMUNITIES}/1234`, 'communityId'],
      [`${COMMUNITIES}/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz/Roles`, 'communityId'],
      [`${COMMUNITIES}/${randomUUID()}0`, 'communityId'],
      ['/api/v1/Tenants/tenant-one/Users', 'tenantId'],
      [`${users(tenant)}/user-one`, 'userId'],
      [`${roles(tenant)}/${randomUUID().slice(0, 35)}`, 'roleId'],
    ];
    for (const [url, param] of cases) {
      const error = assertErrorResponse(await t().call('GET', url, { token: tenant.token }), 400);
      assert.match(error.Reason ?? '', /GUID/, url);
      assert.ok(error.Reason?.includes(param), `${url}: ${error.Reason}`);
    }
  });

  test('an uppercase GUID is accepted and the output is lowercase', async () => {
    const tenant = await t().createTenant();
    const community = await createCommunity(t(), tenant);

    const read = await t().call('GET', `${COMMUNITIES}/${community.Id.toUpperCase()}`, {
      token: tenant.token,
    });
    const body = json<Community>(read, 200);
    assert.equal(body.Id, community.Id);
    assert.match(body.Id, GUID);

    const userId = randomUUID();
    const put = await t().call(
      'PUT',
      `/api/v1/Tenants/${tenant.id.toUpperCase()}/Users/${userId.toUpperCase()}`,
      {
        token: tenant.token,
        body: { Email: 'upper@example.test', GivenName: 'Upper' },
      },
    );
    assert.equal(json<{ Id: string }>(put, 201).Id, userId);
    const again = await t().call('GET', `${users(tenant)}/${userId}`, { token: tenant.token });
    assert.equal(json<{ Id: string }>(again, 200).Id, userId);

    // An invalid query must not turn the uppercase id into a 404: the deferred 400 still answers.
    const badSkip = await t().call('GET', `/api/v1/Tenants/${tenant.id.toUpperCase()}/Users?skip=-1`, {
      token: tenant.token,
    });
    assert.match(assertErrorResponse(badSkip, 400).Reason ?? '', /skip/);
  });
});

describeEachEngine('conventions: JSON', (t) => {
  test('output properties are PascalCase, nested ones included', async () => {
    const tenant = await t().createTenant();
    const community = await createCommunity(t(), tenant, {
      Description: 'd',
      ContactEmail: 'c@example.test',
    });
    const user = await t().createUser(tenant);
    const verbose = { 'accept-verbosity': 'verbose' };
    const bodies = [
      community,
      json(
        await t().call('GET', `${COMMUNITIES}/${community.Id}`, { token: tenant.token, headers: verbose }),
        200,
      ),
      json(
        await t().call('GET', `${users(tenant)}/${user.id}`, { token: tenant.token, headers: verbose }),
        200,
      ),
      json(await t().call('GET', roles(tenant), { token: tenant.token, headers: verbose }), 200),
    ];
    for (const body of bodies) {
      const keys = propertyNames(body);
      assert.ok(keys.length > 5);
      assert.deepEqual(
        keys.filter((key) => !PASCAL.test(key)),
        [],
      );
    }
    assert.ok(
      propertyNames(bodies[1]).includes('CommunityAlias'),
      'nested CommunityTenant properties are checked',
    );
  });

  test('input property names match case-insensitively, in the body and the query', async () => {
    const tenant = await t().createTenant();
    const lower = await t().call('POST', COMMUNITIES, {
      token: tenant.token,
      body: { name: 'lower case', description: 'from lower case', preferredregionid: 'eu' },
    });
    const a = json<Community>(lower, 201);
    assert.equal(a.Name, 'lower case');
    assert.equal(a.Description, 'from lower case');
    assert.equal(a.PreferredRegionId, 'eu');

    const upper = await t().call('POST', COMMUNITIES, {
      token: tenant.token,
      body: { NAME: 'UPPER CASE', DESCRIPTION: 'from upper case' },
    });
    const b = json<Community>(upper, 201);
    assert.equal(b.Name, 'UPPER CASE');
    assert.equal(b.Description, 'from upper case');

    const renamed = await t().call('PUT', `${COMMUNITIES}/${a.Id}`, {
      token: tenant.token,
      body: { nAmE: 'mixed case' },
    });
    assert.equal(json<Community>(renamed, 200).Name, 'mixed case');

    const user = await t().call('POST', users(tenant), {
      token: tenant.token,
      body: { email: 'lower@example.test', givenName: 'Given', SURNAME: 'Sur' },
    });
    const created = json<Record<string, unknown>>(user, 201);
    assert.equal(created.Email, 'lower@example.test');
    assert.equal(created.GivenName, 'Given');
    assert.equal(created.Surname, 'Sur');

    // ASP.NET binds query parameters case-insensitively too.
    const page = await t().call('GET', `${roles(tenant)}?COUNT=2&Skip=1`, { token: tenant.token });
    const all = ids(await t().call('GET', roles(tenant), { token: tenant.token }));
    assert.deepEqual(ids(page), all.slice(1, 3));
  });

  test('unknown input properties are ignored', async () => {
    const tenant = await t().createTenant();
    const unwantedId = randomUUID();
    const response = await t().call('POST', COMMUNITIES, {
      token: tenant.token,
      body: {
        Name: 'With extras',
        Bogus: 1,
        Id: unwantedId,
        Tenants: [{ Id: randomUUID() }],
        Nested: { Deep: [1, 2, 3] },
      },
    });
    const body = json<Community & Record<string, unknown>>(response, 201);
    assert.equal(body.Name, 'With extras');
    assert.notEqual(body.Id, unwantedId);
    assert.equal('Bogus' in body, false);
    assert.equal('Nested' in body, false);
    assert.deepEqual(
      body.Tenants.map((tenantRow) => tenantRow.Id),
      [tenant.id],
    );

    const user = await t().call('POST', users(tenant), {
      token: tenant.token,
      body: { Email: 'extras@example.test', FavouriteColour: 'green' },
    });
    assert.equal('FavouriteColour' in json<Record<string, unknown>>(user, 201), false);
  });

  test('a null input property counts as absent', async () => {
    const tenant = await t().createTenant();
    // The public client sends "Id": null on every create; a null GUID must not fail validation.
    const user = await t().call('POST', users(tenant), {
      token: tenant.token,
      body: { Id: null, Email: 'nulls@example.test', ContactEmail: null, GivenName: null, RoleIds: null },
    });
    const created = json<Record<string, unknown>>(user, 201);
    assert.match(String(created.Id), GUID);
    assert.equal(created.Email, 'nulls@example.test');
    assert.equal('GivenName' in created, false);

    const community = await t().call('POST', COMMUNITIES, {
      token: tenant.token,
      body: {
        Id: null,
        Name: 'Null description',
        Description: null,
        PreferredRegionId: null,
        ContactEmail: null,
      },
    });
    const body = json<Community>(community, 201);
    assert.equal('Description' in body, false);

    const described = await t().call('PUT', `${COMMUNITIES}/${body.Id}`, {
      token: tenant.token,
      body: { Description: 'kept' },
    });
    assert.equal(json<Community>(described, 200).Description, 'kept');
    const update = await t().call('PUT', `${COMMUNITIES}/${body.Id}`, {
      token: tenant.token,
      body: { Name: null, Description: null, PreferredRegionId: 'eu' },
    });
    const updated = json<Community>(update, 200);
    assert.equal(updated.Name, 'Null description', 'a null Name keeps the name');
    assert.equal(updated.Description, 'kept', 'a null Description keeps the description');
    assert.equal(updated.PreferredRegionId, 'eu');
  });

  test('nulls are omitted unless Accept-Verbosity: verbose (any case)', async () => {
    const tenant = await t().createTenant();
    const community = await createCommunity(t(), tenant);
    const url = `${COMMUNITIES}/${community.Id}`;
    const get = (headers: Record<string, string> = {}) =>
      t()
        .call('GET', url, { token: tenant.token, headers })
        .then((response) => json<Community>(response, 200));

    const plain = await get();
    assert.deepEqual(nullPaths(plain), []);
    assert.equal('Description' in plain, false);
    assert.equal('PreferredRegionId' in plain, false);
    assert.deepEqual(nullPaths(community), [], 'the 201 omits nulls too');

    for (const value of ['verbose', 'VERBOSE', 'Verbose', ' verbose ']) {
      const verbose = await get({ 'accept-verbosity': value });
      assert.equal(verbose.Description, null, value);
      assert.equal(verbose.PreferredRegionId, null, value);
      assert.equal(verbose.Tenants[0]?.CommunityAlias, null, value);
      // Only nulls differ: stripping them gives the default answer back.
      assert.deepEqual(JSON.parse(JSON.stringify(verbose, (_key, inner) => inner ?? undefined)), plain);
    }

    for (const value of ['non-verbose', 'NON-VERBOSE', 'Non-Verbose']) {
      assert.deepEqual(await get({ 'accept-verbosity': value }), plain, value);
    }

    const list = await t().call('GET', roles(tenant), { token: tenant.token });
    assert.deepEqual(nullPaths(json(list, 200)), [], 'lists omit nulls in their items');
    const verboseList = await t().call('GET', roles(tenant), {
      token: tenant.token,
      headers: { 'Accept-Verbosity': 'Verbose' },
    });
    assert.ok(nullPaths(json(verboseList, 200)).some((path) => path.endsWith('.CommunityId')));
  });

  test('Content-Type: application/json with an empty body is a request without a body', async () => {
    const tenant = await t().createTenant();
    const community = await createCommunity(t(), tenant);
    // The public client sends exactly this on every DELETE.
    const deleted = await t().call('DELETE', `${COMMUNITIES}/${community.Id}`, {
      token: tenant.token,
      raw: '',
    });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal(deleted.body, '');
    assertErrorResponse(
      await t().call('GET', `${COMMUNITIES}/${community.Id}`, { token: tenant.token }),
      404,
    );

    const user = await t().createUser(tenant);
    const whitespace = await t().call('DELETE', `${users(tenant)}/${user.id}`, {
      token: tenant.token,
      raw: ' \r\n',
    });
    assert.equal(whitespace.statusCode, 204, whitespace.body);
  });

  test('malformed JSON is a 400 ErrorResponse that says so', async () => {
    const tenant = await t().createTenant();
    const before = await t().snapshot();
    for (const raw of ['{"Name":', '{Name: "x"}', "{'Name': 'x'}", 'nul', '{"Name": "x",}']) {
      const response = await t().call('POST', COMMUNITIES, { token: tenant.token, raw });
      const error = assertErrorResponse(response, 400);
      assert.match(error.Reason ?? '', /not valid JSON/, raw);
    }
    // Well-formed JSON of the wrong shape is a validation error, not a parse error.
    const array = assertErrorResponse(
      await t().call('POST', COMMUNITIES, { token: tenant.token, raw: '[]' }),
      400,
    );
    assert.doesNotMatch(array.Reason ?? '', /not valid JSON/);
    assert.deepEqual(await t().snapshot(), before);
  });

  test('every JSON response has Content-Type exactly application/json', async () => {
    const tenant = await t().createTenant();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const responses: [string, LightMyRequestResponse][] = [
      ['list', await t().call('GET', COMMUNITIES, { token: tenant.token })],
      ['201', await t().call('POST', COMMUNITIES, { token: tenant.token, body: { Name: 'Typed' } })],
      ['400', await t().call('POST', COMMUNITIES, { token: tenant.token, body: { Name: '' } })],
      ['401', await t().call('GET', COMMUNITIES)],
      ['404', await t().call('GET', `${COMMUNITIES}/${randomUUID()}`, { token: tenant.token })],
      ['404 route', await t().call('GET', '/api/v1-preview/Nowhere')],
      ['405', await t().call('PATCH', COMMUNITIES, { token: tenant.token })],
      [
        'token',
        await t().app.inject({
          method: 'POST',
          url: '/identity/connect/token',
          headers: form,
          payload: `grant_type=client_credentials&client_id=${tenant.clientId}&client_secret=${tenant.secret}`,
        }),
      ],
      [
        'token error',
        await t().app.inject({
          method: 'POST',
          url: '/identity/connect/token',
          headers: form,
          payload: 'grant_type=password',
        }),
      ],
      ['health', await t().call('GET', '/health/live')],
      ['openapi', await t().call('GET', '/openapi.json')],
    ];
    for (const [label, response] of responses) {
      assert.equal(response.headers['content-type'], 'application/json', `${label}: ${response.statusCode}`);
      assert.doesNotThrow(() => response.json(), label);
    }
  });
});

describeEachEngine('conventions: paging', (t) => {
  test('skip defaults to 0 and count to 100; count may be 1 to 1000', async () => {
    const tenant = await t().createTenant();
    // Five built-in roles and 96 custom ones: one more than a default page.
    for (let i = 0; i < 96; i++) {
      const response = await t().call('POST', roles(tenant), {
        token: tenant.token,
        body: { Name: `Role ${i}` },
      });
      assert.equal(response.statusCode, 201, response.body);
    }
    const all = await t().call('GET', `${roles(tenant)}?count=1000`, { token: tenant.token });
    const allIds = ids(all);
    assert.equal(allIds.length, 101);
    assert.equal(new Set(allIds).size, 101);
    assert.equal(all.headers['total-count'], '101');

    const byDefault = await t().call('GET', roles(tenant), { token: tenant.token });
    assert.deepEqual(ids(byDefault), allIds.slice(0, 100));
    assert.equal(byDefault.headers['total-count'], '101');
    assert.deepEqual(
      ids(await t().call('GET', `${roles(tenant)}?skip=0`, { token: tenant.token })),
      ids(byDefault),
    );

    const one = await t().call('GET', `${roles(tenant)}?count=1`, { token: tenant.token });
    assert.deepEqual(ids(one), allIds.slice(0, 1));
    assert.equal(one.headers['total-count'], '101');
    const last = await t().call('GET', `${roles(tenant)}?skip=100`, { token: tenant.token });
    assert.deepEqual(ids(last), allIds.slice(100));
    const beyond = await t().call('GET', `${roles(tenant)}?skip=500&count=10`, { token: tenant.token });
    assert.deepEqual(ids(beyond), []);
    assert.equal(beyond.headers['total-count'], '101');
  });

  test('any other skip or count is a 400 ErrorResponse naming the parameter', async () => {
    const tenant = await t().createTenant();
    const cases = [
      'skip=-1',
      'count=0',
      'count=1001',
      'count=abc',
      'skip=1.5',
      'count=2.5',
      'skip=abc',
      'count=-3',
    ];
    for (const url of [
      COMMUNITIES,
      users(tenant),
      roles(tenant),
      `/api/v1/Tenants/${tenant.id}/ClientCredentialClients`,
    ]) {
      for (const query of cases) {
        const response = await t().call('GET', `${url}?${query}`, { token: tenant.token });
        const error = assertErrorResponse(response, 400);
        const name = query.split('=')[0] as string;
        assert.ok(error.Reason?.includes(name), `${url}?${query}: ${error.Reason}`);
        assert.equal(response.headers['total-count'], undefined);
      }
    }
  });

  test('query is accepted and ignored', async () => {
    const tenant = await t().createTenant();
    await createCommunity(t(), tenant, { Name: 'Alpha' });
    await createCommunity(t(), tenant, { Name: 'Beta' });
    const plain = await t().call('GET', COMMUNITIES, { token: tenant.token });
    for (const query of [
      'query=Name:Alpha',
      'query=anything',
      'query=',
      `query=${encodeURIComponent('a b & c')}`,
    ]) {
      const response = await t().call('GET', `${COMMUNITIES}?${query}`, { token: tenant.token });
      assert.deepEqual(ids(response), ids(plain), query);
      assert.equal(response.headers['total-count'], '2', query);
    }
    const userList = await t().call('GET', `${users(tenant)}?query=Email:x&count=5`, { token: tenant.token });
    assert.equal(userList.headers['total-count'], '0');
    assert.deepEqual(ids(userList), []);
  });

  test('list GETs and HEAD counts return Total-Count; HEAD has no body', async () => {
    const tenant = await t().createTenant();
    for (let i = 0; i < 3; i++) await t().createUser(tenant);
    await createCommunity(t(), tenant);
    await createCommunity(t(), tenant);

    const list = await t().call('GET', `${users(tenant)}?count=1`, { token: tenant.token });
    assert.equal(ids(list).length, 1);
    assert.equal(list.headers['total-count'], '3');

    const head = await t().call('HEAD', users(tenant), { token: tenant.token });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['total-count'], '3');
    assert.equal(head.body, '');

    const clients = `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients`;
    const clientHead = await t().call('HEAD', clients, { token: tenant.token });
    assert.equal(clientHead.statusCode, 200);
    assert.equal(clientHead.headers['total-count'], '1');
    assert.equal(clientHead.body, '');

    const communities = await t().call('GET', COMMUNITIES, { token: tenant.token });
    assert.equal(communities.headers['total-count'], '2');
    const communitiesHead = await t().call('HEAD', COMMUNITIES, { token: tenant.token });
    assert.equal(communitiesHead.statusCode, 200);
    assert.equal(communitiesHead.headers['total-count'], '2');
    assert.equal(communitiesHead.body, '');

    assert.equal(
      (await t().call('GET', roles(tenant), { token: tenant.token })).headers['total-count'],
      String(5 + 2 * 3),
      'five tenant roles and the three roles of each community',
    );

    // An error to a HEAD has the GET's status and headers, and still no body.
    const denied = await t().call('HEAD', users(tenant));
    assert.equal(denied.statusCode, 401);
    assert.equal(denied.body, '');
    assert.match(String(denied.headers['operation-id']), GUID);
  });

  test('lists are bare JSON arrays in an order that is stable across pages', async () => {
    const tenant = await t().createTenant();
    // The test clock does not move: every row has the same creation time, so the tiebreaker decides.
    for (let i = 0; i < 7; i++) await t().createUser(tenant);
    for (let i = 0; i < 5; i++) await createCommunity(t(), tenant);

    for (const url of [users(tenant), COMMUNITIES]) {
      const full = ids(await t().call('GET', url, { token: tenant.token }));
      assert.equal(new Set(full).size, full.length);
      assert.deepEqual(
        ids(await t().call('GET', url, { token: tenant.token })),
        full,
        'the same order twice',
      );
      const paged: string[] = [];
      for (let skip = 0; skip < full.length + 2; skip += 2) {
        const page = await t().call('GET', `${url}?skip=${skip}&count=2`, { token: tenant.token });
        assert.equal(page.headers['total-count'], String(full.length));
        paged.push(...ids(page));
      }
      assert.deepEqual(paged, full, url);
    }
  });
});

describeEachEngine('conventions: Operation-Id', (t) => {
  test('every response carries its own GUID Operation-Id', async () => {
    const tenant = await t().createTenant();
    const community = await createCommunity(t(), tenant);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const responses: [string, LightMyRequestResponse][] = [
      ['200', await t().call('GET', COMMUNITIES, { token: tenant.token })],
      ['201', await t().call('POST', COMMUNITIES, { token: tenant.token, body: { Name: 'Operation' } })],
      ['HEAD', await t().call('HEAD', users(tenant), { token: tenant.token })],
      ['204', await t().call('DELETE', `${COMMUNITIES}/${community.Id}`, { token: tenant.token })],
      ['400', await t().call('GET', `${COMMUNITIES}/bad`, { token: tenant.token })],
      ['401', await t().call('GET', COMMUNITIES)],
      ['404', await t().call('GET', '/nowhere')],
      ['405', await t().call('DELETE', COMMUNITIES, { token: tenant.token })],
      [
        '415',
        await t().call('POST', COMMUNITIES, { token: tenant.token, raw: 'x', contentType: 'text/plain' }),
      ],
      [
        'token',
        await t().app.inject({
          method: 'POST',
          url: '/identity/connect/token',
          headers: form,
          payload: `grant_type=client_credentials&client_id=${tenant.clientId}&client_secret=${tenant.secret}`,
        }),
      ],
      [
        'token error',
        await t().app.inject({
          method: 'POST',
          url: '/identity/connect/token',
          headers: form,
          payload: `grant_type=client_credentials&client_id=${tenant.clientId}&client_secret=wrong`,
        }),
      ],
      ['live', await t().call('GET', '/health/live')],
      ['ready', await t().call('GET', '/health/ready')],
      ['openapi', await t().call('GET', '/openapi.json')],
      ['docs', await t().call('GET', '/docs')],
      // A client cannot choose the id.
      [
        'client-sent id',
        await t().call('GET', COMMUNITIES, {
          token: tenant.token,
          headers: { 'operation-id': 'mine', 'request-id': 'mine', 'x-request-id': 'mine' },
        }),
      ],
    ];
    const seen = new Set<string>();
    for (const [label, response] of responses) {
      const id = response.headers['operation-id'];
      assert.equal(typeof id, 'string', label);
      assert.match(id as string, GUID, label);
      assert.ok(!seen.has(id as string), `${label}: Operation-Id repeated`);
      seen.add(id as string);
    }
    const tokenError = responses.find(([label]) => label === 'token error')?.[1];
    assert.equal(tokenError?.statusCode, 401);
    assert.equal(tokenError?.json().error, 'invalid_client');
  });

  test('error bodies repeat the Operation-Id', async () => {
    const tenant = await t().createTenant();
    for (const response of [
      await t().call('GET', COMMUNITIES),
      await t().call('GET', `${COMMUNITIES}/${randomUUID()}`, { token: tenant.token }),
      await t().call('PUT', COMMUNITIES, { token: tenant.token }),
    ]) {
      const error = assertErrorResponse(response, response.statusCode);
      assert.equal(error.OperationId, response.headers['operation-id']);
      assert.match(error.OperationId ?? '', GUID);
    }
  });
});

describeEachEngine('conventions: error responses', (t) => {
  test('an unknown route is a 404 ErrorResponse, with or without a token and whatever the body', async () => {
    const tenant = await t().createTenant();
    assertErrorResponse(await t().call('GET', '/api/v1-preview/Nothing'), 404);
    assertErrorResponse(await t().call('GET', '/api/v1-preview/Nothing', { token: tenant.token }), 404);
    assertErrorResponse(
      await t().call('GET', `${COMMUNITIES}/${randomUUID()}/Nothing`, { token: tenant.token }),
      404,
    );
    // The route decides before the body: a 404 says more than a complaint about the body.
    assertErrorResponse(await t().call('POST', '/api/v1-preview/Nothing', { raw: '{"broken":' }), 404);
    assertErrorResponse(
      await t().call('POST', '/api/v1-preview/Nothing', { raw: 'text', contentType: 'text/plain' }),
      404,
    );
  });

  test('a wrong method is a 405 ErrorResponse with an Allow header', async () => {
    const tenant = await t().createTenant();
    const allow = (response: LightMyRequestResponse) =>
      String(response.headers.allow)
        .split(',')
        .map((method) => method.trim())
        .sort();

    const collection = await t().call('PATCH', COMMUNITIES, { token: tenant.token });
    assertErrorResponse(collection, 405);
    assert.deepEqual(allow(collection), ['GET', 'HEAD', 'POST']);

    const item = await t().call('POST', `${COMMUNITIES}/${randomUUID()}`, { token: tenant.token, body: {} });
    assertErrorResponse(item, 405);
    for (const method of ['GET', 'PUT', 'DELETE']) assert.ok(allow(item).includes(method), method);
    assert.ok(!allow(item).includes('POST'));

    const usersList = await t().call('DELETE', users(tenant), { token: tenant.token });
    assertErrorResponse(usersList, 405);
    for (const method of ['GET', 'HEAD', 'POST']) assert.ok(allow(usersList).includes(method), method);

    // Matched like the routes themselves: any case, extra slashes; before the body and the token.
    const odd = await t().call('PATCH', '//API/V1-PREVIEW/communities/', { raw: '{"broken":' });
    assertErrorResponse(odd, 405);
    assert.deepEqual(allow(odd), ['GET', 'HEAD', 'POST']);
  });

  test('a body over 256 KiB is a 413 ErrorResponse', async () => {
    const tenant = await t().createTenant();
    // Just under the limit is accepted (the padding is an unknown property, so ignored).
    const under = JSON.stringify({ Name: 'Large', Padding: 'x'.repeat(BODY_LIMIT - 100) });
    assert.ok(under.length <= BODY_LIMIT);
    json(await t().call('POST', COMMUNITIES, { token: tenant.token, raw: under }), 201);

    const before = await t().snapshot();
    const over = JSON.stringify({ Name: 'Too large', Padding: 'x'.repeat(BODY_LIMIT) });
    const error = assertErrorResponse(
      await t().call('POST', COMMUNITIES, { token: tenant.token, raw: over }),
      413,
    );
    assert.match(error.Reason ?? '', /larger/);
    assert.deepEqual(await t().snapshot(), before);
  });

  test('a body of another content type is a 415 ErrorResponse naming it', async () => {
    const tenant = await t().createTenant();
    const before = await t().snapshot();
    for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/xml', 'text/json']) {
      const response = await t().call('POST', COMMUNITIES, {
        token: tenant.token,
        raw: '{"Name":"Typed wrong"}',
        contentType,
      });
      const error = assertErrorResponse(response, 415);
      assert.ok(
        error.Reason?.includes(contentType.split(';')[0] as string),
        `${contentType}: ${error.Reason}`,
      );
    }
    const untyped = await t().app.inject({
      method: 'POST',
      url: COMMUNITIES,
      headers: { authorization: `Bearer ${tenant.token}` },
      payload: Buffer.from('{"Name":"Untyped"}'),
    });
    assertErrorResponse(untyped, 415);
    assert.deepEqual(await t().snapshot(), before);

    // The same JSON with its proper type is accepted, parameters included.
    const typed = await t().call('POST', COMMUNITIES, {
      token: tenant.token,
      raw: '{"Name":"Typed right"}',
      contentType: 'application/json; charset=utf-8',
    });
    assert.equal(json<Community>(typed, 201).Name, 'Typed right');
  });
});

describeEachEngine('conventions: status precedence', (t) => {
  /** Tenant A owns a community; A's plain user holds no role in it; tenant B is a stranger to it. */
  async function scenario() {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const community = await createCommunity(t(), a);
    const plain = await t().createUser(a);
    return { a, b, community, plain, url: `${COMMUNITIES}/${community.Id}` };
  }

  test('401 before a malformed path id', async () => {
    assertErrorResponse(await t().call('GET', `${COMMUNITIES}/not-a-guid`), 401);
    assertErrorResponse(await t().call('PUT', `${COMMUNITIES}/not-a-guid`, { body: { Name: '' } }), 401);
    assertErrorResponse(await t().call('GET', `${COMMUNITIES}/not-a-guid`, { token: 'not.a.token' }), 401);
    assertErrorResponse(await t().call('GET', `${COMMUNITIES}/${randomUUID()}`), 401);
  });

  test('a malformed path id is a 400 before any 404', async () => {
    const { b } = await scenario();
    const error = assertErrorResponse(
      await t().call('PUT', `${COMMUNITIES}/not-a-guid`, { token: b.token, body: { Name: '' } }),
      400,
    );
    assert.match(error.Reason ?? '', /GUID/);
    assertErrorResponse(
      await t().call('GET', `/api/v1/Tenants/${randomUUID()}/Users/not-a-guid`, { token: b.token }),
      400,
    );
  });

  test("another tenant's community is a 404, even with an invalid body", async () => {
    const { b, url } = await scenario();
    assertErrorResponse(await t().call('GET', url, { token: b.token }), 404);
    assertErrorResponse(await t().call('PUT', url, { token: b.token, body: { Name: '' } }), 404);
    assertErrorResponse(await t().call('PUT', url, { token: b.token, body: { Name: 'x'.repeat(500) } }), 404);
    assertErrorResponse(await t().call('DELETE', url, { token: b.token }), 404);
    assertErrorResponse(await t().call('GET', `${COMMUNITIES}/${randomUUID()}`, { token: b.token }), 404);
    // Same reason text as a community that does not exist: existence is not revealed.
    const stranger = assertErrorResponse(await t().call('GET', url, { token: b.token }), 404);
    assert.equal(stranger.Error, 'Not found.');
  });

  test('a member without the role gets 403, even with an invalid body', async () => {
    const { plain, url } = await scenario();
    assertErrorResponse(await t().call('GET', url, { token: plain.token }), 403);
    assertErrorResponse(await t().call('PUT', url, { token: plain.token, body: { Name: '' } }), 403);
    assertErrorResponse(await t().call('PUT', url, { token: plain.token, body: { Name: 'Allowed?' } }), 403);
    assertErrorResponse(await t().call('DELETE', url, { token: plain.token }), 403);
    // Creating needs Tenant Administrator: 403 before the body is looked at.
    assertErrorResponse(await t().call('POST', COMMUNITIES, { token: plain.token, body: { Name: '' } }), 403);
  });

  test('an invalid body is a 400 for a caller who may act, before any 409', async () => {
    const { a, community, url } = await scenario();
    const other = await createCommunity(t(), a);
    const blank = assertErrorResponse(
      await t().call('PUT', url, { token: a.token, body: { Name: '' } }),
      400,
    );
    assert.match(blank.Reason ?? '', /Name/);
    // A rename onto a used name with another property invalid: the 400 wins over the 409.
    assertErrorResponse(
      await t().call('PUT', `${COMMUNITIES}/${other.Id}`, {
        token: a.token,
        body: { Name: community.Name, Description: 'x'.repeat(5000) },
      }),
      400,
    );
    assertErrorResponse(
      await t().call('POST', COMMUNITIES, {
        token: a.token,
        body: { Name: community.Name, PreferredRegionId: 'x'.repeat(500) },
      }),
      400,
    );
  });

  test('a duplicate community name is a 409', async () => {
    const { a, community } = await scenario();
    const duplicate = assertErrorResponse(
      await t().call('POST', COMMUNITIES, { token: a.token, body: { Name: community.Name } }),
      409,
    );
    assert.ok(duplicate.Reason?.includes(community.Name));
    const other = await createCommunity(t(), a);
    assertErrorResponse(
      await t().call('PUT', `${COMMUNITIES}/${other.Id}`, { token: a.token, body: { Name: community.Name } }),
      409,
    );
    // Another tenant may use the name.
    const b = await t().createTenant();
    json(await t().call('POST', COMMUNITIES, { token: b.token, body: { Name: community.Name } }), 201);
  });

  test('a rejected request changes nothing', async () => {
    const { a, b, community, plain, url } = await scenario();
    const before = await t().snapshot();
    const rejected: [number, LightMyRequestResponse][] = [
      [400, await t().call('POST', COMMUNITIES, { token: a.token, body: { Name: '' } })],
      [400, await t().call('POST', COMMUNITIES, { token: a.token, raw: '{"Name": "Half' })],
      [
        400,
        await t().call('POST', COMMUNITIES, {
          token: a.token,
          body: { Name: 'Bad contact', ContactEmail: 'nope' },
        }),
      ],
      [400, await t().call('POST', users(a), { token: a.token, body: { Email: 'not an address' } })],
      [
        400,
        await t().call('PUT', url, {
          token: a.token,
          body: { Name: 'Renamed', Description: 'x'.repeat(5000) },
        }),
      ],
      [403, await t().call('PUT', url, { token: plain.token, body: { Name: 'Renamed by a plain user' } })],
      [403, await t().call('DELETE', url, { token: plain.token })],
      [404, await t().call('PUT', url, { token: b.token, body: { Name: 'Renamed by a stranger' } })],
      [404, await t().call('DELETE', url, { token: b.token })],
      [404, await t().call('DELETE', `${users(a)}/${plain.id}`, { token: b.token })],
      [409, await t().call('POST', COMMUNITIES, { token: a.token, body: { Name: community.Name } })],
    ];
    for (const [status, response] of rejected) assertErrorResponse(response, status);
    assert.deepEqual(await t().snapshot(), before);
  });
});

describeEachEngine('conventions: Request-Timeout and the operating surface', (t) => {
  test('Request-Timeout is accepted on a request that finishes in time', async () => {
    const tenant = await t().createTenant();
    for (const value of ['30', '2.5', ' 30 ']) {
      const list = await t().call('GET', COMMUNITIES, {
        token: tenant.token,
        headers: { 'Request-Timeout': value },
      });
      json(list, 200);
    }
    const created = await t().call('POST', COMMUNITIES, {
      token: tenant.token,
      headers: { 'request-timeout': '30' },
      body: { Name: 'In time' },
    });
    json(created, 201);
  });

  test('/health/live and /health/ready answer 200 without a token', async () => {
    assert.deepEqual(json(await t().call('GET', '/health/live'), 200), { Status: 'Live' });
    assert.deepEqual(json(await t().call('GET', '/health/ready'), 200), { Status: 'Ready' });
  });

  test('/openapi.json is served without a token and describes the community routes', async () => {
    const doc = json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      await t().call('GET', '/openapi.json'),
      200,
    );
    assert.match(doc.openapi, /^3\./);
    const paths = doc.paths;
    assert.deepEqual(Object.keys(paths[COMMUNITIES] ?? {}).sort(), ['get', 'head', 'post']);
    assert.deepEqual(Object.keys(paths[`${COMMUNITIES}/{communityId}`] ?? {}).sort(), [
      'delete',
      'get',
      'head',
      'put',
    ]);
    assert.ok(paths[`${COMMUNITIES}/{communityId}/Roles`]?.get);
    assert.ok(paths[`${COMMUNITIES}/{communityId}/Tenants/{tenantId}`]?.put);
    assert.ok(paths[`${COMMUNITIES}/{communityId}/Tenants/{tenantId}`]?.delete);
  });

  test('/docs serves the Swagger UI in place, without a token', async () => {
    for (const url of ['/docs', '/docs/']) {
      const page = await t().call('GET', url);
      assert.equal(page.statusCode, 200, url);
      assert.equal(page.headers.location, undefined, url);
      assert.match(String(page.headers['content-type']), /^text\/html/, url);
      assert.match(page.body, /swagger-ui/i, url);
    }
    const spec = await t().call('GET', '/docs/json');
    assert.ok(json<{ paths: Record<string, unknown> }>(spec, 200).paths[COMMUNITIES]);
  });
});

for (const engine of testEngines()) {
  describe(`conventions: a failure shows nothing internal [${engine}]`, () => {
    test('a store that fails answers 500 ErrorResponse with a generic Reason', async () => {
      const broken = await startTestApp(engine);
      try {
        const tenant = await broken.createTenant();
        await broken.store.db.destroy();

        const response = await broken.call('GET', COMMUNITIES, { token: tenant.token });
        const error = assertErrorResponse(response, 500);
        assert.deepEqual(Object.keys(error).sort(), ['Error', 'OperationId', 'Reason', 'Resolution']);
        assert.equal(error.Error, 'Internal server error.');
        assert.equal(error.Reason, 'The service failed while handling the request.');
        assert.doesNotMatch(
          response.body,
          /destroy|driver|kysely|sqlite|postgres|select|stack|\.ts\b|node_modules|\bat\s/i,
        );

        // The token endpoint fails in its own (RFC 6749) shape, as a server error, not the client's.
        const token = await broken.app.inject({
          method: 'POST',
          url: '/identity/connect/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `grant_type=client_credentials&client_id=${tenant.clientId}&client_secret=${tenant.secret}`,
        });
        assert.equal(token.statusCode, 500, token.body);
        assert.equal(token.json().error, 'server_error');
        assert.doesNotMatch(token.body, /destroy|driver|kysely|sqlite|postgres|select|\bat\s/i);
        assert.match(String(token.headers['operation-id']), GUID);

        assertErrorResponse(await broken.call('GET', '/health/ready'), 503);
        json(await broken.call('GET', '/health/live'), 200);
      } finally {
        await broken.close();
      }
    });
  });
}
