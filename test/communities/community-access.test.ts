// Status precedence on every communities route (CONTRACT §1): 401 without a valid token, then 400 for a
// path id that is not a GUID, then 404 for a tenant that is not a member, with nothing revealed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertErrorResponse, describeEachEngine } from '../support/app.ts';
import { assertUnchanged, COMMUNITIES, communityWithMember, type Scenario } from './fixtures.ts';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

interface Route {
  method: Method;
  url: string;
  body?: unknown;
}

const UNKNOWN = '0a0a0a0a-0000-4000-8000-000000000001';

/** Every route that names a community, against community `c` and tenant `tenantId`. */
function communityRoutes(c: string, tenantId: string): Route[] {
  return [
    { method: 'GET', url: `${COMMUNITIES}/${c}` },
    { method: 'HEAD', url: `${COMMUNITIES}/${c}` },
    { method: 'PUT', url: `${COMMUNITIES}/${c}`, body: { Name: 'Taken over' } },
    { method: 'DELETE', url: `${COMMUNITIES}/${c}` },
    { method: 'GET', url: `${COMMUNITIES}/${c}/Roles` },
    {
      method: 'PUT',
      url: `/api/v1-preview/communities/${c}/tenants/${tenantId}`,
      body: { Status: 'Paused' },
    },
    { method: 'DELETE', url: `/api/v1-preview/communities/${c}/tenants/${tenantId}` },
  ];
}

function allRoutes(s: Scenario): Route[] {
  return [
    { method: 'GET', url: COMMUNITIES },
    { method: 'HEAD', url: COMMUNITIES },
    { method: 'POST', url: COMMUNITIES, body: { Name: 'No token' } },
    ...communityRoutes(s.community.Id, s.member.id),
  ];
}

describeEachEngine('communities: access', (t) => {
  test('401 on every route without a token or with a bad one, before a malformed id', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    const routes = [...allRoutes(s), ...communityRoutes('not-a-guid', 'nope')];
    const headers: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: 'Bearer not.a.token' },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      { authorization: 'Bearer' },
    ];
    for (const route of routes) {
      for (const header of headers) {
        const response = await t().call(route.method, route.url, {
          ...(header === undefined ? {} : { headers: header }),
          ...(route.body === undefined ? {} : { body: route.body }),
        });
        const label = `${route.method} ${route.url} ${JSON.stringify(header)}`;
        if (route.method === 'HEAD') {
          assert.equal(response.statusCode, 401, label);
          assert.equal(response.body, '', label);
        } else {
          assertErrorResponse(response, 401);
        }
      }
    }
    assertUnchanged(before, await t().snapshot());
  });

  test('400 for a path id that is not a GUID, even for a tenant that could not see the community', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    const bad = [
      ...communityRoutes('not-a-guid', s.member.id),
      ...communityRoutes(`${s.community.Id}0`, s.member.id),
      ...communityRoutes(s.community.Id, 'not-a-guid').slice(-2),
      ...communityRoutes(s.community.Id, s.member.id.replaceAll('-', '')).slice(-2),
    ].filter((r) => r.method !== 'HEAD');
    for (const token of [s.owner.token, s.outsider.token]) {
      for (const route of bad) {
        const response = await t().call(route.method, route.url, {
          token,
          ...(route.body === undefined ? {} : { body: route.body }),
        });
        const error = assertErrorResponse(response, 400);
        assert.match(error.Reason ?? '', /GUID/, `${route.method} ${route.url}`);
      }
    }
    assertUnchanged(before, await t().snapshot());
  });

  test('404 on every community route for a tenant that is not a member, revealing nothing', async () => {
    const s = await communityWithMember(t());
    const outsiderUser = await t().createUser(s.outsider, { admin: true });
    const before = await t().snapshot();
    const secrets = [
      s.community.Name,
      s.owner.id,
      s.owner.name,
      s.member.name,
      'owner@owner.test',
      'member@member.test',
      ...s.community.CommunityRoles.map((r) => r.Id),
    ];
    const tokens = [s.outsider.token, outsiderUser.token, await t().operatorToken()];
    const known = communityRoutes(s.community.Id, s.member.id);
    const unknown = communityRoutes(UNKNOWN, s.member.id);
    for (const token of tokens) {
      for (const [i, route] of known.entries()) {
        const label = `${route.method} ${route.url}`;
        const options = { token, ...(route.body === undefined ? {} : { body: route.body }) };
        const response = await t().call(route.method, route.url, options);
        if (route.method === 'HEAD') {
          assert.equal(response.statusCode, 404, label);
          assert.equal(response.body, '', label);
          continue;
        }
        const error = assertErrorResponse(response, 404);
        assert.deepEqual(Object.keys(error).sort(), ['Error', 'OperationId', 'Reason', 'Resolution'], label);
        for (const secret of secrets)
          assert.equal(response.body.includes(secret), false, `${label}: ${secret}`);

        // The same answer as for a community that does not exist, but for the id that was asked about.
        const twin = unknown[i] as Route;
        const missing = await t().call(twin.method, twin.url, options);
        const missingError = assertErrorResponse(missing, 404);
        assert.deepEqual(
          { ...error, OperationId: '' },
          {
            ...missingError,
            OperationId: '',
            Reason: (missingError.Reason ?? '').replace(UNKNOWN, s.community.Id),
          },
          label,
        );
      }
    }
    assertUnchanged(before, await t().snapshot());
  });
});
