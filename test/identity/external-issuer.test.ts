// User tokens from a trusted external OpenID issuer (CONTRACT §2, CONVENE_TRUSTED_ISSUERS): the issuer is
// a real local HTTP server with a discovery document and a JWKS; users are mapped by
// (IdentityProviderId, ExternalUserId = sub).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { assertErrorResponse, startTestApp, type TenantFixture, type TestApp } from '../support/app.ts';
import { testEngines } from '../support/engines.ts';

const AUDIENCE = 'convene-api';
const IDP = '3c5b0e8a-7d1f-4e2a-9b6c-0f1e2d3c4b5a';
const OTHER_IDP = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

interface Issuer {
  url: string;
  requests: string[];
  sign(
    claims: JWTPayload,
    options?: { expiresInSeconds?: number; key?: CryptoKey; audience?: string },
  ): Promise<string>;
  close(): Promise<void>;
}

async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const requests: string[] = [];
  let url = '';
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    const send = (body: unknown) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/.well-known/openid-configuration') {
      send({ issuer: url, jwks_uri: `${url}/keys`, authorization_endpoint: `${url}/authorize` });
    } else if (request.url === '/keys') {
      send(jwks);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    sign: (claims, options = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(url)
        .setAudience(options.audience ?? AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresInSeconds ?? 600))
        .sign(options.key ?? privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const engine of testEngines()) {
  describe(`external issuer [${engine}]`, () => {
    let issuer: Issuer;
    let app: TestApp;
    let tenant: TenantFixture;
    const t = () => app;

    before(async () => {
      issuer = await startIssuer();
      app = await startTestApp(engine, {
        env: {
          CONVENE_TRUSTED_ISSUERS: JSON.stringify([
            { Issuer: issuer.url, IdentityProviderId: IDP.toUpperCase(), Audience: AUDIENCE },
          ]),
        },
      });
      tenant = await app.createTenant();
    });
    after(async () => {
      await app?.close();
      await issuer?.close();
    });

    /** A user of `target` known to the external issuer as `sub`. */
    async function createExternalUser(target: TenantFixture, sub: string, roleIds: string[] = []) {
      const response = await t().call('POST', `/api/v1/Tenants/${target.id}/Users`, {
        token: target.token,
        body: {
          ContactEmail: `${sub}@idp.test`,
          IdentityProviderId: IDP,
          ExternalUserId: sub,
          RoleIds: roleIds,
        },
      });
      assert.equal(response.statusCode, 201, response.body);
      return response.json().Id as string;
    }

    test('a user token signed by the trusted issuer authenticates the mapped user', async () => {
      const sub = `ext-${randomUUID()}`;
      const userId = await createExternalUser(tenant, sub);
      const token = await issuer.sign({ sub });

      const me = await t().call('GET', `/api/v1/Tenants/${tenant.id}/Users/${userId}`, { token });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json().ExternalUserId, sub);
      assert.equal(me.json().IdentityProviderId, IDP);

      // Roles come from the store: a Tenant Member cannot create users...
      assertErrorResponse(
        await t().call('POST', `/api/v1/Tenants/${tenant.id}/Users`, {
          token,
          body: { Email: 'x@example.test' },
        }),
        403,
      );
      // ...and once granted Tenant Administrator, the same token can.
      const granted = await t().call('PUT', `/api/v1/Tenants/${tenant.id}/Users/${userId}`, {
        token: tenant.token,
        body: { RoleIds: [tenant.roles['Tenant Administrator']] },
      });
      assert.equal(granted.statusCode, 200, granted.body);
      const created = await t().call('POST', `/api/v1/Tenants/${tenant.id}/Users`, {
        token,
        body: { Email: 'x@example.test' },
      });
      assert.equal(created.statusCode, 201, created.body);
    });

    test('the issuer keys are discovered once and then reused', async () => {
      const sub = `ext-${randomUUID()}`;
      await createExternalUser(tenant, sub);
      for (let i = 0; i < 3; i++) {
        const token = await issuer.sign({ sub, nonce: String(i) });
        assert.equal((await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token })).statusCode, 200);
      }
      assert.equal(issuer.requests.filter((r) => r === '/.well-known/openid-configuration').length, 1);
    });

    test('a token for another audience is a 401', async () => {
      const sub = `ext-${randomUUID()}`;
      await createExternalUser(tenant, sub);
      const token = await issuer.sign({ sub }, { audience: 'some-other-api' });
      const body = assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token }), 401);
      assert.match(body.Reason as string, /aud/);
    });

    test('a token from an issuer that is not trusted is a 401', async () => {
      const sub = `ext-${randomUUID()}`;
      await createExternalUser(tenant, sub);
      const { privateKey } = await generateKeyPair('RS256');
      const token = await new SignJWT({ sub })
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer('https://untrusted.example.test')
        .setAudience(AUDIENCE)
        .setExpirationTime('10m')
        .sign(privateKey);
      const body = assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token }), 401);
      assert.match(body.Reason as string, /does not trust/);
    });

    test('a token naming the trusted issuer but signed by another key is a 401', async () => {
      const sub = `ext-${randomUUID()}`;
      await createExternalUser(tenant, sub);
      const token = await issuer.sign({ sub }, { key: (await generateKeyPair('RS256')).privateKey });
      assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token }), 401);
    });

    test('an expired external token is a 401', async () => {
      const sub = `ext-${randomUUID()}`;
      await createExternalUser(tenant, sub);
      const token = await issuer.sign({ sub }, { expiresInSeconds: -3600 });
      assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token }), 401);
    });

    test('a sub that is no user here is a 401', async () => {
      const token = await issuer.sign({ sub: `unknown-${randomUUID()}` });
      const body = assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token }), 401);
      assert.match(body.Reason as string, /not a user/);
    });

    test('the same sub under another identity provider does not match', async () => {
      const sub = `ext-${randomUUID()}`;
      const response = await t().call('POST', `/api/v1/Tenants/${tenant.id}/Users`, {
        token: tenant.token,
        body: { Email: `${sub}@idp.test`, IdentityProviderId: OTHER_IDP, ExternalUserId: sub },
      });
      assert.equal(response.statusCode, 201, response.body);
      const token = await issuer.sign({ sub });
      assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token }), 401);
    });

    test('a tid that names none of the user’s tenants is ignored (it may be the provider’s own)', async () => {
      const sub = `ext-${randomUUID()}`;
      const userId = await createExternalUser(tenant, sub);
      const token = await issuer.sign({ sub, tid: randomUUID() });
      const me = await t().call('GET', `/api/v1/Tenants/${tenant.id}/Users/${userId}`, { token });
      assert.equal(me.statusCode, 200, me.body);
    });

    test('a deleted user’s external token stops working at once', async () => {
      const sub = `ext-${randomUUID()}`;
      const userId = await createExternalUser(tenant, sub);
      const token = await issuer.sign({ sub });
      assert.equal((await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token })).statusCode, 200);
      const deleted = await t().call('DELETE', `/api/v1/Tenants/${tenant.id}/Users/${userId}`, {
        token: tenant.token,
      });
      assert.equal(deleted.statusCode, 204);
      assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token }), 401);
    });

    test('a person who is a user of several tenants needs a tid claim, which selects the tenant', async () => {
      const sub = `ext-${randomUUID()}`;
      const tenants = [tenant, await t().createTenant(), await t().createTenant()];
      const userIds = [];
      for (const each of tenants) userIds.push(await createExternalUser(each, sub));

      const ambiguous = await issuer.sign({ sub });
      const body = assertErrorResponse(
        await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: ambiguous }),
        401,
      );
      assert.match(body.Reason as string, /several tenants/);

      for (const [i, each] of tenants.entries()) {
        const token = await issuer.sign({ sub, tid: each.id.toUpperCase() });
        const own = await t().call('GET', `/api/v1/Tenants/${each.id}/Users/${userIds[i]}`, { token });
        assert.equal(own.statusCode, 200, `tenant ${i}: ${own.body}`);
        // The principal belongs to that tenant only: the others are not visible.
        const other = tenants[(i + 1) % tenants.length] as TenantFixture;
        assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${other.id}`, { token }), 404);
      }
    });
  });
}
