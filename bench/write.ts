// The write path: create → Accept → Confirm of fresh invitations through the HTTP API, driven by
// bench/lua/write.lua (one connection per wrk thread, each working through its own (community, guest
// tenant) pairs), then checked against the store: every acknowledged transition is there, none twice, and
// every mail the transitions wrote to the outbox reached the SMTP sink exactly once.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../src/db/database.ts';
import type { TokenService } from '../src/identity/token.service.ts';
import { type LoadResult, runLoad } from './load.ts';
import type { Dataset } from './seed.ts';
import { sleep } from './service.ts';
import type { SmtpSink } from './smtp-sink.ts';

export interface WritePass {
  label: string;
  seconds: number;
  created: number;
  accepted: number;
  confirmed: number;
  failed: number;
  statuses: Record<string, number>;
  transitionsPerSecond: number;
  createsPerSecond: number;
  p99Ms: number;
  p50Ms: number;
}

export interface WriteVerification {
  acknowledged: { created: number; accepted: number; confirmed: number };
  /** Acknowledged transitions the store does not show (must be 0). */
  lost: number;
  /** Transitions acknowledged twice, or memberships not matching completed invitations (must be 0). */
  duplicated: number;
  /** Applied but never acknowledged: in flight when a wrk run stopped (at most one per connection). */
  unacknowledged: number;
  store: { invitations: number; accepted: number; completed: number; joined: number };
  mail: {
    outbox: number;
    expected: number;
    delivered: number;
    duplicates: number;
    pendingAfterDrain: number;
    /** Messages that reached the sink while the load ran, per second of load. */
    perSecondUnderLoad: number;
    /** All messages of the run over the time from the first request to the last delivery. */
    perSecondOverall: number;
    drainSeconds: number;
  };
}

export interface WriteResult {
  passes: WritePass[];
  warmup: WritePass;
  verification: WriteVerification;
}

export interface WritePlan {
  file: string;
  threads: number;
  pairsPerThread: number;
  offsets: number[];
}

/** The pairs file: owner w of thread w+1 works through its communities × every guest tenant. */
export async function planWrites(
  dataset: Dataset,
  tokens: TokenService,
  file: string,
  threads: number,
): Promise<WritePlan> {
  const write = dataset.write;
  if (write === undefined || write.owners.length < threads)
    throw new Error('the dataset has no write fixture');
  const lines: string[] = [];
  const sign = (p: { tenantId: string; clientId: string }) =>
    tokens.sign({ kind: 'client', id: p.clientId, tenantId: p.tenantId }, 7200);
  for (const owner of write.owners) lines.push(`T ${await sign(owner)}`);
  for (const guest of write.guests) lines.push(`T ${await sign(guest)}`);
  let pairsPerThread = 0;
  for (let t = 0; t < threads; t++) {
    const owner = write.owners[t] as (typeof write.owners)[number];
    let pairs = 0;
    for (let g = 0; g < write.guests.length; g++) {
      for (const community of owner.communities) {
        lines.push(`P ${t + 1} ${t + 1} ${write.owners.length + g + 1} ${community}`);
        pairs++;
      }
    }
    pairsPerThread = pairs;
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, threads, pairsPerThread, offsets: new Array(threads).fill(0) };
}

