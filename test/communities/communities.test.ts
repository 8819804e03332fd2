// Communities (CONTRACT §3, §6): create, list, read, update, delete and the community roles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILT_IN_COMMUNITY_ROLES, COMMUNITY_ROLE_TYPES } from '../../src/identity/roles.ts';
import { assertErrorResponse, describeEachEngine } from '../support/app.ts';
import {
  assertJson,
  assertUnchanged,
  assignmentRows,
  COMMUNITIES,
  type CommunityWire,
  communityWithMember,
  createCommunity,
  GUID,
  membershipRows,
  type RoleWire,
} from './fixtures.ts';
import { communityRoleTypesOf, grantCommunityRoles, joinCommunity } from './membership.ts';

const ADMIN_AND_MEMBER = [COMMUNITY_ROLE_TYPES.administrator, COMMUNITY_ROLE_TYPES.member].sort();

describeEachEngine('communities: create', (t) => {
  test('201 with the Community, its three roles and the owner as its only tenant', async () => {
    const owner = await t().createTenant('Acme');
    const response = await t().call('POST', COMMUNITIES, {
      token: owner.token,
      body: { Name: '  Wells  ', Description: 'Shared wells', ContactEmail: ' ops@acme.test ' },
    });
    const body = assertJson(response, 201) as CommunityWire;

    assert.match(body.Id, GUID);
    assert.deepEqual(Object.keys(body).sort(), [
      'CommunityRoles',
      'DateCreated',
      'Description',
      'DisplayName',
      'Id',
      'MemberRoleId',
      'Name',
      'Tenants',
    ]);
    assert.equal(body.Name, 'Wells');
    assert.equal(body.DisplayName, 'Wells');
    assert.equal(body.Description, 'Shared wells');
    assert.equal(body.DateCreated, t().clock.now().toISOString());
    assert.deepEqual(body.Tenants, [
      {
        Id: owner.id,
        Name: 'Acme',
        Status: 'Active',
        IsOwner: true,
        UserCount: 0,
        ClientCount: 1,
        ContactEmail: 'ops@acme.test',
      },
    ]);
    assert.deepEqual(
      body.CommunityRoles.map(({ Id, ...rest }) => {
        assert.match(Id, GUID);
        return rest;
      }),
      BUILT_IN_COMMUNITY_ROLES.map((r) => ({
        Name: r.name,
        Description: r.description,
        RoleScope: 2,
        CommunityId: body.Id,
        RoleTypeId: r.typeId,
      })),
    );
    const memberRole = body.CommunityRoles.find((r) => r.RoleTypeId === COMMUNITY_ROLE_TYPES.member);
    assert.equal(body.MemberRoleId, memberRole?.Id);
    assert.equal(new Set(body.CommunityRoles.map((r) => r.Id)).size, 3);
  });

  test('the creating client holds Community Administrator and Community Member', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner);
    assert.deepEqual(await communityRoleTypesOf(t(), community.Id, owner.clientId), ADMIN_AND_MEMBER);
    const assignments = await assignmentRows(t(), community.Id);
    assert.equal(assignments.length, 2);
    assert.ok(assignments.every((a) => a.tenant_id === owner.id && a.principal_id === owner.clientId));

    // The tenant's role list also holds its communities' roles (CONTRACT §6).
    const roles = await t().call('GET', `/api/v1/Tenants/${owner.id}/Roles`, { token: owner.token });
    const communityRoles = (roles.json() as RoleWire[]).filter((r) => r.CommunityId === community.Id);
    assert.deepEqual(
      communityRoles.map((r) => r.Id).sort(),
      community.CommunityRoles.map((r) => r.Id).sort(),
    );
  });

  test('a user creator gets the roles too, and they work once its tenant role is gone', async () => {
    const owner = await t().createTenant();
    const user = await t().createUser(owner, { admin: true });
    const community = await createCommunity(t(), owner, {}, user.token);
    assert.deepEqual(
      community.Tenants.map((m) => [m.UserCount, m.ClientCount]),
      [[1, 0]],
    );
    assert.deepEqual(await communityRoleTypesOf(t(), community.Id, user.id), ADMIN_AND_MEMBER);

    // Demoted to a plain tenant member, the user is still the community's administrator.
    const demoted = await t().call('PUT', `/api/v1/Tenants/${owner.id}/Users/${user.id}`, {
      token: owner.token,
      body: { RoleIds: [] },
    });
    assert.equal(demoted.statusCode, 200, demoted.body);
    const renamed = await t().call('PUT', `${COMMUNITIES}/${community.Id}`, {
      token: user.token,
      body: { Name: 'Renamed by its creator' },
    });
    assert.equal(renamed.statusCode, 200, renamed.body);
    const list = await t().call('GET', COMMUNITIES, { token: user.token });
    assert.deepEqual(
      (list.json() as CommunityWire[]).map((c) => c.Id),
      [community.Id],
    );
  });

  test('Description, PreferredRegionId and ContactEmail are optional; input names match in any case', async () => {
    const owner = await t().createTenant();
    const response = await t().call('POST', COMMUNITIES, {
      token: owner.token,
      body: { name: 'Lower case', preferredRegionId: 'westeurope', Id: null, Description: null },
    });
    const body = assertJson(response, 201) as CommunityWire;
    assert.equal(body.Name, 'Lower case');
    assert.equal(body.PreferredRegionId, 'westeurope');
    assert.equal('Description' in body, false);
    assert.equal('ContactEmail' in (body.Tenants[0] ?? {}), false);
  });

  test('Accept-Verbosity: verbose shows the null properties', async () => {
    const owner = await t().createTenant();
    const response = await t().call('POST', COMMUNITIES, {
      token: owner.token,
      body: { Name: 'Verbose' },
      headers: { 'accept-verbosity': 'verbose' },
    });
    const body = assertJson(response, 201) as Record<string, unknown>;
    assert.equal(body.Description, null);
    assert.equal(body.PreferredRegionId, null);
    const tenant = (body.Tenants as Record<string, unknown>[])[0];
    assert.equal(tenant?.ContactEmail, null);
    assert.equal(tenant?.CommunityAlias, null);
    assert.equal(tenant?.PreferredRegionId, null);
  });

  test('a name the tenant already uses is a 409, also when it differs only in case or spaces', async () => {
    const owner = await t().createTenant();
    await createCommunity(t(), owner, { Name: 'Pipelines' });
    const before = await t().snapshot();
    for (const name of ['Pipelines', 'PIPELINES', ' pipelines ']) {
      const response = await t().call('POST', COMMUNITIES, { token: owner.token, body: { Name: name } });
      const error = assertErrorResponse(response, 409);
      assert.match(error.Reason ?? '', /already has a community named/);
    }
    assertUnchanged(before, await t().snapshot());
  });

  test('another tenant may use the same name', async () => {
    const [a, b] = [await t().createTenant(), await t().createTenant()];
    await createCommunity(t(), a, { Name: 'Shared name' });
    const response = await t().call('POST', COMMUNITIES, { token: b.token, body: { Name: 'Shared name' } });
    assert.equal(response.statusCode, 201, response.body);
  });

  test('400 for a missing, empty, blank or too long Name and a bad ContactEmail; nothing is created', async () => {
    const owner = await t().createTenant();
    const before = await t().snapshot();
    const bodies: unknown[] = [
      {},
      { Name: null },
      { Name: '' },
      { Name: '   ' },
      { Name: 'x'.repeat(201) },
      { Name: 'Bad contact', ContactEmail: 'not-an-email' },
      { Name: 'Bad contact', ContactEmail: '' },
      { Name: 'Bad contact', ContactEmail: `${'a'.repeat(250)}@x.io` },
      [],
    ];
    for (const body of bodies) {
      const response = await t().call('POST', COMMUNITIES, { token: owner.token, body });
      assertErrorResponse(response, 400);
    }
    const noBody = await t().call('POST', COMMUNITIES, { token: owner.token });
    assertErrorResponse(noBody, 400);
    const malformed = await t().call('POST', COMMUNITIES, { token: owner.token, raw: '{"Name":' });
    assertErrorResponse(malformed, 400);
    assertUnchanged(before, await t().snapshot());
  });

  test('403 for a principal that is not a Tenant Administrator, even with an invalid body', async () => {
    const owner = await t().createTenant();
    const user = await t().createUser(owner);
    const before = await t().snapshot();
    for (const body of [{ Name: 'Not allowed' }, { Name: '' }]) {
      const response = await t().call('POST', COMMUNITIES, { token: user.token, body });
      assertErrorResponse(response, 403);
    }
    const operator = await t().call('POST', COMMUNITIES, {
      token: await t().operatorToken(),
      body: { Name: 'Operator community' },
    });
    assertErrorResponse(operator, 403);
    assertUnchanged(before, await t().snapshot());
  });
});

