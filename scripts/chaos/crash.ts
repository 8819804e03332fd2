// Crash safety: the service runs as a child process; a stream of concurrent writes (invitation creates
// and Accept, Confirm, Decline, Resend, some of them racing each other) is cut by SIGKILL in the middle;
// the service is started again on the same data and the writes go on. Then:
// - every write that was answered 2xx is there after the restart (counted write by write);
// - nothing is half applied: each invitation's state, the community memberships and the outbox rows agree
//   with a model that knows every acknowledged write, and with each other (Completed ⇔ member);
// - a write whose reply was lost in the kill either happened completely or not at all;
// - every outbox message of a committed change reaches the SMTP sink after the restart (at least once; the
//   ones sent twice because the kill fell between the send and its bookkeeping are counted).
//
//   node --import tsx scripts/chaos/crash.ts [--engine sqlite|postgres|both] [--writes 1000] [--seed N]
//
// PostgreSQL runs on CONVENE_TEST_DATABASE_URL, or on a throwaway cluster this script starts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { type DatabaseConfig, loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/db/database.ts';
import type { OutboxRow } from '../../src/db/schema.ts';
import {
  Client,
  type Community,
  contactFor,
  createCommunity,
  createTenant,
  deliveries,
  drain,
  freePort,
  guestMembers,
  type InvitationWire,
  invitationOfMail,
  listInvitations,
  MAIL_KINDS,
  type MailKind,
  NoReply,
  OPERATOR,
  paths,
  type Reply,
  ServiceProcess,
  sleep,
  type Tenant,
  token,
  until,
} from '../../test/chaos/harness.ts';
import { type ReceivedMail, startSmtpSink } from '../../test/support/mail.ts';
import { createTestDatabase, startPostgresCluster } from '../../test/support/postgres.ts';
import { seededRandom } from '../../test/support/random.ts';

export type Engine = 'sqlite' | 'postgres';

export interface CrashOptions {
  engine: Engine;
  /** Write requests in all (each HTTP request that may change something counts once). */
  writes: number;
  /** Requests in flight at once. */
  concurrency?: number;
  seed?: number;
  /** A PostgreSQL server whose user may create databases (required for the postgres engine). */
  serverUrl?: string;
  log?: (line: string) => void;
}

export interface CrashFigures {
  engine: Engine;
  seed: number;
  writes: number;
  /** Answered 2xx, in all / before the kill. */
  acknowledged: number;
  acknowledgedBeforeKill: number;
  /** Of the writes acknowledged before the kill, how many were found applied right after the restart. */
  foundAfterKill: number;
  /** Answered 409 (a lost race or a transition the state no longer allows): nothing may have changed. */
  refused: number;
  /** In flight when the process died, and of those, how many turned out to have been committed. */
  unknownAtKill: number;
  unknownCommitted: number;
  invitations: number;
  /** Outbox rows (one per message of a committed change), those still unsent at the kill, delivered. */
  messages: number;
  pendingAtKill: number;
  delivered: number;
  /** Messages that reached the sink twice (the kill fell between a send and its bookkeeping). */
  duplicates: number;
  restartMs: number;
  seconds: number;
}

type Action = 'Accept' | 'Confirm' | 'Decline' | 'Resend';
type State = 'InvitationCreated' | 'InvitationAccepted' | 'InvitationDeclined' | 'InvitationCompleted';

/** One request of a step: the owner (issuer) or guest number `guest` takes `action`. */
interface Attempt {
  action: Action;
  guest?: number;
}

/** What the model knows of one invitation: every committed change, and the mail each one wrote. */
interface Invitation {
  id: string;
  community: Community;
  recipient: string;
  state: State;
  issued: string;
  invitedGuest?: number;
  mails: Record<MailKind, number>;
}

/** A write answered 2xx, kept to check after the restart that it is there. */
interface Acknowledged {
  invitation: Invitation;
  attempt: Attempt | 'create';
}

