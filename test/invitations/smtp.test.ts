// Invitation mail through a real SMTP server (smtp-server in this process) with the production SMTP
// mailer: what arrives on the wire, that no input can add a header, and that an outage is survived: the
// outbox records the failure, retries after its backoff and delivers every message exactly once.
import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { smtpMailer } from '../../src/mail/mailer.ts';
import { backoffMs } from '../../src/mail/outbox.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testEngines } from '../support/engines.ts';
import { createCommunity, invite } from '../support/invitations.ts';
import { type SmtpSink, startSmtpSink } from '../support/mail.ts';

const FROM = 'Convene <no-reply@convene.test>';

// A small reader for the messages nodemailer writes: headers (unfolded, RFC 2047 words decoded) and the
// decoded parts of a multipart body.

interface Header {
  name: string;
  value: string;
}

interface Part {
  headers: Header[];
  contentType: string;
  body: string;
}

interface ParsedMail {
  head: string;
  headers: Header[];
  parts: Part[];
}

const decodeWords = (value: string) =>
  value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
  );

function splitEntity(raw: string): { head: string; headers: Header[]; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? '' : raw.slice(end + 4);
  const headers = head
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => {
      const colon = line.indexOf(':');
      return {
        name: line.slice(0, colon).trim().toLowerCase(),
        value: decodeWords(line.slice(colon + 1).trim()),
      };
    });
  return { head, headers, body };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable':
      return Buffer.from(
        body
          .replace(/=\r\n/g, '')
          .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        'latin1',
      ).toString('utf8');
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

const header = (headers: Header[], name: string) => headers.find((h) => h.name === name)?.value;

function parseMail(raw: string): ParsedMail {
  const { head, headers, body } = splitEntity(raw);
  const leaves: Part[] = [];
  const collect = (entityHeaders: Header[], entityBody: string) => {
    const type = header(entityHeaders, 'content-type') ?? 'text/plain';
    const inner = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && inner !== undefined) {
      for (const chunk of entityBody.split(`--${inner}`).slice(1)) {
        if (chunk.startsWith('--')) break;
        const part = splitEntity(chunk.replace(/^\r\n/, ''));
        collect(part.headers, part.body);
      }
      return;
    }
    leaves.push({
      headers: entityHeaders,
      contentType: type.split(';')[0]?.trim().toLowerCase() ?? '',
      body: decodeBody(entityBody, header(entityHeaders, 'content-transfer-encoding')),
    });
  };
  collect(headers, body);
  return { head, headers, parts: leaves };
}

