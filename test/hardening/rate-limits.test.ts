// Abuse limits on both engines: the token endpoint per client id and per address (RFC 6749 JSON, 429,
// Retry-After), invitation e-mails per recipient and per tenant per day (ErrorResponse, nothing changed),
// sign-in links per e-mail address and per client address (a page that says so). Counters live in the
// store and are swept when their window has ended.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { RateLimiter, rateRules } from '../../src/http/rate-limit.ts';
import { describeEachEngine, type TenantFixture, type TestApp } from '../support/app.ts';
import {
  act,
  actOk,
  adminToken,
  createCommunity,
  DAY_MS,
  invite,
  paths,
  readInvitation,
  rejectedWithoutChange,
} from '../support/invitations.ts';
import { Agent, field, outboxTo, scenario, textOf, unique } from '../web/support.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

function tokenRequest(
  t: TestApp,
  form: Record<string, string>,
  options: { ip?: string; basic?: [string, string] } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.basic !== undefined) {
    headers.authorization = `Basic ${Buffer.from(options.basic.map(encodeURIComponent).join(':')).toString('base64')}`;
  }
  return t.app.inject({
    method: 'POST',
    url: '/identity/connect/token',
    headers,
    payload: new URLSearchParams({ grant_type: 'client_credentials', ...form }).toString(),
    ...(options.ip === undefined ? {} : { remoteAddress: options.ip }),
  });
}

const credentials = (tenant: TenantFixture) => ({ client_id: tenant.clientId, client_secret: tenant.secret });

/** A 429 of the token endpoint: RFC 6749 JSON with `error`, Retry-After within the minute. */
function assertSlowDown(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 429, response.body);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.ok(response.headers['operation-id']);
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  const body = response.json();
  assert.equal(body.error, 'slow_down');
  assert.equal(typeof body.error_description, 'string');
}

/** Moves the clock to the start of the next minute, so a test starts with fresh windows. */
const nextWindow = (t: TestApp, ms = MINUTE_MS) => t.clock.advance(ms - (t.clock.now().getTime() % ms));

describeEachEngine(
  'rate limits: token endpoint',
  (t) => {
    test('per client id: beyond the limit a 429 slow_down with Retry-After; other clients still get tokens', async () => {
      const a = await t().createTenant();
      const b = await t().createTenant();
      nextWindow(t());
      // Each from its own address, so that only the per-client limit is in play.
      let host = 0;
      const ip = () => `192.0.2.${++host}`;
      for (let i = 0; i < 3; i++) {
        assert.equal((await tokenRequest(t(), credentials(a), { ip: ip() })).statusCode, 200);
      }
      const refused = await tokenRequest(t(), credentials(a), { ip: ip() });
      assertSlowDown(refused);
      assert.match(refused.json().error_description, /client id/);
      const other = await tokenRequest(t(), credentials(b), { ip: ip() });
      assert.equal(other.statusCode, 200, 'another client is not held up');
      // HTTP Basic names the same client: counted the same.
      assertSlowDown(await tokenRequest(t(), {}, { basic: [a.clientId, a.secret], ip: ip() }));
      // The client id is compared case-insensitively, as GUIDs are.
      const upper = { ...credentials(a), client_id: a.clientId.toUpperCase() };
      assertSlowDown(await tokenRequest(t(), upper, { ip: ip() }));
      t().clock.advance(Number(refused.headers['retry-after']) * 1000);
      assert.equal((await tokenRequest(t(), credentials(a))).statusCode, 200, 'the next window is open');
    });

    test('wrong secrets count too: guessing is limited like any other request', async () => {
      const a = await t().createTenant();
      nextWindow(t());
      for (let i = 0; i < 3; i++) {
        const wrong = await tokenRequest(t(), { ...credentials(a), client_secret: `guess-${i}` });
        assert.equal(wrong.statusCode, 401);
      }
      assertSlowDown(await tokenRequest(t(), credentials(a)));
    });

    test('per address: one address is refused across client ids; another address is not', async () => {
      const a = await t().createTenant();
      nextWindow(t());
      const ip = '203.0.113.7';
      for (let i = 0; i < 6; i++) {
        const response = await tokenRequest(t(), { client_id: `unknown-${i}`, client_secret: 'x' }, { ip });
        assert.equal(response.statusCode, 401);
      }
      const refused = await tokenRequest(t(), credentials(a), { ip });
      assertSlowDown(refused);
      assert.match(refused.json().error_description, /address/);
      assert.equal((await tokenRequest(t(), credentials(a), { ip: '203.0.113.8' })).statusCode, 200);
    });

    test('the OpenAPI document declares the 429', async () => {
      const doc = (await t().call('GET', '/openapi.json')).json();
      assert.ok(doc.paths['/identity/connect/token'].post.responses['429']);
    });
  },
  { env: { CONVENE_RATE_TOKEN_PER_CLIENT_PER_MINUTE: '3', CONVENE_RATE_TOKEN_PER_IP_PER_MINUTE: '6' } },
);

