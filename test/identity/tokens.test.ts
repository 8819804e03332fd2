// Discovery, JWKS, the client-credentials token endpoint (CONTRACT §2, §8) and bearer-token authentication.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import {
  assertErrorResponse,
  describeEachEngine,
  startTestApp,
  type TenantFixture,
  type TestApp,
} from '../support/app.ts';
import { testEngines } from '../support/engines.ts';
import { assertOAuthError, clientCredentials, GUID, tokenRequest } from './support.ts';

const SECOND = 1000;

/** A second client of the tenant, created through the preview API, with its id and secret. */
async function createClient(t: TestApp, tenant: TenantFixture, body: Record<string, unknown> = {}) {
  const response = await t.call('POST', `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients`, {
    token: tenant.token,
    body: { Name: 'Second client', RoleIds: [tenant.roles['Tenant Administrator']], ...body },
  });
  assert.equal(response.statusCode, 201, response.body);
  const created = response.json();
  return { id: created.ClientId as string, secret: created.ClientSecret as string };
}

describeEachEngine('discovery and signing keys', (t) => {
  test('the discovery document names the issuer, an absolute token endpoint and the JWKS', async () => {
    const response = await t().call('GET', '/identity/.well-known/openid-configuration');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.match(String(response.headers['operation-id']), GUID);
    const document = response.json();
    assert.equal(document.issuer, 'http://convene.test/identity');
    assert.equal(document.token_endpoint, 'http://convene.test/identity/connect/token');
    assert.equal(document.jwks_uri, 'http://convene.test/identity/.well-known/openid-configuration/jwks');
    assert.ok(document.grant_types_supported.includes('client_credentials'));
  });

  test('discovery paths match case-insensitively and tolerate a trailing slash', async () => {
    const response = await t().call('GET', '/Identity/.well-known/OpenID-Configuration/');
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().token_endpoint, 'http://convene.test/identity/connect/token');
  });

  test('the JWKS holds the public signing key only, and it verifies issued tokens', async () => {
    const response = await t().call('GET', '/identity/.well-known/openid-configuration/jwks');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/json');
    const jwks = response.json() as { keys: JWK[] };
    assert.equal(jwks.keys.length, 1);
    const key = jwks.keys[0] as JWK;
    assert.equal(key.kty, 'RSA');
    assert.equal(key.alg, 'RS256');
    assert.equal(typeof key.kid, 'string');
    for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
      assert.equal(privatePart in key, false, `the JWKS must not publish '${privatePart}'`);
    }

    const tenant = await t().createTenant();
    const { payload, protectedHeader } = await jwtVerify(tenant.token, createLocalJWKSet(jwks), {
      issuer: 'http://convene.test/identity',
      currentDate: t().clock.now(),
    });
    assert.equal(protectedHeader.kid, key.kid);
    assert.equal(payload.sub, tenant.clientId);
    assert.equal(payload.tid, tenant.id);
  });

  test('discovery and JWKS need no token', async () => {
    for (const url of [
      '/identity/.well-known/openid-configuration',
      '/identity/.well-known/openid-configuration/jwks',
    ]) {
      const response = await t().call('GET', url, { headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(response.statusCode, 200, url);
    }
  });
});

for (const engine of testEngines()) {
  describe(`discovery under a public URL with a path [${engine}]`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(engine, { env: { CONVENE_PUBLIC_URL: 'https://id.example.test/convene/' } });
    });
    after(() => app.close());

    test('every URL is absolute and built from CONVENE_PUBLIC_URL', async () => {
      const document = (await app.call('GET', '/identity/.well-known/openid-configuration')).json();
      assert.equal(document.issuer, 'https://id.example.test/convene/identity');
      assert.equal(document.token_endpoint, 'https://id.example.test/convene/identity/connect/token');
      assert.equal(
        document.jwks_uri,
        'https://id.example.test/convene/identity/.well-known/openid-configuration/jwks',
      );
      const tenant = await app.createTenant();
      assert.equal(decodeJwt(tenant.token).iss, 'https://id.example.test/convene/identity');
    });
  });
}

