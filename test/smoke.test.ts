import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachEngine } from './support/app.ts';

describeEachEngine('walk-through', (t) => {
  test('create a tenant, get a token, create a community, read it back, list its roles', async () => {
    const tenant = await t().createTenant('Acme');
    const created = await t().call('POST', '/api/v1-preview/Communities', {
      token: tenant.token,
      body: { Name: 'Wells', Description: 'Shared wells', ContactEmail: 'ops@acme.test' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const community = created.json();
    const read = await t().call('GET', `/api/v1-preview/Communities/${community.Id}`, {
      token: tenant.token,
    });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().Name, 'Wells');
    const roles = await t().call('GET', `/api/v1-preview/Communities/${community.Id}/Roles`, {
      token: tenant.token,
    });
    assert.deepEqual(
      roles.json().map((r: { Name: string }) => r.Name),
      ['Community Administrator', 'Community Moderator', 'Community Member'],
    );
  });
});