describeEachEngine(
  'rate limits: invitation e-mails',
  (t) => {
    const counters = (t: TestApp) =>
      t.store.db.selectFrom('rate_limit_counters').selectAll().orderBy('scope').orderBy('key').execute();

    test('per recipient: the third invitation e-mail of the day to one address is a 429 that changes nothing', async () => {
      const owner = await t().createTenant();
      const other = await t().createTenant();
      const recipient = `${unique('many')}@recipient.test`;
      // A day's window from its start; the tenants' tokens do not live that long, so they are fetched anew.
      nextWindow(t(), DAY_MS);
      let token = await adminToken(t(), owner);
      const otherToken = await adminToken(t(), other);
      const c1 = await createCommunity(t(), token);
      const c2 = await createCommunity(t(), token);
      const c3 = await createCommunity(t(), token);
      const c4 = await createCommunity(t(), otherToken);
      const first = await invite(t(), token, c1.Id, recipient);
      // A refused duplicate (409) is rolled back with its count.
      const duplicate = await t().call('POST', paths.invitations(c1.Id), {
        token,
        body: { InvitationRecipient: recipient },
      });
      assert.equal(duplicate.statusCode, 409);
      await invite(t(), token, c2.Id, recipient.toUpperCase());

      const before = await counters(t());
      const inviteTo = (communityId: string, as: string) =>
        t().call('POST', paths.invitations(communityId), {
          token: as,
          body: { InvitationRecipient: recipient },
        });
      const body = await rejectedWithoutChange(t(), 429, () => inviteTo(c3.Id, token));
      assert.match(body.Reason, /this recipient today/);
      assert.match(body.Resolution, /Retry-After/);
      assert.deepEqual(await counters(t()), before, 'the refused request is not even counted');
      const refused = await inviteTo(c3.Id, token);
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= DAY_MS / 1000, `Retry-After ${retryAfter}`);

      // Resend is an invitation e-mail too; and the limit protects the recipient from every tenant.
      const issued = (await readInvitation(t(), token, c1.Id, first.Id)).Issued;
      await rejectedWithoutChange(t(), 429, () => act(t(), token, first.Id, { Action: 'Resend' }));
      assert.equal((await readInvitation(t(), token, c1.Id, first.Id)).Issued, issued);
      await rejectedWithoutChange(t(), 429, () => inviteTo(c4.Id, otherToken));

      // The next day the recipient may be invited again.
      t().clock.advance(retryAfter * 1000);
      token = await adminToken(t(), owner);
      await invite(t(), token, c3.Id, recipient);
      await actOk(t(), token, first.Id, { Action: 'Resend' }, 202);
    });

    test('per tenant: the fifth invitation e-mail of the day from one tenant is a 429', async () => {
      const owner = await t().createTenant();
      const other = await t().createTenant();
      nextWindow(t(), DAY_MS);
      let token = await adminToken(t(), owner);
      const otherToken = await adminToken(t(), other);
      const community = await createCommunity(t(), token);
      const elsewhere = await createCommunity(t(), otherToken);
      const sent = [];
      for (let i = 0; i < 3; i++) sent.push(await invite(t(), token, community.Id, `${unique('r')}@t.test`));
      await actOk(t(), token, (sent[0] as { Id: string }).Id, { Action: 'Resend' }, 202);
      const body = await rejectedWithoutChange(t(), 429, () =>
        t().call('POST', paths.invitations(community.Id), {
          token,
          body: { InvitationRecipient: `${unique('r')}@t.test` },
        }),
      );
      assert.match(body.Reason, /Your tenant has sent too many invitations today \(at most 4 a day\)/);
      await invite(t(), otherToken, elsewhere.Id, `${unique('r')}@t.test`);
      t().clock.advance(DAY_MS);
      token = await adminToken(t(), owner);
      await invite(t(), token, community.Id, `${unique('r')}@t.test`);
    });

    test('the OpenAPI document declares the 429 on create and process', async () => {
      const doc = (await t().call('GET', '/openapi.json')).json();
      assert.ok(doc.paths['/api/v1-preview/communities/{communityId}/invitations'].post.responses['429']);
      assert.ok(doc.paths['/api/v1-preview/communityinvitations/{invitationId}'].put.responses['429']);
    });
  },
  {
    env: {
      CONVENE_RATE_INVITATIONS_PER_RECIPIENT_PER_DAY: '2',
      CONVENE_RATE_INVITATIONS_PER_TENANT_PER_DAY: '4',
    },
  },
);