describeEachEngine('token endpoint', (t) => {
  test('client credentials, form-encoded and without scope, answer a Bearer token', async () => {
    const tenant = await t().createTenant();
    const response = await tokenRequest(t(), clientCredentials(tenant.clientId, tenant.secret));
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(String(response.headers['operation-id']), GUID);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);

    const claims = decodeJwt(body.access_token);
    assert.equal(claims.sub, tenant.clientId);
    assert.equal(claims.tid, tenant.id);
    assert.equal((claims.exp as number) - (claims.iat as number), 3600);
    assert.equal(decodeProtectedHeader(body.access_token).alg, 'RS256');

    const use = await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: body.access_token });
    assert.equal(use.statusCode, 200);
  });

  test('a scope, when sent, is ignored', async () => {
    const tenant = await t().createTenant();
    const response = await tokenRequest(t(), {
      ...clientCredentials(tenant.clientId, tenant.secret),
      scope: 'ocsapi',
    });
    assert.equal(response.statusCode, 200, response.body);
  });

  test('the client id is accepted in upper case', async () => {
    const tenant = await t().createTenant();
    const response = await tokenRequest(t(), clientCredentials(tenant.clientId.toUpperCase(), tenant.secret));
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(decodeJwt(response.json().access_token).sub, tenant.clientId);
  });

  test('HTTP Basic client authentication (RFC 6749 §2.3.1)', async () => {
    const tenant = await t().createTenant();
    const basic = Buffer.from(
      `${encodeURIComponent(tenant.clientId)}:${encodeURIComponent(tenant.secret)}`,
    ).toString('base64');
    const response = await tokenRequest(
      t(),
      { grant_type: 'client_credentials' },
      { headers: { authorization: `Basic ${basic}` } },
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(decodeJwt(response.json().access_token).sub, tenant.clientId);
  });

  test('HTTP Basic with a wrong secret is invalid_client with a WWW-Authenticate challenge', async () => {
    const tenant = await t().createTenant();
    const basic = Buffer.from(`${tenant.clientId}:wrong`).toString('base64');
    const response = await tokenRequest(
      t(),
      { grant_type: 'client_credentials' },
      { headers: { authorization: `Basic ${basic}` } },
    );
    assertOAuthError(response, 401, 'invalid_client');
    assert.match(String(response.headers['www-authenticate']), /^Basic /);
  });

  test('HTTP Basic credentials that are not valid percent-encoding are invalid_request', async () => {
    const basic = Buffer.from('%E0%A4%A:secret').toString('base64');
    const response = await tokenRequest(
      t(),
      { grant_type: 'client_credentials' },
      { headers: { authorization: `Basic ${basic}` } },
    );
    assertOAuthError(response, 400, 'invalid_request');
  });

  test('a missing grant_type is invalid_request', async () => {
    const tenant = await t().createTenant();
    const response = await tokenRequest(t(), { client_id: tenant.clientId, client_secret: tenant.secret });
    const description = assertOAuthError(response, 400, 'invalid_request');
    assert.match(description, /grant_type/);
  });

  test('an empty body is invalid_request', async () => {
    const response = await tokenRequest(t(), {}, { payload: '' });
    assertOAuthError(response, 400, 'invalid_request');
  });

  test('another grant is unsupported_grant_type', async () => {
    const tenant = await t().createTenant();
    for (const grant of ['password', 'authorization_code', 'refresh_token']) {
      const response = await tokenRequest(t(), {
        ...clientCredentials(tenant.clientId, tenant.secret),
        grant_type: grant,
      });
      assertOAuthError(response, 400, 'unsupported_grant_type');
    }
  });

  test('a missing client_id or client_secret is invalid_request', async () => {
    const tenant = await t().createTenant();
    assertOAuthError(
      await tokenRequest(t(), { grant_type: 'client_credentials', client_secret: tenant.secret }),
      400,
      'invalid_request',
    );
    assertOAuthError(
      await tokenRequest(t(), { grant_type: 'client_credentials', client_id: tenant.clientId }),
      400,
      'invalid_request',
    );
  });

  test('a wrong secret or an unknown client is invalid_client (401)', async () => {
    const tenant = await t().createTenant();
    assertOAuthError(
      await tokenRequest(t(), clientCredentials(tenant.clientId, `${tenant.secret}x`)),
      401,
      'invalid_client',
    );
    assertOAuthError(
      await tokenRequest(t(), clientCredentials('5a0e3c9f-52c1-4f6b-9c55-8d1f0f7a1b2c', tenant.secret)),
      401,
      'invalid_client',
    );
    assertOAuthError(
      await tokenRequest(t(), clientCredentials('not-a-guid', tenant.secret)),
      401,
      'invalid_client',
    );
    // The operator's id with a wrong secret is no different from any other client.
    assertOAuthError(
      await tokenRequest(t(), clientCredentials('operator-client', 'wrong-secret-0123456789')),
      401,
      'invalid_client',
    );
  });

  test('a disabled client is invalid_client, and enabling it again restores it', async () => {
    const tenant = await t().createTenant();
    const client = await createClient(t(), tenant, { Enabled: false });
    const description = assertOAuthError(
      await tokenRequest(t(), clientCredentials(client.id, client.secret)),
      401,
      'invalid_client',
    );
    assert.match(description, /disabled/);
    const enable = await t().call(
      'PUT',
      `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients/${client.id}`,
      { token: tenant.token, body: { Name: 'Second client', Enabled: true } },
    );
    assert.equal(enable.statusCode, 200, enable.body);
    assert.equal((await tokenRequest(t(), clientCredentials(client.id, client.secret))).statusCode, 200);
  });

  test('a wrong secret of a disabled client does not reveal that it is disabled', async () => {
    const tenant = await t().createTenant();
    const client = await createClient(t(), tenant, { Enabled: false });
    const description = assertOAuthError(
      await tokenRequest(t(), clientCredentials(client.id, 'wrong')),
      401,
      'invalid_client',
    );
    assert.doesNotMatch(description, /disabled/);
  });

  test('a secret past its SecretExpirationDate is invalid_client', async () => {
    const tenant = await t().createTenant();
    const expires = new Date(t().clock.now().getTime() + 3600 * SECOND);
    const client = await createClient(t(), tenant, { SecretExpirationDate: expires.toISOString() });
    assert.equal((await tokenRequest(t(), clientCredentials(client.id, client.secret))).statusCode, 200);

    t().clock.advance(3600 * SECOND - 1);
    assert.equal((await tokenRequest(t(), clientCredentials(client.id, client.secret))).statusCode, 200);
    t().clock.advance(1);
    const description = assertOAuthError(
      await tokenRequest(t(), clientCredentials(client.id, client.secret)),
      401,
      'invalid_client',
    );
    assert.match(description, /expired/);
  });

  test('a JSON body is not a token request (form encoding is required): 415 invalid_request', async () => {
    const tenant = await t().createTenant();
    const response = await tokenRequest(
      t(),
      {},
      {
        contentType: 'application/json',
        payload: JSON.stringify(clientCredentials(tenant.clientId, tenant.secret)),
      },
    );
    const description = assertOAuthError(response, 415, 'invalid_request');
    assert.match(description, /x-www-form-urlencoded/);
  });

  test('another content type is 415 invalid_request in the RFC 6749 shape', async () => {
    const tenant = await t().createTenant();
    const response = await tokenRequest(
      t(),
      {},
      {
        contentType: 'text/plain',
        payload: new URLSearchParams(clientCredentials(tenant.clientId, tenant.secret)).toString(),
      },
    );
    assertOAuthError(response, 415, 'invalid_request');
  });

  test('the expires_in of a client is its AccessTokenLifetime', async () => {
    const tenant = await t().createTenant();
    const client = await createClient(t(), tenant, { AccessTokenLifetime: 600 });
    const response = await tokenRequest(t(), clientCredentials(client.id, client.secret));
    assert.equal(response.json().expires_in, 600);
    const claims = decodeJwt(response.json().access_token);
    assert.equal((claims.exp as number) - (claims.iat as number), 600);
  });
});

