// Member tenants of a community (CONTRACT §3, §6): pause, reactivate, contact details, remove and leave.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertErrorResponse, describeEachEngine, type TestApp } from '../support/app.ts';
import {
  assertJson,
  assertUnchanged,
  assignmentRows,
  COMMUNITIES,
  type CommunityTenantWire,
  type CommunityWire,
  communityWithMember,
  memberAsOwnerSees,
  membershipRows,
  type Scenario,
} from './fixtures.ts';
import { grantCommunityRoles, joinCommunity } from './membership.ts';

const tenantUrl = (s: Scenario, tenantId: string) => `${COMMUNITIES}/${s.community.Id}/Tenants/${tenantId}`;

const setStatus = (t: TestApp, s: Scenario, status: string) =>
  t.call('PUT', tenantUrl(s, s.member.id), { token: s.owner.token, body: { Status: status } });

describeEachEngine('community tenants: status', (t) => {
  test('the owner pauses a member: 200 with the CommunityTenant, Status Paused', async () => {
    const s = await communityWithMember(t());
    const client = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, client.id, ['member']);
    const response = await setStatus(t(), s, 'Paused');
    assert.deepEqual(assertJson(response, 200), {
      Id: s.member.id,
      Name: s.member.name,
      Status: 'Paused',
      IsOwner: false,
      UserCount: 1,
      ClientCount: 0,
      ContactEmail: 'member@member.test',
    });
    assert.equal((await memberAsOwnerSees(t(), s, s.member.id))?.Status, 'Paused');
    // The roles are kept while paused, so reactivation restores them.
    assert.equal((await assignmentRows(t(), s.community.Id, s.member.id)).length, 1);
  });

  test('while paused the member tenant’s principals are granted nothing; reactivation restores them', async () => {
    const s = await communityWithMember(t());
    const cAdmin = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, cAdmin.id, ['administrator', 'member']);
    const url = `${COMMUNITIES}/${s.community.Id}`;
    assert.equal((await setStatus(t(), s, 'Paused')).statusCode, 200);

    for (const token of [s.member.token, cAdmin.token]) {
      const get = await t().call('GET', url, { token });
      assert.match(assertErrorResponse(get, 403).Reason ?? '', /paused/);
      assertErrorResponse(await t().call('GET', `${url}/Roles`, { token }), 403);
      const alias = await t().call('PUT', tenantUrl(s, s.member.id), {
        token,
        body: { CommunityAlias: 'Ours' },
      });
      assertErrorResponse(alias, 403);
      assertErrorResponse(await t().call('DELETE', tenantUrl(s, s.member.id), { token }), 403);
      const list = await t().call('GET', '/api/v1-preview/Communities', { token });
      assert.deepEqual(list.json(), []);
      assert.equal(list.headers['total-count'], '0');
    }
    // Paused is not gone: the owner still lists it, and the member is still told 403, not 404.
    assert.equal((await memberAsOwnerSees(t(), s, s.member.id))?.Status, 'Paused');

    const resumed = await setStatus(t(), s, 'Active');
    assert.equal((assertJson(resumed, 200) as CommunityTenantWire).Status, 'Active');
    for (const token of [s.member.token, cAdmin.token]) {
      assert.equal((await t().call('GET', url, { token })).statusCode, 200);
      const list = await t().call('GET', '/api/v1-preview/Communities', { token });
      assert.deepEqual(
        (list.json() as CommunityWire[]).map((c) => c.Id),
        [s.community.Id],
      );
    }
    const alias = await t().call('PUT', tenantUrl(s, s.member.id), {
      token: cAdmin.token,
      body: { CommunityAlias: 'Ours' },
    });
    assert.equal((assertJson(alias, 200) as CommunityTenantWire).CommunityAlias, 'Ours');
  });

  test('setting the Status it already has changes nothing and answers 200', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    const response = await setStatus(t(), s, 'Active');
    assert.equal((assertJson(response, 200) as CommunityTenantWire).Status, 'Active');
    assertUnchanged(before, await t().snapshot());
  });

  test('the owner’s own Status cannot change (409)', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    const response = await t().call('PUT', tenantUrl(s, s.owner.id), {
      token: s.owner.token,
      body: { Status: 'Paused' },
    });
    assertErrorResponse(response, 409);
    assertUnchanged(before, await t().snapshot());
  });

  test('a member cannot change a Status, its own or another’s (403)', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    for (const target of [s.member.id, s.owner.id]) {
      const response = await t().call('PUT', tenantUrl(s, target), {
        token: s.member.token,
        body: { Status: 'Paused' },
      });
      assertErrorResponse(response, 403);
    }
    assertUnchanged(before, await t().snapshot());
  });

  test('an invalid Status is a 400 ("None" included); Status is only ever Active or Paused', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    for (const status of ['None', 'Removed', 'AwaitingConfirmation', '', 'paused!', 1]) {
      assertErrorResponse(await setStatus(t(), s, status as string), 400);
    }
    assertUnchanged(before, await t().snapshot());
    const read = await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token: s.owner.token });
    for (const m of (read.json() as CommunityWire).Tenants)
      assert.ok(['Active', 'Paused'].includes(m.Status));
  });

  test('only a Community Administrator of the owning tenant changes a Status', async () => {
    const s = await communityWithMember(t());
    const moderator = await t().createUser(s.owner);
    await grantCommunityRoles(t(), s.community.Id, s.owner.id, moderator.id, ['moderator', 'member']);
    const response = await t().call('PUT', tenantUrl(s, s.member.id), {
      token: moderator.token,
      body: { Status: 'Paused' },
    });
    assertErrorResponse(response, 403);

    const cAdmin = await t().createUser(s.owner);
    await grantCommunityRoles(t(), s.community.Id, s.owner.id, cAdmin.id, ['administrator']);
    const allowed = await t().call('PUT', tenantUrl(s, s.member.id), {
      token: cAdmin.token,
      body: { Status: 'Paused' },
    });
    assert.equal((assertJson(allowed, 200) as CommunityTenantWire).Status, 'Paused');
  });
});

