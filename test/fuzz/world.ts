// The world the fuzzer's requests land in: fixtures built through the public API (three tenants, two
// communities joined through the invitation handshake, users and clients with community roles, a pending
// and an accepted invitation), the pools of real ids the plans pick from, and the tokens of each principal.
// Built afresh for every epoch and torn down after it, so the store stays small however long the run.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { TenantFixture, TestApp } from '../support/app.ts';
import { createCommunity, joinThroughInvitation, roleId } from '../support/fixtures.ts';
import type { AuthPlan, Pool, Principal, Side } from './generate.ts';
import { IdRef } from './generate.ts';

/** Ids learnt from the fuzzer's own successful creates, per pool, beyond the fixtures. */
const LEARNT_PER_POOL = 24;

export interface Credential {
  id: string;
  secret: string;
}

interface Forger {
  foreignKey(issuer: string, tenantId: string, subject: string): Promise<string>;
}

let forger: Promise<Forger> | undefined;

/** A key of nobody's: tokens signed with it must be refused whatever they claim. */
function foreignForger(): Promise<Forger> {
  forger ??= (async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n?.slice(0, 8) ?? 'foreign';
    return {
      foreignKey: (issuer, tenantId, subject) =>
        new SignJWT({ tid: tenantId, principal_type: 'client' })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setIssuer(issuer)
          .setSubject(subject)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey),
    };
  })();
  return forger;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class World {
  private readonly fixed = new Map<Pool, string[]>();
  private readonly sides: Record<Side, Map<Pool, string[]>> = { owner: new Map(), guest: new Map() };
  /** With the side whose request created each, so that a sided pick stays with its side. */
  private readonly learnt = new Map<Pool, { id: string; side: Side | undefined }[]>();
  private readonly tokens = new Map<Principal, string>();
  private readonly credentials: Credential[] = [];
  /**
   * The clients and users whose tokens the principals hold, and the fixture tenants: never what a PUT or
   * DELETE addresses, or one request (deleting the owner's client, demoting its administrator) would
   * turn the rest of the epoch into 401s and 403s.
   */
  private readonly principals = new Set<string>();
  /** Tenants to delete when the epoch ends: the fixtures and any the operator created. */
  readonly tenants = new Set<string>();
  private foreign = '';

  private constructor(
    readonly t: TestApp,
    readonly epoch: number,
  ) {}

  /** Builds the fixtures of one epoch through the API. `stale` is a token of a tenant deleted before. */
  static async create(t: TestApp, epoch: number, operatorToken: string, stale?: string): Promise<World> {
    const world = new World(t, epoch);
    await world.build(operatorToken, stale);
    return world;
  }

  private async build(operatorToken: string, stale: string | undefined): Promise<void> {
    const t = this.t;
    const tag = `${this.epoch}-${Date.now().toString(36)}`;
    const owner = await t.createTenant(`Fuzz owner ${tag}`);
    const guest = await t.createTenant(`Fuzz guest ${tag}`);
    const outsider = await t.createTenant(`Fuzz outsider ${tag}`);
    for (const tenant of [owner, guest, outsider]) this.tenants.add(tenant.id);

    const ownerAdmin = await t.createUser(owner, { admin: true });
    const ownerModerator = await t.createUser(owner);
    const ownerMember = await t.createUser(owner);
    const ownerPlain = await t.createUser(owner);
    const guestUser = await t.createUser(guest);

    const community = await createCommunity(t, owner, `Fuzz community ${tag}`);
    await joinThroughInvitation(t, owner, guest, community.Id);
    // A second community owned by the guest, so that the owner tenant is also a plain member somewhere.
    const other = await createCommunity(t, guest, `Fuzz other ${tag}`);
    await joinThroughInvitation(t, guest, owner, other.Id);

    const members = `/api/v1-preview/Communities/${community.Id}/Tenants`;
    await this.expect(201, 'PUT', `${members}/${owner.id}/Users/${ownerMember.id}`, owner, []);
    await this.expect(201, 'PUT', `${members}/${owner.id}/Users/${ownerModerator.id}`, owner, [
      roleId(community, 'Moderator'),
    ]);
    await this.expect(201, 'PUT', `${members}/${guest.id}/Users/${guestUser.id}`, guest, []);

    const customRole = await this.expect(201, 'POST', `/api/v1/Tenants/${owner.id}/Roles`, owner, {
      Name: `Fuzz custom ${tag}`,
    });
    const extraClient = await this.expect(
      201,
      'POST',
      `/api/v1-preview/Tenants/${owner.id}/ClientCredentialClients`,
      owner,
      { Name: `Fuzz client ${tag}`, RoleIds: [] },
    );
    await this.expect(
      201,
      'PUT',
      `${members}/${owner.id}/ClientCredentialClients/${extraClient.Id}`,
      owner,
      [],
    );

    const invitations = `/api/v1-preview/communities/${community.Id}/invitations`;
    const pending = await this.expect(201, 'POST', invitations, owner, {
      InvitationRecipient: `pending-${tag}@fuzz.test`,
    });
    const accepted = await this.expect(201, 'POST', invitations, owner, {
      InvitationRecipient: `accepted-${tag}@fuzz.test`,
    });
    await this.expect(202, 'PUT', `/api/v1-preview/communityinvitations/${accepted.Id}`, outsider, {
      Action: 'Accept',
      ContactEmail: `outsider-${tag}@fuzz.test`,
    });
    const joined = (await this.expect(200, 'GET', invitations, owner)) as unknown as { Id: string }[];

    const tenantRoles = (tenant: TenantFixture) => Object.values(tenant.roles);
    this.fixed.set('tenant', [owner.id, guest.id, outsider.id]);
    this.fixed.set('user', [ownerAdmin.id, ownerModerator.id, ownerMember.id, ownerPlain.id, guestUser.id]);
    this.fixed.set('client', [owner.clientId, String(extraClient.Id), guest.clientId, outsider.clientId]);
    this.fixed.set('role', [...tenantRoles(owner), String(customRole.Id), ...tenantRoles(guest)]);
    this.fixed.set('communityRole', [
      ...community.CommunityRoles.map((r) => r.Id),
      ...other.CommunityRoles.map((r) => r.Id),
    ]);
    this.fixed.set('community', [community.Id, other.Id]);
    this.fixed.set('invitation', [String(pending.Id), String(accepted.Id), ...joined.map((i) => i.Id)]);
    const otherJoined = (await this.expect(
      200,
      'GET',
      `/api/v1-preview/communities/${other.Id}/invitations`,
      guest,
    )) as unknown as { Id: string }[];
    const ownerSide = this.sides.owner;
    ownerSide.set('tenant', [owner.id]);
    ownerSide.set('user', [ownerAdmin.id, ownerModerator.id, ownerMember.id, ownerPlain.id]);
    ownerSide.set('client', [owner.clientId, String(extraClient.Id)]);
    ownerSide.set('role', [...tenantRoles(owner), String(customRole.Id)]);
    ownerSide.set(
      'communityRole',
      community.CommunityRoles.map((r) => r.Id),
    );
    ownerSide.set('community', [community.Id]);
    ownerSide.set('invitation', [String(pending.Id), String(accepted.Id), ...joined.map((i) => i.Id)]);
    const guestSide = this.sides.guest;
    guestSide.set('tenant', [guest.id]);
    guestSide.set('user', [guestUser.id]);
    guestSide.set('client', [guest.clientId]);
    guestSide.set('role', tenantRoles(guest));
    guestSide.set(
      'communityRole',
      other.CommunityRoles.map((r) => r.Id),
    );
    guestSide.set('community', [other.Id]);
    guestSide.set(
      'invitation',
      otherJoined.map((i) => i.Id),
    );
    this.credentials.push(
      { id: owner.clientId, secret: owner.secret },
      { id: String(extraClient.ClientId), secret: String(extraClient.ClientSecret) },
      { id: guest.clientId, secret: guest.secret },
      { id: outsider.clientId, secret: outsider.secret },
    );

    for (const id of [owner.clientId, guest.clientId, outsider.clientId, owner.id, guest.id, outsider.id]) {
      this.principals.add(id);
    }
    for (const user of [ownerAdmin, ownerModerator, ownerMember, ownerPlain, guestUser])
      this.principals.add(user.id);
    this.tokens.set('owner', owner.token);
    this.tokens.set('ownerAdmin', ownerAdmin.token);
    this.tokens.set('ownerModerator', ownerModerator.token);
    this.tokens.set('ownerMember', ownerMember.token);
    this.tokens.set('ownerPlain', ownerPlain.token);
    this.tokens.set('guest', guest.token);
    this.tokens.set('guestUser', guestUser.token);
    this.tokens.set('outsider', outsider.token);
    this.tokens.set('operator', operatorToken);
    this.tokens.set('stale', stale ?? owner.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    // The service's own issuer, so that only the signature gives the token away.
    const issuer = `${t.config.publicUrl}/identity`;
    this.foreign = await (await foreignForger()).foreignKey(issuer, owner.id, owner.clientId);
  }

  /** One fixture request that must succeed; the fixtures are the fuzzer's ground truth. */
  private async expect(
    status: number,
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    as: TenantFixture,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const response = await this.t.call(method, url, {
      token: as.token,
      ...(body === undefined ? {} : { body }),
    });
    if (response.statusCode !== status) {
      throw new Error(
        `fuzz fixture ${method} ${url}: expected ${status}, got ${response.statusCode} ${response.body}`,
      );
    }
    return response.body === '' ? {} : (response.json() as Record<string, unknown>);
  }

  /** A token of the owner tenant: what the next epoch uses as a token of a deleted tenant. */
  get ownerToken(): string {
    return this.tokens.get('owner') ?? '';
  }

  resolveId(ref: IdRef): string {
    const pool = (ref.side === undefined ? this.fixed : this.sides[ref.side]).get(ref.pool) ?? [];
    const fixed = ref.disposable ? pool.filter((id) => !this.principals.has(id)) : pool;
    const learnt = (this.learnt.get(ref.pool) ?? [])
      .filter((entry) => ref.side === undefined || entry.side === ref.side)
      .map((entry) => entry.id);
    // Out of 20: what a PUT or DELETE addresses is mostly something the run created, so the fixtures
    // survive; a sided pick mostly stays with its side's fixtures; any other pick is half and half.
    const share = ref.disposable ? 15 : ref.side === undefined ? 10 : 4;
    const roll = ref.pick % 20;
    const fromLearnt = learnt.length > 0 && roll < share;
    // Nothing created yet to dispose of: often an id nobody has (a PUT may create it), else a fixture.
    const unknown = ref.disposable && learnt.length === 0 && roll < share / 2;
    const list = fromLearnt || fixed.length === 0 ? learnt : fixed;
    const index = Math.floor(ref.pick / 20);
    const id = unknown
      ? `00000000-0000-4000-8000-${ref.pick.toString(16).padStart(12, '0')}`
      : (list[index % Math.max(list.length, 1)] ?? '00000000-0000-4000-8000-000000000000');
    return ref.upper ? id.toUpperCase() : id;
  }

  credential(pick: number): Credential {
    const credential = this.credentials[pick % this.credentials.length];
    if (credential === undefined) throw new Error('no credentials');
    return credential;
  }

  authorization(plan: AuthPlan): string | undefined {
    switch (plan.kind) {
      case 'none':
        return undefined;
      case 'header':
        return plan.value;
      case 'principal':
        return `${plan.scheme} ${this.tokens.get(plan.who) ?? ''}`;
      case 'forged': {
        const owner = this.tokens.get('owner') ?? '';
        const [header = '', payload = ''] = owner.split('.');
        switch (plan.how) {
          case 'foreign-key':
            return `Bearer ${this.foreign}`;
          case 'alg-none':
            return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
          case 'tampered': {
            const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
              string,
              unknown
            >;
            const other = this.fixed.get('tenant')?.[1] ?? '';
            return `Bearer ${header}.${base64url({ ...claims, tid: other })}.${owner.split('.')[2] ?? ''}`;
          }
          case 'expired-shape': {
            const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
              string,
              unknown
            >;
            return `Bearer ${header}.${base64url({ ...claims, exp: 1 })}.${owner.split('.')[2] ?? ''}`;
          }
        }
      }
    }
  }

  private learn(pool: Pool, id: unknown): void {
    // A get-or-create (POST /Users/{id}) answers existing fixtures too: a principal is never learnt.
    if (typeof id !== 'string' || id === '' || this.principals.has(id)) return;
    const list = this.learnt.get(pool) ?? [];
    if (list.some((entry) => entry.id === id)) return;
    list.push({ id, side: this.learningSide });
    if (list.length > LEARNT_PER_POOL) list.shift();
    this.learnt.set(pool, list);
  }

  private learningSide: Side | undefined;

  /** Adds the ids and credentials a successful create answered with, so later requests reach them. */
  learnFrom(template: string, method: string, body: unknown, side: Side | undefined): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    this.learningSide = side;
    const b = body as Record<string, unknown>;
    const object = (value: unknown) =>
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    if (method === 'POST' && template === '/api/v1/Tenants') {
      const tenant = object(b.Tenant);
      const client = object(b.Client);
      if (typeof tenant.Id === 'string') this.tenants.add(tenant.Id);
      this.learn('tenant', tenant.Id);
      this.learn('client', client.ClientId);
      if (typeof client.ClientId === 'string' && typeof client.ClientSecret === 'string') {
        this.addCredential({ id: client.ClientId, secret: client.ClientSecret });
      }
      return;
    }
    if (template.endsWith('/Users') || template.endsWith('/Users/{userId}')) {
      if (!template.startsWith('/api/v1-preview/Communities')) this.learn('user', b.Id);
      return;
    }
    if (template.endsWith('/Roles') && method === 'POST') {
      this.learn('role', b.Id);
      return;
    }
    if (template.endsWith('/ClientCredentialClients') && method === 'POST') {
      // v1 answers { Secret, Client: { Id } }, the preview { Id, ClientId, ClientSecret }.
      const id = typeof b.ClientId === 'string' ? b.ClientId : object(b.Client).Id;
      const secret = typeof b.ClientSecret === 'string' ? b.ClientSecret : b.Secret;
      this.learn('client', id);
      if (typeof id === 'string' && typeof secret === 'string') this.addCredential({ id, secret });
      return;
    }
    if (template === '/api/v1-preview/Communities' && method === 'POST') {
      this.learn('community', b.Id);
      if (Array.isArray(b.CommunityRoles))
        for (const role of b.CommunityRoles) this.learn('communityRole', object(role).Id);
      return;
    }
    if (template.endsWith('/invitations') && method === 'POST') this.learn('invitation', b.Id);
  }

  private addCredential(credential: Credential): void {
    this.credentials.push(credential);
    // The four fixture credentials stay; learnt ones rotate.
    if (this.credentials.length > 4 + LEARNT_PER_POOL) this.credentials.splice(4, 1);
  }

  /** Deletes every tenant of the epoch (and so everything they own) with the operator's token. */
  async tearDown(operatorToken: string): Promise<string[]> {
    const problems: string[] = [];
    for (const id of this.tenants) {
      const response = await this.t.call('DELETE', `/api/v1/Tenants/${id}`, { token: operatorToken });
      if (response.statusCode !== 204 && response.statusCode !== 404) {
        problems.push(
          `teardown DELETE /api/v1/Tenants/${id} answered ${response.statusCode}: ${response.body.slice(0, 300)}`,
        );
      }
    }
    return problems;
  }
}

export { IdRef };
