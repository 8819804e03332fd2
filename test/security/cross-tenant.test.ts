// One tenant cannot reach another's data on any route (CONTRACT §1: "never reveal existence across
// tenants"). The test reads the OpenAPI document, the committed file and the one the app serves, and for
// every path and method fills the path with ids of tenant A's world (its tenant, users, clients, roles,
// communities, invitations) and calls it as another tenant. Every route answers 404 with nothing of A in
// the answer beyond the path itself, exactly as for ids that exist nowhere, and nothing changes. The
// routes that cannot be about A's ids (public, or scoped to the caller) and the two whose id is itself a
// capability are listed below with the reason, and checked for their own answers. A route added to the
// OpenAPI is walked as soon as it exists; one this test cannot fill (a new kind of id) or one without ids
// that is not listed fails it, so every new route gets a decision.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { assertErrorResponse, describeEachEngine, type TenantFixture, type TestApp } from '../support/app.ts';
import { createCommunity, joinThroughInvitation, roleId } from '../support/fixtures.ts';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

interface Operation {
  method: Method;
  path: string;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  pattern?: string;
  format?: string;
  $ref?: string;
}

interface OpenApi {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
  components?: { schemas?: Record<string, Schema> };
}

/** Tenant A's world, built through the API, and what of it must never show in another tenant's answer. */
interface World {
  a: TenantFixture;
  partner: TenantFixture;
  stranger: TenantFixture;
  strangerUser: string;
  /** Values for each path parameter, all of A's world. */
  ids: Record<string, string>;
  /** A's Tenant Administrator role and a role of A's private community, for bodies that try to escalate. */
  escalation: { tenantRole: string; communityRole: string };
  /** Names, e-mail addresses and ids of A's world. */
  confidential: string[];
}

const METHODS: readonly Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

const key = (method: string, path: string) => `${method} ${path}`;

interface Caller {
  name: string;
  token: (w: World) => string;
  tenantAdmin: boolean;
  /** What the caller may see of its own (the partner is one of the tenants named as A's world). */
  own: (w: World) => string[];
}

/** A stranger's administrator and plain user, and a partner tenant that shares another community with A. */
const CALLERS: Caller[] = [
  {
    name: 'a stranger tenant’s administrator',
    token: (w) => w.stranger.token,
    tenantAdmin: true,
    own: () => [],
  },
  {
    name: 'a stranger tenant’s user without roles',
    token: (w) => w.strangerUser,
    tenantAdmin: false,
    own: () => [],
  },
  {
    name: 'a partner tenant (member of another of A’s communities)',
    token: (w) => w.partner.token,
    own: (w) => [w.partner.name, w.partner.id],
    tenantAdmin: true,
  },
];

interface Exception {
  reason: string;
  /** Checks the route's own answers for each caller (no change to A's world is made by any of them). */
  check: (t: TestApp, w: World, caller: Caller) => Promise<void>;
}

const bodyText = (r: LightMyRequestResponse) => r.body.toLowerCase();

function assertMentionsNoneOf(response: LightMyRequestResponse, w: World, allowed: string, label: string) {
  const text = `${bodyText(response)}\n${Object.entries(response.headers)
    .filter(([name]) => name !== 'operation-id')
    .map(([, value]) => String(value))
    .join('\n')
    .toLowerCase()}`;
  for (const fact of w.confidential) {
    const s = fact.toLowerCase();
    if (allowed.toLowerCase().includes(s)) continue;
    assert.ok(!text.includes(s), `${label}: the answer reveals '${fact}' of tenant A`);
  }
}

const DISCOVERY_ROUTES = [
  '/identity/.well-known/openid-configuration',
  '/identity/.well-known/openid-configuration/jwks',
];

const publicProbe = (method: Method, path: string): Exception => ({
  reason: 'public probe: no id, no token, the same answer for everyone',
  check: async (t, w) => {
    const response = await t.call(method, path);
    assert.equal(response.statusCode, 200);
    assertMentionsNoneOf(response, w, '', `${method} ${path}`);
  },
});

/**
 * The routes that name none of A's ids, or whose id is a capability. Keyed by method and OpenAPI path;
 * `check` runs once per caller.
 */