/** Posts the sign-in form of the invitation page from `ip`, as the agent (its cookies). */
async function askForLink(t: TestApp, agent: Agent, page: string, email: string, ip = '127.0.0.1') {
  const opened = await agent.get(page);
  const invitationId = /\/invitations\/([^?]+)/.exec(page)?.[1] as string;
  const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return t.app.inject({
    method: 'POST',
    url: `/invitations/${invitationId}/sign-in`,
    remoteAddress: ip,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      csrf: field(opened.body, 'csrf'),
      token: field(opened.body, 'token'),
      email,
    }).toString(),
  });
}

describeEachEngine(
  'rate limits: sign-in links',
  (t) => {
    test('per e-mail address: beyond the limit the page says so (429, Retry-After) and no mail is written', async () => {
      const s = await scenario(t());
      const agent = new Agent(t().app);
      nextWindow(t(), HOUR_MS);
      // Each from its own address, so that only the per-e-mail limit is in play.
      let host = 0;
      const ip = () => `192.0.2.${++host}`;
      for (let i = 0; i < 2; i++) {
        assert.equal((await askForLink(t(), agent, s.page, s.admin.email, ip())).statusCode, 200);
      }
      const mailBefore = (await outboxTo(t(), s.admin.email)).length;
      const refused = await askForLink(t(), agent, s.page, ` ${s.admin.email.toUpperCase()} `, ip());
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(refused.headers['cache-control'], 'no-store');
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
      const text = textOf(refused.body);
      assert.match(text, /Too many sign-in links were asked for/);
      assert.match(text, /Try again in \d+ (minute|second)s?/);
      assert.match(refused.body, /Send me a sign-in link/, 'the form is still there');
      assert.equal((await outboxTo(t(), s.admin.email)).length, mailBefore);

      // An address that matches no user is refused the same way: the limit tells nothing about users.
      const stranger = `${unique('nobody')}@nowhere.test`;
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await askForLink(t(), agent, s.page, stranger, ip()));
      assert.deepEqual(
        answers.map((r) => r.statusCode),
        [200, 200, 429],
      );

      t().clock.advance(retryAfter * 1000);
      assert.equal((await askForLink(t(), agent, s.page, s.admin.email, ip())).statusCode, 200);
    });

    test('per client address: many addresses from one network are refused; another network is not', async () => {
      const s = await scenario(t());
      const agent = new Agent(t().app);
      nextWindow(t(), HOUR_MS);
      const ip = '198.51.100.4';
      for (let i = 0; i < 4; i++) {
        const response = await askForLink(t(), agent, s.page, `${unique('probe')}@nowhere.test`, ip);
        assert.equal(response.statusCode, 200);
      }
      const refused = await askForLink(t(), agent, s.page, s.admin.email, ip);
      assert.equal(refused.statusCode, 429);
      assert.match(textOf(refused.body), /from your network/);
      assert.equal((await askForLink(t(), agent, s.page, s.admin.email, '198.51.100.5')).statusCode, 200);
    });
  },
  { env: { CONVENE_RATE_SIGN_IN_PER_EMAIL_PER_HOUR: '2', CONVENE_RATE_SIGN_IN_PER_IP_PER_HOUR: '4' } },
);