describeEachEngine('communities: list', (t) => {
  test('the caller tenant’s communities in creation order, paged, with Total-Count', async () => {
    const owner = await t().createTenant();
    const other = await t().createTenant();
    const created: CommunityWire[] = [];
    for (const name of ['Charlie', 'Alpha', 'Bravo']) {
      t().clock.advance(1000);
      created.push(await createCommunity(t(), owner, { Name: name }));
    }
    await createCommunity(t(), other, { Name: 'Not yours' });

    const all = await t().call('GET', COMMUNITIES, { token: owner.token });
    const body = assertJson(all, 200) as CommunityWire[];
    assert.equal(all.headers['total-count'], '3');
    assert.deepEqual(body, created);

    const page = await t().call('GET', `${COMMUNITIES}?skip=1&count=1&query=ignored`, { token: owner.token });
    assert.equal(page.statusCode, 200, page.body);
    assert.equal(page.headers['total-count'], '3');
    assert.deepEqual(
      (page.json() as CommunityWire[]).map((c) => c.Name),
      ['Alpha'],
    );

    const beyond = await t().call('GET', `${COMMUNITIES}?skip=3`, { token: owner.token });
    assert.deepEqual(beyond.json(), []);
    assert.equal(beyond.headers['total-count'], '3');

    const head = await t().call('HEAD', COMMUNITIES, { token: owner.token });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['total-count'], '3');
    assert.equal(head.body, '');
  });

  test('400 for bad paging', async () => {
    const owner = await t().createTenant();
    for (const query of ['skip=-1', 'count=0', 'count=1001', 'skip=abc', 'count=1.5']) {
      assertErrorResponse(await t().call('GET', `${COMMUNITIES}?${query}`, { token: owner.token }), 400);
    }
    const max = await t().call('GET', `${COMMUNITIES}?count=1000`, { token: owner.token });
    assert.equal(max.statusCode, 200);
  });

  test('a principal without a role in a community does not see it; a Tenant Administrator sees all', async () => {
    const owner = await t().createTenant();
    const [first, second] = [await createCommunity(t(), owner), await createCommunity(t(), owner)];
    const user = await t().createUser(owner);

    const none = await t().call('GET', COMMUNITIES, { token: user.token });
    assert.deepEqual(none.json(), []);
    assert.equal(none.headers['total-count'], '0');

    await grantCommunityRoles(t(), second.Id, owner.id, user.id, ['member']);
    const one = await t().call('GET', COMMUNITIES, { token: user.token });
    assert.deepEqual(
      (one.json() as CommunityWire[]).map((c) => c.Id),
      [second.Id],
    );
    assert.equal(one.headers['total-count'], '1');

    const admin = await t().createUser(owner, { admin: true });
    const all = await t().call('GET', COMMUNITIES, { token: admin.token });
    assert.deepEqual((all.json() as CommunityWire[]).map((c) => c.Id).sort(), [first.Id, second.Id].sort());
  });

  test('a member tenant lists the communities it joined; the operator and other tenants see none of them', async () => {
    const s = await communityWithMember(t());
    const list = await t().call('GET', COMMUNITIES, { token: s.member.token });
    const body = assertJson(list, 200) as CommunityWire[];
    assert.deepEqual(
      body.map((c) => c.Id),
      [s.community.Id],
    );
    assert.deepEqual(
      body[0]?.Tenants.map((m) => [m.Id, m.IsOwner, m.Status]),
      [
        [s.owner.id, true, 'Active'],
        [s.member.id, false, 'Active'],
      ],
    );
    for (const token of [s.outsider.token, await t().operatorToken()]) {
      const response = await t().call('GET', COMMUNITIES, { token });
      assert.deepEqual(response.json(), []);
      assert.equal(response.headers['total-count'], '0');
    }
  });
});

