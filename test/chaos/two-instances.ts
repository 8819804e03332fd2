// Two instances of the service on one PostgreSQL database, as behind a load balancer: started at the same
// moment (their migrations race, and both must come up), sharing the signing key, the data folder and one
// SMTP server. Tenants, communities and invitations are created through both; then every invitation gets
// racing Accepts (from several tenants) and then racing Confirms, split across the two instances. Each race
// has exactly one winner (202) and only 409s besides; every outbox message reaches the SMTP server exactly
// once, delivered by one of the two workers.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openStore } from '../../src/db/database.ts';
import { startSmtpSink } from '../support/mail.ts';
import { createTestDatabase } from '../support/postgres.ts';
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
  OPERATOR,
  paths,
  ServiceProcess,
  sleep,
  type Tenant,
  tally,
  token,
} from './harness.ts';

export interface TwoInstanceOptions {
  /** A PostgreSQL server whose user may create databases. */
  serverUrl: string;
  invitations?: number;
  /** Tenants racing to accept each invitation, and Confirms racing on each. */
  racers?: number;
  log?: (line: string) => void;
}

export interface TwoInstanceFigures {
  invitations: number;
  accepts: number;
  confirms: number;
  /** Outbox rows, and how many of them each instance's worker delivered (from its log). */
  messages: number;
  deliveredByA: number;
  deliveredByB: number;
  /** Messages the SMTP server received. */
  received: number;
  startMs: number;
  seconds: number;
}

/** Collects the outbox ids an instance logs as delivered ("mail delivered" lines of its pino log). */
function deliveryLog(service: ServiceProcess): string[] {
  const ids: string[] = [];
  let partial = '';
  service.onOutput = (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"mail delivered"')) continue;
      const id = (JSON.parse(line) as { outboxId?: string }).outboxId;
      if (id !== undefined) ids.push(id);
    }
  };
  return ids;
}

