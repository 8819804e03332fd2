// The invitation pages over HTTP (app.inject) on every engine: each state's page, sign-in by mailed link,
// answering, CSRF, redirects and the security headers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachEngine, type TestApp } from '../support/app.ts';
import {
  Agent,
  field,
  linkIn,
  mailTo,
  outboxTo,
  pathOf,
  type Scenario,
  scenario,
  signIn,
  textOf,
  unique,
} from './support.ts';

const DAY_MS = 24 * 3_600_000;
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const processPath = (id: string) => `/api/v1-preview/communityinvitations/${id}`;

function assertPage(response: LightMyRequestResponse, status: number): string {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(response.headers['content-security-policy'], CSP);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.equal(response.headers['referrer-policy'], 'no-referrer');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.match(response.body, /^<!doctype html>/);
  assert.match(response.body, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  // The CSP allows neither; a page that used them would render broken.
  assert.doesNotMatch(response.body, /<script|\sstyle=|\son[a-z]+=/i);
  return textOf(response.body);
}

async function stateOf(t: TestApp, s: Scenario): Promise<string> {
  const response = await t.call(
    'GET',
    `/api/v1-preview/communities/${s.communityId}/invitations/${s.invitationId}`,
    {
      token: s.owner.token,
    },
  );
  return response.json().State as string;
}

/** A signed-in agent on the invitation page: the page and its form fields. */
async function signedIn(t: TestApp, s: Scenario, email = s.admin.email) {
  const agent = new Agent(t.app);
  const used = await signIn(t, agent, s.page, email);
  assert.equal(used.headers.location, s.page);
  const page = await agent.get(s.page);
  assertPage(page, 200);
  return { agent, page, csrf: field(page.body, 'csrf') };
}

describeEachEngine('invitation pages', (t) => {
  test('the Created page names the community, the inviting tenant, the state and the expiry, escaped', async () => {
    const s = await scenario(t(), {
      communityName: `<script>alert("x")</script> & Co ${unique('c')}`,
      ownerName: `O'Brien <b>Energy</b> ${unique('o')}`,
    });
    const response = await new Agent(t().app).get(s.page);
    const text = assertPage(response, 200);
    assert.ok(text.includes(s.communityName), text);
    assert.ok(text.includes(s.owner.name), text);
    assert.match(text, /Waiting for an answer/);
    assert.match(text, /Expires .*UTC/);
    assert.match(response.body, /data-state="InvitationCreated"/);
    assert.ok(!response.body.includes('<script>alert'), 'the community name is escaped');
    assert.ok(response.body.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co'));
    assert.ok(response.body.includes('O&#39;Brien &lt;b&gt;Energy&lt;/b&gt;'));
    // Signed out: the sign-in form, not the answer buttons.
    assert.match(response.body, new RegExp(`action="/invitations/${s.invitationId}/sign-in"`));
    assert.doesNotMatch(response.body, /\/accept"/);
    assert.match(
      String(response.headers['set-cookie']),
      /^convene_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });

  test('unknown id, missing or malformed token and a non-GUID id are HTML 404 pages', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    for (const url of [
      `/invitations/${crypto.randomUUID()}?token=${s.token}`,
      `/invitations/${s.invitationId}`,
      `/invitations/${s.invitationId}?token=`,
      `/invitations/${s.invitationId}?token=a%20b`,
      `/invitations/not-a-guid?token=${s.token}`,
    ]) {
      const text = assertPage(await agent.get(url), 404);
      assert.match(text, /Invitation not found/, url);
      assert.ok(!text.includes(s.communityName), url);
    }
    // The id is case-insensitive like every id of the service.
    assertPage(await agent.get(s.page.replace(s.invitationId, s.invitationId.toUpperCase())), 200);
  });

  test('a link whose token Resend replaced says a newer e-mail was sent, and shows nothing else', async () => {
    const s = await scenario(t());
    const before = t().mail.sent.length;
    const resent = await t().call('PUT', processPath(s.invitationId), {
      token: s.owner.token,
      body: { Action: 'Resend' },
    });
    assert.equal(resent.statusCode, 202, resent.body);
    const agent = new Agent(t().app);
    const text = assertPage(await agent.get(s.page), 200);
    assert.match(text, /This link has been replaced/);
    assert.match(text, /newer e-mail/);
    assert.ok(!text.includes(s.communityName));
    // A wrong token reads the same: only the current link shows the invitation.
    assert.match(assertPage(await agent.get(`/invitations/${s.invitationId}?token=forged`), 200), /replaced/);
    const mail = await mailTo(t(), s.recipient, new RegExp(s.invitationId), before);
    const current = await agent.get(pathOf(linkIn(mail.text, '/invitations/')));
    assert.match(assertPage(current, 200), /Waiting for an answer/);
  });

  test('an expired invitation asks the inviting tenant to resend it', async () => {
    const s = await scenario(t());
    t().clock.advance(14 * DAY_MS + 1);
    const text = assertPage(await new Agent(t().app).get(s.page), 200);
    assert.match(text, /Expired/);
    assert.match(text, new RegExp(`Ask ${s.owner.name} to resend it`));
    assert.doesNotMatch(text, /Send me a sign-in link/);
  });

  test('sign-in: the same answer for an unknown address, and no mail for it', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    const page = await agent.get(s.page);
    const ask = (email: string) =>
      agent.post(`/invitations/${s.invitationId}/sign-in`, {
        csrf: field(page.body, 'csrf'),
        token: field(page.body, 'token'),
        email,
      });
    const stranger = `${unique('nobody')}@nowhere.test`;
    const known = await ask(s.admin.email.toUpperCase());
    const unknown = await ask(stranger);
    assertPage(known, 200);
    assertPage(unknown, 200);
    assert.equal(
      known.body.replace(s.admin.email.toUpperCase(), 'ADDRESS'),
      unknown.body.replace(stranger, 'ADDRESS'),
    );
    assert.match(textOf(known.body), /Check your e-mail/);
    assert.equal((await outboxTo(t(), stranger)).length, 0);
    const sent = await outboxTo(t(), s.admin.email.toUpperCase());
    assert.equal(sent.length, 1, 'the address matched case-insensitively');
    assert.equal(sent[0]?.kind, 'sign-in-link');
    assert.ok(sent[0]?.text_body.includes(s.guest.name), 'the link names the tenant');
  });

  test('sign-in: the link is stored only as its hash, lasts 15 minutes and leads back to the invitation', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    const page = await agent.get(s.page);
    const before = t().mail.sent.length;
    const requestedAt = t().clock.now().getTime();
    await agent.post(`/invitations/${s.invitationId}/sign-in`, {
      csrf: field(page.body, 'csrf'),
      token: field(page.body, 'token'),
      email: s.admin.email,
    });
    const mail = await mailTo(t(), s.admin.email, /\/sign-in\?token=/, before);
    const link = linkIn(mail.text, '/sign-in');
    assert.ok(link.startsWith('http://convene.test/sign-in?token='));
    const token = new URL(link).searchParams.get('token') as string;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(mail.html.includes(link.replaceAll('&', '&amp;')));
    const rows = await t()
      .store.db.selectFrom('sign_in_links')
      .selectAll()
      .where('user_id', '=', s.admin.id)
      .execute();
    assert.equal(rows.length, 1);
    const row = rows[0] as (typeof rows)[number];
    assert.equal(row.token_hash, sha256(token));
    assert.ok(!JSON.stringify(rows).includes(token), 'the token itself is not stored');
    assert.equal(row.tenant_id, s.guest.id);
    assert.equal(row.return_to, s.page);
    assert.equal(row.used_at, null);
    assert.equal(new Date(row.expires_at).getTime(), requestedAt + 15 * 60_000);
  });

  test('sign-in: a link works once; the session cookie is HttpOnly, SameSite=Lax and not Secure over http', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    const used = await signIn(t(), agent, s.page, s.admin.email);
    assert.equal(used.headers.location, s.page);
    const cookies = ([] as string[]).concat(used.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('convene_session='));
    assert.ok(session, cookies.join('\n'));
    assert.match(
      session,
      /^convene_session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=3600$/,
    );
    assert.ok(
      cookies.some((c) => c.startsWith('convene_csrf=')),
      'a new CSRF token with the new session',
    );
    const row = await t()
      .store.db.selectFrom('sign_in_links')
      .selectAll()
      .where('user_id', '=', s.admin.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(row.used_at, null);

    const mail = await mailTo(t(), s.admin.email, /\/sign-in\?token=/);
    const again = await new Agent(t().app).get(pathOf(linkIn(mail.text, '/sign-in')));
    assert.match(assertPage(again, 410), /already been used/);
    assert.equal(again.headers['set-cookie'], undefined);
    assert.match(assertPage(await agent.get('/sign-in?token=not-a-real-token-at-all'), 404), /not valid/);
    assert.match(assertPage(await agent.get('/sign-in'), 404), /not valid/);
  });

  test('sign-in: a link is expired after 15 minutes', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    const page = await agent.get(s.page);
    const before = t().mail.sent.length;
    await agent.post(`/invitations/${s.invitationId}/sign-in`, {
      csrf: field(page.body, 'csrf'),
      token: field(page.body, 'token'),
      email: s.admin.email,
    });
    const mail = await mailTo(t(), s.admin.email, /\/sign-in\?token=/, before);
    t().clock.advance(15 * 60_000);
    const late = await agent.get(pathOf(linkIn(mail.text, '/sign-in')));
    assert.match(assertPage(late, 410), /has expired/);
    assert.equal(agent.cookies.has('convene_session'), false);
  });

  test('sign-in: a contact e-mail matches too, and an address of users in two tenants gets a link for each', async () => {
    const s = await scenario(t());
    const shared = `${unique('shared')}@both.test`;
    for (const tenant of [s.guest, s.owner]) {
      const created = await t().call('POST', `/api/v1/Tenants/${tenant.id}/Users`, {
        token: tenant.token,
        body: { ContactEmail: shared, GivenName: 'Sam' },
      });
      assert.equal(created.statusCode, 201, created.body);
    }
    const agent = new Agent(t().app);
    const page = await agent.get(s.page);
    const before = t().mail.sent.length;
    await agent.post(`/invitations/${s.invitationId}/sign-in`, {
      csrf: field(page.body, 'csrf'),
      token: field(page.body, 'token'),
      email: ` ${shared} `,
    });
    const mail = await mailTo(t(), shared, /\/sign-in\?token=/, before);
    assert.equal((mail.text.match(/\/sign-in\?token=/g) ?? []).length, 2);
    assert.ok(mail.text.includes(`As a user of ${s.guest.name}:`));
    assert.ok(mail.text.includes(`As a user of ${s.owner.name}:`));
    assert.equal((await outboxTo(t(), shared)).length, 1, 'one message with both links');
  });

  test('sign-in: a user holds at most 5 live links, so a stranger cannot flood the mailbox', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    const page = await agent.get(s.page);
    const form = { csrf: field(page.body, 'csrf'), token: field(page.body, 'token'), email: s.admin.email };
    const answers = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const response = await agent.post(`/invitations/${s.invitationId}/sign-in`, form);
      assertPage(response, 200);
      answers.add(response.body);
    }
    assert.equal(answers.size, 1, 'the answer does not change when no mail is sent');
    assert.equal((await outboxTo(t(), s.admin.email)).filter((m) => m.kind === 'sign-in-link').length, 5);
    // Once the links have expired, a new one can be asked for.
    t().clock.advance(15 * 60_000);
    await agent.post(`/invitations/${s.invitationId}/sign-in`, form);
    assert.equal((await outboxTo(t(), s.admin.email)).filter((m) => m.kind === 'sign-in-link').length, 6);
  });

  test('sign-in: an invalid address re-renders the form with the reason', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    const page = await agent.get(s.page);
    const response = await agent.post(`/invitations/${s.invitationId}/sign-in`, {
      csrf: field(page.body, 'csrf'),
      token: field(page.body, 'token'),
      email: 'not an address<>',
    });
    const text = assertPage(response, 400);
    assert.match(text, /That is not an e-mail address/);
    assert.ok(response.body.includes('value="not an address&lt;&gt;"'));
  });

  test('a signed-in Tenant Administrator accepts with a prefilled contact e-mail, then sees Accepted', async () => {
    const s = await scenario(t());
    const { agent, page, csrf } = await signedIn(t(), s);
    const text = textOf(page.body);
    assert.match(
      text,
      new RegExp(
        `Signed in as ${s.admin.email.replace('.', '\\.')} ?, user of ${s.guest.name} \\(Tenant Administrator\\)`,
      ),
    );
    assert.equal(field(page.body, 'contactEmail'), s.admin.email);
    assert.match(page.body, /Accept the invitation/);
    assert.match(page.body, /Decline the invitation/);

    const accepted = await agent.post(`/invitations/${s.invitationId}/accept`, {
      csrf,
      token: s.token,
      contactEmail: 'ops@guest.test',
    });
    assert.equal(accepted.statusCode, 303, accepted.body);
    assert.equal(accepted.headers.location, s.page);
    const after = assertPage(await agent.get(s.page), 200);
    assert.match(after, /Accepted, awaiting confirmation/);
    assert.match(after, new RegExp(`${s.guest.name} accepted this invitation`));
    assert.match(after, /Withdraw the acceptance/);
    assert.equal(await stateOf(t(), s), 'InvitationAccepted');
    const api = await t().call('GET', `/api/v1-preview/tenants/${s.guest.id}/communityinvitations`, {
      token: s.guest.token,
    });
    assert.equal(api.json()[0].AcceptedUserEmail, s.admin.email);

    // The issuer confirms over the API; the page then says the tenant joined.
    const confirmed = await t().call('PUT', processPath(s.invitationId), {
      token: s.owner.token,
      body: { Action: 'Confirm' },
    });
    assert.equal(confirmed.statusCode, 202, confirmed.body);
    const done = assertPage(await agent.get(s.page), 200);
    assert.match(done, /Completed/);
    assert.match(done, new RegExp(`${s.guest.name} is now an active member of ${s.communityName}`));
  });

  test('declining from the page, and withdrawing an acceptance, end in the Declined page', async () => {
    const s = await scenario(t());
    const { agent, csrf } = await signedIn(t(), s);
    const declined = await agent.post(`/invitations/${s.invitationId}/decline`, { csrf, token: s.token });
    assert.equal(declined.statusCode, 303, declined.body);
    const text = assertPage(await agent.get(s.page), 200);
    assert.match(text, /Declined/);
    assert.match(text, /ask .* for a new invitation/);
    assert.equal(await stateOf(t(), s), 'InvitationDeclined');

    const s2 = await scenario(t());
    const second = await signedIn(t(), s2);
    await second.agent.post(`/invitations/${s2.invitationId}/accept`, {
      csrf: second.csrf,
      token: s2.token,
      contactEmail: s2.admin.email,
    });
    const withdrawn = await second.agent.post(`/invitations/${s2.invitationId}/decline`, {
      csrf: second.csrf,
      token: s2.token,
    });
    assert.equal(withdrawn.statusCode, 303, withdrawn.body);
    assert.equal(await stateOf(t(), s2), 'InvitationDeclined');
  });

  test('the service refuses a user without Tenant Administrator (403) and the owner’s administrator (409), in the page', async () => {
    const s = await scenario(t());
    const plain = await t().createUser(s.guest, { email: `${unique('plain')}@guest.test` });
    const user = await signedIn(t(), s, plain.email);
    assert.match(textOf(user.page.body), /your user does not hold that role/);
    const refused = await user.agent.post(`/invitations/${s.invitationId}/accept`, {
      csrf: user.csrf,
      token: s.token,
      contactEmail: plain.email,
    });
    const text = assertPage(refused, 403);
    assert.match(text, /The invitation could not be accepted/);
    assert.match(text, /You may not .* only a Tenant Administrator/);
    assert.match(text, /Waiting for an answer/);

    const ownerAdmin = await t().createUser(s.owner, { admin: true, email: `${unique('boss')}@owner.test` });
    const owner = await signedIn(t(), s, ownerAdmin.email);
    const conflict = await owner.agent.post(`/invitations/${s.invitationId}/accept`, {
      csrf: owner.csrf,
      token: s.token,
      contactEmail: ownerAdmin.email,
    });
    assert.match(assertPage(conflict, 409), /already a member of this community/);

    // A missing contact e-mail is the service's 400, shown the same way.
    const admin = await signedIn(t(), s);
    const missing = await admin.agent.post(`/invitations/${s.invitationId}/accept`, {
      csrf: admin.csrf,
      token: s.token,
    });
    assert.match(assertPage(missing, 400), /ContactEmail is required/);
    assert.equal(await stateOf(t(), s), 'InvitationCreated');
  });

  test('answering without a session, or with a stale link, changes nothing', async () => {
    const s = await scenario(t());
    const agent = new Agent(t().app);
    const page = await agent.get(s.page);
    const csrf = field(page.body, 'csrf');
    const anonymous = await agent.post(`/invitations/${s.invitationId}/accept`, {
      csrf,
      token: s.token,
      contactEmail: 'a@b.test',
    });
    assert.match(assertPage(anonymous, 401), /You are not signed in/);
    // A session cookie that no longer authenticates is dropped, not trusted.
    agent.cookies.set('convene_session', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
    const stale = await agent.get(s.page);
    assertPage(stale, 200);
    assert.equal(agent.cookies.has('convene_session'), false);

    const { agent: signed, csrf: csrf2 } = await signedIn(t(), s);
    await t().call('PUT', processPath(s.invitationId), { token: s.owner.token, body: { Action: 'Resend' } });
    const superseded = await signed.post(`/invitations/${s.invitationId}/accept`, {
      csrf: csrf2,
      token: s.token,
      contactEmail: 'a@b.test',
    });
    assert.match(assertPage(superseded, 409), /This link has been replaced/);
    assert.equal(await stateOf(t(), s), 'InvitationCreated');
  });

  test('CSRF: a post without the token, with another token or from another origin is refused', async () => {
    const s = await scenario(t());
    const { agent, csrf } = await signedIn(t(), s);
    const accept = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      agent.post(
        `/invitations/${s.invitationId}/accept`,
        { token: s.token, contactEmail: s.admin.email, ...form },
        headers,
      );
    const before = await t().snapshot();
    for (const [form, headers] of [
      [{}, {}],
      [{ csrf: '' }, {}],
      [{ csrf: `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}` }, {}],
      [{ csrf }, { origin: 'https://evil.test' }],
      [{ csrf }, { origin: 'http://convene.test.evil.test' }],
      [{ csrf }, { 'sec-fetch-site': 'cross-site' }],
      [{ csrf }, { 'sec-fetch-site': 'same-site' }],
    ] as [Record<string, string>, Record<string, string>][]) {
      const refused = await accept(form, headers);
      assert.match(
        assertPage(refused, 403),
        /The form could not be accepted/,
        JSON.stringify([form, headers]),
      );
    }
    // The cookie is the other half: a matching field without the cookie is refused too.
    const other = new Agent(t().app);
    other.cookies.set('convene_session', agent.cookies.get('convene_session') as string);
    assertPage(await other.post(`/invitations/${s.invitationId}/decline`, { csrf, token: s.token }), 403);
    for (const path of [`/invitations/${s.invitationId}/sign-in`, '/sign-out']) {
      assertPage(await agent.post(path, { token: s.token, email: s.admin.email }), 403);
    }
    assert.deepEqual(await t().snapshot(), before);
    // A same-origin post from a browser passes.
    const ok = await accept({ csrf }, { origin: 'http://convene.test', 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.statusCode, 303, ok.body);
  });

  test('no open redirect: a link or sign-out leads only to an invitation page of this service', async () => {
    const s = await scenario(t());
    const hostile = [
      '//evil.test/x',
      'https://evil.test/',
      '/\\evil.test',
      '/invitations/../admin',
      `/invitations/${s.invitationId}?token=x&next=//evil.test`,
    ];
    for (const returnTo of hostile) {
      const token = `${unique('tok')}-0123456789abcdef`;
      await t()
        .store.db.insertInto('sign_in_links')
        .values({
          token_hash: sha256(token),
          user_id: s.admin.id,
          tenant_id: s.guest.id,
          return_to: returnTo,
          expires_at: new Date(t().clock.now().getTime() + 60_000).toISOString(),
          used_at: null,
        })
        .execute();
      const response = await new Agent(t().app).get(`/sign-in?token=${token}`);
      assert.equal(response.headers.location, undefined, returnTo);
      assert.match(assertPage(response, 200), /You are signed in/);
    }
    const { agent } = await signedIn(t(), s);
    for (const returnTo of hostile) {
      // Each sign-out rotates the CSRF token: read the current one from the page.
      const csrf = field((await agent.get(s.page)).body, 'csrf');
      const out = await agent.post('/sign-out', { csrf, returnTo });
      assert.equal(out.headers.location, undefined, returnTo);
      assert.match(assertPage(out, 200), /You are signed out/);
    }
  });

  test('sign-out clears the session and returns to the invitation, signed out', async () => {
    const s = await scenario(t());
    const { agent, page, csrf } = await signedIn(t(), s);
    assert.equal(field(page.body, 'returnTo'), s.page.replaceAll('&', '&amp;'));
    const out = await agent.post('/sign-out', { csrf, returnTo: s.page });
    assert.equal(out.statusCode, 303, out.body);
    assert.equal(out.headers.location, s.page);
    assert.match(
      String(out.headers['set-cookie']),
      /convene_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/,
    );
    assert.equal(agent.cookies.has('convene_session'), false);
    const after = await agent.get(s.page);
    assert.match(assertPage(after, 200), /Send me a sign-in link/);
    // The old CSRF token died with the session.
    assert.notEqual(field(after.body, 'csrf'), csrf);
  });

  test('the stylesheet and icon are served from this origin; errors inside pages are pages too', async () => {
    const css = await t().call('GET', '/assets/convene.css');
    assert.equal(css.statusCode, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.headers['x-content-type-options'], 'nosniff');
    assert.match(css.body, /button/);
    const icon = await t().call('GET', '/assets/favicon.svg');
    assert.equal(icon.headers['content-type'], 'image/svg+xml');

    const s = await scenario(t());
    const tooLarge = await t().app.inject({
      method: 'POST',
      url: `/invitations/${s.invitationId}/sign-in`,
      payload: `email=${'a'.repeat(20_000)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.match(assertPage(tooLarge, 413), /too large/);
    const wrongType = await t().app.inject({
      method: 'POST',
      url: `/invitations/${s.invitationId}/sign-in`,
      payload: 'email=x',
      headers: { 'content-type': 'text/plain' },
    });
    assertPage(wrongType, 415);
    // HEAD answers like GET, without a body.
    const head = await t().app.inject({ method: 'HEAD', url: s.page });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-security-policy'], CSP);
    // The pages are not part of the API description.
    const openapi = (await t().call('GET', '/openapi.json')).json() as { paths: Record<string, unknown> };
    assert.ok(
      !Object.keys(openapi.paths).some((p) => p.startsWith('/invitations') || p.startsWith('/sign-')),
    );
  });
});

describeEachEngine(
  'invitation pages over https',
  (t) => {
    test('cookies are __Host- prefixed and Secure', async () => {
      const s = await scenario(t());
      const agent = new Agent(t().app);
      const opened = await agent.get(s.page);
      assert.match(
        String(opened.headers['set-cookie']),
        /^__Host-convene_csrf=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
      );
      const used = await signIn(t(), agent, s.page, s.admin.email);
      const session = ([] as string[])
        .concat(used.headers['set-cookie'] ?? [])
        .find((c) => c.startsWith('__Host-convene_session='));
      assert.match(String(session), /; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600$/);
      const page = await agent.get(s.page);
      assert.match(assertPage(page, 200), /Signed in as/);
      const ok = await agent.post(
        `/invitations/${s.invitationId}/decline`,
        { csrf: field(page.body, 'csrf'), token: s.token },
        { origin: 'https://convene.test' },
      );
      assert.equal(ok.statusCode, 303, ok.body);
    });
  },
  { env: { CONVENE_PUBLIC_URL: 'https://convene.test' } },
);
