// What the load scripts request (files of tokens and paths for bench/lua/read.lua) and what the baseline
// answers (the same responses, built from the store with the service's own repositories and mappers).
import { writeFileSync } from 'node:fs';
import {
  communityRoleIdsOf,
  countInCommunity,
  listUsersInCommunity,
} from '../src/community-users/community-user.repository.ts';
import type { Store } from '../src/db/database.ts';
import { stripNulls } from '../src/http/conventions.ts';
import { toUser } from '../src/identity/identity.schemas.ts';
import type { TokenService } from '../src/identity/token.service.ts';
import {
  countIssuedInvitations,
  findIssuedInvitation,
  listIssuedInvitations,
} from '../src/invitations/invitation.repository.ts';
import { toInvitation } from '../src/invitations/invitation.schemas.ts';
import { seededRandom } from '../test/support/random.ts';
import type { Fixture, FixtureEntry } from './baseline-server.ts';
import { type Dataset, PAGED_SIZE, SAMPLE_SIZE } from './seed.ts';
import { httpRequest, type RawResponse } from './service.ts';

export const READ_SCENARIOS = ['get', 'list', 'first', 'users', 'users-head'] as const;
export type ReadScenario = (typeof READ_SCENARIOS)[number];

export const SCENARIO_TITLES: Record<ReadScenario, string> = {
  get: 'GET invitation by id',
  list: 'GET invitations, random page of 100',
  first: 'GET invitations, first page of 100',
  users: 'GET community users',
  'users-head': 'HEAD community users',
};

export interface PlannedRequest {
  method: 'GET' | 'HEAD';
  path: string;
  owner: number;
  /** What the baseline needs to build the response. */
  community: number;
  invitation?: string;
  skip?: number;
}

const PAGE = 100;

/** Up to SAMPLE_SIZE random requests of a scenario over the dataset (all of them when there are fewer). */
export function planRequests(dataset: Dataset, scenario: ReadScenario): PlannedRequest[] {
  const random = seededRandom(READ_SCENARIOS.indexOf(scenario) + 1);
  const { communities } = dataset;
  const paged = communities.map((c, index) => ({ c, index })).filter(({ c }) => c.invitations === PAGED_SIZE);
  const base = '/api/v1-preview';
  switch (scenario) {
    case 'get':
      return dataset.sample.map((s) => {
        const c = communities[s.community] as Dataset['communities'][number];
        return {
          method: 'GET',
          path: `${base}/communities/${c.id}/invitations/${s.id}`,
          owner: c.owner,
          community: s.community,
          invitation: s.id,
        };
      });
    case 'list':
    case 'first': {
      const out: PlannedRequest[] = [];
      const pages = scenario === 'first' ? 1 : PAGED_SIZE / PAGE;
      for (const { c, index } of paged) {
        for (let p = 0; p < pages; p++) {
          out.push({
            method: 'GET',
            path: `${base}/communities/${c.id}/invitations?skip=${p * PAGE}&count=${PAGE}`,
            owner: c.owner,
            community: index,
            skip: p * PAGE,
          });
        }
      }
      return sampleOf(out, random);
    }
    case 'users':
    case 'users-head': {
      const method = scenario === 'users' ? 'GET' : 'HEAD';
      const out: PlannedRequest[] = communities.map((c, index) => ({
        method,
        path: `${base}/Communities/${c.id}/Tenants/${dataset.owners[c.owner]?.tenantId}/Users`,
        owner: c.owner,
        community: index,
      }));
      return sampleOf(out, random);
    }
  }
}

function sampleOf<T>(items: T[], random: () => number): T[] {
  if (items.length <= SAMPLE_SIZE) return items;
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, SAMPLE_SIZE);
}

/** Owner client tokens, minted with the service's key (the bench and the service share the key file). */
export async function ownerTokens(
  tokens: TokenService,
  dataset: Dataset,
  owners: Iterable<number>,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const o of owners) {
    if (out.has(o)) continue;
    const owner = dataset.owners[o];
    if (owner === undefined) throw new Error(`no owner ${o}`);
    out.set(o, await tokens.sign({ kind: 'client', id: owner.clientId, tenantId: owner.tenantId }, 7200));
  }
  return out;
}