describeEachEngine('rate limits: counters in the store', (t) => {
  const rules = (limit: number) =>
    rateRules({
      tokenPerClientPerMinute: limit,
      tokenPerIpPerMinute: limit,
      invitationsPerRecipientPerDay: limit,
      invitationsPerTenantPerDay: limit,
      signInPerEmailPerHour: limit,
      signInPerIpPerHour: limit,
    });

  test('concurrent hits are counted exactly: with a limit of 10, 10 of 25 pass', async () => {
    const limiter = new RateLimiter(t().store.db, t().clock, rules(10));
    const key = unique('burst');
    const results = await Promise.all(
      Array.from({ length: 25 }, () => limiter.hit([{ rule: limiter.rules.tokenPerClient, key }])),
    );
    assert.equal(results.filter((r) => r === undefined).length, 10);
    const rows = await t()
      .store.db.selectFrom('rate_limit_counters')
      .select('hits')
      .where('scope', '=', 'token-client')
      .execute();
    assert.ok(rows.some((r) => Number(r.hits) === 25));
  });

  test('a limit of 0 counts nothing and refuses nothing', async () => {
    const limiter = new RateLimiter(t().store.db, t().clock, rules(0));
    const before = await t().store.db.selectFrom('rate_limit_counters').selectAll().execute();
    for (let i = 0; i < 5; i++) {
      assert.equal(await limiter.hit([{ rule: limiter.rules.signInPerEmail, key: 'a@b.test' }]), undefined);
    }
    assert.deepEqual(await t().store.db.selectFrom('rate_limit_counters').selectAll().execute(), before);
  });

  test('counted values are stored only as digests', async () => {
    const limiter = new RateLimiter(t().store.db, t().clock, rules(5));
    const email = `${unique('private')}@example.test`;
    await limiter.hit([{ rule: limiter.rules.signInPerEmail, key: email }]);
    const rows = await t().store.db.selectFrom('rate_limit_counters').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(email));
  });

  test('counters of ended windows are swept, by the limiter and after responses', async () => {
    const limiter = new RateLimiter(t().store.db, t().clock, rules(5));
    await limiter.hit([{ rule: limiter.rules.tokenPerIp, key: unique('ip') }]);
    const live = () => t().store.db.selectFrom('rate_limit_counters').select('expires_at').execute();
    assert.ok((await live()).length > 0);
    t().clock.advance(2 * DAY_MS);
    // The app sweeps after a response, at most once a minute; the clock has moved two days.
    await t().call('GET', '/health/live');
    const started = Date.now();
    while ((await live()).length > 0 && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await live(), []);
    await limiter.hit([{ rule: limiter.rules.tokenPerIp, key: unique('ip') }]);
    t().clock.advance(MINUTE_MS);
    assert.equal(await limiter.sweep(), 1);
  });
});

test('configuration: limits have defaults, accept 0 (no limit) and refuse anything else, naming the key', () => {
  const base = { CONVENE_DATA_DIR: '/tmp/convene-config-test' };
  assert.deepEqual(loadConfig(base).rateLimits, {
    tokenPerClientPerMinute: 120,
    tokenPerIpPerMinute: 600,
    invitationsPerRecipientPerDay: 10,
    invitationsPerTenantPerDay: 500,
    signInPerEmailPerHour: 10,
    signInPerIpPerHour: 100,
  });
  assert.equal(
    loadConfig({ ...base, CONVENE_RATE_TOKEN_PER_CLIENT_PER_MINUTE: '0' }).rateLimits.tokenPerClientPerMinute,
    0,
  );
  for (const [key, value] of [
    ['CONVENE_RATE_TOKEN_PER_IP_PER_MINUTE', '-1'],
    ['CONVENE_RATE_INVITATIONS_PER_TENANT_PER_DAY', 'many'],
    ['CONVENE_RATE_SIGN_IN_PER_EMAIL_PER_HOUR', '2.5'],
    ['CONVENE_RATE_INVITATIONS_PER_RECIPIENT_PER_DAY', '1000001'],
  ] as const) {
    assert.throws(
      () => loadConfig({ ...base, [key]: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes(key) && error.message.includes(value),
    );
  }
});