describeEachEngine('bearer tokens', (t) => {
  test('no token is a 401 ErrorResponse', async () => {
    const tenant = await t().createTenant();
    const body = assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`), 401);
    assert.match(body.Reason as string, /Authorization/);
  });

  test('a 401 comes before a 400 for a malformed path id', async () => {
    assertErrorResponse(await t().call('GET', '/api/v1/Tenants/not-a-guid/Users'), 401);
  });

  test('another scheme, a garbage token or an unsigned token is a 401', async () => {
    const tenant = await t().createTenant();
    const url = `/api/v1/Tenants/${tenant.id}`;
    const basic = Buffer.from(`${tenant.clientId}:${tenant.secret}`).toString('base64');
    assertErrorResponse(await t().call('GET', url, { headers: { authorization: `Basic ${basic}` } }), 401);
    assertErrorResponse(await t().call('GET', url, { token: 'garbage' }), 401);
    assertErrorResponse(await t().call('GET', url, { token: 'a.b.c' }), 401);
    assertErrorResponse(await t().call('GET', url, { headers: { authorization: 'Bearer' } }), 401);
    const claims = decodeJwt(tenant.token);
    const unsigned = new UnsecuredJWT({ ...claims }).encode();
    assertErrorResponse(await t().call('GET', url, { token: unsigned }), 401);
    // A token with a byte changed in its signature.
    const tampered = `${tenant.token.slice(0, -4)}${tenant.token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    assertErrorResponse(await t().call('GET', url, { token: tampered }), 401);
  });

  test('a token with our claims but signed by another key is a 401', async () => {
    const tenant = await t().createTenant();
    const { kid } = decodeProtectedHeader(tenant.token);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...decodeJwt(tenant.token) })
      .setProtectedHeader({ alg: 'RS256', kid: kid as string, typ: 'at+jwt' })
      .sign(privateKey);
    const body = assertErrorResponse(
      await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: forged }),
      401,
    );
    assert.match(body.Reason as string, /signature/);
  });

  test('a token past its expiry is a 401 (after the clock-skew allowance)', async () => {
    const tenant = await t().createTenant();
    const client = await createClient(t(), tenant, { AccessTokenLifetime: 301 });
    const token = (await tokenRequest(t(), clientCredentials(client.id, client.secret))).json().access_token;
    const url = `/api/v1/Tenants/${tenant.id}`;
    assert.equal((await t().call('GET', url, { token })).statusCode, 200);
    t().clock.advance(300 * SECOND);
    assert.equal((await t().call('GET', url, { token })).statusCode, 200);
    t().clock.advance(62 * SECOND);
    const body = assertErrorResponse(await t().call('GET', url, { token }), 401);
    assert.match(body.Reason as string, /expired/);
  });

  test('the operator creates tenants; a tenant administrator, client or user, cannot (403)', async () => {
    const created = await t().call('POST', '/api/v1/Tenants', {
      token: await t().operatorToken(),
      body: { Name: 'Made by the operator' },
    });
    assert.equal(created.statusCode, 201, created.body);

    const tenant = await t().createTenant();
    const admin = await t().createUser(tenant, { admin: true });
    for (const token of [tenant.token, admin.token]) {
      const before = await t().snapshot();
      assertErrorResponse(
        await t().call('POST', '/api/v1/Tenants', { token, body: { Name: 'Not allowed' } }),
        403,
      );
      assert.deepEqual(await t().snapshot(), before);
    }
  });

  test('the operator token has no tenant of its own but reads any tenant', async () => {
    const tenant = await t().createTenant();
    const response = await t().call('GET', `/api/v1/Tenants/${tenant.id}`, {
      token: await t().operatorToken(),
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().Id, tenant.id);
  });

  test('the token of a deleted client stops working at once', async () => {
    const tenant = await t().createTenant();
    const client = await createClient(t(), tenant);
    const token = (await tokenRequest(t(), clientCredentials(client.id, client.secret))).json().access_token;
    const url = `/api/v1/Tenants/${tenant.id}/Users`;
    assert.equal((await t().call('GET', url, { token })).statusCode, 200);
    const deleted = await t().call(
      'DELETE',
      `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients/${client.id}`,
      { token: tenant.token },
    );
    assert.equal(deleted.statusCode, 204, deleted.body);
    const body = assertErrorResponse(await t().call('GET', url, { token }), 401);
    assert.match(body.Reason as string, /no longer exists/);
  });

  test('the token of a client disabled after issue stops working at once', async () => {
    const tenant = await t().createTenant();
    const client = await createClient(t(), tenant);
    const token = (await tokenRequest(t(), clientCredentials(client.id, client.secret))).json().access_token;
    const url = `/api/v1/Tenants/${tenant.id}`;
    assert.equal((await t().call('GET', url, { token })).statusCode, 200);
    const disabled = await t().call(
      'PUT',
      `/api/v1/Tenants/${tenant.id}/ClientCredentialClients/${client.id}`,
      { token: tenant.token, body: { Name: 'Second client', Enabled: false } },
    );
    assert.equal(disabled.statusCode, 200, disabled.body);
    assertErrorResponse(await t().call('GET', url, { token }), 401);
  });

  test('a revoked Tenant Administrator role takes effect on the next request', async () => {
    const tenant = await t().createTenant();
    const admin = await t().createUser(tenant, { admin: true });
    const users = `/api/v1/Tenants/${tenant.id}/Users`;
    const first = await t().call('POST', users, { token: admin.token, body: { Email: 'a@example.test' } });
    assert.equal(first.statusCode, 201, first.body);

    const revoked = await t().call('PUT', `${users}/${admin.id}`, {
      token: tenant.token,
      body: { RoleIds: [] },
    });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.deepEqual(revoked.json().RoleIds, [tenant.roles['Tenant Member']]);

    assertErrorResponse(
      await t().call('POST', users, { token: admin.token, body: { Email: 'b@example.test' } }),
      403,
    );
    // Still a principal of the tenant: reading is allowed.
    assert.equal((await t().call('GET', users, { token: admin.token })).statusCode, 200);

    const granted = await t().call('PUT', `${users}/${admin.id}`, {
      token: tenant.token,
      body: { RoleIds: [tenant.roles['Tenant Administrator']] },
    });
    assert.equal(granted.statusCode, 200, granted.body);
    const again = await t().call('POST', users, { token: admin.token, body: { Email: 'b@example.test' } });
    assert.equal(again.statusCode, 201, again.body);
  });

  test('the token of a deleted user stops working at once', async () => {
    const tenant = await t().createTenant();
    const user = await t().createUser(tenant);
    const url = `/api/v1/Tenants/${tenant.id}`;
    assert.equal((await t().call('GET', url, { token: user.token })).statusCode, 200);
    const deleted = await t().call('DELETE', `${url}/Users/${user.id}`, { token: tenant.token });
    assert.equal(deleted.statusCode, 204);
    assertErrorResponse(await t().call('GET', url, { token: user.token }), 401);
  });
});
