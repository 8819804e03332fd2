// The transactional outbox: messages are written in the same transaction as the change that causes them
// and delivered after commit by a worker, with retries and backoff. On PostgreSQL several instances share
// the table and `FOR UPDATE SKIP LOCKED` gives each message to one of them; on SQLite (one process) a
// short lease written with a compare-and-set claims a message without holding the only connection while
// the mail is sent.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.ts';
import type { Db, Engine } from '../db/database.ts';
import type { OutboxRow } from '../db/schema.ts';
import type { Mailer, MailMessage } from './mailer.ts';

const BATCH = 20;
/**
 * Messages sent at once by one worker. One at a time, each message waited for its SMTP round trips behind
 * every HTTP request in the event loop, and under load the outbox fell behind (bench/README.md).
 */
const LANES = 4;
const LEASE_MS = 120_000;
const MAX_BACKOFF_MS = 15 * 60_000;

export interface OutboxMessage extends MailMessage {
  kind: string;
}

export async function enqueue(db: Db, now: Date, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const at = now.toISOString();
  await db
    .insertInto('outbox')
    .values(
      messages.map((m) => ({
        id: randomUUID(),
        kind: m.kind,
        recipient: m.to,
        subject: m.subject,
        text_body: m.text,
        html_body: m.html,
        created_at: at,
        attempts: 0,
        next_attempt_at: at,
        locked_until: null,
        sent_at: null,
        last_error: null,
      })),
    )
    .execute();
}

/** 2 s, 4 s, 8 s … capped at 15 minutes. */
export const backoffMs = (attempts: number): number =>
  Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 20));

/**
 * Secrets are stored only as hashes (CONTRACT §2), yet a queued message must carry its links' one-time
 * tokens until it is sent. Once it is, they are cut from the stored copy, which keeps the rest.
 */
export const withoutLinkTokens = (body: string): string =>
  body.replace(/([?&](?:amp;)?token=)[A-Za-z0-9_%-]+/g, '$1[sent]');

const toMessage = (row: OutboxRow): MailMessage => ({
  id: row.id,
  to: row.recipient,
  subject: row.subject,
  text: row.text_body,
  html: row.html_body,
});

export interface OutboxWorkerOptions {
  db: Db;
  engine: Engine;
  mailer: Mailer;
  clock: Clock;
  log: FastifyBaseLogger;
  /** How often to look for due messages when nothing wakes the worker. */
  pollMs?: number;
}