describeEachEngine('communities: get one', (t) => {
  test('200 with the same Community as the create answered; any case of the id', async () => {
    const owner = await t().createTenant();
    const created = await createCommunity(t(), owner, { Description: 'd', ContactEmail: 'c@owner.test' });
    const response = await t().call('GET', `${COMMUNITIES}/${created.Id}`, { token: owner.token });
    assert.deepEqual(assertJson(response, 200), created);
    const upper = await t().call('GET', `/api/v1-preview/communities/${created.Id.toUpperCase()}/`, {
      token: owner.token,
    });
    assert.deepEqual(assertJson(upper, 200), created);
  });

  test('a member tenant’s principals: its administrator and role holders 200, others 403', async () => {
    const s = await communityWithMember(t());
    const admin = await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token: s.member.token });
    const body = assertJson(admin, 200) as CommunityWire;
    assert.deepEqual(body.Tenants[1], {
      Id: s.member.id,
      Name: s.member.name,
      Status: 'Active',
      IsOwner: false,
      UserCount: 0,
      ClientCount: 0,
      ContactEmail: 'member@member.test',
    });

    const user = await t().createUser(s.member);
    const forbidden = await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token: user.token });
    assert.match(assertErrorResponse(forbidden, 403).Reason ?? '', /no role/);

    await grantCommunityRoles(t(), s.community.Id, s.member.id, user.id, ['member']);
    const allowed = await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token: user.token });
    const counted = assertJson(allowed, 200) as CommunityWire;
    assert.equal(counted.Tenants[1]?.UserCount, 1);
  });

  test('404 for an unknown community, another tenant and the operator', async () => {
    const s = await communityWithMember(t());
    const unknown = await t().call('GET', `${COMMUNITIES}/00000000-0000-4000-8000-000000000000`, {
      token: s.owner.token,
    });
    assertErrorResponse(unknown, 404);
    for (const token of [s.outsider.token, await t().operatorToken()]) {
      const response = await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token });
      assertErrorResponse(response, 404);
      assert.doesNotMatch(response.body, new RegExp(s.community.Name));
    }
  });
});

