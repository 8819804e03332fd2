// The security review of SECURITY.md, as far as it can be tested: token validation (algorithm, issuer,
// audience, lifetime, claims, and that the verified-token cache keeps no principal alive), the headers of
// every answer, size and time limits, e-mail header injection, link tokens cut from delivered mail, SQL only
// through bound parameters, and the constant-time comparisons.
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { hashSecret, secretMatches } from '../../src/identity/secrets.ts';
import { folderMailer } from '../../src/mail/mailer.ts';
import { withoutLinkTokens } from '../../src/mail/outbox.ts';
import { csrfMatches } from '../../src/web/session.ts';
import {
  assertErrorResponse,
  describeEachEngine,
  OPERATOR,
  startTestApp,
  type TenantFixture,
  type TestApp,
} from '../support/app.ts';
import { testEngines } from '../support/engines.ts';
import { createCommunity } from '../support/fixtures.ts';

const SECOND = 1000;

/** Signs `claims` with the service's own key (read from its key file), as a valid token but for the claims. */
async function ownKeySigner(t: TestApp) {
  const jwk = JSON.parse(fs.readFileSync(t.config.signingKeyFile, 'utf8')) as JWK;
  return {
    jwk,
    sign: async (claims: JWTPayload, header: { alg?: string; typ?: string } = {}) => {
      const alg = header.alg ?? 'RS256';
      const key = await importJWK(jwk, alg);
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: jwk.kid as string, typ: header.typ ?? 'at+jwt' })
        .sign(key);
    },
  };
}

/** The claims the service itself puts in a client's token, valid now. */
function clientClaims(t: TestApp, tenant: TenantFixture): JWTPayload {
  const now = Math.floor(t.clock.now().getTime() / SECOND);
  return {
    iss: `${t.config.publicUrl}/identity`,
    aud: 'convene',
    sub: tenant.clientId,
    tid: tenant.id,
    principal_type: 'client',
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: randomUUID(),
  };
}

const without = (claims: JWTPayload, name: string): JWTPayload =>
  Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name));