/** The file read.lua loads: tokens, then one line per request. */
export function writeRequestFile(
  file: string,
  requests: PlannedRequest[],
  tokens: Map<number, string>,
): void {
  const index = new Map<number, number>();
  const lines: string[] = [];
  for (const r of requests) {
    if (!index.has(r.owner)) {
      index.set(r.owner, index.size + 1);
      lines.push(`T ${tokens.get(r.owner)}`);
    }
  }
  for (const r of requests) lines.push(`R ${r.method} ${index.get(r.owner)} ${r.path}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** The body object and Total-Count of one request, read with the service's repositories and mappers. */
async function expected(
  store: Store,
  dataset: Dataset,
  request: PlannedRequest,
  scenario: ReadScenario,
  now: Date,
): Promise<{ body?: unknown; total?: number }> {
  const c = dataset.communities[request.community] as Dataset['communities'][number];
  const tenantId = dataset.owners[c.owner]?.tenantId as string;
  const db = store.db;
  switch (scenario) {
    case 'get': {
      const row = await findIssuedInvitation(db, c.id, tenantId, request.invitation as string);
      if (row === undefined) throw new Error(`invitation ${request.invitation} not found`);
      return { body: stripNulls(toInvitation(row, now)) };
    }
    case 'list':
    case 'first': {
      const rows = await listIssuedInvitations(db, c.id, tenantId, { skip: request.skip ?? 0, count: PAGE });
      const total = await countIssuedInvitations(db, c.id, tenantId);
      return { body: stripNulls(rows.map((r) => toInvitation(r, now))), total };
    }
    case 'users':
    case 'users-head': {
      const total = await countInCommunity(db, 'users', c.id, tenantId);
      if (scenario === 'users-head') return { total };
      const users = await listUsersInCommunity(db, c.id, tenantId, { skip: 0, count: PAGE });
      const roles = await communityRoleIdsOf(
        db,
        c.id,
        users.map((u) => u.id),
      );
      return { body: stripNulls(users.map((u) => toUser(u, roles.get(u.id) ?? []))), total };
    }
  }
}

/** Headers the baseline makes per request or that node:http adds itself. */
const PER_REQUEST = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'operation-id',
  'total-count',
]);

/** The static headers of a service response, and its Keep-Alive timeout. */
function staticHeaders(response: RawResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    const name = (response.rawHeaders[i] as string).toLowerCase();
    if (!PER_REQUEST.has(name)) out[name] = response.rawHeaders[i + 1] as string;
  }
  return out;
}

export interface BaselineCheck {
  scenario: ReadScenario;
  compared: number;
  bodyBytes: number;
  headers: string[];
}

/** JSON with sorted keys, to compare objects whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

/**
 * Builds the baseline's fixture: for every planned request, the service's own answer (status, static
 * headers, body object, Total-Count), checked two ways: JSON.stringify of the object gives back the
 * service's bytes exactly, and on a sample the object equals what the service's repositories and mappers
 * make of the stored rows.
 */
export async function buildBaselineFixture(
  store: Store,
  dataset: Dataset,
  plans: Map<ReadScenario, PlannedRequest[]>,
  tokens: Map<number, string>,
  serviceUrl: string,
): Promise<{ fixture: Fixture; checks: BaselineCheck[] }> {
  const now = new Date();
  const entries: FixtureEntry[] = [];
  const checks: BaselineCheck[] = [];
  let keepAliveTimeoutMs = 72_000;
  for (const [scenario, requests] of plans) {
    const seen = new Set<string>();
    let compared = 0;
    let bodyBytes = 0;
    let headerNames: string[] = [];
    for (const r of requests) {
      if (seen.has(r.path)) continue;
      seen.add(r.path);
      const actual = await httpRequest(serviceUrl + r.path, {
        method: r.method,
        headers: { authorization: `Bearer ${tokens.get(r.owner)}` },
      });
      if (actual.status !== 200)
        throw new Error(`${scenario} ${r.path}: the service answered ${actual.status}`);
      const keepAlive = /timeout=(\d+)/.exec(String(actual.headers['keep-alive'] ?? ''));
      if (keepAlive) keepAliveTimeoutMs = Number(keepAlive[1]) * 1000;
      const headers = staticHeaders(actual);
      headerNames = Object.keys(headers).sort();
      const total = actual.headers['total-count'];
      const raw = actual.body.toString('utf8');
      const body = r.method === 'GET' ? (JSON.parse(raw) as unknown) : undefined;
      if (body !== undefined && JSON.stringify(body) !== raw) {
        throw new Error(`${scenario} ${r.path}: JSON.stringify does not give back the service's bytes`);
      }
      if (compared < 25) {
        const want = await expected(store, dataset, r, scenario, now);
        if (
          canonical(want.body) !== canonical(body) ||
          (want.total !== undefined && String(want.total) !== total)
        ) {
          throw new Error(
            `${scenario} ${r.path}: the service's answer differs from the stored rows:\n` +
              `service: ${raw.slice(0, 400)}\nstore:   ${JSON.stringify(want.body).slice(0, 400)}`,
          );
        }
        compared++;
      }
      bodyBytes = Math.max(bodyBytes, Buffer.byteLength(raw));
      entries.push({
        method: r.method,
        path: r.path,
        status: 200,
        headers: { ...headers, ...(total === undefined ? {} : { 'total-count': String(total) }) },
        ...(body === undefined ? {} : { body }),
        ...(r.method === 'HEAD' && actual.headers['content-length'] !== undefined
          ? { contentLength: String(actual.headers['content-length']) }
          : {}),
      });
    }
    checks.push({ scenario, compared, bodyBytes, headers: headerNames });
  }
  return { fixture: { keepAliveTimeoutMs, entries }, checks };
}