describeEachEngine('community tenants: contact details', (t) => {
  test('a member changes its own ContactEmail and CommunityAlias (200); absent ones keep their value', async () => {
    const s = await communityWithMember(t());
    const response = await t().call('PUT', tenantUrl(s, s.member.id), {
      token: s.member.token,
      body: { contactEmail: ' new@member.test ', CommunityAlias: 'Our wells' },
    });
    assert.deepEqual(assertJson(response, 200), {
      Id: s.member.id,
      Name: s.member.name,
      Status: 'Active',
      IsOwner: false,
      UserCount: 0,
      ClientCount: 0,
      ContactEmail: 'new@member.test',
      CommunityAlias: 'Our wells',
    });
    const aliasOnly = await t().call('PUT', tenantUrl(s, s.member.id), {
      token: s.member.token,
      body: { CommunityAlias: 'Renamed', ContactEmail: null },
    });
    const body = assertJson(aliasOnly, 200) as CommunityTenantWire;
    assert.equal(body.ContactEmail, 'new@member.test');
    assert.equal(body.CommunityAlias, 'Renamed');
    assert.deepEqual(await memberAsOwnerSees(t(), s, s.member.id), body);
  });

  test('the owner changes its own contact details through the same route', async () => {
    const s = await communityWithMember(t());
    const response = await t().call('PUT', tenantUrl(s, s.owner.id), {
      token: s.owner.token,
      body: { ContactEmail: 'desk@owner.test', Status: 'Active' },
    });
    const body = assertJson(response, 200) as CommunityTenantWire;
    assert.equal(body.IsOwner, true);
    assert.equal(body.ContactEmail, 'desk@owner.test');
  });

  test('the owner cannot change a member’s ContactEmail or CommunityAlias (403)', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    for (const body of [
      { ContactEmail: 'owner-set@member.test' },
      { CommunityAlias: 'Owner set' },
      { Status: 'Paused', CommunityAlias: 'Owner set' },
    ]) {
      assertErrorResponse(
        await t().call('PUT', tenantUrl(s, s.member.id), { token: s.owner.token, body }),
        403,
      );
    }
    assertUnchanged(before, await t().snapshot());
  });

  test('a bad ContactEmail is a 400; a member without the Community Administrator role gets 403', async () => {
    const s = await communityWithMember(t());
    const moderator = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, moderator.id, ['moderator', 'member']);
    const before = await t().snapshot();
    for (const body of [{ ContactEmail: 'nope' }, { CommunityAlias: 'x'.repeat(201) }]) {
      assertErrorResponse(
        await t().call('PUT', tenantUrl(s, s.member.id), { token: s.member.token, body }),
        400,
      );
    }
    assertErrorResponse(
      await t().call('PUT', tenantUrl(s, s.member.id), {
        token: moderator.token,
        body: { CommunityAlias: 'Not mine to set' },
      }),
      403,
    );
    assertUnchanged(before, await t().snapshot());
  });

  test('404 when T is not a member of C (another tenant, an unknown id), also for the owner', async () => {
    const s = await communityWithMember(t());
    for (const target of [s.outsider.id, '00000000-0000-4000-8000-000000000000']) {
      const response = await t().call('PUT', tenantUrl(s, target), {
        token: s.owner.token,
        body: { Status: 'Paused' },
      });
      assert.match(assertErrorResponse(response, 404).Reason ?? '', /Tenant/);
    }
  });
});