describeEachEngine('security: bearer tokens', (t) => {
  const status = async (token: string, tenantId: string) =>
    (await t().call('GET', `/api/v1/Tenants/${tenantId}/Users`, { token })).statusCode;

  test('a token with the service’s claims and signature is accepted (the baseline of the cases below)', async () => {
    const tenant = await t().createTenant();
    const { sign } = await ownKeySigner(t());
    assert.equal(await status(await sign(clientClaims(t(), tenant)), tenant.id), 200);
  });

  test('the algorithm is pinned to RS256: another RSA algorithm, HS256 keyed with the public key, or none is a 401', async () => {
    const tenant = await t().createTenant();
    const { jwk, sign } = await ownKeySigner(t());
    const claims = clientClaims(t(), tenant);
    for (const alg of ['RS512', 'PS256']) {
      assertErrorResponse(
        await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: await sign(claims, { alg }) }),
        401,
      );
    }
    // The classic confusion: a verifier that trusts the header's alg would take the public key as an HMAC key.
    const publicPem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid as string })
      .sign(new TextEncoder().encode(String(publicPem)));
    assertErrorResponse(await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: hmac }), 401);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    assertErrorResponse(
      await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: `${header}.${body}.` }),
      401,
    );
  });

  test('issuer and audience are checked: another issuer is not trusted, another or no audience is refused', async () => {
    const tenant = await t().createTenant();
    const { sign } = await ownKeySigner(t());
    const claims = clientClaims(t(), tenant);
    const cases: JWTPayload[] = [
      { ...claims, iss: 'http://attacker.test/identity' },
      { ...claims, iss: `${t().config.publicUrl}/identity/` },
      { ...claims, aud: 'another-api' },
      without(claims, 'aud'),
      without(claims, 'iss'),
    ];
    for (const bad of cases) {
      const response = await t().call('GET', `/api/v1/Tenants/${tenant.id}`, { token: await sign(bad) });
      assertErrorResponse(response, 401);
    }
  });

  test('lifetime: exp is required; nbf and exp are checked with at most 60 s of clock skew', async () => {
    const tenant = await t().createTenant();
    const { sign } = await ownKeySigner(t());
    const claims = clientClaims(t(), tenant);
    const now = claims.iat as number;
    assert.equal(await status(await sign(without(claims, 'exp')), tenant.id), 401);
    assert.equal(await status(await sign({ ...claims, nbf: now + 30 }), tenant.id), 200, 'within the skew');
    assert.equal(await status(await sign({ ...claims, nbf: now + 120 }), tenant.id), 401, 'not yet valid');
    assert.equal(await status(await sign({ ...claims, exp: now - 30 }), tenant.id), 200, 'within the skew');
    assert.equal(await status(await sign({ ...claims, exp: now - 120 }), tenant.id), 401, 'expired');
  });

  test('the claims must name a principal of the tenant they name: tid, sub and principal_type are checked against the store', async () => {
    const tenant = await t().createTenant();
    const other = await t().createTenant();
    const user = await t().createUser(tenant);
    const { sign } = await ownKeySigner(t());
    const claims = clientClaims(t(), tenant);
    const cases: [string, JWTPayload][] = [
      ['no tid', without(claims, 'tid')],
      ['no sub', without(claims, 'sub')],
      ['an unknown principal_type', { ...claims, principal_type: 'admin' }],
      ['no principal_type', without(claims, 'principal_type')],
      ['A’s client under tenant B', { ...claims, tid: other.id }],
      ['a user id as a client', { ...claims, sub: user.id }],
      ['a client id as a user', { ...claims, principal_type: 'user' }],
      [
        'an operator token for another id',
        { ...claims, principal_type: 'operator', tid: '', sub: 'not-the-operator' },
      ],
    ];
    for (const [label, bad] of cases) {
      const response = await t().call('GET', `/api/v1/Tenants/${other.id}`, { token: await sign(bad) });
      assert.equal(response.statusCode, 401, label);
    }
    // The operator's own id in an operator token is the operator (the key is the service's only).
    const operator = await sign({ ...claims, principal_type: 'operator', tid: '', sub: OPERATOR.id });
    assert.equal(await status(operator, tenant.id), 200);
  });

  test('the verified-token cache keeps no principal alive: disable, delete and role changes apply to a cached token at once', async () => {
    const tenant = await t().createTenant();
    const created = await t().call('POST', `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients`, {
      token: tenant.token,
      body: { Name: 'Cached', RoleIds: [tenant.roles['Tenant Administrator']] },
    });
    const client = created.json() as { ClientId: string; ClientSecret: string };
    const token = await t().tokenFor(client.ClientId, client.ClientSecret);
    const url = `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients/${client.ClientId}`;
    const users = `/api/v1/Tenants/${tenant.id}/Users`;
    const newUser = { Email: `cached-${randomUUID()}@example.test` };
    assert.equal((await t().call('GET', users, { token })).statusCode, 200, 'verified, and now cached');

    // Roles are read per request: without Tenant Administrator the cached token may no longer create users.
    await t().call('PUT', url, { token: tenant.token, body: { Name: 'Cached', RoleIds: [] } });
    assertErrorResponse(await t().call('POST', users, { token, body: newUser }), 403);
    await t().call('PUT', url, {
      token: tenant.token,
      body: { Name: 'Cached', RoleIds: [tenant.roles['Tenant Administrator']] },
    });
    assert.equal((await t().call('POST', users, { token, body: newUser })).statusCode, 201);

    await t().call('PUT', url, { token: tenant.token, body: { Name: 'Cached', Enabled: false } });
    assertErrorResponse(await t().call('GET', users, { token }), 401);
    await t().call('PUT', url, { token: tenant.token, body: { Name: 'Cached', Enabled: true } });
    assert.equal((await t().call('GET', users, { token })).statusCode, 200);

    assert.equal((await t().call('DELETE', url, { token: tenant.token })).statusCode, 204);
    assertErrorResponse(await t().call('GET', users, { token }), 401);
  });
});

