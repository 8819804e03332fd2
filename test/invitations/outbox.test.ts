// The outbox worker's shutdown: stopping during a batch ends it after the messages in flight (one per lane),
// so a slow mail server cannot hold a shutdown for a whole batch; what was not attempted stays due for the
// next start.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Mailer, MailMessage } from '../../src/mail/mailer.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { testEngines } from '../support/engines.ts';
import { createCommunity, invite } from '../support/invitations.ts';

/** A mailer whose every send waits until the test opens its gate. */
function gatedMailer() {
  const sent: MailMessage[] = [];
  const gates: (() => void)[] = [];
  const mailer: Mailer & { sent: MailMessage[]; waiting: () => number; open: () => void } = {
    sent,
    waiting: () => gates.length,
    open: () => gates.shift()?.(),
    async send(message) {
      await new Promise<void>((resolve) => gates.push(resolve));
      sent.push(message);
    },
    close() {},
  };
  return mailer;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const engine of testEngines()) {
  describe(`outbox worker shutdown [${engine}]`, () => {
    test('stop() during a batch returns after the messages in flight; the rest stays due', async () => {
      const mailer = gatedMailer();
      const t: TestApp = await startTestApp(engine, { mailer });
      try {
        const owner = await t.createTenant();
        const community = await createCommunity(t, owner.token);
        // The first message holds a lane; the next six are due together, a batch sent four at a time.
        await invite(t, owner.token, community.Id, 'first@guest.test');
        await until('the first send', () => mailer.waiting() === 1);
        for (let i = 2; i <= 7; i++) await invite(t, owner.token, community.Id, `guest${i}@guest.test`);
        mailer.open();
        await until('four lanes to send', () => mailer.waiting() === 4 && mailer.sent.length === 1);

        const stopped = t.app.outbox.stop();
        for (let i = 0; i < 4; i++) mailer.open();
        await stopped;
        assert.equal(mailer.waiting(), 0, 'no send was started after stop()');
        assert.equal(mailer.sent.length, 5);

        const rows = await t.store.db.selectFrom('outbox').selectAll().execute();
        const sent = rows.filter((r) => r.sent_at !== null).map((r) => r.recipient);
        const due = rows.filter((r) => r.sent_at === null);
        assert.equal(sent.length, 5);
        assert.ok(sent.includes('first@guest.test'));
        assert.equal(due.length, 2);
        for (const row of due) {
          assert.deepEqual(
            [row.attempts, row.last_error, row.locked_until],
            [0, null, null],
            'a message not attempted is untouched',
          );
        }

        // Started again, the worker delivers them.
        t.app.outbox.start();
        await until('the last two sends', () => mailer.waiting() === 2);
        mailer.open();
        mailer.open();
        await until('all sent', () => mailer.sent.length === 7);
      } finally {
        await t.close();
      }
    });
  });
}
