// The whole invitation handshake as people do it: a real listening server, mail over real SMTP, and a
// headless Chromium that opens the mailed links, signs in and answers. The issuing side confirms over the
// API. Screenshots of every page state go to test-results/screenshots/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { smtpMailer } from '../../src/mail/mailer.ts';
import { startTestApp, type TenantFixture, type TestApp, TestClock } from '../support/app.ts';
import { testEngines } from '../support/engines.ts';
import { type ReceivedMail, type SmtpSink, startSmtpSink } from '../support/mail.ts';
import { freePort } from '../support/net.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');
const FROM = 'Convene <no-reply@convene.test>';
const DAY_MS = 24 * 3_600_000;
const skip = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium); CI installs it`;

/** The text/plain part of a raw message as it crossed SMTP, transfer encoding undone. */
function plainText(raw: string): string {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  const parts = boundary === undefined ? [raw] : raw.split(`--${boundary}`);
  for (const part of parts) {
    const split = part.indexOf('\r\n\r\n');
    const head = part.slice(0, split);
    const body = part.slice(split + 4);
    if (boundary !== undefined && !/content-type:\s*text\/plain/i.test(head)) continue;
    const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
    if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (encoding === 'quoted-printable') {
      const bytes = body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    return body;
  }
  throw new Error('no text/plain part');
}

describe('the invitation handshake in a browser', { skip, timeout: 300_000 }, () => {
  for (const engine of testEngines()) {
    describe(`[${engine}]`, () => {
      let sink: SmtpSink;
      let t: TestApp;
      let browser: Browser;
      let context: BrowserContext;
      let page: Page;
      let base: string;
      const clock = new TestClock();
      const problems: string[] = [];
      const posts: string[] = [];

      before(async () => {
        mkdirSync(SCREENSHOTS, { recursive: true });
        sink = await startSmtpSink();
        const port = await freePort();
        base = `http://127.0.0.1:${port}`;
        t = await startTestApp(engine, {
          env: { CONVENE_PUBLIC_URL: base, CONVENE_MAIL_FROM: FROM },
          clock,
          mailer: smtpMailer(sink.url, FROM),
        });
        await t.app.listen({ host: '127.0.0.1', port });
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        });
        // A phone: the pages must read without zooming or scrolling sideways.
        context = await browser.newContext({
          viewport: { width: 390, height: 844 },
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
        });
        page = await context.newPage();
        // A page answered with an error status is logged as a failed load: only subresources count.
        page.on('console', (message) => {
          const text = message.text();
          if (
            (message.type() === 'error' || message.type() === 'warning') &&
            !text.startsWith('Failed to load resource')
          )
            problems.push(text);
        });
        page.on('response', (response) => {
          if (response.request().resourceType() !== 'document' && response.status() >= 400)
            problems.push(`${response.status()} ${response.url()}`);
        });
        // What the CSRF check sees from a real browser on a page with Referrer-Policy: no-referrer.
        page.on('request', async (request) => {
          if (request.method() !== 'POST') return;
          const headers = await request.allHeaders();
          posts.push(`${headers.origin} ${headers['sec-fetch-site']}`);
        });
        page.on('pageerror', (error) => problems.push(error.message));
      });

      after(async () => {
        await browser?.close();
        await t?.close();
        await sink?.close();
      });

      /** The newest mail to `to` whose text matches, after the first `after` received. */
      async function mailFor(
        to: string,
        pattern: RegExp,
        after = 0,
      ): Promise<{ mail: ReceivedMail; text: string }> {
        const started = Date.now();
        for (;;) {
          for (const mail of sink.received.slice(after).reverse()) {
            if (!mail.to.includes(to)) continue;
            const text = plainText(mail.raw);
            if (pattern.test(text)) return { mail, text };
          }
          if (Date.now() - started > 15_000) throw new Error(`no mail to ${to} matching ${pattern}`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }

      const linkIn = (text: string, route: string) => {
        const match = new RegExp(`${base.replace(/[.]/g, '\\.')}${route}[^\\s]+`).exec(text);
        assert.ok(match, `no ${route} link in:\n${text}`);
        return match[0];
      };

      /** Over the listening server, as any API client would call it. */
      async function api(method: string, url: string, token: string, body?: unknown) {
        const response = await fetch(`${base}${url}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, text, json: () => JSON.parse(text) };
      }

      async function shot(name: string): Promise<void> {
        // Readable on a phone: nothing wider than the screen.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than the phone`);
        await page.screenshot({ path: path.join(SCREENSHOTS, `${engine}-${name}.png`), fullPage: true });
      }

      const textOf = async (selector: string) => (await page.locator(selector).textContent()) ?? '';
      const heading = () => textOf('h1');
      const stateBadge = () => page.locator('[data-state]').getAttribute('data-state');

      async function invite(owner: TenantFixture, communityId: string, recipient: string) {
        const received = sink.received.length;
        const created = await api(
          'POST',
          `/api/v1-preview/communities/${communityId}/invitations`,
          owner.token,
          {
            InvitationRecipient: recipient,
          },
        );
        assert.equal(created.status, 201, created.text);
        const id = created.json().Id as string;
        const { mail, text } = await mailFor(recipient, new RegExp(id), received);
        assert.match(mail.raw, /^Subject: .*invites you to the community/m);
        return { id, link: linkIn(text, '/invitations/') };
      }

      /** Asks for a sign-in link on the open invitation page and follows it from the mail. */
      async function signInAs(email: string, screenshot?: string): Promise<string> {
        const received = sink.received.length;
        await page.getByLabel('Your e-mail address').fill(email);
        await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
        await page.waitForLoadState();
        assert.equal(await heading(), 'Check your e-mail');
        if (screenshot !== undefined) await shot(screenshot);
        const { text } = await mailFor(email, /\/sign-in\?token=/, received);
        const link = linkIn(text, '/sign-in');
        await page.goto(link);
        assert.match(await textOf('.session'), new RegExp(`Signed in as ${email}`));
        return link;
      }

      test('invitation mail → sign in by mailed link → accept → the owner confirms → the tenant is Active', async () => {
        const owner = await t.createTenant('Northwind Energy');
        const guest = await t.createTenant('Contoso Wind & Solar');
        const admin = await t.createUser(guest, { admin: true, email: 'ada@contoso.test' });
        const community = await api('POST', '/api/v1-preview/Communities', owner.token, {
          Name: 'North Sea Basin',
          ContactEmail: 'partners@northwind.test',
        });
        assert.equal(community.status, 201, community.text);
        const communityId = community.json().Id as string;

        // The invitation e-mail arrives over SMTP with the link to the page.
        const invitation = await invite(owner, communityId, admin.email);
        assert.ok(invitation.link.startsWith(`${base}/invitations/${invitation.id}?token=`));

        const opened = await page.goto(invitation.link);
        assert.equal(opened?.status(), 200);
        const headers = (await opened?.allHeaders()) ?? {};
        assert.match(headers['content-security-policy'] ?? '', /^default-src 'none'; style-src 'self'/);
        assert.equal(headers['referrer-policy'], 'no-referrer');
        assert.equal(await heading(), 'Northwind Energy invites your organisation to North Sea Basin');
        assert.equal(await stateBadge(), 'InvitationCreated');
        // The stylesheet loaded under the CSP (a button has its touch-sized height).
        const minHeight = await page
          .getByRole('button', { name: 'Send me a sign-in link' })
          .evaluate((button) => getComputedStyle(button).minHeight);
        assert.equal(minHeight, '44px');
        await shot('01-invitation-signed-out');

        const signInLink = await signInAs(admin.email, '02-check-your-email');
        assert.equal(page.url(), invitation.link, 'the sign-in link led back to the invitation');
        const cookies = await context.cookies(base);
        const session = cookies.find((c) => c.name === 'convene_session');
        assert.ok(session?.httpOnly && session.sameSite === 'Lax' && !session.secure);
        const contact = page.getByLabel(/Contact e-mail for Contoso Wind & Solar/);
        assert.equal(await contact.inputValue(), admin.email, 'prefilled with the signed-in user’s e-mail');
        await shot('03-signed-in-created');

        const received = sink.received.length;
        await contact.fill('operations@contoso.test');
        await page.getByRole('button', { name: 'Accept the invitation' }).click();
        await page.waitForLoadState();
        assert.equal(await stateBadge(), 'InvitationAccepted');
        assert.match(await textOf('main'), /Contoso Wind & Solar accepted this invitation/);
        await shot('04-accepted');

        // The issuing side hears of it, and confirms over the API.
        const notice = await mailFor('partners@northwind.test', /accepted your invitation/, received);
        assert.match(
          notice.text,
          new RegExp(`PUT ${base}/api/v1-preview/communityinvitations/${invitation.id}`),
        );
        const confirmed = await api(
          'PUT',
          `/api/v1-preview/communityinvitations/${invitation.id}`,
          owner.token,
          {
            Action: 'Confirm',
          },
        );
        assert.equal(confirmed.status, 202, confirmed.text);
        const joined = await mailFor('operations@contoso.test', /now an active member/, received);
        assert.match(joined.text, /North Sea Basin/);

        const read = await api('GET', `/api/v1-preview/Communities/${communityId}`, guest.token);
        assert.equal(read.status, 200, read.text);
        const member = (read.json().Tenants as { Id: string; Status: string; ContactEmail?: string }[]).find(
          (m) => m.Id === guest.id,
        );
        assert.deepEqual([member?.Status, member?.ContactEmail], ['Active', 'operations@contoso.test']);

        await page.reload();
        assert.equal(await stateBadge(), 'InvitationCompleted');
        await shot('05-completed');

        // The sign-in link was single-use.
        await page.goto(signInLink);
        assert.equal(await heading(), 'This sign-in link has already been used');
        await shot('06-sign-in-link-used');

        // A second invitation to another tenant: resent (the first link is superseded), refused to a
        // user without the role, then declined by its administrator after signing out and in again.
        const other = await t.createTenant('Fabrikam Grid');
        const viewer = await t.createUser(other, { email: 'vic@fabrikam.test' });
        const otherAdmin = await t.createUser(other, { admin: true, email: 'olga@fabrikam.test' });
        const first = await invite(owner, communityId, otherAdmin.email);
        const beforeResend = sink.received.length;
        const resent = await api('PUT', `/api/v1-preview/communityinvitations/${first.id}`, owner.token, {
          Action: 'Resend',
        });
        assert.equal(resent.status, 202, resent.text);
        const newer = await mailFor(otherAdmin.email, new RegExp(first.id), beforeResend);
        const currentLink = linkIn(newer.text, '/invitations/');
        assert.notEqual(currentLink, first.link);
        await page.goto(first.link);
        assert.equal(await heading(), 'This link has been replaced');
        await shot('07-superseded');

        await page.goto(currentLink);
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForLoadState();
        assert.equal(page.url(), currentLink);
        assert.equal(await page.locator('.session').count(), 0, 'signed out');
        await signInAs(viewer.email);
        await page.getByRole('button', { name: 'Accept the invitation' }).click();
        await page.waitForLoadState();
        assert.match(await textOf('[role=alert]'), /could not be accepted[\s\S]*You may not/);
        assert.equal(await stateBadge(), 'InvitationCreated');
        await shot('08-refused-without-role');

        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForLoadState();
        await signInAs(otherAdmin.email);
        await page.getByRole('button', { name: 'Decline the invitation' }).click();
        await page.waitForLoadState();
        assert.equal(await stateBadge(), 'InvitationDeclined');
        await shot('09-declined');

        // An invitation nobody answered in time.
        const late = await invite(owner, communityId, 'someone@tailspin.test');
        clock.advance(15 * DAY_MS);
        await page.goto(late.link);
        assert.equal(await stateBadge(), 'InvitationExpired');
        assert.match(await textOf('main'), /Ask Northwind Energy to resend it/);
        await shot('10-expired');

        const missing = await page.goto(`${base}/invitations/${crypto.randomUUID()}?token=nothing-here`);
        assert.equal(missing?.status(), 404);
        assert.equal(await heading(), 'Invitation not found');
        await shot('11-not-found');

        assert.deepEqual(problems, [], 'no CSP violation, failed subresource or script error in any page');
        // Chromium sends `Origin: null` under no-referrer; Sec-Fetch-Site still tells a same-origin form.
        assert.ok(posts.length >= 6);
        assert.deepEqual(new Set(posts), new Set(['null same-origin']));
      });
    });
  }
});