for (const engine of testEngines()) {
  describe(`security: a trusted issuer that cannot be reached [${engine}]`, () => {
    // Anyone may send tokens that name a trusted issuer (the issuer is read before the signature can be
    // checked): while its discovery fails, the service must not ask it again for every such token.
    let healthy = false;
    let discoveries = 0;
    let server: http.Server;
    let app: TestApp;
    let url = '';
    let sign: (claims: JWTPayload) => Promise<string>;

    before(async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
      server = http.createServer((request, response) => {
        if (request.url === '/.well-known/openid-configuration') discoveries++;
        if (!healthy) return void response.writeHead(503).end();
        const body = request.url === '/keys' ? jwks : { issuer: url, jwks_uri: `${url}/keys` };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      app = await startTestApp(engine, {
        env: {
          CONVENE_TRUSTED_ISSUERS: JSON.stringify([
            { Issuer: url, IdentityProviderId: randomUUID(), Audience: 'convene-test' },
          ]),
        },
      });
      sign = async (claims) => {
        const now = Math.floor(app.clock.now().getTime() / SECOND);
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(url)
          .setAudience('convene-test')
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(privateKey);
      };
    });
    after(async () => {
      await app?.close();
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    });

    test('one discovery per 30 s while it fails, shared by concurrent requests; then the keys are used', async () => {
      const tenant = await app.createTenant();
      const tenantUrl = `/api/v1/Tenants/${tenant.id}`;
      const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => sign({ sub: `someone-${i}` })));
      const answers = await Promise.all(tokens.map((token) => app.call('GET', tenantUrl, { token })));
      for (const answer of answers) assertErrorResponse(answer, 401);
      assert.equal(discoveries, 1, 'concurrent tokens share one discovery');
      for (const token of tokens) assertErrorResponse(await app.call('GET', tenantUrl, { token }), 401);
      assert.equal(discoveries, 1, 'no new discovery within 30 s of the failure');

      healthy = true;
      app.clock.advance(31 * SECOND);
      const later = await sign({ sub: 'nobody-here' });
      const body = assertErrorResponse(await app.call('GET', tenantUrl, { token: later }), 401);
      assert.equal(discoveries, 2, 'asked again after 30 s');
      // The keys were found and the signature checked: the 401 is now about the user, not the issuer.
      assert.match(body.Reason as string, /not a user/);
    });
  });
}

describeEachEngine('security: headers of every answer', (t) => {
  test('API answers, errors included, carry X-Content-Type-Options: nosniff and Cache-Control: no-store', async () => {
    const tenant = await t().createTenant();
    const answers = {
      probe: await t().call('GET', '/health/live'),
      list: await t().call('GET', `/api/v1/Tenants/${tenant.id}/Users`, { token: tenant.token }),
      count: await t().call('HEAD', `/api/v1/Tenants/${tenant.id}/Users`, { token: tenant.token }),
      // The secret is shown once: no cache may keep the answer that shows it.
      secret: await t().call('POST', `/api/v1-preview/Tenants/${tenant.id}/ClientCredentialClients`, {
        token: tenant.token,
        body: { Name: 'Shown once', RoleIds: [] },
      }),
      unauthorized: await t().call('GET', `/api/v1/Tenants/${tenant.id}`),
      unknownRoute: await t().call('GET', '/api/v1/Nothing', { token: tenant.token }),
      wrongMethod: await t().call('PATCH', `/api/v1/Tenants/${tenant.id}`, { token: tenant.token }),
      // Rejected by the router before any hook runs (frameworkErrors).
      badUrl: await t().call('GET', '/api/v1/Tenants/%E0%A4%A', { token: tenant.token }),
      tooLongParam: await t().call('GET', `/api/v1/Tenants/${'a'.repeat(150)}`, { token: tenant.token }),
      token: await t().app.inject({
        method: 'POST',
        url: '/identity/connect/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: tenant.clientId,
          client_secret: tenant.secret,
        }).toString(),
      }),
    };
    assert.equal(answers.secret.statusCode, 201);
    for (const [name, response] of Object.entries(answers)) {
      assert.equal(response.headers['x-content-type-options'], 'nosniff', name);
      assert.equal(response.headers['cache-control'], 'no-store', name);
      assert.ok(response.headers['operation-id'], name);
    }
    assertErrorResponse(answers.badUrl, 400);
    assertErrorResponse(answers.tooLongParam, 400);
  });

  test('pages keep their own strict policy; their stylesheet keeps its own cache lifetime', async () => {
    const page = await t().call('GET', `/invitations/${randomUUID()}?token=nothing-here`);
    assert.equal(page.statusCode, 404);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
      "base-uri 'none'",
    ]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.ok(!/unsafe-inline|unsafe-eval|\*/.test(csp), 'no unsafe source and no wildcard');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const css = await t().call('GET', '/assets/convene.css');
    assert.match(String(css.headers['cache-control']), /max-age=3600/);
  });
});