const EXCEPTIONS: Record<string, Exception> = {
  ...Object.fromEntries(
    ['/health/live', '/health/ready'].flatMap((path) =>
      (['GET', 'HEAD'] as const).map((method) => [key(method, path), publicProbe(method, path)]),
    ),
  ),
  ...Object.fromEntries(
    DISCOVERY_ROUTES.flatMap((path) =>
      (['GET', 'HEAD'] as const).map((method) => [
        key(method, path),
        {
          reason: 'public discovery: the service’s issuer and public keys, the same for everyone',
          check: async (t: TestApp, w: World) => {
            const response = await t.call(method, path);
            assert.equal(response.statusCode, 200);
            assertMentionsNoneOf(response, w, '', `${method} ${path}`);
          },
        },
      ]),
    ),
  ),
  [key('POST', '/identity/connect/token')]: {
    reason: 'public token endpoint: the client id and secret are the credential',
    check: async (t, w) => {
      // A's client id with a secret A did not issue is refused like any wrong secret.
      for (const secret of [w.stranger.secret, w.partner.secret]) {
        const response = await t.app.inject({
          method: 'POST',
          url: '/identity/connect/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: w.a.clientId,
            client_secret: secret,
          }).toString(),
        });
        assert.equal(response.statusCode, 401);
        assert.equal(response.json().error, 'invalid_client');
      }
    },
  },
  [key('GET', '/api/v1/Tenants')]: {
    reason: 'a list scoped to the caller: its own tenant only',
    check: async (t, w, caller) => {
      const response = await t.call('GET', '/api/v1/Tenants', { token: caller.token(w) });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['total-count'], '1');
      assert.equal(response.json().length, 1);
      assert.notEqual(response.json()[0].Id, w.a.id);
      assertMentionsNoneOf(response, w, caller.own(w).join(' '), caller.name);
    },
  },
  [key('HEAD', '/api/v1/Tenants')]: {
    reason: 'the count of a list scoped to the caller',
    check: async (t, w, caller) => {
      const response = await t.call('HEAD', '/api/v1/Tenants', { token: caller.token(w) });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['total-count'], '1');
    },
  },
  [key('POST', '/api/v1/Tenants')]: {
    reason: 'operator only: any tenant’s principal is refused',
    check: async (t, w, caller) => {
      const response = await t.call('POST', '/api/v1/Tenants', {
        token: caller.token(w),
        body: { Name: 'Not allowed' },
      });
      assertErrorResponse(response, 403);
    },
  },
  [key('GET', '/api/v1-preview/Communities')]: {
    reason: 'a list scoped to the caller: communities of its own tenant only',
    check: async (t, w, caller) => {
      const response = await t.call('GET', '/api/v1-preview/Communities', { token: caller.token(w) });
      assert.equal(response.statusCode, 200);
      const ids = (response.json() as { Id: string }[]).map((c) => c.Id);
      assert.ok(
        !ids.includes(w.ids.communityId as string),
        `${caller.name} does not see A’s private community`,
      );
    },
  },
  [key('HEAD', '/api/v1-preview/Communities')]: {
    reason: 'the count of a list scoped to the caller',
    check: async (t, w, caller) => {
      const get = await t.call('GET', '/api/v1-preview/Communities', { token: caller.token(w) });
      const head = await t.call('HEAD', '/api/v1-preview/Communities', { token: caller.token(w) });
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['total-count'], get.headers['total-count']);
    },
  },
  [key('POST', '/api/v1-preview/Communities')]: {
    reason: 'creates a community owned by the caller’s own tenant (a Tenant Administrator only)',
    check: async (t, w, caller) => {
      const response = await t.call('POST', '/api/v1-preview/Communities', {
        token: caller.token(w),
        body: { Name: `Own ${randomUUID()}` },
      });
      if (!caller.tenantAdmin) return void assertErrorResponse(response, 403);
      assert.equal(response.statusCode, 201, response.body);
      const tenants = response.json().Tenants as { Id: string; IsOwner: boolean }[];
      assert.deepEqual(
        tenants.map((x) => x.IsOwner),
        [true],
      );
      assert.notEqual(tenants[0]?.Id, w.a.id);
    },
  },
  [key('GET', '/api/v1-preview/communityinvitations/{invitationId}/details')]: {
    reason:
      'the invitation id is the capability (it travels in the e-mail link): any Tenant Administrator who holds it reads the community’s name and contact (CONTRACT §4); others get 403',
    check: async (t, w, caller) => {
      const url = `/api/v1-preview/communityinvitations/${w.ids.invitationId}/details`;
      const response = await t.call('GET', url, { token: caller.token(w) });
      if (!caller.tenantAdmin) {
        assertMentionsNoneOf(
          assertAndReturn(response, 403),
          w,
          `${url} ${caller.own(w).join(' ')}`,
          caller.name,
        );
      } else {
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(Object.keys(response.json()).sort(), [
          'CommunityId',
          'CommunityName',
          'ContactEmail',
          'InvitationState',
        ]);
      }
      assertErrorResponse(
        await t.call('GET', `/api/v1-preview/communityinvitations/${randomUUID()}/details`, {
          token: caller.token(w),
        }),
        404,
      );
    },
  },
  [key('HEAD', '/api/v1-preview/communityinvitations/{invitationId}/details')]: {
    reason: 'the count-free HEAD of the details above: the same statuses, no body',
    check: async (t, w, caller) => {
      const url = `/api/v1-preview/communityinvitations/${w.ids.invitationId}/details`;
      const response = await t.call('HEAD', url, { token: caller.token(w) });
      assert.equal(response.statusCode, caller.tenantAdmin ? 200 : 403);
      assert.equal(response.body, '');
    },
  },
  [key('PUT', '/api/v1-preview/communityinvitations/{invitationId}')]: {
    reason:
      'the invitation id is the capability: another tenant’s administrator may Accept or Decline it (CONTRACT §4), and the owner’s Confirm is the safeguard; any action the caller may not take is a 403, an unknown id a 404',
    check: async (t, w, caller) => {
      const url = `/api/v1-preview/communityinvitations/${w.ids.invitationId}`;
      for (const Action of ['Confirm', 'Resend']) {
        const response = await t.call('PUT', url, { token: caller.token(w), body: { Action } });
        assertMentionsNoneOf(
          assertAndReturn(response, 403),
          w,
          `${url} ${caller.own(w).join(' ')}`,
          `${caller.name} ${Action}`,
        );
      }
      if (!caller.tenantAdmin) {
        const response = await t.call('PUT', url, {
          token: caller.token(w),
          body: { Action: 'Accept', ContactEmail: 'intruder@stranger.test' },
        });
        assertErrorResponse(response, 403);
      }
      assertErrorResponse(
        await t.call('PUT', `/api/v1-preview/communityinvitations/${randomUUID()}`, {
          token: caller.token(w),
          body: { Action: 'Confirm' },
        }),
        404,
      );
    },
  },
};