/** What a committed attempt does to the invitation (undefined: the table does not allow it). */
function effect(
  inv: Invitation,
  attempt: Attempt,
): { state: State; invitedGuest?: number; mail?: MailKind } | undefined {
  const { action, guest } = attempt;
  switch (action) {
    case 'Accept':
      return inv.state === 'InvitationCreated' && guest !== undefined
        ? { state: 'InvitationAccepted', invitedGuest: guest, mail: 'invitation-accepted' }
        : undefined;
    case 'Confirm':
      return inv.state === 'InvitationAccepted' && guest === undefined
        ? { state: 'InvitationCompleted', mail: 'invitation-confirmed' }
        : undefined;
    case 'Resend':
      return inv.state === 'InvitationCreated' && guest === undefined
        ? { state: 'InvitationCreated', mail: 'invitation-resent' }
        : undefined;
    case 'Decline':
      if (inv.state === 'InvitationCreated')
        return guest === undefined ? undefined : { state: 'InvitationDeclined' };
      if (inv.state !== 'InvitationAccepted') return undefined;
      if (guest === undefined) return { state: 'InvitationDeclined', mail: 'invitation-declined' };
      return guest === inv.invitedGuest ? { state: 'InvitationDeclined' } : undefined;
  }
}

const noMail = (): Record<MailKind, number> =>
  Object.fromEntries(MAIL_KINDS.map((k) => [k, 0])) as Record<MailKind, number>;

class CrashRun {
  private readonly rand: () => number;
  private readonly client: Client;
  private owners: Tenant[] = [];
  private guests: Tenant[] = [];
  private communities: Community[] = [];
  private readonly invitations = new Map<string, Invitation>();
  private readonly acknowledged: Acknowledged[] = [];
  readonly failures: string[] = [];

  private issued = 0;
  private inFlight = 0;
  private recipientSeq = 0;
  private killAt: number;
  private killed = false;
  private restarted = false;
  /** While the service is down: requests wait for this before they are sent. */
  private down?: Promise<void>;
  private killDone?: Promise<void>;
  private figures: Omit<CrashFigures, 'seconds' | 'engine' | 'seed' | 'writes'> = {
    acknowledged: 0,
    acknowledgedBeforeKill: 0,
    foundAfterKill: 0,
    refused: 0,
    unknownAtKill: 0,
    unknownCommitted: 0,
    invitations: 0,
    messages: 0,
    pendingAtKill: 0,
    delivered: 0,
    duplicates: 0,
    restartMs: 0,
  };