export class OutboxWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = true;
  private wakeRequested = false;
  /** Set by stop(): a batch in progress ends after the message in flight instead of sending the rest. */
  private halting = false;
  /** SQLite: the leases a killed process left behind, released before this worker's first delivery. */
  private leftLeases?: Promise<void>;
  private readonly pollMs: number;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halting = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Shutdown waits for the running batch; behind a slow server the rest of a batch of 20 could hold it
    // for many minutes. Messages not attempted stay due (and, on PostgreSQL, unlocked at commit).
    this.halting = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Called after a commit that enqueued messages, so they leave at once rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running !== undefined) return;
    let delivered = 0;
    try {
      this.running = this.deliverDue();
      delivered = await this.running;
    } catch (error) {
      this.options.log.error({ err: error }, 'outbox delivery failed');
    } finally {
      this.running = undefined;
    }
    if (this.stopped) return;
    const again = this.wakeRequested || delivered === BATCH;
    this.wakeRequested = false;
    this.schedule(again ? 0 : this.pollMs);
  }

  /** Delivers the messages that are due now; returns how many were attempted. */
  async deliverDue(): Promise<number> {
    return this.options.engine === 'postgres' ? this.deliverLocked() : this.deliverLeased();
  }

  private async deliverLocked(): Promise<number> {
    const { db, clock } = this.options;
    const now = clock.now().toISOString();
    const due = await db
      .selectFrom('outbox')
      .select('id')
      .where('sent_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(BATCH)
      .execute();
    // One transaction per message: its row lock keeps the other instances off the message while it is
    // sent (SKIP LOCKED passes over it, and once sent it no longer matches), and its commit records the
    // send at once. (A transaction per batch would roll back the records of every message it had sent when
    // the process dies, and they would all be sent again.)
    return this.inLanes(due, async ({ id }) =>
      db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('outbox')
          .selectAll()
          .where('id', '=', id)
          .where('sent_at', 'is', null)
          .where('next_attempt_at', '<=', now)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
        if (row === undefined) return false;
        await this.attempt(trx, row);
        return true;
      }),
    );
  }

  /**
   * Tries the due messages LANES at a time (each lane takes the next from one iterator, so each message is
   * tried once), until they are done or stop() is called; returns how many were attempted.
   */
  private async inLanes<T>(due: T[], tryOne: (item: T) => Promise<boolean>): Promise<number> {
    const queue = due.values();
    let attempted = 0;
    const lane = async () => {
      for (const item of queue) {
        if (this.halting) return;
        if (await tryOne(item)) attempted++;
      }
    };
    // Every lane ends before this returns, even when one fails: stop() waits for this, not for a part of it.
    const failures = (await Promise.allSettled(Array.from({ length: LANES }, lane))).flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
    );
    for (const error of failures.slice(1)) this.options.log.error({ err: error }, 'outbox delivery failed');
    if (failures.length > 0) throw failures[0];
    return attempted;
  }

  private async deliverLeased(): Promise<number> {
    const { db, clock } = this.options;
    // SQLite serves one instance, so a lease found before this worker's first delivery was taken by a
    // process that died while sending: left alone, its message would wait out the whole lease (minutes).
    // It may have gone out already; delivery is at least once, and a second send has the same Message-ID.
    this.leftLeases ??= db
      .updateTable('outbox')
      .set({ locked_until: null })
      .where('sent_at', 'is', null)
      .where('locked_until', 'is not', null)
      .execute()
      .then(
        () => undefined,
        (error: unknown) => {
          this.leftLeases = undefined; // tried again by the next delivery run
          throw error;
        },
      );
    await this.leftLeases;
    const now = clock.now().toISOString();
    const due = await db
      .selectFrom('outbox')
      .selectAll()
      .where('sent_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .limit(BATCH)
      .execute();
    return this.inLanes(due, async (row) => {
      const leaseUntil = new Date(clock.now().getTime() + LEASE_MS).toISOString();
      const claimed = await db
        .updateTable('outbox')
        .set({ locked_until: leaseUntil })
        .where('id', '=', row.id)
        .where('sent_at', 'is', null)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return false;
      await this.attempt(db, row);
      return true;
    });
  }

  private async attempt(db: Db, row: OutboxRow): Promise<void> {
    const { mailer, clock, log } = this.options;
    try {
      await mailer.send(toMessage(row));
      await db
        .updateTable('outbox')
        .set({
          sent_at: clock.now().toISOString(),
          attempts: row.attempts + 1,
          locked_until: null,
          last_error: null,
          text_body: withoutLinkTokens(row.text_body),
          html_body: withoutLinkTokens(row.html_body),
        })
        .where('id', '=', row.id)
        .execute();
      log.info({ outboxId: row.id, kind: row.kind }, 'mail delivered');
    } catch (error) {
      const attempts = row.attempts + 1;
      const next = new Date(clock.now().getTime() + backoffMs(attempts)).toISOString();
      const message = error instanceof Error ? error.message : String(error);
      await db
        .updateTable('outbox')
        .set({ attempts, next_attempt_at: next, locked_until: null, last_error: message.slice(0, 1000) })
        .where('id', '=', row.id)
        .execute();
      log.warn(
        { outboxId: row.id, kind: row.kind, attempts, err: message },
        'mail delivery failed; will retry',
      );
    }
  }
}
