// Idempotency-Key on both engines: a retry answers the first response without doing the work again; the
// same key with another request is a 409; concurrent requests with one key do the work once; failures are
// not kept; keys belong to one caller and expire after 24 hours (on the injected clock); a stored response
// that holds a secret is kept only encrypted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { IDEMPOTENCY_KEY_TTL_MS, IDEMPOTENCY_LEASE_MS } from '../../src/http/idempotency.ts';
import { assertErrorResponse, describeEachEngine, type TestApp } from '../support/app.ts';
import { adminToken, createCommunity, invite, paths, rejectedWithoutChange } from '../support/invitations.ts';

let counter = 0;
const newKey = () => `key-${++counter}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

const withKey = (key: string, headers: Record<string, string> = {}) => ({
  ...headers,
  'idempotency-key': key,
});

function assertReplay(first: LightMyRequestResponse, again: LightMyRequestResponse): void {
  assert.equal(again.statusCode, first.statusCode, again.body);
  assert.equal(again.body, first.body);
  assert.equal(again.headers['content-type'], first.headers['content-type']);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(first.headers['idempotent-replayed'], undefined);
  assert.notEqual(again.headers['operation-id'], first.headers['operation-id'], 'each request its own id');
}

const countRows = async (t: TestApp, table: 'communities' | 'invitations' | 'outbox' | 'clients') =>
  (
    await t.store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
  ).n;

describeEachEngine('Idempotency-Key', (t) => {
  test('a retried POST answers the first response and does the work once', async () => {
    const owner = await t().createTenant();
    const key = newKey();
    const body = { Name: `Idempotent ${key}`, Description: 'once' };
    const first = await t().call('POST', paths.communities, {
      token: owner.token,
      body,
      headers: withKey(key),
    });
    assert.equal(first.statusCode, 201, first.body);
    const before = await countRows(t(), 'communities');
    // A new token of the same caller, the properties in another case and order: the same request.
    const token = await adminToken(t(), owner);
    const again = await t().call('POST', paths.communities, {
      token,
      body: { description: 'once', name: body.Name },
      headers: withKey(`"${key}"`),
    });
    assertReplay(first, again);
    assert.equal(await countRows(t(), 'communities'), before);
  });

  test('the same key with a different request is a 409 that changes nothing', async () => {
    const owner = await t().createTenant();
    const key = newKey();
    const first = await t().call('POST', paths.communities, {
      token: owner.token,
      body: { Name: `First ${key}` },
      headers: withKey(key),
    });
    assert.equal(first.statusCode, 201);
    const error = await rejectedWithoutChange(t(), 409, () =>
      t().call('POST', paths.communities, {
        token: owner.token,
        body: { Name: `Second ${key}` },
        headers: withKey(key),
      }),
    );
    assert.match(error.Reason, /already used for a different request/);
    // Another route with the same key is another request too.
    const community = first.json().Id as string;
    await rejectedWithoutChange(t(), 409, () =>
      t().call('POST', paths.invitations(community), {
        token: owner.token,
        body: { InvitationRecipient: 'x@y.test' },
        headers: withKey(key),
      }),
    );
  });

  test('keys belong to one caller: another caller with the same key does its own work', async () => {
    const a = await t().createTenant();
    const b = await t().createTenant();
    const key = newKey();
    const body = { Name: `Shared key ${key}` };
    const first = await t().call('POST', paths.communities, { token: a.token, body, headers: withKey(key) });
    const other = await t().call('POST', paths.communities, { token: b.token, body, headers: withKey(key) });
    assert.equal(first.statusCode, 201);
    assert.equal(other.statusCode, 201);
    assert.equal(other.headers['idempotent-replayed'], undefined);
    assert.notEqual(other.json().Id, first.json().Id);
  });

  test('an invitation POST retried: the same invitation, one e-mail', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const key = newKey();
    const send = () =>
      t().call('POST', paths.invitations(community.Id), {
        token: owner.token,
        body: { InvitationRecipient: `once@${owner.id}.test` },
        headers: withKey(key),
      });
    const first = await send();
    assert.equal(first.statusCode, 201, first.body);
    const outbox = await countRows(t(), 'outbox');
    const again = await send();
    assertReplay(first, again);
    assert.equal(again.json().Id, first.json().Id);
    assert.equal(await countRows(t(), 'outbox'), outbox, 'no second e-mail');
  });

  test('PUT /communityinvitations/{I}: a retried Accept answers 202 again instead of a 409', async () => {
    const owner = await t().createTenant();
    const guest = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const invitation = await invite(t(), owner.token, community.Id, `guest@${guest.id}.test`);
    const key = newKey();
    const accept = (body: Record<string, unknown>) =>
      t().call('PUT', paths.process(invitation.Id), { token: guest.token, body, headers: withKey(key) });
    const body = { Action: 'Accept', ContactEmail: `c@${guest.id}.test` };
    const first = await accept(body);
    assert.equal(first.statusCode, 202, first.body);
    const outbox = await countRows(t(), 'outbox');
    const again = await accept(body);
    assertReplay(first, again);
    assert.equal(again.body, '');
    assert.equal(await countRows(t(), 'outbox'), outbox, 'the issuer is told once');
    // Without the key the retry is judged anew: the invitation is no longer Created.
    const unkeyed = await t().call('PUT', paths.process(invitation.Id), { token: guest.token, body });
    assertErrorResponse(unkeyed, 409);
    // The same key for another action is key reuse.
    const reused = await accept({ Action: 'Decline' });
    assert.match(assertErrorResponse(reused, 409).Reason ?? '', /different request/);
  });

  test('a failed first request is not kept: the retry does the work', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const key = newKey();
    const bad = await t().call('POST', paths.invitations(community.Id), {
      token: owner.token,
      body: { InvitationRecipient: 'not an address' },
      headers: withKey(key),
    });
    assertErrorResponse(bad, 400);
    const good = await t().call('POST', paths.invitations(community.Id), {
      token: owner.token,
      body: { InvitationRecipient: `fixed@${owner.id}.test` },
      headers: withKey(key),
    });
    assert.equal(good.statusCode, 201, good.body);
    assert.equal(good.headers['idempotent-replayed'], undefined);
  });

  test('concurrent requests with one key: the work is done once, the others get 409 or the replay', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner.token);
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        t().call('POST', paths.invitations(community.Id), {
          token: owner.token,
          body: { InvitationRecipient: `burst@${owner.id}.test` },
          headers: withKey(key),
        }),
      ),
    );
    const done = responses.filter(
      (r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined,
    );
    assert.equal(done.length, 1, responses.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
    const id = (done[0] as LightMyRequestResponse).json().Id;
    for (const response of responses) {
      if (response.statusCode === 201) {
        assert.equal(response.json().Id, id);
        continue;
      }
      const error = assertErrorResponse(response, 409);
      assert.match(error.Reason ?? '', /still being processed/);
      assert.equal(response.headers['retry-after'], '1');
    }
    const rows = await t()
      .store.db.selectFrom('invitations')
      .select('id')
      .where('community_id', '=', community.Id)
      .execute();
    assert.deepEqual(
      rows.map((r) => r.id),
      [id],
    );
  });

  test('keys expire after 24 hours on the service clock', async () => {
    const owner = await t().createTenant();
    const key = newKey();
    const body = { Name: `Expiring ${key}` };
    const first = await t().call('POST', paths.communities, {
      token: owner.token,
      body,
      headers: withKey(key),
    });
    assert.equal(first.statusCode, 201);
    t().clock.advance(IDEMPOTENCY_KEY_TTL_MS - 1000);
    let token = await adminToken(t(), owner);
    assertReplay(first, await t().call('POST', paths.communities, { token, body, headers: withKey(key) }));
    t().clock.advance(1000);
    token = await adminToken(t(), owner);
    const late = await t().call('POST', paths.communities, { token, body, headers: withKey(key) });
    // The work is done again: the name is taken by the first community now.
    assertErrorResponse(late, 409);
    assert.match(late.json().Reason, /name/i);
    const renamed = await t().call('POST', paths.communities, {
      token,
      body: { Name: `Expiring again ${key}` },
      headers: withKey(key),
    });
    assert.equal(renamed.statusCode, 201, 'the expired key was released by the failure and is free');
  });

  test('a claim left by a request that died is taken over once its lease has run out', async () => {
    const owner = await t().createTenant();
    const key = newKey();
    const body = { Name: `Orphan ${key}` };
    // A completed request gives the fingerprint of this request; a second key is then left claimed, as an
    // instance that died mid-request would leave it.
    const probeKey = newKey();
    const probe = await t().call('POST', paths.communities, {
      token: owner.token,
      body: { Name: `Orphan probe ${key}` },
      headers: withKey(probeKey),
    });
    assert.equal(probe.statusCode, 201);
    const row = await t()
      .store.db.selectFrom('idempotency_keys')
      .selectAll()
      .where('key_hash', '=', sha256(probeKey))
      .executeTakeFirstOrThrow();
    const now = t().clock.now();
    const fingerprintOf = async (name: string) => {
      const k = newKey();
      const r = await t().call('POST', paths.communities, {
        token: owner.token,
        body: { Name: name },
        headers: withKey(k),
      });
      assert.equal(r.statusCode, 201);
      const stored = await t()
        .store.db.selectFrom('idempotency_keys')
        .select('fingerprint')
        .where('key_hash', '=', sha256(k))
        .executeTakeFirstOrThrow();
      // Delete what this made, so that the orphaned request can make it again.
      await t().store.db.deleteFrom('communities').where('id', '=', r.json().Id).execute();
      return stored.fingerprint;
    };
    await t()
      .store.db.insertInto('idempotency_keys')
      .values({
        ...row,
        key_hash: sha256(key),
        fingerprint: await fingerprintOf(body.Name),
        status: null,
        response: null,
        locked_until: new Date(now.getTime() + IDEMPOTENCY_LEASE_MS).toISOString(),
      })
      .execute();
    const busy = await t().call('POST', paths.communities, {
      token: owner.token,
      body,
      headers: withKey(key),
    });
    assert.match(assertErrorResponse(busy, 409).Reason ?? '', /still being processed/);
    assert.equal(busy.headers['retry-after'], '1');
    t().clock.advance(IDEMPOTENCY_LEASE_MS);
    const token = await adminToken(t(), owner);
    const taken = await t().call('POST', paths.communities, { token, body, headers: withKey(key) });
    assert.equal(taken.statusCode, 201, taken.body);
    assert.equal(taken.headers['idempotent-replayed'], undefined);
    assertReplay(taken, await t().call('POST', paths.communities, { token, body, headers: withKey(key) }));
  });

  test('a response with a secret is replayed, and stored only encrypted under the key', async () => {
    const owner = await t().createTenant();
    const key = newKey();
    const path = `/api/v1-preview/Tenants/${owner.id}/ClientCredentialClients`;
    const body = { Name: `Client ${key}`, RoleIds: [owner.roles['Tenant Administrator']] };
    const first = await t().call('POST', path, { token: owner.token, body, headers: withKey(key) });
    assert.equal(first.statusCode, 201, first.body);
    const secret = first.json().ClientSecret as string;
    const clients = await countRows(t(), 'clients');
    const again = await t().call('POST', path, { token: owner.token, body, headers: withKey(key) });
    assertReplay(first, again);
    assert.equal(again.json().ClientSecret, secret);
    assert.equal(await countRows(t(), 'clients'), clients);
    const stored = JSON.stringify(await t().store.db.selectFrom('idempotency_keys').selectAll().execute());
    assert.ok(!stored.includes(secret), 'the secret is not in the store');
    assert.ok(!stored.includes(key), 'nor the key that decrypts it');
  });

  test('a malformed key is a 400; GET and the token endpoint ignore the header', async () => {
    const owner = await t().createTenant();
    for (const bad of ['', ' ', 'x'.repeat(256), 'tab\there', 'caf\u00e9']) {
      const response = await t().app.inject({
        method: 'POST',
        url: paths.communities,
        headers: {
          authorization: `Bearer ${owner.token}`,
          'content-type': 'application/json',
          'idempotency-key': bad,
        },
        payload: JSON.stringify({ Name: `Bad key ${newKey()}` }),
      });
      assert.match(assertErrorResponse(response, 400).Reason ?? '', /Idempotency-Key/);
    }
    const key = newKey();
    const listed = await t().call('GET', paths.communities, { token: owner.token, headers: withKey(key) });
    assert.equal(listed.statusCode, 200);
    const token = await t().app.inject({
      method: 'POST',
      url: '/identity/connect/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: owner.clientId,
        client_secret: owner.secret,
      }).toString(),
    });
    assert.equal(token.statusCode, 200);
    const rows = await t()
      .store.db.selectFrom('idempotency_keys')
      .select('key_hash')
      .where('key_hash', '=', sha256(key))
      .execute();
    assert.deepEqual(rows, [], 'nothing stored for a GET or a token request');
  });

  test('deleting a tenant deletes its keys and their stored responses', async () => {
    const tenant = await t().createTenant();
    const key = newKey();
    const created = await t().call('POST', paths.communities, {
      token: tenant.token,
      body: { Name: `Doomed ${key}` },
      headers: withKey(key),
    });
    assert.equal(created.statusCode, 201);
    const mine = () =>
      t()
        .store.db.selectFrom('idempotency_keys')
        .select('key_hash')
        .where('tenant_id', '=', tenant.id)
        .execute();
    assert.equal((await mine()).length, 1);
    const deleted = await t().call('DELETE', `/api/v1/Tenants/${tenant.id}`, {
      token: await t().operatorToken(),
    });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.deepEqual(await mine(), []);
  });

  test('the OpenAPI document declares the header on every POST with a caller and on the invitation PUT', async () => {
    const doc = (await t().call('GET', '/openapi.json')).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
    };
    const declared = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.parameters ?? []).some(
        (p) => p.in === 'header' && p.name === 'Idempotency-Key',
      );
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (operations.post === undefined) continue;
      const isPublic = path === '/identity/connect/token';
      assert.equal(declared(path, 'post'), !isPublic, `POST ${path}`);
    }
    assert.ok(declared('/api/v1-preview/communityinvitations/{invitationId}', 'put'));
    assert.ok(!declared('/api/v1-preview/Communities', 'get'));
  });
});