describeEachEngine('security: size and time limits', (t) => {
  test('a JSON body over 256 KiB is a 413; a token form over 16 KiB is a 413 in the RFC 6749 shape', async () => {
    const tenant = await t().createTenant();
    const big = { Name: 'x'.repeat(300 * 1024) };
    assertErrorResponse(
      await t().call('POST', '/api/v1-preview/Communities', { token: tenant.token, body: big }),
      413,
    );
    const form = await t().app.inject({
      method: 'POST',
      url: '/identity/connect/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=x&client_secret=${'x'.repeat(20 * 1024)}`,
    });
    assert.equal(form.statusCode, 413);
    assert.equal(form.json().error, 'invalid_request');
  });

  test('over a real socket: headers over 16 KiB are refused (431), a request must arrive within 60 s, /docs opens nothing else', async () => {
    const app = t().app;
    assert.equal(app.server.requestTimeout, 60_000, 'a slow sender cannot hold a connection for ever');
    assert.ok(app.server.headersTimeout > 0 && app.server.headersTimeout <= 60_000);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const port = Number(new URL(address).port);
    const statusLine = (headerBytes: number, target = '/health/live') =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString('latin1');
          if (received.includes('\r\n')) {
            socket.destroy();
            resolve(received.split('\r\n')[0] as string);
          }
        });
        socket.on('error', reject);
        socket.write(
          `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(headerBytes)}\r\nConnection: close\r\n\r\n`,
        );
      });
    assert.match(await statusLine(12 * 1024), /^HTTP\/1\.1 200/);
    assert.match(await statusLine(20 * 1024), /^HTTP\/1\.1 431/);
    // The documentation is public; nothing else is, however its path begins (the URL is not normalised).
    assert.match(await statusLine(0, '/DOCS/json'), /^HTTP\/1\.1 200/);
    for (const target of [
      '/docs/../api/v1/Tenants',
      '/docs/%2e%2e/api/v1/Tenants',
      '/docs//../../api/v1/Tenants',
    ]) {
      assert.match(await statusLine(0, target), /^HTTP\/1\.1 (401|404)/, target);
    }
  });
});