function assertAndReturn(response: LightMyRequestResponse, status: number): LightMyRequestResponse {
  assertErrorResponse(response, status);
  return response;
}

async function operations(t: TestApp): Promise<Operation[]> {
  const committed = JSON.parse(
    readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'),
  ) as OpenApi;
  const served = (await t.call('GET', '/openapi.json')).json() as OpenApi;
  const out = new Map<string, Operation>();
  for (const document of [committed, served]) {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const upper = method.toUpperCase() as Method;
        if (!METHODS.includes(upper)) throw new Error(`the OpenAPI has ${upper} ${path}; teach this test it`);
        out.set(key(upper, path), { ...operation, method: upper, path });
      }
    }
  }
  return [...out.values()];
}

const resolve = (schema: Schema | undefined, components: Record<string, Schema>): Schema | undefined =>
  schema?.$ref === undefined ? schema : components[schema.$ref.replace(/^#\/components\/schemas\//, '')];

/**
 * A body that would do harm if an access check failed open: every property set, enums to their last value
 * (Paused), Enabled false, role ids to A's Tenant Administrator or community role.
 */
function intruderBody(
  schema: Schema | undefined,
  w: World,
  components: Record<string, Schema>,
  name = '',
): unknown {
  const s = resolve(schema, components);
  if (s === undefined) return undefined;
  const variants = s.anyOf?.flatMap((v) => v.enum ?? []);
  if (variants !== undefined && variants.length > 0) return variants[variants.length - 1];
  if (s.enum !== undefined) return s.enum[s.enum.length - 1];
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [property, inner] of Object.entries(s.properties ?? {})) {
        if (property === 'Id') continue;
        const value = intruderBody(inner, w, components, property);
        if (value !== undefined) out[property] = value;
      }
      return out;
    }
    case 'array':
      return name === 'RoleIds' ? [w.escalation.tenantRole] : name === '' ? [w.escalation.communityRole] : [];
    case 'string':
      if (/email|recipient/i.test(name)) return 'intruder@stranger.test';
      if (s.pattern !== undefined) return undefined;
      if (s.format === 'date-time') return '2099-01-01T00:00:00Z';
      return name === 'Action' ? 'Confirm' : 'Intruder';
    case 'integer':
    case 'number':
      return name === 'RoleScope' ? 1 : 3600;
    case 'boolean':
      return false;
    default:
      return undefined;
  }
}