describeEachEngine('communities: update', (t) => {
  test('rename: 200 with the Community; absent properties keep their value', async () => {
    const owner = await t().createTenant();
    const created = await createCommunity(t(), owner, {
      Name: 'Before',
      Description: 'Kept',
      PreferredRegionId: 'region-1',
      ContactEmail: 'kept@owner.test',
    });
    const response = await t().call('PUT', `${COMMUNITIES}/${created.Id}`, {
      token: owner.token,
      body: { Name: ' After ' },
    });
    const body = assertJson(response, 200) as CommunityWire;
    assert.deepEqual(body, { ...created, Name: 'After', DisplayName: 'After' });

    const described = await t().call('PUT', `${COMMUNITIES}/${created.Id}`, {
      token: owner.token,
      body: { description: 'Changed', Name: null },
    });
    assert.deepEqual(assertJson(described, 200), {
      ...created,
      Name: 'After',
      DisplayName: 'After',
      Description: 'Changed',
    });
    const read = await t().call('GET', `${COMMUNITIES}/${created.Id}`, { token: owner.token });
    assert.deepEqual(read.json(), described.json());

    const empty = await t().call('PUT', `${COMMUNITIES}/${created.Id}`, { token: owner.token, body: {} });
    assert.deepEqual(assertJson(empty, 200), described.json());
  });

  test('ContactEmail changes the owner’s CommunityTenant.ContactEmail only', async () => {
    const s = await communityWithMember(t());
    const response = await t().call('PUT', `${COMMUNITIES}/${s.community.Id}`, {
      token: s.owner.token,
      body: { ContactEmail: 'new@owner.test' },
    });
    const body = assertJson(response, 200) as CommunityWire;
    assert.deepEqual(
      body.Tenants.map((m) => m.ContactEmail),
      ['new@owner.test', 'member@member.test'],
    );
  });

  test('409 for a name the tenant already uses (any case); renaming to its own name in another case is fine', async () => {
    const owner = await t().createTenant();
    await createCommunity(t(), owner, { Name: 'Taken' });
    const community = await createCommunity(t(), owner, { Name: 'Mine' });
    const before = await t().snapshot();
    for (const name of ['Taken', 'tAKEN']) {
      const response = await t().call('PUT', `${COMMUNITIES}/${community.Id}`, {
        token: owner.token,
        body: { Name: name, Description: 'not applied' },
      });
      assertErrorResponse(response, 409);
    }
    assertUnchanged(before, await t().snapshot());
    const recased = await t().call('PUT', `${COMMUNITIES}/${community.Id}`, {
      token: owner.token,
      body: { Name: 'MINE' },
    });
    assert.equal((assertJson(recased, 200) as CommunityWire).Name, 'MINE');
  });

  test('400 for a blank Name or a bad ContactEmail; nothing changes', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner);
    const before = await t().snapshot();
    for (const body of [
      { Name: '' },
      { Name: '  ' },
      { ContactEmail: 'nope' },
      { Description: 'x'.repeat(2001) },
    ]) {
      const response = await t().call('PUT', `${COMMUNITIES}/${community.Id}`, { token: owner.token, body });
      assertErrorResponse(response, 400);
    }
    assertUnchanged(before, await t().snapshot());
  });

  test('only a Community Administrator of the owning tenant: others 403, other tenants 404', async () => {
    const s = await communityWithMember(t());
    const url = `${COMMUNITIES}/${s.community.Id}`;
    const ownerModerator = await t().createUser(s.owner);
    await grantCommunityRoles(t(), s.community.Id, s.owner.id, ownerModerator.id, ['moderator', 'member']);
    const memberAdmin = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, memberAdmin.id, ['administrator', 'member']);
    const before = await t().snapshot();
    for (const token of [ownerModerator.token, memberAdmin.token, s.member.token]) {
      // The 403 comes before the body is validated (CONTRACT §1 precedence).
      for (const body of [{ Name: 'Hijacked' }, { Name: '' }]) {
        assertErrorResponse(await t().call('PUT', url, { token, body }), 403);
      }
    }
    for (const token of [s.outsider.token, await t().operatorToken()]) {
      assertErrorResponse(await t().call('PUT', url, { token, body: { Name: '' } }), 404);
    }
    assertUnchanged(before, await t().snapshot());

    const ownerAdmin = await t().createUser(s.owner);
    await grantCommunityRoles(t(), s.community.Id, s.owner.id, ownerAdmin.id, ['administrator']);
    const allowed = await t().call('PUT', url, { token: ownerAdmin.token, body: { Name: 'By C-admin' } });
    assert.equal(allowed.statusCode, 200, allowed.body);
  });
});