describeEachEngine('community tenants: remove and leave', (t) => {
  test('the owner removes a member: 204; its memberships and community roles are gone', async () => {
    const s = await communityWithMember(t());
    const user = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, user.id, ['administrator', 'member']);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, s.member.clientId, ['member']);
    const ownerAssignments = await assignmentRows(t(), s.community.Id, s.owner.id);

    const response = await t().call('DELETE', tenantUrl(s, s.member.id), { token: s.owner.token, raw: '' });
    assert.equal(response.statusCode, 204, response.body);
    assert.equal(response.body, '');

    assert.deepEqual(await assignmentRows(t(), s.community.Id, s.member.id), []);
    assert.deepEqual(await assignmentRows(t(), s.community.Id, s.owner.id), ownerAssignments);
    assert.deepEqual(
      (await membershipRows(t(), s.community.Id)).map((m) => m.tenant_id),
      [s.owner.id],
    );
    for (const token of [s.member.token, user.token]) {
      assertErrorResponse(await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token }), 404);
    }
    assertErrorResponse(await t().call('DELETE', tenantUrl(s, s.member.id), { token: s.owner.token }), 404);
  });

  test('the owner may remove a paused member', async () => {
    const s = await communityWithMember(t());
    assert.equal((await setStatus(t(), s, 'Paused')).statusCode, 200);
    const response = await t().call('DELETE', tenantUrl(s, s.member.id), { token: s.owner.token });
    assert.equal(response.statusCode, 204, response.body);
  });

  test('a member leaves (204), through its Tenant Administrator or a Community Administrator', async () => {
    const s = await communityWithMember(t());
    const response = await t().call('DELETE', tenantUrl(s, s.member.id), { token: s.member.token });
    assert.equal(response.statusCode, 204, response.body);
    const read = await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token: s.owner.token });
    assert.deepEqual(
      (read.json() as CommunityWire).Tenants.map((m) => m.Id),
      [s.owner.id],
    );

    const again = await t().createTenant();
    t().clock.advance(1000);
    await joinCommunity(t(), s.community.Id, again.id);
    const cAdmin = await t().createUser(again);
    await grantCommunityRoles(t(), s.community.Id, again.id, cAdmin.id, ['administrator', 'member']);
    const left = await t().call('DELETE', tenantUrl(s, again.id), { token: cAdmin.token });
    assert.equal(left.statusCode, 204, left.body);
    assert.deepEqual(await assignmentRows(t(), s.community.Id, again.id), []);
  });

  test('the owning tenant cannot be removed (409); nothing changes', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    const response = await t().call('DELETE', tenantUrl(s, s.owner.id), { token: s.owner.token });
    assertErrorResponse(response, 409);
    assertUnchanged(before, await t().snapshot());
  });

  test('a member cannot remove the owner or another member; a principal without the role cannot leave (403)', async () => {
    const s = await communityWithMember(t());
    const second = await t().createTenant();
    await joinCommunity(t(), s.community.Id, second.id);
    const plain = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, plain.id, ['moderator', 'member']);
    const ownerModerator = await t().createUser(s.owner);
    await grantCommunityRoles(t(), s.community.Id, s.owner.id, ownerModerator.id, ['moderator']);
    const before = await t().snapshot();
    const attempts: [string, string][] = [
      [s.member.token, s.owner.id],
      [s.member.token, second.id],
      [plain.token, s.member.id],
      [ownerModerator.token, s.member.id],
    ];
    for (const [token, target] of attempts) {
      assertErrorResponse(await t().call('DELETE', tenantUrl(s, target), { token }), 403);
    }
    assertUnchanged(before, await t().snapshot());
  });

  test('a tenant that is not a member: 404 as the target and as the caller', async () => {
    const s = await communityWithMember(t());
    const before = await t().snapshot();
    assertErrorResponse(await t().call('DELETE', tenantUrl(s, s.outsider.id), { token: s.owner.token }), 404);
    assertErrorResponse(
      await t().call('DELETE', tenantUrl(s, s.member.id), { token: s.outsider.token }),
      404,
    );
    assertErrorResponse(
      await t().call('DELETE', tenantUrl(s, s.outsider.id), { token: s.outsider.token }),
      404,
    );
    assertUnchanged(before, await t().snapshot());
  });
});

