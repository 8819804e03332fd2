// Concurrent PUTs of one principal's community roles: each replaces the whole set, so the result is exactly
// one of the requested sets (never a mixture) and exactly one request sees the principal absent (201).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachEngine, type TestApp } from '../support/app.ts';
import { assignmentsIn, createClient, listedIds, put, storedRoles, type World, world } from './support.ts';

const CONCURRENT = 20;
const ROUNDS = 5;

/**
 * The 20 role sets of one round, and what each becomes. Even rounds cycle through every subset of C's
 * roles; but then any end state is one of the requested sets, so odd rounds send only [Admin] and
 * [Moderator], whose mixture ([Admin, Moderator, Member]) no request asked for.
 */
function roleSets(w: World, round: number) {
  const { admin, moderator, member } = w.roles;
  const subsets: string[][] =
    round % 2 === 0
      ? [[], [admin], [moderator], [admin, moderator], [moderator, admin, member]]
      : [[admin], [moderator]];
  return Array.from({ length: CONCURRENT }, (_, i) => {
    const body = subsets[(i + round) % subsets.length] as string[];
    // What the answer and the store hold: C's roles in their order, Member always included.
    const expected = [admin, moderator, member].filter((id) => id === member || body.includes(id));
    return { body, expected };
  });
}

/** Fires the round's PUTs at once and checks the answers and the end state. */
async function race(t: TestApp, w: World, path: string, id: string, round: number, wasIn: boolean) {
  const sets = roleSets(w, round);
  const responses: LightMyRequestResponse[] = await Promise.all(
    sets.map(({ body }) =>
      t.app.inject({
        method: 'PUT',
        url: `${path}/${id}`,
        headers: { authorization: `Bearer ${w.guest.token}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      }),
    ),
  );
  responses.forEach((response, i) => {
    assert.ok([200, 201].includes(response.statusCode), `${response.statusCode} ${response.body}`);
    // Each answer shows the set that request wrote.
    assert.deepEqual(response.json().RoleIds, sets[i]?.expected);
  });
  const created = responses.filter((r) => r.statusCode === 201).length;
  assert.equal(created, wasIn ? 0 : 1, `round ${round}: ${created} answers were 201`);

  const stored = await storedRoles(t, w.community.Id, id);
  const candidates = sets.map((s) => [...s.expected].sort());
  assert.ok(
    candidates.some((c) => JSON.stringify(c) === JSON.stringify(stored)),
    `round ${round}: stored ${JSON.stringify(stored)} is none of the requested sets`,
  );
  // The list shows that same set, and the principal once.
  const listed = await t.call('GET', path, { token: w.owner.token });
  const entries = (listed.json() as { Id: string; RoleIds: string[] }[]).filter((e) => e.Id === id);
  assert.equal(entries.length, 1);
  assert.deepEqual([...(entries[0]?.RoleIds ?? [])].sort(), stored);
}

describeEachEngine('community users: concurrent PUTs', (t) => {
  test(`${CONCURRENT} concurrent PUTs of a new user: one 201, one whole set wins, over ${ROUNDS} rounds`, async () => {
    const w = await world(t());
    for (let round = 0; round < ROUNDS; round++) {
      const user = await t().createUser(w.guest);
      await race(t(), w, w.users(), user.id, round, false);
    }
    assert.equal(
      listedIds(await t().call('GET', w.users(), { token: w.guest.token }), ROUNDS).length,
      ROUNDS,
    );
  });

  test('concurrent PUTs of a user already in C: all 200, one whole set wins', async () => {
    const w = await world(t());
    const user = await t().createUser(w.guest);
    await put(t(), w.users(), user.id, [w.roles.admin], w.guest.token);
    for (let round = 0; round < ROUNDS; round++) await race(t(), w, w.users(), user.id, round, true);
  });

  test('several users raced at once: each gets one 201 and one whole set', async () => {
    const w = await world(t());
    const users = await Promise.all(Array.from({ length: 4 }, () => t().createUser(w.guest)));
    await Promise.all(users.map((user, i) => race(t(), w, w.users(), user.id, i, false)));
    assert.equal(listedIds(await t().call('GET', w.users(), { token: w.guest.token }), 4).length, 4);
  });

  test('the same for clients', async () => {
    const w = await world(t());
    for (let round = 0; round < 3; round++) {
      const client = await createClient(t(), w.guest, `raced ${round}`);
      await race(t(), w, w.clients(), client.id, round, false);
    }
  });

  test('PUTs racing a DELETE of the same user: the DELETE finds it, and the end state is one of the requests’', async () => {
    const w = await world(t());
    for (let round = 0; round < 2 * ROUNDS; round++) {
      const user = await t().createUser(w.guest);
      await put(t(), w.users(), user.id, [w.roles.moderator], w.guest.token);
      const sets = roleSets(w, round).slice(0, 10);
      const requests = [
        ...sets.map(({ body }) => t().call('PUT', `${w.users()}/${user.id}`, { token: w.guest.token, body })),
        t().call('DELETE', `${w.users()}/${user.id}`, { token: w.guest.token }),
      ];
      const responses = await Promise.all(requests);
      const deleted = responses.at(-1);
      // The user is in C throughout, whatever the PUTs do meanwhile, so the DELETE always finds it.
      assert.equal(deleted?.statusCode, 204, deleted?.body);
      for (const response of responses.slice(0, -1)) {
        assert.ok([200, 201].includes(response.statusCode), `${response.statusCode} ${response.body}`);
      }
      // Only a PUT that follows the DELETE finds the user absent, and then the user ends in C.
      const created = responses.filter((r) => r.statusCode === 201).length;
      assert.ok(created <= 1);
      const stored = await storedRoles(t(), w.community.Id, user.id);
      if (created === 0) assert.deepEqual(stored, [], 'the DELETE came last');
      else {
        assert.ok(
          sets.some((s) => JSON.stringify([...s.expected].sort()) === JSON.stringify(stored)),
          JSON.stringify(stored),
        );
      }
    }
  });
});

/** Fires PUTs of several new users of T together with `other`; returns the PUT answers. */
async function putsAlong(t: TestApp, w: World, users: { id: string }[], other: () => Promise<unknown>) {
  const puts = users.map((u) => t.call('PUT', `${w.users()}/${u.id}`, { token: w.guest.token, body: [] }));
  const [, ...answers] = await Promise.all([other(), ...puts]);
  return answers as LightMyRequestResponse[];
}

describeEachEngine('community users: PUTs racing the end of a membership', (t) => {
  test('removing T from C while its users are added leaves no membership of T behind', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const w = await world(t());
      const users = await Promise.all(Array.from({ length: 8 }, () => t().createUser(w.guest)));
      const answers = await putsAlong(t(), w, users, async () => {
        const removed = await t().call(
          'DELETE',
          `/api/v1-preview/Communities/${w.community.Id}/Tenants/${w.guest.id}`,
          {
            token: w.owner.token,
          },
        );
        assert.equal(removed.statusCode, 204, removed.body);
      });
      for (const a of answers) assert.ok([201, 404].includes(a.statusCode), `${a.statusCode} ${a.body}`);
      assert.deepEqual(await assignmentsIn(t(), w.community.Id, w.guest.id), [], `round ${round}`);
    }
  });

  test('deleting C while users are added leaves no membership in C behind', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const w = await world(t());
      const users = await Promise.all(Array.from({ length: 8 }, () => t().createUser(w.guest)));
      const answers = await putsAlong(t(), w, users, async () => {
        const deleted = await t().call('DELETE', `/api/v1-preview/Communities/${w.community.Id}`, {
          token: w.owner.token,
        });
        assert.equal(deleted.statusCode, 204, deleted.body);
      });
      for (const a of answers) assert.ok([201, 404].includes(a.statusCode), `${a.statusCode} ${a.body}`);
      assert.deepEqual(await assignmentsIn(t(), w.community.Id), [], `round ${round}`);
    }
  });

  test('deleting a user while it is added to C leaves no membership of it behind', async () => {
    const w = await world(t());
    for (let round = 0; round < 2 * ROUNDS; round++) {
      const user = await t().createUser(w.guest);
      const sets = roleSets(w, round).slice(0, 6);
      const [deleted, ...answers] = await Promise.all([
        t().call('DELETE', `/api/v1/Tenants/${w.guest.id}/Users/${user.id}`, { token: w.guest.token }),
        ...sets.map(({ body }) => t().call('PUT', `${w.users()}/${user.id}`, { token: w.guest.token, body })),
      ]);
      assert.equal(deleted?.statusCode, 204, deleted?.body);
      for (const a of answers) assert.ok([200, 201, 400].includes(a.statusCode), `${a.statusCode} ${a.body}`);
      assert.deepEqual(await storedRoles(t(), w.community.Id, user.id), [], `round ${round}`);
    }
  });

  test('pausing T while its users are added: each answer is 201 or 404, and says what happened', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const w = await world(t());
      const users = await Promise.all(Array.from({ length: 8 }, () => t().createUser(w.guest)));
      const answers = await putsAlong(t(), w, users, async () => {
        const paused = await t().call(
          'PUT',
          `/api/v1-preview/Communities/${w.community.Id}/Tenants/${w.guest.id}`,
          {
            token: w.owner.token,
            body: { Status: 'Paused' },
          },
        );
        assert.equal(paused.statusCode, 200, paused.body);
      });
      for (const [i, a] of answers.entries()) {
        assert.ok([201, 404].includes(a.statusCode), `${a.statusCode} ${a.body}`);
        const stored = await storedRoles(t(), w.community.Id, users[i]?.id as string);
        assert.deepEqual(stored, a.statusCode === 201 ? [w.roles.member] : [], `round ${round}`);
      }
    }
  });
});
