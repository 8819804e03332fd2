// Seeds a benchmark dataset through the service's own store layer: tenants through IdentityService (as
// `convene tenant create` does), everything else as the rows the services write, inserted in bulk through
// Kysely in large transactions (a million invitations in seconds rather than minutes).
import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { systemClock } from '../src/clock.ts';
import { builtInRoleRows } from '../src/communities/community.service.ts';
import type { Store } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type {
  CommunityRow,
  CommunityTenantRow,
  InvitationRow,
  RoleAssignmentRow,
  UserRow,
} from '../src/db/schema.ts';
import { IdentityService } from '../src/identity/identity.service.ts';
import { COMMUNITY_ROLE_TYPES } from '../src/identity/roles.ts';
import { seededRandom } from '../test/support/random.ts';

/** Invitations in a "paged" community: ten pages of 100, the unit of the list scenarios. */
export const PAGED_SIZE = 1000;
export const COMMUNITIES_PER_OWNER = 10;
export const USERS_PER_OWNER = 30;
/** Random requests drawn per scenario (the wrk scripts pick among them uniformly). */
export const SAMPLE_SIZE = 20_000;

export interface Layout {
  name: string;
  invitations: number;
  communities: number;
  /** Communities holding PAGED_SIZE invitations each; the rest share what is left evenly. */
  pagedCommunities: number;
  /** Tenants and communities for the write path (only in the small dataset). */
  write?: { owners: number; communitiesPerOwner: number; guests: number };
}

export interface OwnerFixture {
  tenantId: string;
  clientId: string;
}

export interface CommunityFixture {
  id: string;
  owner: number;
  invitations: number;
}

export interface InvitationSample {
  id: string;
  community: number;
}

export interface WriteFixture {
  owners: (OwnerFixture & { communities: string[] })[];
  guests: OwnerFixture[];
}

export interface Dataset {
  layout: Layout;
  owners: OwnerFixture[];
  communities: CommunityFixture[];
  /** A uniform sample of all invitations (all of them when there are fewer than SAMPLE_SIZE). */
  sample: InvitationSample[];
  write?: WriteFixture;
  rows: Record<string, number>;
  seconds: number;
}

type LooseDb = Kysely<Record<string, Record<string, unknown>>>;

const DAY = 86_400_000;

/**
 * Inserts rows in multi-row statements. Chunks stay under both engines' parameter limits (SQLite 32,766,
 * PostgreSQL 65,535).
 */
async function insertRows(db: Store['db'], engine: Store['engine'], table: string, rows: object[]) {
  if (rows.length === 0) return;
  if (engine === 'postgres') return insertUnnest(db, table, rows);
  const columns = Object.keys(rows[0] as object).length;
  const chunk = Math.max(1, Math.floor(30_000 / columns));
  const loose = db as unknown as LooseDb;
  for (let i = 0; i < rows.length; i += chunk) {
    await loose
      .insertInto(table)
      .values(rows.slice(i, i + chunk) as Record<string, unknown>[])
      .execute();
  }
}

/**
 * PostgreSQL: one statement per 10,000 rows, each column sent as one array parameter and expanded by
 * unnest(), which is several times faster than multi-row VALUES with tens of thousands of parameters.
 */