function fill(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(
        `no id of A's world for {${name}}; teach this test that kind of id, or list the route in EXCEPTIONS with its reason`,
      );
    }
    return value;
  });
}

/** The answer with every id of the path replaced by its parameter name, to compare A's ids with unknown ones. */
function normalised(response: LightMyRequestResponse, values: Record<string, string>) {
  if (response.body === '') return { status: response.statusCode };
  const body = response.json() as Record<string, unknown>;
  let text = JSON.stringify({ Error: body.Error, Reason: body.Reason, Resolution: body.Resolution });
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(value, `{${name}}`);
  return { status: response.statusCode, text };
}

/** One world per app (each engine builds its own). */
const worlds = new WeakMap<TestApp, Promise<World>>();

async function buildWorld(t: TestApp): Promise<World> {
  const tag = randomUUID().slice(0, 8);
  const a = await t.createTenant(`Alpha Holdings ${tag}`);
  const partner = await t.createTenant(`Partner Works ${tag}`);
  const stranger = await t.createTenant(`Stranger Inc ${tag}`);
  const strangerUser = (await t.createUser(stranger, { email: `plain-${tag}@stranger.test` })).token;

  const alice = await t.createUser(a, { email: `alice-${tag}@alpha.test` });
  const robot = await t.call('POST', `/api/v1-preview/Tenants/${a.id}/ClientCredentialClients`, {
    token: a.token,
    body: { Name: `Alpha robot ${tag}`, RoleIds: [] },
  });
  assert.equal(robot.statusCode, 201, robot.body);
  const role = await t.call('POST', `/api/v1/Tenants/${a.id}/Roles`, {
    token: a.token,
    body: { Name: `Alpha auditors ${tag}`, Description: `Audits Alpha ${tag}` },
  });
  assert.equal(role.statusCode, 201, role.body);

  // A community A shares with the partner, and a private one where A's users, clients and invitation are.
  const shared = await createCommunity(t, a, `Alpha shared ${tag}`);
  await joinThroughInvitation(t, a, partner, shared.Id);
  const secret = await createCommunity(t, a, `Alpha private wells ${tag}`);
  const base = `/api/v1-preview/Communities/${secret.Id}/Tenants/${a.id}`;
  for (const url of [`${base}/Users/${alice.id}`, `${base}/ClientCredentialClients/${robot.json().Id}`]) {
    const added = await t.call('PUT', url, { token: a.token, body: [roleId(secret, 'Moderator')] });
    assert.equal(added.statusCode, 201, added.body);
  }
  const recipient = `invitee-${tag}@gamma.test`;
  const invitation = await t.call('POST', `/api/v1-preview/communities/${secret.Id}/invitations`, {
    token: a.token,
    body: { InvitationRecipient: recipient },
  });
  assert.equal(invitation.statusCode, 201, invitation.body);

  const ids = {
    tenantId: a.id,
    userId: alice.id,
    clientId: robot.json().Id as string,
    roleId: role.json().Id as string,
    communityId: secret.Id,
    invitationId: invitation.json().Id as string,
  };
  return {
    a,
    partner,
    stranger,
    strangerUser,
    ids,
    escalation: {
      tenantRole: a.roles['Tenant Administrator'] as string,
      communityRole: roleId(secret, 'Administrator'),
    },
    confidential: [
      a.name,
      alice.email,
      `Alpha robot ${tag}`,
      `Alpha auditors ${tag}`,
      `Audits Alpha ${tag}`,
      `Alpha private wells ${tag}`,
      `Alpha shared ${tag}`,
      'owner@owner.test',
      recipient,
      partner.name,
      partner.id,
      a.clientId,
      secret.MemberRoleId,
      shared.Id,
      ...secret.CommunityRoles.map((r) => r.Id),
      ...shared.CommunityRoles.map((r) => r.Id),
      ...Object.values(a.roles),
      ...Object.values(ids),
    ],
  };
}

const worldOf = (t: TestApp): Promise<World> => {
  let world = worlds.get(t);
  if (world === undefined) {
    world = buildWorld(t);
    worlds.set(t, world);
  }
  return world;
};