describeEachEngine('communities: delete', (t) => {
  test('204, then 404; its roles, memberships and role assignments are gone', async () => {
    const s = await communityWithMember(t());
    const user = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, user.id, ['moderator', 'member']);
    const url = `${COMMUNITIES}/${s.community.Id}`;

    // The public client sends every DELETE with a JSON content type and no body.
    const response = await t().call('DELETE', url, { token: s.owner.token, raw: '' });
    assert.equal(response.statusCode, 204, response.body);
    assert.equal(response.body, '');

    assertErrorResponse(await t().call('GET', url, { token: s.owner.token }), 404);
    assertErrorResponse(await t().call('DELETE', url, { token: s.owner.token }), 404);
    assertErrorResponse(await t().call('GET', url, { token: user.token }), 404);
    assert.deepEqual(await membershipRows(t(), s.community.Id), []);
    assert.deepEqual(await assignmentRows(t(), s.community.Id), []);
    const roles = await t()
      .store.db.selectFrom('roles')
      .select('id')
      .where('community_id', '=', s.community.Id)
      .execute();
    assert.deepEqual(roles, []);
    const memberRoles = await t().call('GET', `/api/v1/Tenants/${s.member.id}/Roles`, {
      token: s.member.token,
    });
    assert.equal(
      (memberRoles.json() as RoleWire[]).some((r) => r.CommunityId === s.community.Id),
      false,
    );
    const list = await t().call('GET', COMMUNITIES, { token: s.member.token });
    assert.deepEqual(list.json(), []);
  });

  test('the name is free again after a delete', async () => {
    const owner = await t().createTenant();
    const community = await createCommunity(t(), owner, { Name: 'Reused' });
    await t().call('DELETE', `${COMMUNITIES}/${community.Id}`, { token: owner.token });
    const again = await t().call('POST', COMMUNITIES, { token: owner.token, body: { Name: 'Reused' } });
    assert.equal(again.statusCode, 201, again.body);
  });

  test('403 for anyone but the owning tenant’s Community Administrator; 404 for other tenants', async () => {
    const s = await communityWithMember(t());
    const url = `${COMMUNITIES}/${s.community.Id}`;
    const ownerMember = await t().createUser(s.owner);
    await grantCommunityRoles(t(), s.community.Id, s.owner.id, ownerMember.id, ['moderator', 'member']);
    const memberAdmin = await t().createUser(s.member);
    await grantCommunityRoles(t(), s.community.Id, s.member.id, memberAdmin.id, ['administrator']);
    const before = await t().snapshot();
    for (const token of [ownerMember.token, memberAdmin.token, s.member.token]) {
      assertErrorResponse(await t().call('DELETE', url, { token }), 403);
    }
    for (const token of [s.outsider.token, await t().operatorToken()]) {
      assertErrorResponse(await t().call('DELETE', url, { token }), 404);
    }
    assertUnchanged(before, await t().snapshot());
  });
});

