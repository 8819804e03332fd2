// The bugs the OpenAPI fuzzer found in src/http, each pinned by the smallest request that showed it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertErrorResponse, describeEachEngine } from '../support/app.ts';

const COMMUNITIES = '/api/v1-preview/Communities';

describeEachEngine('fuzzer regressions', (t) => {
  test('a JSON body is typed: a number, a boolean or a huge number for a string is a 400, not stored as text', async () => {
    const tenant = await t().createTenant();
    for (const raw of ['{"Name":123}', '{"Name":true}', `{"Name":${'9'.repeat(400)}}`]) {
      const error = assertErrorResponse(
        await t().call('POST', COMMUNITIES, { token: tenant.token, raw }),
        400,
      );
      assert.match(error.Reason ?? '', /'Name' must be string/, raw);
    }
    const roles = `/api/v1/Tenants/${tenant.id}/Roles`;
    assertErrorResponse(await t().call('POST', roles, { token: tenant.token, body: { Name: 42 } }), 400);
    const before = await t().snapshot();
    assertErrorResponse(
      await t().call('POST', `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients`, {
        token: tenant.token,
        body: { Name: 'x', Enabled: 'true' },
      }),
      400,
    );
    assert.deepEqual(await t().snapshot(), before);
  });

  test('text with a NUL or an unpaired surrogate is a 400 on every engine, not a 500 or a U+FFFD', async () => {
    const tenant = await t().createTenant();
    for (const name of ['a\u0000b', '\uD800x', 'x\uDC00', '\uDBFF\uDBFF']) {
      const response = await t().call('POST', COMMUNITIES, { token: tenant.token, body: { Name: name } });
      const error = assertErrorResponse(response, 400);
      assert.match(error.Reason ?? '', /'Name' must not contain a NUL character or an unpaired surrogate/);
    }
    const users = `/api/v1/Tenants/${tenant.id}/Users`;
    const user = await t().call('POST', users, {
      token: tenant.token,
      body: { Email: 'nul@example.test', GivenName: 'a\u0000b' },
    });
    assert.match(assertErrorResponse(user, 400).Reason ?? '', /'GivenName'/);
    // Paired surrogates (emoji) and combining marks are text.
    const emoji = await t().call('POST', COMMUNITIES, { token: tenant.token, body: { Name: '😀 e\u0301' } });
    assert.equal(emoji.statusCode, 201, emoji.body);
    assert.equal(emoji.json().Name, '😀 e\u0301');
  });

  test('skip beyond 2147483647, Infinity or 1e309 is a 400, not a 500 from the database', async () => {
    const tenant = await t().createTenant();
    for (const query of [
      'skip=1e20',
      'skip=Infinity',
      'skip=9223372036854775808',
      'skip=2147483648',
      'count=Infinity',
      'count=1e309',
      'skip=-Infinity',
    ]) {
      for (const url of [`${COMMUNITIES}?${query}`, `/api/v1/Tenants/${tenant.id}/Users?${query}`]) {
        assertErrorResponse(await t().call('GET', url, { token: tenant.token }), 400);
        const head = await t().app.inject({
          method: 'HEAD',
          url,
          headers: { authorization: `Bearer ${tenant.token}` },
        });
        assert.equal(head.statusCode, 400, `HEAD ${url}`);
      }
    }
    const last = await t().call('GET', `${COMMUNITIES}?skip=2147483647`, { token: tenant.token });
    assert.equal(last.statusCode, 200, last.body);
    assert.deepEqual(last.json(), []);
  });

  test('a Request-Timeout too long for a timer never fires (Node would fire it at once)', async () => {
    const tenant = await t().createTenant();
    for (const timeout of ['99999999999', `1${'0'.repeat(30)}`, '2147483.648', '4294967.296']) {
      const response = await t().call('POST', COMMUNITIES, {
        token: tenant.token,
        body: { Name: `Timeout ${timeout.length}-${timeout.slice(0, 4)}` },
        headers: { 'request-timeout': timeout },
      });
      assert.equal(response.statusCode, 201, `${timeout}: ${response.body}`);
    }
  });

  test('a path id that the router cannot case-fold (İ) is a 400 naming it, not a 405 for a served method', async () => {
    const tenant = await t().createTenant();
    for (const [method, url, param] of [
      ['GET', `/API/V1-PREVIEW/COMMUNITIES/%C4%B0x/Roles`, 'communityId'],
      ['GET', `${COMMUNITIES}/%C4%B0%C4%B1/Tenants/${tenant.id}/Users`, 'communityId'],
      ['POST', `/api/v1/Tenants/%C4%B0/Roles`, 'tenantId'],
    ] as const) {
      const response = await t().call(method, url, { token: tenant.token, body: { Name: 'x' } });
      const error = assertErrorResponse(response, 400);
      assert.ok(error.Reason?.includes(`'${param}' must be a GUID`), `${method} ${url}: ${error.Reason}`);
      assert.equal(response.headers.allow, undefined);
    }
    // A method no route serves on that path is still a 405.
    const wrong = await t().call('PATCH', `${COMMUNITIES}/%C4%B0x/Roles`, { token: tenant.token });
    assertErrorResponse(wrong, 405);
  });
});