describeEachEngine('security: no route crosses tenants', (t) => {
  test('every route of the OpenAPI is walked: by A’s ids, or listed as an exception with its reason', async () => {
    const ops = await operations(t());
    const known = new Set(ops.map((op) => key(op.method, op.path)));
    const stale = Object.keys(EXCEPTIONS).filter((k) => !known.has(k));
    assert.deepEqual(stale, [], 'exceptions for routes the OpenAPI no longer has');
    const world = await worldOf(t());
    const unfillable: string[] = [];
    for (const op of ops) {
      if (EXCEPTIONS[key(op.method, op.path)] !== undefined) continue;
      if (!op.path.includes('{')) {
        unfillable.push(`${key(op.method, op.path)}: names no id; list it in EXCEPTIONS with its reason`);
        continue;
      }
      try {
        fill(op.path, world.ids);
      } catch (error) {
        unfillable.push(`${key(op.method, op.path)}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(unfillable, [], 'routes this test does not cover');
    assert.ok(ops.length >= 70, `the OpenAPI lists ${ops.length} operations; it should list every route`);
  });

  for (const caller of CALLERS) {
    test(`${caller.name} gets 404 on every route about A’s ids, revealing nothing and changing nothing`, async () => {
      const w = await worldOf(t());
      const components = (await t().call('GET', '/openapi.json')).json().components?.schemas ?? {};
      const before = await t().snapshot();
      const unknown = Object.fromEntries(Object.keys(w.ids).map((name) => [name, randomUUID()]));
      const failures: string[] = [];
      let walked = 0;
      for (const op of await operations(t())) {
        if (EXCEPTIONS[key(op.method, op.path)] !== undefined || !op.path.includes('{')) continue;
        const schema = op.requestBody?.content?.['application/json']?.schema;
        const body = intruderBody(schema, w, components);
        const send = (url: string) =>
          t().call(op.method, url, { token: caller.token(w), ...(body === undefined ? {} : { body }) });
        const url = fill(op.path, w.ids);
        const label = `${op.method} ${op.path}`;
        const response = await send(url);
        walked++;
        try {
          if (op.method === 'HEAD') {
            assert.equal(response.statusCode, 404, `${label}: ${response.statusCode}`);
            assert.equal(response.body, '', `${label}: a HEAD answer has no body`);
          } else {
            assertErrorResponse(response, 404);
          }
          assert.equal(response.headers['total-count'], undefined, `${label}: no Total-Count on a 404`);
          assertMentionsNoneOf(response, w, `${url} ${caller.own(w).join(' ')}`, label);
          // The same answer as for ids that exist nowhere: a 404 tells nothing about what exists.
          const none = await send(fill(op.path, unknown));
          assert.deepEqual(
            normalised(response, w.ids),
            normalised(none, unknown),
            `${label}: A’s ids and unknown ids answer alike`,
          );
        } catch (error) {
          // The assertion's message already quotes the answer; keep one line per route.
          failures.push(
            `${label} → ${response.statusCode}: ${(error as Error).message.split('\n')[0]?.slice(0, 400)}`,
          );
        }
      }
      assert.deepEqual(failures, [], `${caller.name} reached tenant A`);
      assert.ok(walked >= 50, `only ${walked} routes were walked`);
      assert.deepEqual(await t().snapshot(), before, 'nothing of A’s world changed');
    });
  }

  test('the listed exceptions answer as documented, for every caller, and change nothing of A’s', async () => {
    const w = await worldOf(t());
    const rows = async () => {
      const snapshot = await t().snapshot();
      // The callers' own new communities are theirs to create (POST /Communities); A's rows must not move.
      const mine = (table: string) =>
        (snapshot[table] ?? []).filter(
          (row) => String(row).includes(w.a.id) || String(row).includes(w.ids.communityId as string),
        );
      return {
        tenants: mine('tenants'),
        communities: mine('communities'),
        members: mine('community_tenants'),
        invitations: mine('invitations'),
        users: mine('users'),
        clients: mine('clients'),
        roles: mine('roles'),
      };
    };
    const before = await rows();
    for (const caller of CALLERS) {
      for (const [route, exception] of Object.entries(EXCEPTIONS)) {
        try {
          await exception.check(t(), w, caller);
        } catch (error) {
          throw new Error(`${route} for ${caller.name} (${exception.reason}): ${(error as Error).message}`);
        }
      }
    }
    assert.deepEqual(await rows(), before);
  });
});