describeEachEngine('communities: roles', (t) => {
  test('Administrator, Moderator, Member, each a community role of C, with Total-Count', async () => {
    const s = await communityWithMember(t());
    const url = `${COMMUNITIES}/${s.community.Id}/Roles`;
    for (const token of [s.owner.token, s.member.token]) {
      const response = await t().call('GET', url, { token });
      const roles = assertJson(response, 200) as RoleWire[];
      assert.equal(response.headers['total-count'], '3');
      assert.deepEqual(roles, s.community.CommunityRoles);
      assert.deepEqual(
        roles.map((r) => [r.Name, r.RoleTypeId, r.RoleScope, r.CommunityId, r.TenantId]),
        [
          ['Community Administrator', COMMUNITY_ROLE_TYPES.administrator, 2, s.community.Id, undefined],
          ['Community Moderator', COMMUNITY_ROLE_TYPES.moderator, 2, s.community.Id, undefined],
          ['Community Member', COMMUNITY_ROLE_TYPES.member, 2, s.community.Id, undefined],
        ],
      );
    }
    const page = await t().call('GET', `${url}?skip=1&count=1`, { token: s.owner.token });
    assert.deepEqual(
      (page.json() as RoleWire[]).map((r) => r.Name),
      ['Community Moderator'],
    );
    assert.equal(page.headers['total-count'], '3');
    assertErrorResponse(await t().call('GET', `${url}?count=0`, { token: s.owner.token }), 400);
  });

  test('403 without a role in C; 404 for other tenants', async () => {
    const s = await communityWithMember(t());
    const url = `${COMMUNITIES}/${s.community.Id}/Roles`;
    for (const tenant of [s.owner, s.member]) {
      const user = await t().createUser(tenant);
      assertErrorResponse(await t().call('GET', url, { token: user.token }), 403);
      // Precedence: the 403 comes before a bad query (CONTRACT §1).
      assertErrorResponse(await t().call('GET', `${url}?count=0`, { token: user.token }), 403);
    }
    assertErrorResponse(await t().call('GET', url, { token: s.outsider.token }), 404);
  });
});

describeEachEngine('communities: membership fixture', (t) => {
  test('joinCommunity writes an Active, non-owner row that the API then shows', async () => {
    const s = await communityWithMember(t());
    const rows = await membershipRows(t(), s.community.Id);
    const row = rows.find((r) => r.tenant_id === s.member.id);
    assert.equal(row?.status, 'Active');
    assert.equal(row?.is_owner, 0);
    assert.equal(row?.contact_email, 'member@member.test');
    const extra = await t().createTenant();
    t().clock.advance(1000);
    await joinCommunity(t(), s.community.Id, extra.id, { status: 'Paused' });
    const read = await t().call('GET', `${COMMUNITIES}/${s.community.Id}`, { token: s.owner.token });
    assert.deepEqual(
      (read.json() as CommunityWire).Tenants.map((m) => m.Status),
      ['Active', 'Active', 'Paused'],
    );
  });
});
