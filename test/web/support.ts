// Helpers for the page tests: a cookie-keeping agent over app.inject, an invitation ready to open, and the
// mail the pages cause.
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { MailMessage } from '../../src/mail/mailer.ts';
import type { TenantFixture, TestApp } from '../support/app.ts';

let counter = 0;
export const unique = (prefix: string) => `${prefix}-${++counter}-${Date.now().toString(36)}`;

/** A browser as far as the pages care: it keeps cookies and posts urlencoded forms. */
export class Agent {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return { ...(cookie === '' ? {} : { cookie }), ...extra };
  }

  absorb(response: LightMyRequestResponse): LightMyRequestResponse {
    const raw = response.headers['set-cookie'];
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const line of list) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (attributes.some((a) => a.toLowerCase() === 'max-age=0') || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.absorb(await this.app.inject({ method: 'GET', url, headers: this.headers(headers) }));
  }

  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    return this.absorb(
      await this.app.inject({
        method: 'POST',
        url,
        payload: new URLSearchParams(form).toString(),
        headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
      }),
    );
  }
}

/** The value of a hidden field of the page (the first one of that name). */
export function field(body: string, name: string): string {
  const match = new RegExp(`name="${name}"[^>]*? value="([^"]*)"`).exec(body);
  assert.ok(match, `no field ${name} in the page`);
  return match[1] as string;
}

/** The visible text of a page, tags removed and whitespace folded, for readable assertions. */
export const textOf = (body: string) =>
  body
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

/** Waits for a message to `to` whose text matches `pattern`, among those sent after the first `after`. */
export async function mailTo(t: TestApp, to: string, pattern: RegExp, after = 0): Promise<MailMessage> {
  const started = Date.now();
  for (;;) {
    const found = t.mail.sent
      .slice(after)
      .filter((m) => m.to.toLowerCase() === to.toLowerCase() && pattern.test(m.text));
    const last = found.at(-1);
    if (last !== undefined) return last;
    if (Date.now() - started > 5000) throw new Error(`no mail to ${to} matching ${pattern}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Outbox rows addressed to `to` (delivered or not): what a request asked to send. */
export async function outboxTo(t: TestApp, to: string) {
  return t.store.db.selectFrom('outbox').selectAll().where('recipient', '=', to).execute();
}

export const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

export const linkIn = (text: string, path: '/invitations/' | '/sign-in') => {
  const match = new RegExp(`https?://[^\\s/]+${path.replace('?', '\\?')}[^\\s]*`).exec(text);
  assert.ok(match, `no ${path} link in: ${text}`);
  return match[0];
};

export interface Scenario {
  owner: TenantFixture;
  guest: TenantFixture;
  communityId: string;
  communityName: string;
  invitationId: string;
  /** The invitation page's path with its token, as mailed. */
  page: string;
  token: string;
  recipient: string;
  admin: { id: string; email: string; token: string };
}

/** An owner's community, an invitation to a guest tenant whose administrator has an e-mail address. */
export async function scenario(
  t: TestApp,
  options: { communityName?: string; ownerName?: string } = {},
): Promise<Scenario> {
  const owner = await t.createTenant(options.ownerName ?? unique('Owner'));
  const guest = await t.createTenant(unique('Guest'));
  const admin = await t.createUser(guest, { admin: true, email: `${unique('admin')}@guest.test` });
  const communityName = options.communityName ?? unique('Basin');
  const community = await t.call('POST', '/api/v1-preview/Communities', {
    token: owner.token,
    body: { Name: communityName, ContactEmail: `${unique('owner')}@owner.test` },
  });
  assert.equal(community.statusCode, 201, community.body);
  const communityId = community.json().Id as string;
  const recipient = admin.email;
  const created = await t.call('POST', `/api/v1-preview/communities/${communityId}/invitations`, {
    token: owner.token,
    body: { InvitationRecipient: recipient },
  });
  assert.equal(created.statusCode, 201, created.body);
  const invitationId = created.json().Id as string;
  const mail = await mailTo(t, recipient, new RegExp(invitationId));
  const page = pathOf(linkIn(mail.text, '/invitations/'));
  const token = new URL(page, 'http://x').searchParams.get('token') as string;
  return { owner, guest, communityId, communityName, invitationId, page, token, recipient, admin };
}

/** Signs the agent in through the page's form and the mailed link; returns where the link led. */
export async function signIn(
  t: TestApp,
  agent: Agent,
  page: string,
  email: string,
): Promise<LightMyRequestResponse> {
  const opened = await agent.get(page);
  assert.equal(opened.statusCode, 200, opened.body);
  const invitationId = /\/invitations\/([^?]+)/.exec(page)?.[1] as string;
  const before = t.mail.sent.length;
  const asked = await agent.post(`/invitations/${invitationId}/sign-in`, {
    csrf: field(opened.body, 'csrf'),
    token: field(opened.body, 'token'),
    email,
  });
  assert.equal(asked.statusCode, 200, asked.body);
  const mail = await mailTo(t, email, /\/sign-in\?token=/, before);
  const used = await agent.get(pathOf(linkIn(mail.text, '/sign-in')));
  assert.equal(used.statusCode, 303, used.body);
  return used;
}