describeEachEngine('community tenants: concurrency', (t) => {
  test('concurrent removals of one member: exactly one 204, the others 404', async () => {
    const s = await communityWithMember(t());
    await grantCommunityRoles(t(), s.community.Id, s.member.id, s.member.clientId, ['member']);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        t().call('DELETE', tenantUrl(s, s.member.id), { token: s.owner.token }),
      ),
    );
    assert.deepEqual(responses.map((r) => r.statusCode).sort(), [204, 404, 404, 404, 404]);
    assert.deepEqual(await assignmentRows(t(), s.community.Id, s.member.id), []);
  });

  test('concurrent deletes of one community: exactly one 204, the others 404', async () => {
    const s = await communityWithMember(t());
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        t().call('DELETE', `${COMMUNITIES}/${s.community.Id}`, { token: s.owner.token }),
      ),
    );
    assert.deepEqual(responses.map((r) => r.statusCode).sort(), [204, 404, 404, 404, 404]);
  });

  test('concurrent pauses: one wins, a loser that read the old Status gets 409, never a 500', async () => {
    const s = await communityWithMember(t());
    const responses = await Promise.all(Array.from({ length: 5 }, () => setStatus(t(), s, 'Paused')));
    const statuses = responses.map((r) => r.statusCode);
    assert.ok(statuses.includes(200), String(statuses));
    assert.ok(
      statuses.every((status) => status === 200 || status === 409),
      String(statuses),
    );
    for (const r of responses.filter((r) => r.statusCode === 409)) assert.match(r.body, /changed to Paused/);
    assert.equal((await memberAsOwnerSees(t(), s, s.member.id))?.Status, 'Paused');
  });

  test('a pause racing a removal: the removal wins or comes second, never a 500', async () => {
    const s = await communityWithMember(t());
    const [pause, removal] = await Promise.all([
      setStatus(t(), s, 'Paused'),
      t().call('DELETE', tenantUrl(s, s.member.id), { token: s.owner.token }),
    ]);
    assert.equal(removal.statusCode, 204, removal.body);
    assert.ok([200, 404].includes(pause.statusCode), pause.body);
    assert.deepEqual(
      (await membershipRows(t(), s.community.Id)).map((m) => m.tenant_id),
      [s.owner.id],
    );
  });
});