async function insertUnnest(db: Store['db'], table: string, rows: object[]): Promise<void> {
  const columns = Object.keys(rows[0] as object);
  const records = rows as Record<string, unknown>[];
  for (let i = 0; i < records.length; i += 10_000) {
    const chunk = records.slice(i, i + 10_000);
    const arrays = columns.map((column) => {
      const values = chunk.map((row) => row[column] ?? null);
      const integer = values.some((v) => typeof v === 'number');
      return integer ? sql`${values}::integer[]` : sql`${values}::text[]`;
    });
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
      select * from unnest(${sql.join(arrays)})`.execute(db);
  }
}

/** Batches rows into multi-row inserts inside the one transaction of the seed (parents before children). */
class Writer {
  private pending = new Map<string, object[]>();
  private count = 0;
  readonly totals: Record<string, number> = {};

  constructor(
    private readonly db: Store['db'],
    private readonly engine: Store['engine'],
  ) {}

  async add(table: string, row: object): Promise<void> {
    let rows = this.pending.get(table);
    if (rows === undefined) {
      rows = [];
      this.pending.set(table, rows);
    }
    rows.push(row);
    this.totals[table] = (this.totals[table] ?? 0) + 1;
    if (++this.count >= 20_000) await this.flush(false);
  }

  private inflight: Promise<void> = Promise.resolve();

  /**
   * Writes the pending rows. On PostgreSQL the insert runs while the next batch is built (the server, not
   * node, is the bottleneck there); `wait` for the last one. better-sqlite3 is synchronous either way.
   */
  async flush(wait = true): Promise<void> {
    const order = ['communities', 'roles', 'community_tenants', 'users', 'role_assignments'];
    const batch = this.pending;
    const tables = [...batch.keys()].sort(
      (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
    );
    this.pending = new Map();
    this.count = 0;
    const previous = this.inflight;
    this.inflight = (async () => {
      await previous;
      for (const table of tables) await insertRows(this.db, this.engine, table, batch.get(table) ?? []);
    })();
    // One batch in flight at most, and a failure surfaces at the next flush.
    await previous;
    if (wait) await this.inflight;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A community as CommunityService.create writes it: three roles, the owner's membership and its roles. */
async function addCommunity(
  w: Writer,
  owner: OwnerFixture & { contactEmail: string },
  name: string,
  createdMs: number,
): Promise<{ id: string; roles: { administrator: string; moderator: string; member: string } }> {
  const id = randomUUID();
  const roles = builtInRoleRows(id, createdMs);
  const roleOf = (typeId: string) => roles.find((r) => r.role_type_id === typeId)?.id as string;
  const community: CommunityRow = {
    id,
    owner_tenant_id: owner.tenantId,
    name,
    name_key: name.toLowerCase(),
    description: `Benchmark community ${name}`,
    preferred_region_id: null,
    member_role_id: roleOf(COMMUNITY_ROLE_TYPES.member),
    created_at: iso(createdMs),
  };
  await w.add('communities', community);
  for (const role of roles) await w.add('roles', role);
  const membership: CommunityTenantRow = {
    community_id: id,
    tenant_id: owner.tenantId,
    status: 'Active',
    is_owner: 1,
    contact_email: owner.contactEmail,
    community_alias: null,
    joined_at: iso(createdMs),
  };
  await w.add('community_tenants', membership);
  for (const typeId of [COMMUNITY_ROLE_TYPES.administrator, COMMUNITY_ROLE_TYPES.member]) {
    const assignment: RoleAssignmentRow = {
      principal_id: owner.clientId,
      role_id: roleOf(typeId),
      tenant_id: owner.tenantId,
      community_id: id,
    };
    await w.add('role_assignments', assignment);
  }
  return {
    id,
    roles: {
      administrator: roleOf(COMMUNITY_ROLE_TYPES.administrator),
      moderator: roleOf(COMMUNITY_ROLE_TYPES.moderator),
      member: roleOf(COMMUNITY_ROLE_TYPES.member),
    },
  };
}

async function secondaryIndexes(store: Store, tables: string[]) {
  const list = tables.map((t) => `'${t}'`).join(', ');
  const query =
    store.engine === 'sqlite'
      ? `select name, sql as definition from sqlite_master where type = 'index' and sql is not null and tbl_name in (${list})`
      : `select indexname as name, indexdef as definition from pg_indexes i where tablename in (${list})
           and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`;
  const { rows } = await sql.raw<{ name: string; definition: string }>(query).execute(store.db);
  return rows;
}

export type SeedProgress = (message: string) => void;

/** Seeds `layout` into a freshly migrated, empty store. */
export async function seed(store: Store, layout: Layout, log: SeedProgress): Promise<Dataset> {
  const started = performance.now();
  await migrateToLatest(store.db);
  if (store.engine === 'sqlite') {
    // Seeding only; the service opens the file with its own settings (WAL, synchronous=NORMAL). Without a
    // journal and with a large cache, the random-id indexes are built in memory and written once.
    await sql`pragma journal_mode = off`.execute(store.db);
    await sql`pragma synchronous = off`.execute(store.db);
    await sql`pragma cache_size = -2000000`.execute(store.db);
    // The rows are built consistent; checking every foreign key of a million rows costs a third of the time.
    await sql`pragma foreign_keys = off`.execute(store.db);
  }
  const random = seededRandom(layout.invitations + layout.communities);
  const identity = new IdentityService(store.db, systemClock, 3600);
  const now = Date.now();
  const base = now - 30 * DAY;

  const createTenants = async (count: number, label: string) => {
    const out: (OwnerFixture & { contactEmail: string; name: string })[] = [];
    for (let i = 0; i < count; i++) {
      const contactEmail = `ops@${label}${i}.bench.example`;
      const created = await identity.createTenant({ Name: `${label} ${i}`, ContactEmail: contactEmail });
      out.push({
        tenantId: created.tenant.id,
        clientId: created.client.id,
        contactEmail,
        name: created.tenant.name,
      });
    }
    return out;
  };

  const ownerCount = Math.ceil(layout.communities / COMMUNITIES_PER_OWNER);
  const owners = await createTenants(ownerCount, 'owner');
  const writeOwners = layout.write === undefined ? [] : await createTenants(layout.write.owners, 'writer');
  const guests = layout.write === undefined ? [] : await createTenants(layout.write.guests, 'guest');
  log(`${owners.length + writeOwners.length + guests.length} tenants (IdentityService.createTenant)`);

  // Which communities are paged: the first community of the first `pagedCommunities` owners, so pages are
  // spread over as many tenants as possible.
  const isPaged = (index: number) =>
    index % COMMUNITIES_PER_OWNER === 0 && index / COMMUNITIES_PER_OWNER < layout.pagedCommunities;
  const rest = layout.invitations - layout.pagedCommunities * PAGED_SIZE;
  const others = layout.communities - layout.pagedCommunities;
  if (rest < 0 || (rest > 0 && others === 0) || layout.pagedCommunities > ownerCount) {
    throw new Error(`layout ${layout.name} does not add up`);
  }
  const perOther = others === 0 ? 0 : Math.floor(rest / others);
  let extra = others === 0 ? 0 : rest - perOther * others;

  const communities: CommunityFixture[] = [];
  const sample: InvitationSample[] = [];
  const write: WriteFixture = {
    owners: [],
    guests: guests.map(({ tenantId, clientId }) => ({ tenantId, clientId })),
  };
  let seen = 0;
  let createdMs = base;

  // Building the secondary indexes once, after the load, is several times faster than maintaining them
  // row by row. Their definitions are read back from the catalogue, so they stay exactly the migrations'.
  const indexes = await secondaryIndexes(store, ['invitations', 'role_assignments']);
  for (const index of indexes) await sql.raw(`drop index ${index.name}`).execute(store.db);

  const totals = await store.db.transaction().execute(async (trx) => {
    // As foreign_keys=off on SQLite: no per-row foreign key triggers (the bench cluster's superuser).
    if (store.engine === 'postgres') await sql`set local session_replication_role = replica`.execute(trx);
    const w = new Writer(trx, store.engine);
    for (let o = 0; o < ownerCount; o++) {
      const owner = owners[o] as (typeof owners)[number];
      // Users of the owner, each a member of every community of its owner (three are moderators).
      const users: UserRow[] = [];
      for (let u = 0; u < USERS_PER_OWNER; u++) {
        const user: UserRow = {
          id: randomUUID(),
          tenant_id: owner.tenantId,
          email: `user${u}@owner${o}.bench.example`,
          contact_email: null,
          given_name: `Given${u}`,
          surname: `Surname${u}`,
          name: `Given${u} Surname${u}`,
          contact_given_name: null,
          contact_surname: null,
          external_user_id: null,
          identity_provider_id: null,
          created_at: iso(base + o * 1000 + u),
        };
        users.push(user);
        await w.add('users', user);
      }
      for (let k = 0; k < COMMUNITIES_PER_OWNER; k++) {
        const index = o * COMMUNITIES_PER_OWNER + k;
        if (index >= layout.communities) break;
        createdMs += 10;
        const { id, roles } = await addCommunity(w, owner, `Community ${index}`, createdMs);
        for (const [u, user] of users.entries()) {
          const held = u < 3 ? [roles.moderator, roles.member] : [roles.member];
          for (const role_id of held) {
            await w.add('role_assignments', {
              principal_id: user.id,
              role_id,
              tenant_id: owner.tenantId,
              community_id: id,
            } satisfies RoleAssignmentRow);
          }
        }
        let count = 0;
        if (isPaged(index)) count = PAGED_SIZE;
        else if (others > 0) {
          count = perOther;
          if (extra > 0) {
            count++;
            extra--;
          }
        }
        communities.push({ id, owner: o, invitations: count });
        const ci = communities.length - 1;
        for (let j = 0; j < count; j++) {
          const row = invitationRow(id, owner, owners, j, base + j * 600, random);
          await w.add('invitations', row);
          // Reservoir sampling: a uniform sample whatever the total.
          seen++;
          if (sample.length < SAMPLE_SIZE) sample.push({ id: row.id, community: ci });
          else {
            const slot = Math.floor(random() * seen);
            if (slot < SAMPLE_SIZE) sample[slot] = { id: row.id, community: ci };
          }
        }
      }
      if (o % 100 === 99) log(`${communities.length} communities, ${seen} invitations`);
    }
    for (const [o, owner] of writeOwners.entries()) {
      const ids: string[] = [];
      for (let k = 0; k < (layout.write?.communitiesPerOwner ?? 0); k++) {
        createdMs += 10;
        ids.push((await addCommunity(w, owner, `Write ${o}-${k}`, createdMs)).id);
      }
      write.owners.push({ tenantId: owner.tenantId, clientId: owner.clientId, communities: ids });
    }
    await w.flush();
    return w.totals;
  });
  log(`rows inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await store.db.transaction().execute(async (trx) => {
    if (store.engine === 'postgres') await sql`set local maintenance_work_mem = '256MB'`.execute(trx);
    for (const index of indexes) await sql.raw(index.definition).execute(trx);
  });
  log(`${indexes.length} indexes rebuilt in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  if (store.engine === 'sqlite') {
    await sql`pragma journal_mode = wal`.execute(store.db);
  } else {
    // The steady state of a live database: autovacuum would otherwise vacuum these tables mid-run.
    await sql`vacuum analyze`.execute(store.db);
  }
  return {
    layout,
    owners: owners.map(({ tenantId, clientId }) => ({ tenantId, clientId })),
    communities,
    sample,
    ...(layout.write === undefined ? {} : { write }),
    rows: { tenants: owners.length + writeOwners.length + guests.length, ...totals },
    seconds: (performance.now() - started) / 1000,
  };
}

const STATES = [
  'InvitationCreated',
  'InvitationCreated',
  'InvitationCreated',
  'InvitationCreated',
  'InvitationCreated',
  'InvitationCreated',
  'InvitationDeclined',
  'InvitationCompleted',
  'InvitationCompleted',
  'ExpiredCreated',
] as const;

/** An invitation in a mix of states, with the answers of the tenant that accepted it where it was. */
function invitationRow(
  communityId: string,
  owner: OwnerFixture,
  owners: (OwnerFixture & { name: string })[],
  j: number,
  createdMs: number,
  random: () => number,
): InvitationRow {
  const kind = STATES[j % STATES.length] as (typeof STATES)[number];
  const answered = kind === 'InvitationDeclined' || kind === 'InvitationCompleted';
  const other = owners[Math.floor(random() * owners.length)] as OwnerFixture & { name: string };
  const expiresMs = kind === 'ExpiredCreated' ? Date.now() - DAY : Date.now() + 14 * DAY;
  const recipient = `invitee${j}@partner${j % 97}.bench.example`;
  return {
    id: randomUUID(),
    community_id: communityId,
    issuing_tenant_id: owner.tenantId,
    recipient,
    recipient_key: recipient.toLowerCase(),
    state: kind === 'ExpiredCreated' ? 'InvitationCreated' : kind,
    version: answered ? 3 : 1,
    issued_at: iso(createdMs),
    expires_at: iso(expiresMs),
    accepted_at: answered ? iso(createdMs + 3_600_000) : null,
    invited_tenant_id: answered ? other.tenantId : null,
    accepted_tenant_name: answered ? other.name : null,
    accepted_user_email: answered ? `admin${j}@partner${j % 97}.bench.example` : null,
    contact_email: answered ? `contact${j}@partner${j % 97}.bench.example` : null,
    link_token_hash: createHash('sha256').update(`${communityId}/${j}`).digest('hex'),
    created_at: iso(createdMs),
  };
}