export async function runTwoInstances(options: TwoInstanceOptions): Promise<TwoInstanceFigures> {
  const started = Date.now();
  const count = options.invitations ?? 16;
  const racers = options.racers ?? 6;
  const log = options.log ?? (() => {});
  const failures: string[] = [];
  const fail = (message: string) => failures.push(message);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'convene-two-'));
  const sink = await startSmtpSink();
  const database = await createTestDatabase(options.serverUrl);
  const services: ServiceProcess[] = [];
  const clients: Client[] = [];
  try {
    const env = {
      CONVENE_DATABASE_URL: database.url,
      CONVENE_DATA_DIR: dir,
      CONVENE_SIGNING_KEY_FILE: path.join(dir, 'signing-key.json'),
      CONVENE_SMTP_URL: sink.url,
      // The address of the load balancer: the token issuer and every link, the same on both.
      CONVENE_PUBLIC_URL: 'http://convene.balanced.test',
      CONVENE_OPERATOR_CLIENT_ID: OPERATOR.id,
      CONVENE_OPERATOR_CLIENT_SECRET: OPERATOR.secret,
      CONVENE_LOG_LEVEL: 'info',
    };
    const [portA, portB] = [await freePort(), await freePort()];
    // Spawned together, so both run their migrations on the empty database at once.
    const a = ServiceProcess.spawn({ name: 'instance A', port: portA as number, env });
    const b = ServiceProcess.spawn({ name: 'instance B', port: portB as number, env });
    services.push(a, b);
    const delivered = [deliveryLog(a), deliveryLog(b)] as const;
    await Promise.all([a.ready(), b.ready()]);
    const startMs = Date.now() - started;
    log(`two instances [postgres]: both serving after ${startMs} ms`);

    const store = openStore({ kind: 'postgres', url: database.url });
    const outbox = () => store.db.selectFrom('outbox').selectAll().execute();
    try {
      const migrations = await sql<{ name: string }>`select name from convene_migrations`.execute(store.db);
      const applied = tally(migrations.rows.map((m) => m.name));
      if (applied.size === 0 || [...applied.values()].some((n) => n !== 1)) {
        fail(`migrations recorded ${JSON.stringify([...applied])}: each must be applied exactly once`);
      }

      const via = [new Client(a.url), new Client(b.url)] as const;
      clients.push(...via);
      const on = (i: number) => via[i % 2] as Client;
      // A token minted by one instance is good on the other (shared key and issuer).
      const operator = await token(via[0], OPERATOR.id, OPERATOR.secret);
      const owners: Tenant[] = [];
      const guests: Tenant[] = [];
      for (let i = 0; i < 2; i++) owners.push(await createTenant(on(i), operator, `Balanced owner ${i}`));
      for (let i = 0; i < racers; i++)
        guests.push(await createTenant(on(i), operator, `Balanced guest ${i}`));

      // One invitation per community, so the races of different invitations cannot interfere.
      const invitations: { id: string; community: Community }[] = [];
      for (let i = 0; i < count; i++) {
        const community = await createCommunity(on(i + 1), owners[i % 2] as Tenant, `Balanced ${i}`);
        const reply = await on(i).request('POST', paths.invitations(community.id), {
          token: community.owner.token,
          body: { InvitationRecipient: `invitee${i}@balanced.test` },
        });
        if (reply.status !== 201) throw new Error(`invite: ${reply.status} ${reply.body}`);
        invitations.push({ id: reply.json<InvitationWire>().Id, community });
      }

      /** Fires the requests of every invitation at once; each invitation must have exactly one winner. */
      const race = async (
        what: string,
        request: (
          inv: (typeof invitations)[number],
          racer: number,
        ) => Promise<{ status: number; body: string }>,
      ): Promise<number[]> => {
        const replies = await Promise.all(
          invitations.map((inv) => Promise.all(Array.from({ length: racers }, (_, r) => request(inv, r)))),
        );
        return replies.map((statuses, i) => {
          const counts = tally(statuses.map((s) => s.status));
          if (counts.get(202) !== 1 || counts.get(409) !== racers - 1) {
            const other = statuses.find((s) => s.status !== 202 && s.status !== 409);
            fail(
              `${what} of invitation ${i}: ${JSON.stringify([...counts])} (one 202 and ${racers - 1} 409 expected)${other ? `: ${other.body}` : ''}`,
            );
          }
          return statuses.findIndex((s) => s.status === 202);
        });
      };

      // Racer r of invitation i goes through instance (i + r) % 2: every race is split across both.
      const winners = await race('Accept', (inv, r) =>
        on(invitations.indexOf(inv) + r).request('PUT', paths.process(inv.id), {
          token: (guests[r] as Tenant).token,
          body: { Action: 'Accept', ContactEmail: contactFor(inv.id, r) },
        }),
      );
      await race('Confirm', (inv, r) =>
        on(invitations.indexOf(inv) + r).request('PUT', paths.process(inv.id), {
          token: inv.community.owner.token,
          body: { Action: 'Confirm' },
        }),
      );

      // The winner joined, as each instance sees it.
      for (const [i, inv] of invitations.entries()) {
        const winner = guests[winners[i] ?? -1];
        const members = await guestMembers(on(i), inv.community);
        if (winner === undefined || members.size !== 1 || members.get(winner.id) !== 'Active') {
          fail(`invitation ${i}: members ${JSON.stringify([...members])}, expected the Accept winner only`);
        }
        const read = await on(i + 1).request('GET', paths.invitation(inv.community.id, inv.id), {
          token: inv.community.owner.token,
        });
        const state = read.status === 200 ? read.json<InvitationWire>() : undefined;
        if (state?.State !== 'InvitationCompleted' || state.InvitedTenantId !== winner?.id) {
          fail(`invitation ${i}: ${read.status} ${read.body}`);
        }
      }

      // Every message of every invitation is in the outbox once, is sent, and arrives once.
      await drain(outbox);
      // Longer than both workers' poll interval, so a second delivery of anything would have happened.
      await sleep(2500);
      const rows = await outbox();
      const perInvitation = tally(rows.map((r) => `${invitationOfMail(r)}/${r.kind}`));
      for (const inv of invitations) {
        for (const kind of ['invitation', 'invitation-accepted', 'invitation-confirmed']) {
          const n = perInvitation.get(`${inv.id}/${kind}`) ?? 0;
          if (n !== 1) fail(`invitation ${inv.id}: ${n} ${kind} messages in the outbox, expected 1`);
        }
      }
      if (rows.length !== count * 3) fail(`${rows.length} outbox rows, expected ${count * 3}`);
      const { byId, unnamed } = deliveries(sink.received);
      if (unnamed > 0) fail(`${unnamed} messages arrived without an outbox Message-ID`);
      for (const row of rows) {
        const n = byId.get(row.id) ?? 0;
        if (n !== 1) fail(`outbox row ${row.id} (${row.kind}) arrived ${n} times`);
        if (row.sent_at === null) fail(`outbox row ${row.id} is not marked sent`);
      }
      if (sink.received.length !== rows.length) {
        fail(`the SMTP server received ${sink.received.length} messages for ${rows.length} outbox rows`);
      }
      const byWorker = tally([...delivered[0], ...delivered[1]]);
      for (const row of rows) {
        if (byWorker.get(row.id) !== 1)
          fail(`outbox row ${row.id} was delivered ${byWorker.get(row.id) ?? 0} times by the workers`);
      }

      const figures: TwoInstanceFigures = {
        invitations: count,
        accepts: count * racers,
        confirms: count * racers,
        messages: rows.length,
        deliveredByA: delivered[0].length,
        deliveredByB: delivered[1].length,
        received: sink.received.length,
        startMs,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
      if (failures.length > 0) {
        throw new Error(
          `two instances: ${failures.length} failures\n  ${failures.slice(0, 40).join('\n  ')}\nfigures: ${JSON.stringify(figures)}`,
        );
      }
      return figures;
    } finally {
      await store.close();
    }
  } catch (error) {
    // The tail of each instance's log explains a failure to start or a 500.
    const logs = services.map((s) => `--- ${s.spec.name} (tail) ---\n${s.output().slice(-3000)}`).join('\n');
    if (error instanceof Error && services.length > 0) error.message += `\n${logs}`;
    throw error;
  } finally {
    for (const client of clients) client.close();
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    await sink.close();
    await database.drop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

export function describeTwoInstances(f: TwoInstanceFigures): string {
  return (
    `two instances [postgres]: both up in ${f.startMs} ms; ${f.invitations} invitations, ${f.accepts} racing Accepts and ` +
    `${f.confirms} racing Confirms split across both (one 202 each, the rest 409); ${f.messages} messages, delivered ` +
    `${f.deliveredByA} by A and ${f.deliveredByB} by B, ${f.received} received; ${f.seconds} s`
  );
}