/** No header anywhere in the message (top level or any part) carries a recipient beyond `To`. */
function assertNoInjectedHeaders(mail: ParsedMail, raw: string): void {
  for (const h of [...mail.headers, ...mail.parts.flatMap((p) => p.headers)]) {
    assert.ok(
      !['bcc', 'cc', 'reply-to', 'sender'].includes(h.name),
      `unexpected header ${h.name}: ${h.value}`,
    );
  }
  assert.doesNotMatch(mail.head, /^(bcc|cc):/im);
  assert.doesNotMatch(raw, /^bcc:/im, 'no line of the message starts a Bcc header');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const engine of testEngines()) {
  describe(`invitation mail over SMTP [${engine}]`, () => {
    let sink: SmtpSink;
    let app: TestApp | undefined;
    const t = () => {
      if (app === undefined) throw new Error('test app not started');
      return app;
    };

    before(async () => {
      sink = await startSmtpSink();
      app = await startTestApp(engine, { mailer: smtpMailer(sink.url, FROM) });
    });
    after(async () => {
      await app?.close();
      await sink.close();
    });

    const received = (to: string) => sink.received.filter((m) => m.to.includes(to));

    test('the invitation arrives: envelope, headers, both parts, and the link', async () => {
      const owner = await t().createTenant('Acme Owner');
      const community = await createCommunity(t(), owner.token, { Name: 'Basin Operators' });
      const recipient = 'Invitee@guest.test';
      const invitation = await invite(t(), owner.token, community.Id, `  ${recipient} `);
      const [mail] = await until('the invitation mail', async () => {
        const found = received(recipient);
        return found.length > 0 ? found : undefined;
      });
      assert.ok(mail !== undefined);
      assert.equal(mail.from, 'no-reply@convene.test');
      assert.deepEqual(mail.to, [recipient]);

      const parsed = parseMail(mail.raw);
      assert.equal(header(parsed.headers, 'from'), FROM);
      assert.equal(header(parsed.headers, 'to'), recipient);
      assert.equal(
        header(parsed.headers, 'subject'),
        'Acme Owner invites you to the community Basin Operators',
      );
      assert.equal(parsed.headers.filter((h) => h.name === 'subject').length, 1);
      assert.match(header(parsed.headers, 'content-type') ?? '', /^multipart\/alternative/);
      assert.deepEqual(
        parsed.parts.map((p) => p.contentType),
        ['text/plain', 'text/html'],
      );
      const link = new RegExp(
        `http://convene\\.test/invitations/${invitation.Id}\\?token=[A-Za-z0-9_-]{20,}`,
      );
      const [text, html] = parsed.parts;
      assert.match(text?.body ?? '', link);
      assert.match(text?.body ?? '', /Basin Operators/);
      assert.match(html?.body ?? '', new RegExp(`href="${link.source}"`));
      assert.match(html?.body ?? '', /<html/);
      assert.doesNotMatch(text?.body ?? '', /<p>/, 'the text part is plain text');
    });

    test('a line break in a community or tenant name cannot add a header', async () => {
      const owner = await t().createTenant('Mallory\r\nBcc: tenant-spy@y.test');
      const guest = await t().createTenant('Guest\r\nCc: guest-spy@y.test');
      const community = await createCommunity(t(), owner.token, {
        Name: 'Evil\r\nBcc: x@y.test',
        ContactEmail: 'owner@owner.test',
      });
      const recipient = 'target@guest.test';
      const invitation = await invite(t(), owner.token, community.Id, recipient);
      const accepted = await t().call('PUT', `/api/v1-preview/communityinvitations/${invitation.Id}`, {
        token: guest.token,
        body: { Action: 'Accept', ContactEmail: 'guest@guest.test' },
      });
      assert.equal(accepted.statusCode, 202, accepted.body);

      const [invitationMail] = await until('the invitation mail', async () => {
        const found = received(recipient);
        return found.length > 0 ? found : undefined;
      });
      const [acceptedMail] = await until('the accepted mail', async () => {
        const found = received('owner@owner.test');
        return found.length > 0 ? found : undefined;
      });
      for (const [mail, to, subject] of [
        [
          invitationMail,
          recipient,
          'Mallory Bcc: tenant-spy@y.test invites you to the community Evil Bcc: x@y.test',
        ],
        [
          acceptedMail,
          'owner@owner.test',
          'Guest Cc: guest-spy@y.test accepted the invitation to Evil Bcc: x@y.test',
        ],
      ] as const) {
        assert.ok(mail !== undefined);
        assert.deepEqual(mail.to, [to], 'the envelope has the one recipient');
        const parsed = parseMail(mail.raw);
        assert.equal(header(parsed.headers, 'subject'), subject);
        assert.equal(header(parsed.headers, 'to'), to);
        assertNoInjectedHeaders(parsed, mail.raw);
      }
      await sleep(200);
      for (const spy of ['x@y.test', 'tenant-spy@y.test', 'guest-spy@y.test']) {
        assert.deepEqual(received(spy), [], `nothing went to ${spy}`);
      }
    });

    test('an SMTP outage is recorded, retried after the backoff, and every message is delivered once', async () => {
      const owner = await t().createTenant();
      const community = await createCommunity(t(), owner.token);
      const port = sink.port;
      await sink.close();

      const recipients = ['down-1@guest.test', 'down-2@guest.test', 'down-3@guest.test'];
      for (const recipient of recipients) await invite(t(), owner.token, community.Id, recipient);
      const rowsOf = () =>
        t().store.db.selectFrom('outbox').selectAll().where('recipient', 'in', recipients).execute();

      // The worker was woken by each commit, tried, and failed.
      const failed = await until('three failed attempts', async () => {
        const rows = await rowsOf();
        return rows.length === 3 && rows.every((r) => r.attempts > 0 && r.last_error !== null)
          ? rows
          : undefined;
      });
      for (const row of failed) {
        assert.equal(row.sent_at, null);
        assert.equal(row.attempts, 1);
        assert.match(row.last_error ?? '', /ECONNREFUSED|connect/i);
        assert.ok(row.next_attempt_at > t().clock.now().toISOString(), 'the retry waits for the backoff');
      }

      // The server is back, but the clock has not moved past the backoff: nothing is retried yet.
      const receivedBefore = sink.received.length;
      sink = await startSmtpSink(port, sink.received);
      await t().app.outbox.deliverDue();
      await sleep(300);
      assert.equal(sink.received.length, receivedBefore);
      assert.ok((await rowsOf()).every((r) => r.attempts === 1 && r.sent_at === null));

      t().clock.advance(backoffMs(1) + 1);
      await t().app.outbox.deliverDue();
      await sink.waitFor(receivedBefore + 3);
      const delivered = await until('all three rows marked sent', async () => {
        const rows = await rowsOf();
        return rows.every((r) => r.sent_at !== null) ? rows : undefined;
      });
      for (const row of delivered) {
        assert.equal(row.attempts, 2);
        assert.equal(row.last_error, null);
      }

      // More chances to deliver twice: another explicit run, polls, and a clock far ahead.
      await t().app.outbox.deliverDue();
      t().clock.advance(60 * 60 * 1000);
      await t().app.outbox.deliverDue();
      await sleep(300);
      assert.equal(sink.received.length, receivedBefore + 3);
      for (const recipient of recipients) {
        assert.equal(received(recipient).length, 1, `${recipient} received its invitation exactly once`);
        const parsed = parseMail(received(recipient)[0]?.raw ?? '');
        assert.match(header(parsed.headers, 'subject') ?? '', /invites you to the community/);
      }
    });
  });
}

for (const engine of testEngines()) {
  describe(`invitation mail to an SMTP server that never answers [${engine}]`, () => {
    test('the attempt fails within the mailer’s timeouts, is recorded for a retry, and shutdown is prompt', async () => {
      const sockets: Socket[] = [];
      const silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      const timeouts = { connectionTimeout: 300, greetingTimeout: 300, socketTimeout: 300 };
      const t = await startTestApp(engine, {
        mailer: smtpMailer(`smtp://127.0.0.1:${port}`, FROM, timeouts),
      });
      try {
        const owner = await t.createTenant();
        const community = await createCommunity(t, owner.token);
        await invite(t, owner.token, community.Id, 'patient@guest.test');
        const [row] = await until('a failed attempt', async () => {
          const rows = await t.store.db
            .selectFrom('outbox')
            .selectAll()
            .where('recipient', '=', 'patient@guest.test')
            .where('attempts', '>', 0)
            .execute();
          return rows.length > 0 ? rows : undefined;
        });
        assert.equal(row?.sent_at, null);
        assert.match(row?.last_error ?? '', /greeting|timeout/i);
        assert.ok(sockets.length > 0, 'the mailer did connect');
      } finally {
        const started = Date.now();
        await t.close();
        assert.ok(Date.now() - started < 5000, 'shutdown is not held by the silent server');
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
}