describeEachEngine('security: mail', (t) => {
  test('no input can add a mail header or a recipient: names are one line, addresses are single and plain', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(
      t(),
      owner,
      'Wells\r\nBcc: stolen@attacker.test\r\nX-Injected: yes',
    );
    const base = `/api/v1-preview/communities/${community.Id}/invitations`;
    for (const recipient of [
      'guest@guest.test\r\nBcc: stolen@attacker.test',
      'guest@guest.test\nstolen@attacker.test',
      'guest@guest.test, stolen@attacker.test',
      'guest@guest.test;stolen@attacker.test',
      '"Guest" <guest@guest.test>',
      'guest@guest.test%0d%0aBcc:stolen@attacker.test',
    ]) {
      const response = await t().call('POST', base, {
        token: owner.token,
        body: { InvitationRecipient: recipient },
      });
      assertErrorResponse(response, 400);
    }
    const recipient = `guest-${randomUUID()}@guest.test`;
    const invited = await t().call('POST', base, {
      token: owner.token,
      body: { InvitationRecipient: recipient },
    });
    assert.equal(invited.statusCode, 201, invited.body);
    const deadline = Date.now() + 5000;
    let message = t().mail.sent.find((m) => m.to === recipient);
    while (message === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      message = t().mail.sent.find((m) => m.to === recipient);
    }
    assert.ok(message, 'the invitation was mailed');

    // The message as the .eml adapter (and SMTP, through the same nodemailer) writes it.
    const folder = await mkdtemp(path.join(os.tmpdir(), 'convene-mail-'));
    try {
      const mailer = folderMailer(folder, 'Convene <no-reply@convene.test>');
      await mailer.send(message);
      mailer.close();
      const [file] = await readdir(folder);
      const raw = await readFile(path.join(folder, file as string), 'utf8');
      const head = raw.slice(0, raw.indexOf('\n\n'));
      const names = head
        .split('\n')
        .filter((line) => !/^[ \t]/.test(line))
        .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
      assert.ok(!names.includes('bcc') && !names.includes('x-injected'), `headers: ${names.join(', ')}`);
      assert.equal(names.filter((n) => n === 'to').length, 1);
      assert.equal(names.filter((n) => n === 'subject').length, 1);
      assert.match(head, new RegExp(`^To: ${recipient.replace(/[.]/g, '\\.')}$`, 'm'));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('a delivered message keeps no live link token in the store; the mail itself had it', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner);
    const recipient = `scrub-${randomUUID()}@guest.test`;
    const invited = await t().call('POST', `/api/v1-preview/communities/${community.Id}/invitations`, {
      token: owner.token,
      body: { InvitationRecipient: recipient },
    });
    assert.equal(invited.statusCode, 201);
    const deadline = Date.now() + 5000;
    let row: { text_body: string; html_body: string; sent_at: string | null } | undefined;
    while (Date.now() < deadline) {
      row = await t()
        .store.db.selectFrom('outbox')
        .select(['text_body', 'html_body', 'sent_at'])
        .where('recipient', '=', recipient)
        .executeTakeFirst();
      if (row?.sent_at) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(row?.sent_at, 'delivered');
    const mail = t().mail.sent.find((m) => m.to === recipient);
    const token = /\?token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
    assert.ok(token && token.length >= 32, 'the mail carried the link token');
    assert.ok(!row.text_body.includes(token) && !row.html_body.includes(token), 'the stored copy does not');
    assert.match(row.text_body, new RegExp(`/invitations/${invited.json().Id}\\?token=\\[sent\\]`));
  });

  test('withoutLinkTokens cuts the tokens of invitation and sign-in links, in text and in HTML', () => {
    const text = 'Open http://x.test/invitations/1?token=abc_DEF-123 or http://x.test/sign-in?token=Zz9 now';
    assert.equal(
      withoutLinkTokens(text),
      'Open http://x.test/invitations/1?token=[sent] or http://x.test/sign-in?token=[sent] now',
    );
    assert.equal(withoutLinkTokens('<a href="/a?x=1&amp;token=abc">'), '<a href="/a?x=1&amp;token=[sent]">');
  });
});

describe('security: comparisons of secrets', () => {
  test('client secrets and link tokens are compared as SHA-256 digests in constant time, whatever the lengths', () => {
    const secret = 'k7Q2x9Lr0sTq4vW8yZ1a3b5c7d9e0f2g4h6i8j0k2l4';
    assert.ok(secretMatches(secret, hashSecret(secret)));
    for (const wrong of ['', 'k', `${secret}x`, secret.slice(0, -1), 'x'.repeat(10_000)]) {
      assert.equal(secretMatches(wrong, hashSecret(secret)), false);
    }
    // A stored hash of another length (corrupt) is a mismatch, not an exception.
    assert.equal(secretMatches(secret, 'abc'), false);
  });

  test('the CSRF field must repeat the cookie, compared in constant time whatever the lengths', () => {
    const cookie = 'c'.repeat(43);
    assert.ok(csrfMatches(cookie, cookie));
    for (const field of [undefined, '', 'c', `${cookie}c`, 'd'.repeat(43), 'c'.repeat(5000)]) {
      assert.equal(csrfMatches(cookie, field), false);
    }
    assert.equal(csrfMatches('short', 'short'), false, 'a cookie this service did not write is refused');
  });
});

describe('security: SQL only through bound parameters', () => {
  test('no raw SQL, no literal or identifier built from a value, and no query text put together from pieces', () => {
    const root = new URL('../../src/', import.meta.url);
    const files = (fs.readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) =>
      f.endsWith('.ts'),
    );
    assert.ok(files.length > 20);
    const rules: [RegExp, string][] = [
      [/\bsql\s*\.\s*(raw|lit)\s*\(/, 'sql.raw/sql.lit put text into the query unbound'],
      [
        /\bsql\s*\.\s*(id|ref|table)\s*\(\s*[^'"\s]/,
        'an identifier from a value (only string literals are allowed)',
      ],
      [/CompiledQuery\s*\.\s*raw\s*\(/, 'CompiledQuery.raw'],
      [/\.(query|prepare|exec|pragma)\s*\(\s*`[^`]*\$\{/, 'query text built with a template'],
      [/\.(query|prepare|exec|pragma)\s*\(\s*['"][^'"]*['"]\s*\+/, 'query text built by concatenation'],
    ];
    const findings: string[] = [];
    for (const file of files) {
      const source = fs.readFileSync(new URL(file, root), 'utf8');
      for (const [pattern, why] of rules) {
        if (pattern.test(source)) findings.push(`src/${file}: ${why}`);
      }
    }
    assert.deepEqual(findings, []);
  });
});