function toPass(label: string, result: LoadResult): WritePass {
  const sum = (key: 'created' | 'accepted' | 'confirmed' | 'failed') =>
    (result.threads ?? []).reduce((n, t) => n + t[key], 0);
  const statuses: Record<string, number> = {};
  for (const t of result.threads ?? []) {
    for (const [code, n] of Object.entries(t.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  }
  const accepted = sum('accepted');
  const confirmed = sum('confirmed');
  return {
    label,
    seconds: result.seconds,
    created: sum('created'),
    accepted,
    confirmed,
    failed: sum('failed'),
    statuses,
    transitionsPerSecond: (accepted + confirmed) / result.seconds,
    createsPerSecond: sum('created') / result.seconds,
    p99Ms: result.latencyMs.p99,
    p50Ms: result.latencyMs.p50,
  };
}

export async function runWritePath(options: {
  plan: WritePlan;
  urls: string[];
  ackDir: string;
  warmupSeconds: number;
  passSeconds: number;
  passes: number;
  label: string;
  store: Store;
  sink: SmtpSink;
  communities: string[];
  drainTimeoutSeconds: number;
  log: (message: string) => void;
}): Promise<WriteResult> {
  const { plan, urls } = options;
  mkdirSync(options.ackDir, { recursive: true });
  const sinkStart = options.sink.arrivals.length;
  const outboxBefore = await outboxCount(options.store);
  const started = performance.now();
  const run = async (label: string, seconds: number) => {
    const result = await runLoad({
      url: urls[0] as string,
      hosts: urls.length > 1 ? urls.map((u) => u.replace(/^http:\/\//, '')) : [],
      script: 'write',
      args: [plan.file, plan.offsets.join(','), options.ackDir, `${options.label}-${label}`],
      threads: plan.threads,
      connections: plan.threads,
      seconds,
    });
    for (const t of result.threads ?? []) {
      plan.offsets[t.tid - 1] = t.next;
      if (t.next >= plan.pairsPerThread) options.log(`WARNING: thread ${t.tid} ran out of write pairs`);
    }
    return toPass(label, result);
  };
  const warmup = await run('warmup', options.warmupSeconds);
  const passes: WritePass[] = [];
  for (let i = 1; i <= options.passes; i++) passes.push(await run(`pass${i}`, options.passSeconds));
  const loadEnded = performance.now();

  // Drain: the outbox workers deliver what the load left behind.
  const drainDeadline = Date.now() + options.drainTimeoutSeconds * 1000;
  let pending = await pendingMail(options.store);
  while (pending > 0 && Date.now() < drainDeadline) {
    await sleep(250);
    pending = await pendingMail(options.store);
  }
  const drained = performance.now();
  await sleep(200);

  const verification = await verify(options, {
    sinkStart,
    outboxBefore,
    started,
    loadEnded,
    drained,
    pending,
  });
  return { passes, warmup, verification };
}

async function outboxCount(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function pendingMail(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('sent_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function verify(
  options: Parameters<typeof runWritePath>[0],
  times: {
    sinkStart: number;
    outboxBefore: number;
    started: number;
    loadEnded: number;
    drained: number;
    pending: number;
  },
): Promise<WriteVerification> {
  const acks = { N: new Map<string, number>(), A: new Map<string, number>(), C: new Map<string, number>() };
  for (const file of readdirSync(options.ackDir)) {
    if (!file.startsWith(`acks-${options.label}-`)) continue;
    for (const line of readFileSync(path.join(options.ackDir, file), 'utf8').split('\n')) {
      const [kind, id] = line.split(' ');
      if ((kind === 'N' || kind === 'A' || kind === 'C') && id !== undefined) {
        acks[kind].set(id, (acks[kind].get(id) ?? 0) + 1);
      }
    }
  }
  const db = options.store.db;
  const communities = options.communities;
  const rows = await db
    .selectFrom('invitations')
    .select(['id', 'state', 'community_id', 'invited_tenant_id'])
    .where('community_id', 'in', communities)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  let lost = 0;
  let duplicated = 0;
  for (const [kind, map] of Object.entries(acks)) {
    for (const [id, count] of map) {
      if (count > 1) duplicated += count - 1;
      const row = byId.get(id);
      const ok =
        row !== undefined &&
        (kind === 'N' ||
          (kind === 'A' && (row.state === 'InvitationAccepted' || row.state === 'InvitationCompleted')) ||
          (kind === 'C' && row.state === 'InvitationCompleted'));
      if (!ok) lost++;
    }
  }
  const completed = rows.filter((r) => r.state === 'InvitationCompleted');
  const accepted = rows.filter((r) => r.state === 'InvitationAccepted' || r.state === 'InvitationCompleted');
  const joinedRow = await db
    .selectFrom('community_tenants')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('community_id', 'in', communities)
    .where('is_owner', '=', 0)
    .executeTakeFirst();
  const joined = Number(joinedRow?.n ?? 0);
  // Every completion adds exactly one membership: more would be a duplicated join, fewer a lost one.
  duplicated += Math.max(0, joined - completed.length);
  lost += Math.max(0, completed.length - joined);
  // Each created invitation mails the recipient, each accepted one the issuer, each completed one the
  // accepting tenant.
  const expectedMail = rows.length + accepted.length + completed.length;
  const outbox = (await outboxCount(options.store)) - times.outboxBefore;
  const { sink } = options;
  const arrivals = sink.arrivals.slice(times.sinkStart);
  const loadSeconds = (times.loadEnded - times.started) / 1000;
  const underLoad = arrivals.filter((t) => t <= times.loadEnded).length;
  const last = arrivals.at(-1) ?? times.loadEnded;
  return {
    acknowledged: { created: acks.N.size, accepted: acks.A.size, confirmed: acks.C.size },
    lost,
    duplicated,
    unacknowledged:
      completed.length -
      [...acks.C.keys()].filter((id) => byId.get(id)?.state === 'InvitationCompleted').length,
    store: { invitations: rows.length, accepted: accepted.length, completed: completed.length, joined },
    mail: {
      outbox,
      expected: expectedMail,
      delivered: arrivals.length,
      // By Message-ID (the outbox row id): a message that reached the sink twice.
      duplicates: sink.duplicates,
      pendingAfterDrain: times.pending,
      perSecondUnderLoad: underLoad / loadSeconds,
      perSecondOverall: arrivals.length / ((last - times.started) / 1000),
      drainSeconds: (times.drained - times.loadEnded) / 1000,
    },
  };
}

/** Communities of the write fixture, for the checks. */
export function writeCommunities(dataset: Dataset): string[] {
  return (dataset.write?.owners ?? []).flatMap((o) => o.communities);
}