  constructor(
    private readonly o: Required<Omit<CrashOptions, 'serverUrl'>>,
    private readonly service: ServiceProcess,
    private readonly database: DatabaseConfig,
  ) {
    this.rand = seededRandom(o.seed);
    this.client = new Client(service.url);
    // Somewhere in the middle, never at the very start or end.
    this.killAt = Math.max(1, Math.floor(o.writes * (0.35 + 0.3 * this.rand())));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)] as T;
  }

  private fail(message: string): void {
    if (this.failures.length < 50) this.failures.push(message);
  }

  async prepare(owners: number, communitiesPerOwner: number, guests: number): Promise<void> {
    const operator = await token(this.client, OPERATOR.id, OPERATOR.secret);
    const run = `${this.o.engine}${this.o.seed}`;
    for (let i = 0; i < owners; i++)
      this.owners.push(await createTenant(this.client, operator, `Owner ${run} ${i}`));
    for (let i = 0; i < guests; i++)
      this.guests.push(await createTenant(this.client, operator, `Guest ${run} ${i}`));
    for (const owner of this.owners) {
      for (let c = 0; c < communitiesPerOwner; c++) {
        this.communities.push(await createCommunity(this.client, owner, `${owner.name} community ${c}`));
      }
    }
  }

  // Sending writes

  /**
   * Sends one request once the service is up. A request the kill cut off is 'unknown'; one the dead process
   * refused (never sent) is sent again after the restart.
   */
  private async send(
    method: string,
    url: string,
    body: unknown,
    tokenValue: string,
  ): Promise<Reply | 'unknown'> {
    for (;;) {
      while (this.down !== undefined) await this.down;
      const beforeRestart = !this.restarted;
      this.inFlight++;
      try {
        return await this.client.request(method, url, { token: tokenValue, body });
      } catch (error) {
        // Only the one kill explains a request without a reply; anything else is a failure of the run.
        if (!(error instanceof NoReply) || !this.killed || !beforeRestart) throw error;
        if (!error.sent) continue; // refused by the dead process: sent again after the restart
        return 'unknown';
      } finally {
        this.inFlight--;
      }
    }
  }

  /** A read that must succeed; retried across the restart. */
  private async read(url: string, tokenValue: string): Promise<Reply> {
    for (;;) {
      const reply = await this.send('GET', url, undefined, tokenValue);
      if (reply !== 'unknown') return reply;
    }
  }

  private take(count: number): boolean {
    if (this.issued + count > this.o.writes) return false;
    this.issued += count;
    return true;
  }

  private acknowledge(entry: Acknowledged): void {
    this.figures.acknowledged++;
    this.acknowledged.push(entry);
    if (!this.killed && this.figures.acknowledged >= this.killAt) {
      this.killed = true;
      // A moment later, so the service is caught at an arbitrary point rather than just after a reply.
      this.killDone = sleep(this.rand() * 20).then(() => this.killAndRestart());
    }
  }

  private tokenOf(inv: Invitation, attempt: Attempt): string {
    return attempt.guest === undefined
      ? inv.community.owner.token
      : (this.guests[attempt.guest] as Tenant).token;
  }

  private bodyOf(inv: Invitation, attempt: Attempt): Record<string, string> {
    return attempt.action === 'Accept'
      ? { Action: 'Accept', ContactEmail: contactFor(inv.id, attempt.guest as number) }
      : { Action: attempt.action };
  }

  private async create(community: Community): Promise<Invitation | undefined> {
    if (!this.take(1)) return undefined;
    const recipient = `r${++this.recipientSeq}.${this.o.seed}@invitee.chaos`;
    const reply = await this.send(
      'POST',
      paths.invitations(community.id),
      { InvitationRecipient: recipient },
      community.owner.token,
    );
    let wire: InvitationWire | undefined;
    if (reply === 'unknown') {
      this.figures.unknownAtKill++;
      const listed = await this.list(community);
      wire = listed.find((i) => i.InvitationRecipient === recipient);
      if (wire === undefined) return undefined;
      this.figures.unknownCommitted++;
    } else if (reply.status === 201) {
      wire = reply.json<InvitationWire>();
    } else {
      this.fail(`create: ${reply.status} ${reply.body}`);
      return undefined;
    }
    const inv: Invitation = {
      id: wire.Id,
      community,
      recipient,
      state: 'InvitationCreated',
      issued: wire.Issued,
      mails: { ...noMail(), invitation: 1 },
    };
    this.invitations.set(inv.id, inv);
    if (reply !== 'unknown') this.acknowledge({ invitation: inv, attempt: 'create' });
    return inv;
  }

  private async list(community: Community): Promise<InvitationWire[]> {
    const reply = await this.read(`${paths.invitations(community.id)}?count=1000`, community.owner.token);
    if (reply.status !== 200) throw new Error(`list invitations: ${reply.status} ${reply.body}`);
    return reply.json<InvitationWire[]>();
  }

  private async fetch(inv: Invitation): Promise<InvitationWire> {
    const reply = await this.read(paths.invitation(inv.community.id, inv.id), inv.community.owner.token);
    if (reply.status !== 200) throw new Error(`read invitation: ${reply.status} ${reply.body}`);
    return reply.json<InvitationWire>();
  }

  private commit(inv: Invitation, attempt: Attempt, issued?: string): void {
    const change = effect(inv, attempt);
    if (change === undefined) throw new Error('commit of a transition the table does not allow');
    inv.state = change.state;
    if (change.invitedGuest !== undefined) inv.invitedGuest = change.invitedGuest;
    if (change.mail !== undefined) inv.mails[change.mail]++;
    if (issued !== undefined) inv.issued = issued;
  }

  /**
   * One step on one invitation: the attempts are sent at once (a race when there are several). At most one
   * may win. A reply lost in the kill is settled by reading the invitation after the restart: its state must
   * be the one before the step or the one a single attempt leads to, never anything else.
   */
  private async step(inv: Invitation, attempts: Attempt[], mustWin = false): Promise<boolean> {
    if (!this.take(attempts.length)) return false;
    const before = { state: inv.state, issued: inv.issued, invitedGuest: inv.invitedGuest };
    const replies = await Promise.all(
      attempts.map((a) => this.send('PUT', paths.process(inv.id), this.bodyOf(inv, a), this.tokenOf(inv, a))),
    );
    const what = (a: Attempt) => `${a.action} by ${a.guest === undefined ? 'owner' : `guest ${a.guest}`}`;
    const winners: number[] = [];
    replies.forEach((reply, i) => {
      if (reply === 'unknown') return;
      const attempt = attempts[i] as Attempt;
      if (reply.status === 200 || reply.status === 202) {
        winners.push(i);
        const expected = attempt.action === 'Decline' ? 200 : 202;
        if (reply.status !== expected || effect(inv, attempt) === undefined) {
          this.fail(`${inv.id}: ${what(attempt)} from ${before.state} answered ${reply.status}`);
        }
      } else if (reply.status === 409) {
        this.figures.refused++;
        // Only an Accept may lose to something outside this invitation (a membership, another acceptance).
        if (attempts.length === 1 && attempt.action !== 'Accept' && effect(inv, attempt) !== undefined) {
          this.fail(`${inv.id}: ${what(attempt)} from ${before.state} refused: ${reply.body}`);
        }
      } else {
        this.fail(`${inv.id}: ${what(attempt)} answered ${reply.status} ${reply.body}`);
      }
    });
    if (winners.length > 1)
      this.fail(`${inv.id}: ${winners.length} of ${attempts.length} racing attempts won`);

    const unknown = replies.flatMap((r, i) => (r === 'unknown' ? [i] : []));
    this.figures.unknownAtKill += unknown.length;
    const winner = winners[0];
    if (winner !== undefined) {
      const attempt = attempts[winner] as Attempt;
      if (effect(inv, attempt) === undefined) return false;
      const issued = attempt.action === 'Resend' ? (await this.fetch(inv)).Issued : undefined;
      this.commit(inv, attempt, issued);
      this.acknowledge({ invitation: inv, attempt });
      return true;
    }
    if (unknown.length === 0) return mustWin ? this.refusedWhenItMustWin(inv, attempts) : false;

    const wire = await this.fetch(inv);
    const unchanged =
      wire.State === before.state &&
      wire.Issued === before.issued &&
      (before.invitedGuest === undefined || wire.InvitedTenantId === this.guests[before.invitedGuest]?.id);
    if (unchanged) {
      // The other racer was refused, so something must have changed the invitation: the lost one.
      if (mustWin && unknown.length < attempts.length) this.refusedWhenItMustWin(inv, attempts);
      return false;
    }
    const matches = unknown.filter((i) => {
      const attempt = attempts[i] as Attempt;
      const change = effect(inv, attempt);
      if (change === undefined || change.state !== wire.State) return false;
      if (attempt.action === 'Accept')
        return wire.InvitedTenantId === this.guests[attempt.guest as number]?.id;
      if (attempt.action === 'Resend') return wire.Issued !== before.issued;
      return true;
    });
    // Two Declines of an Accepted invitation (one mails, one does not) are never raced, so the matches are
    // one attempt, or the same attempt sent twice (two Confirms by the owner, say): one of them won, and
    // which one makes no difference.
    const sameAttempt = matches.every(
      (i) => what(attempts[i] as Attempt) === what(attempts[matches[0] as number] as Attempt),
    );
    if (matches.length === 0 || !sameAttempt) {
      this.fail(
        `${inv.id}: after the restart it is ${JSON.stringify(wire)}, which no single attempt of ${attempts.map(what).join(', ')} from ${before.state} explains`,
      );
      return false;
    }
    this.figures.unknownCommitted++;
    this.commit(inv, attempts[matches[0] as number] as Attempt, wire.Issued);
    return true;
  }

  private refusedWhenItMustWin(inv: Invitation, attempts: Attempt[]): boolean {
    this.fail(`${inv.id}: of ${attempts.length} racing attempts none won, yet the losers were refused`);
    return false;
  }

  /** Guests that, as far as the model knows, may accept an invitation of C. */
  private candidates(community: Community): number[] {
    const busy = new Set<number>();
    for (const inv of this.invitations.values()) {
      if (inv.community !== community || inv.invitedGuest === undefined) continue;
      if (inv.state === 'InvitationAccepted' || inv.state === 'InvitationCompleted')
        busy.add(inv.invitedGuest);
    }
    return this.guests.map((_, i) => i).filter((i) => !busy.has(i));
  }

  /** One invitation's story: created, maybe resent, accepted (sometimes by racing guests), then settled. */
  private async story(): Promise<void> {
    const community = this.pick(this.communities);
    const inv = await this.create(community);
    if (inv === undefined) return;
    if (this.rand() < 0.2 && !(await this.step(inv, [{ action: 'Resend' }]))) return;

    const candidates = this.candidates(community);
    const r = this.rand();
    if (r < 0.1 || candidates.length === 0) {
      // Declined by whoever it reached (any other tenant's administrator may decline an unanswered one).
      await this.step(inv, [{ action: 'Decline', guest: this.pick(this.guests.map((_, i) => i)) }]);
      return;
    }
    if (r < 0.15) return; // left unanswered
    const racers = this.rand() < 0.3 ? Math.min(candidates.length, 2 + Math.floor(this.rand() * 2)) : 1;
    const accepting = [...candidates].sort(() => this.rand() - 0.5).slice(0, racers);
    await this.step(
      inv,
      accepting.map((guest) => ({ action: 'Accept', guest })),
    );
    if (inv.state !== 'InvitationAccepted') return;

    const s = this.rand();
    if (s < 0.45) await this.step(inv, [{ action: 'Confirm' }]);
    else if (s < 0.6) await this.step(inv, [{ action: 'Confirm' }, { action: 'Confirm' }], true);
    else if (s < 0.7) await this.step(inv, [{ action: 'Confirm' }, { action: 'Decline' }], true);
    else if (s < 0.82) await this.step(inv, [{ action: 'Decline' }]);
    else if (s < 0.94) await this.step(inv, [{ action: 'Decline', guest: inv.invitedGuest as number }]);
    else return; // left awaiting confirmation

    // A transition the final state no longer allows: must be refused and change nothing.
    if (this.rand() < 0.15) await this.step(inv, [{ action: this.pick(['Confirm', 'Resend'] as const) }]);
  }

  async writeAll(): Promise<void> {
    const lanes = Array.from({ length: this.o.concurrency }, async () => {
      while (this.issued < this.o.writes) await this.story();
    });
    await Promise.all(lanes);
    await this.killDone;
    if (!this.killed) this.fail(`the kill never happened (${this.figures.acknowledged} writes acknowledged)`);
  }

  // The kill

  private async killAndRestart(): Promise<void> {
    let open = () => {};
    let abort: (error: unknown) => void = () => {};
    this.down = new Promise<void>((resolve, reject) => {
      open = resolve;
      abort = reject;
    });
    // Seen by every lane waiting on it; this only keeps a rejection with no lane waiting from being unhandled.
    this.down.catch(() => {});
    try {
      const inFlight = this.inFlight;
      await this.service.kill('SIGKILL');
      await until(
        'the requests in flight to fail',
        async () => (this.inFlight === 0 ? true : undefined),
        30_000,
      );
      // Every reply that arrived did so before the process died.
      const ackedAtKill = this.acknowledged.length;
      await this.deadConnectionsGone();
      this.o.log(`  SIGKILL after ${ackedAtKill} acknowledged writes, ${inFlight} requests in flight`);
      this.client.reset();
      const unsent = (await this.outbox()).filter((r) => r.sent_at === null);
      this.figures.pendingAtKill = unsent.length;
      const leased = unsent.filter((r) => r.locked_until !== null).length;
      this.o.log(
        `  ${unsent.length} messages unsent at the kill${this.o.engine === 'sqlite' ? `, ${leased} of them leased` : ''}`,
      );

      const started = Date.now();
      await this.service.restart();
      this.figures.restartMs = Date.now() - started;
      this.figures.acknowledgedBeforeKill = ackedAtKill;
      this.figures.foundAfterKill = await this.checkAcknowledged(this.acknowledged.slice(0, ackedAtKill));
      this.o.log(
        `  restarted in ${this.figures.restartMs} ms; ${this.figures.foundAfterKill} of ${ackedAtKill} acknowledged writes found`,
      );
      this.restarted = true;
      this.down = undefined;
      open();
    } catch (error) {
      abort(error); // `down` stays rejected: every lane stops with this error
    }
  }

  /**
   * PostgreSQL: waits until the server has ended every session of the killed process. A transaction whose
   * COMMIT was on its way when the process died still commits, when its backend gets to it (on a loaded
   * machine, seconds later); judging the writes in flight before then would call a committed one lost.
   */
  private async deadConnectionsGone(): Promise<void> {
    if (this.o.engine !== 'postgres') return;
    const store = openStore(this.database);
    try {
      await until(
        "the killed process's database sessions to end",
        async () => {
          const { rows } = await sql<{ n: string }>`
            select count(*) as n from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`.execute(
            store.db,
          );
          return Number(rows[0]?.n) === 0 ? true : undefined;
        },
        30_000,
      );
    } finally {
      await store.close();
    }
  }

  private async outbox(): Promise<OutboxRow[]> {
    const store = openStore(this.database);
    try {
      return await store.db.selectFrom('outbox').selectAll().execute();
    } finally {
      await store.close();
    }
  }

  /** Completed ⇔ member, read from the store itself (not through the model). */
  private async storeAgrees(): Promise<void> {
    const store = openStore(this.database);
    try {
      const completed = await store.db
        .selectFrom('invitations')
        .select(['community_id', 'invited_tenant_id'])
        .where('state', '=', 'InvitationCompleted')
        .execute();
      const members = await store.db
        .selectFrom('community_tenants')
        .select(['community_id', 'tenant_id', 'status'])
        .where('is_owner', '=', 0)
        .execute();
      const key = (c: string, t: string | null) => `${c}/${t}`;
      const joined = new Set(completed.map((r) => key(r.community_id, r.invited_tenant_id)));
      const memberKeys = new Set(members.map((r) => key(r.community_id, r.tenant_id)));
      for (const k of joined) if (!memberKeys.has(k)) this.fail(`store: ${k} is Completed but not a member`);
      for (const m of members) {
        if (!joined.has(key(m.community_id, m.tenant_id)))
          this.fail(`store: ${key(m.community_id, m.tenant_id)} is a member without a Completed invitation`);
        if (m.status !== 'Active') this.fail(`store: ${key(m.community_id, m.tenant_id)} is ${m.status}`);
      }
    } finally {
      await store.close();
    }
  }

  /**
   * Mail rows per invitation and kind. A row that belongs to no invitation is a failure; so is one of an
   * invitation the model does not know, once every reply lost in the kill has been settled (`settled`).
   */
  private mailCounts(rows: OutboxRow[], settled: boolean): Map<string, number> {
    const counts = new Map<string, number>();
    for (const row of rows) {
      const id = invitationOfMail(row);
      if (id === undefined || (settled && !this.invitations.has(id))) {
        this.fail(`outbox row ${row.id} (${row.kind} to ${row.recipient}) belongs to no known invitation`);
        continue;
      }
      const key = `${id}/${row.kind}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** Right after the restart: each acknowledged write, one by one, is there. Returns how many are. */
  private async checkAcknowledged(writes: Acknowledged[]): Promise<number> {
    const listed = new Map<string, InvitationWire>();
    const members = new Map<Community, Map<string, string>>();
    for (const community of this.communities) {
      for (const wire of await listInvitations(this.client, community)) listed.set(wire.Id, wire);
      members.set(community, await guestMembers(this.client, community));
    }
    const mail = this.mailCounts(await this.outbox(), false);
    const resends = new Map<Invitation, number>();
    let found = 0;
    for (const { invitation: inv, attempt } of writes) {
      const wire = listed.get(inv.id);
      const guestId = (i: number | undefined) => (i === undefined ? undefined : this.guests[i]?.id);
      let ok = wire !== undefined && (mail.get(`${inv.id}/invitation`) ?? 0) === 1;
      if (wire !== undefined && attempt !== 'create') {
        const { action, guest } = attempt;
        if (action === 'Accept') {
          ok &&= wire.State !== 'InvitationCreated' && wire.InvitedTenantId === guestId(guest);
          ok &&= (mail.get(`${inv.id}/invitation-accepted`) ?? 0) === 1;
        } else if (action === 'Confirm') {
          const tenant = guestId(inv.invitedGuest) as string;
          ok &&= wire.State === 'InvitationCompleted' && members.get(inv.community)?.get(tenant) === 'Active';
          ok &&= (mail.get(`${inv.id}/invitation-confirmed`) ?? 0) === 1;
        } else if (action === 'Decline') {
          ok &&= wire.State === 'InvitationDeclined';
        } else {
          resends.set(inv, (resends.get(inv) ?? 0) + 1);
          ok &&= (mail.get(`${inv.id}/invitation-resent`) ?? 0) >= (resends.get(inv) ?? 0);
        }
      }
      if (ok) found++;
      else
        this.fail(
          `acknowledged ${attempt === 'create' ? 'create' : attempt.action} of ${inv.id} is missing after the restart: ${JSON.stringify(wire)}`,
        );
    }
    await this.storeAgrees();
    return found;
  }

  /** At the end: the service, the store and the model agree on every invitation, membership and message. */
  async checkFinal(received: () => ReceivedMail[]): Promise<void> {
    const modelled = [...this.invitations.values()];
    this.figures.invitations = modelled.length;
    for (const community of this.communities) {
      const listed = new Map((await listInvitations(this.client, community)).map((w) => [w.Id, w]));
      const mine = modelled.filter((i) => i.community === community);
      for (const inv of mine) {
        const wire = listed.get(inv.id);
        const invited = inv.invitedGuest === undefined ? undefined : this.guests[inv.invitedGuest]?.id;
        if (
          wire === undefined ||
          wire.State !== inv.state ||
          wire.Issued !== inv.issued ||
          (inv.invitedGuest !== undefined && wire.InvitedTenantId !== invited)
        ) {
          this.fail(
            `${inv.id}: the service shows ${JSON.stringify(wire)}, the model ${inv.state} ${inv.issued} ${invited}`,
          );
        }
      }
      for (const id of listed.keys()) {
        if (!this.invitations.has(id)) this.fail(`${id}: an invitation no write created`);
      }
      const expected = new Set(
        mine
          .filter((i) => i.state === 'InvitationCompleted')
          .map((i) => this.guests[i.invitedGuest as number]?.id),
      );
      const actual = await guestMembers(this.client, community);
      const same =
        expected.size === actual.size && [...expected].every((id) => actual.get(id as string) === 'Active');
      if (!same)
        this.fail(
          `${community.name}: members ${JSON.stringify([...actual])}, expected ${JSON.stringify([...expected])}`,
        );
    }
    await this.storeAgrees();

    // Every message of a committed change is in the outbox exactly once...
    const rows = await this.outbox();
    this.figures.messages = rows.length;
    const counts = this.mailCounts(rows, true);
    for (const inv of modelled) {
      for (const kind of MAIL_KINDS) {
        const have = counts.get(`${inv.id}/${kind}`) ?? 0;
        if (have !== inv.mails[kind])
          this.fail(`${inv.id}: ${have} ${kind} messages in the outbox, expected ${inv.mails[kind]}`);
      }
    }
    // ...and reaches the sink: every row is sent, every row id arrives, nothing else arrives.
    const drained = await drain(() => this.outbox()).catch((error: Error) => this.fail(error.message));
    if (drained !== true) return;
    await sleep(300);
    const { byId, unnamed } = deliveries(received());
    if (unnamed > 0) this.fail(`${unnamed} messages arrived without an outbox Message-ID`);
    const ids = new Set(rows.map((r) => r.id));
    for (const row of rows) {
      const n = byId.get(row.id) ?? 0;
      if (n === 0)
        this.fail(`outbox row ${row.id} (${row.kind} to ${row.recipient}) is marked sent but never arrived`);
      else this.figures.delivered++;
      if (n > 1) this.figures.duplicates += n - 1;
    }
    for (const id of byId.keys())
      if (!ids.has(id)) this.fail(`a message ${id} arrived that no outbox row holds`);
  }

  result(): Omit<CrashFigures, 'seconds' | 'engine' | 'seed' | 'writes'> {
    return this.figures;
  }

  close(): void {
    this.client.close();
  }
}

export async function runCrash(options: CrashOptions): Promise<CrashFigures> {
  const started = Date.now();
  const o = {
    engine: options.engine,
    writes: options.writes,
    concurrency: options.concurrency ?? 32,
    seed: options.seed ?? Math.floor(Math.random() * 2 ** 31),
    log: options.log ?? (() => {}),
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'convene-crash-'));
  const sink = await startSmtpSink();
  let dropDatabase = async () => {};
  let service: ServiceProcess | undefined;
  let run: CrashRun | undefined;
  try {
    let databaseUrl = `sqlite:${path.join(dir, 'convene.db')}`;
    if (o.engine === 'postgres') {
      if (options.serverUrl === undefined) throw new Error('the postgres engine needs a server URL');
      const database = await createTestDatabase(options.serverUrl);
      dropDatabase = database.drop;
      databaseUrl = database.url;
    }
    const env = {
      CONVENE_DATA_DIR: dir,
      CONVENE_DATABASE_URL: databaseUrl,
      CONVENE_SMTP_URL: sink.url,
      CONVENE_PUBLIC_URL: 'http://convene.chaos.test',
      CONVENE_OPERATOR_CLIENT_ID: OPERATOR.id,
      CONVENE_OPERATOR_CLIENT_SECRET: OPERATOR.secret,
      CONVENE_LOG_LEVEL: 'warn',
    };
    const database = loadConfig(env).database;
    service = ServiceProcess.spawn({ name: `convene (${o.engine})`, port: await freePort(), env });
    await service.ready();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    o.log(
      `crash [${o.engine}] seed ${o.seed}: ${o.writes} writes, ${o.concurrency} at once; serving at ${elapsed()}`,
    );
    run = new CrashRun(o, service, database);
    await run.prepare(6, 4, 16);
    o.log(`  6 owners, 24 communities, 16 guests ready at ${elapsed()}`);
    await run.writeAll();
    o.log(`  writes done at ${elapsed()}`);
    await run.checkFinal(() => sink.received);
    o.log(`  checked at ${elapsed()}`);
    const figures: CrashFigures = {
      engine: o.engine,
      seed: o.seed,
      writes: o.writes,
      ...run.result(),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    if (run.failures.length > 0) {
      throw new Error(
        `crash [${o.engine}] seed ${o.seed}: ${run.failures.length} failures\n  ${run.failures.join('\n  ')}\n` +
          `figures: ${JSON.stringify(figures)}\n--- service output (tail) ---\n${service.output().slice(-4000)}`,
      );
    }
    return figures;
  } finally {
    run?.close();
    await service?.kill('SIGKILL');
    await sink.close();
    await dropDatabase().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

export function describeCrash(f: CrashFigures): string {
  return (
    `crash [${f.engine}] seed ${f.seed}: ${f.writes} writes, ${f.acknowledged} acknowledged, ${f.refused} refused (409); ` +
    `killed after ${f.acknowledgedBeforeKill} acknowledged, ${f.foundAfterKill} found after the restart (${f.restartMs} ms); ` +
    `${f.unknownAtKill} in flight at the kill, ${f.unknownCommitted} of them committed; ` +
    `${f.invitations} invitations; ${f.messages} messages, ${f.pendingAtKill} unsent at the kill, ${f.delivered} delivered, ` +
    `${f.duplicates} sent twice; ${f.seconds} s`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'both' },
      writes: { type: 'string', default: '1000' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
    },
    strict: true,
  });
  const engines: Engine[] =
    values.engine === 'both'
      ? ['sqlite', 'postgres']
      : values.engine === 'sqlite'
        ? ['sqlite']
        : values.engine === 'postgres'
          ? ['postgres']
          : [];
  if (engines.length === 0)
    throw new Error(`--engine must be sqlite, postgres or both, not ${values.engine}`);
  let serverUrl = process.env.CONVENE_TEST_DATABASE_URL?.trim() || undefined;
  const cluster =
    engines.includes('postgres') && serverUrl === undefined ? await startPostgresCluster() : undefined;
  serverUrl ??= cluster?.url;
  try {
    for (const engine of engines) {
      const figures = await runCrash({
        engine,
        writes: Number(values.writes),
        ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
        ...(values.concurrency === undefined ? {} : { concurrency: Number(values.concurrency) }),
        ...(serverUrl === undefined ? {} : { serverUrl }),
        log: (line) => console.log(line),
      });
      console.log(describeCrash(figures));
    }
  } finally {
    await cluster?.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
