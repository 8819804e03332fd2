// The rules for tenants, their users, roles and client credential clients. A Tenant Administrator
// manages its own tenant; any principal of a tenant may read it; another tenant's resources are 404.
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Clock } from '../clock.ts';
import { type Db, isUniqueViolation, toStoredTime } from '../db/database.ts';
import type { ClientRow, RoleRow, UserRow } from '../db/schema.ts';
import { normaliseEmail } from '../http/email.ts';
import { conflict, forbidden, invalid, notFound } from '../http/errors.ts';
import type { Input } from '../http/input.ts';
import type { Paging } from '../http/schemas.ts';
import * as repo from './identity.repository.ts';
import type { ClientInput, RoleInput, TenantInput, UserInput } from './identity.schemas.ts';
import { isOperator, type Principal } from './principal.ts';
import { BUILT_IN_TENANT_ROLES, RoleScope, TENANT_ROLE_TYPES } from './roles.ts';
import { hashSecret, newSecret } from './secrets.ts';

type TenantInputT = Static<typeof TenantInput>;
type UserInputT = Static<typeof UserInput>;
type RoleInputT = Static<typeof RoleInput>;
type ClientInputT = Static<typeof ClientInput>;

export interface Page<T> {
  items: T[];
  total: number;
}

function email(value: string | undefined, property: string): string | null {
  if (value === undefined) return null;
  const normalised = normaliseEmail(value);
  if (normalised === undefined) {
    throw invalid(
      `${property} '${value}' is not a valid e-mail address.`,
      `Send ${property} as name@example.com.`,
    );
  }
  return normalised;
}

export class IdentityService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly defaultTokenTtl: number,
  ) {}

  // Access

  /** The caller may read tenant T: it is a principal of T, or the operator. Otherwise T does not exist. */
  private async readable(principal: Principal, tenantId: string): Promise<void> {
    if (principal.tenantId === tenantId) return;
    // The operator reaches every tenant, but only tenants that exist (a principal's own tenant always does).
    if (!isOperator(principal) || (await repo.findTenant(this.db, tenantId)) === undefined) {
      throw notFound('Tenant', tenantId);
    }
  }

  private async administrable(principal: Principal, tenantId: string): Promise<void> {
    await this.readable(principal, tenantId);
    if (!principal.tenantAdmin && !isOperator(principal)) {
      throw forbidden(
        'Only a Tenant Administrator may change the tenant’s users, roles and clients.',
        'Ask a Tenant Administrator of your tenant to make the change, or to grant you the role.',
      );
    }
  }

  /**
   * For a change to a resource that must exist: its 404 comes before the caller's 403 (CONTRACT §1), so a
   * caller without the role learns nothing more than a reader would.
   */
  private async administrableExisting<T>(
    principal: Principal,
    tenantId: string,
    find: () => Promise<T | undefined>,
    what: string,
    id: string,
  ): Promise<T> {
    await this.readable(principal, tenantId);
    const found = await find();
    if (found === undefined) throw notFound(what, id);
    await this.administrable(principal, tenantId);
    return found;
  }

  private now(): string {
    return toStoredTime(this.clock.now());
  }

  // Tenants

  /** Creates a tenant with its built-in roles and a first client that holds Tenant Administrator. */
  async createTenant(input: TenantInputT) {
    const contactEmail = email(input.ContactEmail, 'ContactEmail');
    const name = input.Name.trim();
    if (name === '') throw invalid('Name must not be blank.', 'Send a tenant name.');
    // The HTTP schema already limits it; the command line reaches this without one.
    if (name.length > 200) throw invalid('Name is longer than 200 characters.', 'Send a shorter name.');
    const now = this.now();
    const tenant = { id: randomUUID(), name, contact_email: contactEmail, created_at: now };
    // One millisecond apart, so the list order is the order of CONTRACT §3.
    const roles: RoleRow[] = BUILT_IN_TENANT_ROLES.map((r, i) => ({
      id: randomUUID(),
      tenant_id: tenant.id,
      community_id: null,
      name: r.name,
      description: r.description,
      scope: RoleScope.Tenant,
      role_type_id: r.typeId,
      created_at: toStoredTime(new Date(Date.parse(now) + i)),
    }));
    const roleId = (typeId: string) => roles.find((r) => r.role_type_id === typeId)?.id as string;
    const secret = newSecret();
    const client: ClientRow = {
      id: randomUUID(),
      tenant_id: tenant.id,
      name: `${name} administrator`,
      enabled: 1,
      tags: '[]',
      access_token_lifetime: this.defaultTokenTtl,
      secret_hash: hashSecret(secret),
      secret_description: 'Created with the tenant',
      secret_expiration: null,
      created_at: now,
    };
    const clientRoles = [roleId(TENANT_ROLE_TYPES.administrator), roleId(TENANT_ROLE_TYPES.member)];
    await this.db.transaction().execute(async (trx) => {
      await repo.insertTenant(trx, tenant);
      await repo.insertRoles(trx, roles);
      await repo.insertClient(trx, client);
      await repo.replaceTenantRoles(trx, tenant.id, client.id, clientRoles);
    });
    return { tenant, client, roleIds: clientRoles, secret };
  }

  async getTenant(principal: Principal, tenantId: string) {
    await this.readable(principal, tenantId);
    const tenant = await repo.findTenant(this.db, tenantId);
    if (tenant === undefined) throw notFound('Tenant', tenantId);
    return tenant;
  }

  async listTenants(principal: Principal, paging: Input<Paging>): Promise<Page<repo.Tenant>> {
    const only = isOperator(principal) ? undefined : principal.tenantId;
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listTenants(this.db, page, only),
      repo.countTenants(this.db, only),
    ]);
    return { items, total };
  }

  async deleteTenant(principal: Principal, tenantId: string): Promise<void> {
    if (!isOperator(principal)) {
      throw principal.tenantId === tenantId
        ? forbidden('Only the operator may delete a tenant.', 'Ask the operator of this service.')
        : notFound('Tenant', tenantId);
    }
    if (!(await repo.deleteTenant(this.db, tenantId))) throw notFound('Tenant', tenantId);
  }

  // Roles

  /** Role ids for a user or client: tenant roles of T only, deduplicated, Tenant Member always included. */
  private async tenantRoleIds(db: Db, tenantId: string, requested: string[] | undefined): Promise<string[]> {
    const roles = await repo.findTenantRoles(db, tenantId);
    const member = roles.find((r) => r.role_type_id === TENANT_ROLE_TYPES.member);
    const known = new Set(roles.map((r) => r.id));
    const ids = new Set<string>();
    for (const raw of requested ?? []) {
      const id = raw.toLowerCase();
      if (!known.has(id)) {
        throw invalid(
          `RoleIds contains '${raw}', which is not a role of this tenant.`,
          'Use the ids of GET /api/v1/Tenants/{tenantId}/Roles with RoleScope 1.',
        );
      }
      ids.add(id);
    }
    if (member !== undefined) ids.add(member.id);
    return roles.filter((r) => ids.has(r.id)).map((r) => r.id);
  }

  async listRoles(principal: Principal, tenantId: string, paging: Input<Paging>): Promise<Page<repo.Role>> {
    await this.readable(principal, tenantId);
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listRoles(this.db, tenantId, page),
      repo.countRoles(this.db, tenantId),
    ]);
    return { items, total };
  }

  async getRole(principal: Principal, tenantId: string, roleId: string) {
    await this.readable(principal, tenantId);
    const role = await repo.findRole(this.db, tenantId, roleId);
    if (role === undefined) throw notFound('Role', roleId);
    return role;
  }

  async createRole(principal: Principal, tenantId: string, input: Input<RoleInputT>) {
    await this.administrable(principal, tenantId);
    const body = input();
    if (body.RoleScope !== undefined && body.RoleScope !== RoleScope.Tenant) {
      throw invalid(
        'RoleScope must be 1 (Tenant): community roles come with their community.',
        'Send RoleScope 1.',
      );
    }
    const name = body.Name.trim();
    if (name === '') throw invalid('Name must not be blank.', 'Send a role name.');
    const role: RoleRow = {
      id: randomUUID(),
      tenant_id: tenantId,
      community_id: null,
      name,
      description: body.Description ?? null,
      scope: RoleScope.Tenant,
      role_type_id: null,
      created_at: this.now(),
    };
    await repo.insertRoles(this.db, [role]);
    return role;
  }

  private async roleToChange(principal: Principal, tenantId: string, roleId: string) {
    return this.administrableExisting(
      principal,
      tenantId,
      () => repo.findRole(this.db, tenantId, roleId),
      'Role',
      roleId,
    );
  }

  /** Built-in and community roles are fixed (CONTRACT §3); checked after validation, as 409 follows 400. */
  private assertCustom(role: repo.Role, tenantId: string): void {
    if (role.role_type_id !== null || role.tenant_id !== tenantId) {
      throw conflict(
        `'${role.name}' is a built-in ${role.community_id === null ? 'tenant' : 'community'} role and cannot be changed or deleted.`,
        'Create a custom tenant role instead.',
      );
    }
  }

  async updateRole(principal: Principal, tenantId: string, roleId: string, input: Input<RoleInputT>) {
    const role = await this.roleToChange(principal, tenantId, roleId);
    const body = input();
    if (body.RoleScope !== undefined && body.RoleScope !== RoleScope.Tenant) {
      throw invalid('RoleScope must be 1 (Tenant): a custom role is a tenant role.', 'Send RoleScope 1.');
    }
    const name = body.Name.trim();
    if (name === '') throw invalid('Name must not be blank.', 'Send a role name.');
    this.assertCustom(role, tenantId);
    const changes = { name, description: body.Description ?? role.description };
    await repo.updateRole(this.db, tenantId, roleId, changes);
    return { ...role, ...changes };
  }

  async deleteRole(principal: Principal, tenantId: string, roleId: string): Promise<void> {
    this.assertCustom(await this.roleToChange(principal, tenantId, roleId), tenantId);
    await this.db.transaction().execute((trx) => repo.deleteRole(trx, tenantId, roleId));
  }

  // Users

  async listUsers(principal: Principal, tenantId: string, paging: Input<Paging>) {
    await this.readable(principal, tenantId);
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listUsers(this.db, tenantId, page),
      repo.countUsers(this.db, tenantId),
    ]);
    const roles = await repo.tenantRoleIdsOf(
      this.db,
      tenantId,
      items.map((u) => u.id),
    );
    return { items: items.map((user) => ({ user, roleIds: roles.get(user.id) ?? [] })), total };
  }

  /** HEAD of the users list: validates its paging like the GET, then counts. */
  async countUsers(principal: Principal, tenantId: string, paging: Input<Paging>): Promise<number> {
    await this.readable(principal, tenantId);
    paging();
    return repo.countUsers(this.db, tenantId);
  }

  async getUser(principal: Principal, tenantId: string, userId: string) {
    await this.readable(principal, tenantId);
    const user = await repo.findUser(this.db, tenantId, userId);
    if (user === undefined) throw notFound('User', userId);
    const roles = await repo.tenantRoleIdsOf(this.db, tenantId, [userId]);
    return { user, roleIds: roles.get(userId) ?? [] };
  }

  private userRow(tenantId: string, id: string, body: UserInputT, existing?: UserRow): UserRow {
    const text = (value: string | undefined, previous: string | null | undefined) =>
      value === undefined ? (previous ?? null) : value;
    const row: UserRow = {
      id,
      tenant_id: tenantId,
      email: body.Email === undefined ? (existing?.email ?? null) : email(body.Email, 'Email'),
      contact_email:
        body.ContactEmail === undefined
          ? (existing?.contact_email ?? null)
          : email(body.ContactEmail, 'ContactEmail'),
      given_name: text(body.GivenName, existing?.given_name),
      surname: text(body.Surname, existing?.surname),
      name: text(body.Name, existing?.name),
      contact_given_name: text(body.ContactGivenName, existing?.contact_given_name),
      contact_surname: text(body.ContactSurname, existing?.contact_surname),
      external_user_id: text(body.ExternalUserId, existing?.external_user_id),
      identity_provider_id:
        body.IdentityProviderId === undefined
          ? (existing?.identity_provider_id ?? null)
          : body.IdentityProviderId.toLowerCase(),
      created_at: existing?.created_at ?? this.now(),
    };
    if (row.email === null && row.contact_email === null) {
      throw invalid(
        'A user needs an Email or a ContactEmail.',
        'Send at least one of Email and ContactEmail.',
      );
    }
    return row;
  }

  private async saveUser(tenantId: string, id: string, body: UserInputT, existing?: UserRow) {
    const row = this.userRow(tenantId, id, body, existing);
    try {
      return await this.db.transaction().execute(async (trx) => {
        // Users and clients share role assignments by principal id, so a new user must not take the id of
        // a client (whose roles it would replace) or of a user of another tenant.
        if (existing === undefined && (await repo.principalIdInUse(trx, id))) {
          throw conflict(
            `The id '${id}' is already used by another user or client.`,
            'Create the user with another id, or with POST /Users to let the service choose one.',
          );
        }
        const roleIds =
          existing !== undefined && body.RoleIds === undefined
            ? ((await repo.tenantRoleIdsOf(trx, tenantId, [id])).get(id) ?? [])
            : await this.tenantRoleIds(trx, tenantId, body.RoleIds);
        if (existing === undefined) await repo.insertUser(trx, row);
        else await repo.updateUser(trx, row);
        await repo.replaceTenantRoles(trx, tenantId, id, roleIds);
        return { user: row, roleIds };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The id was checked above, so the unique index that failed is the external identity's (or the id
      // was taken by a concurrent request).
      throw conflict(
        'A user with this IdentityProviderId and ExternalUserId (or this id) already exists in the tenant.',
        'Use another ExternalUserId, or update the existing user.',
      );
    }
  }

  async createUser(principal: Principal, tenantId: string, input: Input<UserInputT>) {
    await this.administrable(principal, tenantId);
    return this.saveUser(tenantId, randomUUID(), input());
  }

  /** `POST /Users/{U}`: the user with that id if it exists (200), else a new user with that id (201). */
  async getOrCreateUser(principal: Principal, tenantId: string, userId: string, input: Input<UserInputT>) {
    await this.administrable(principal, tenantId);
    // A malformed body is a 400 even when the user exists and the body would not be used.
    const body = input();
    const existing = await repo.findUser(this.db, tenantId, userId);
    if (existing !== undefined) {
      const roles = await repo.tenantRoleIdsOf(this.db, tenantId, [userId]);
      return { created: false, user: existing, roleIds: roles.get(userId) ?? [] };
    }
    return { created: true, ...(await this.saveUser(tenantId, userId, body)) };
  }

  /** `PUT /Users/{U}`: creates (201) or updates (200); absent properties keep their value. */
  async putUser(principal: Principal, tenantId: string, userId: string, input: Input<UserInputT>) {
    await this.administrable(principal, tenantId);
    const existing = await repo.findUser(this.db, tenantId, userId);
    const body = input();
    return { created: existing === undefined, ...(await this.saveUser(tenantId, userId, body, existing)) };
  }

  async deleteUser(principal: Principal, tenantId: string, userId: string): Promise<void> {
    await this.administrableExisting(
      principal,
      tenantId,
      () => repo.findUser(this.db, tenantId, userId),
      'User',
      userId,
    );
    const deleted = await this.db
      .transaction()
      .execute((trx) => repo.deletePrincipal(trx, 'users', tenantId, userId));
    if (!deleted) throw notFound('User', userId);
  }

  // Clients

  async listClients(principal: Principal, tenantId: string, paging: Input<Paging>) {
    await this.readable(principal, tenantId);
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listClients(this.db, tenantId, page),
      repo.countClients(this.db, tenantId),
    ]);
    const roles = await repo.tenantRoleIdsOf(
      this.db,
      tenantId,
      items.map((c) => c.id),
    );
    return { items: items.map((client) => ({ client, roleIds: roles.get(client.id) ?? [] })), total };
  }

  /** HEAD of the clients list: validates its paging like the GET, then counts. */
  async countClients(principal: Principal, tenantId: string, paging: Input<Paging>): Promise<number> {
    await this.readable(principal, tenantId);
    paging();
    return repo.countClients(this.db, tenantId);
  }

  async getClient(principal: Principal, tenantId: string, clientId: string) {
    await this.readable(principal, tenantId);
    const client = await repo.findClient(this.db, tenantId, clientId);
    if (client === undefined) throw notFound('Client', clientId);
    const roles = await repo.tenantRoleIdsOf(this.db, tenantId, [clientId]);
    return { client, roleIds: roles.get(clientId) ?? [] };
  }

  async createClient(principal: Principal, tenantId: string, input: Input<ClientInputT>) {
    await this.administrable(principal, tenantId);
    const body = input();
    const name = body.Name.trim();
    if (name === '') throw invalid('Name must not be blank.', 'Send a client name.');
    const secret = newSecret();
    const client: ClientRow = {
      id: randomUUID(),
      tenant_id: tenantId,
      name,
      enabled: body.Enabled === false ? 0 : 1,
      tags: JSON.stringify(body.Tags ?? []),
      access_token_lifetime: body.AccessTokenLifetime ?? this.defaultTokenTtl,
      secret_hash: hashSecret(secret),
      secret_description: body.SecretDescription ?? null,
      secret_expiration:
        body.SecretExpirationDate === undefined ? null : toStoredTime(new Date(body.SecretExpirationDate)),
      created_at: this.now(),
    };
    const roleIds = await this.db.transaction().execute(async (trx) => {
      const ids = await this.tenantRoleIds(trx, tenantId, body.RoleIds);
      await repo.insertClient(trx, client);
      await repo.replaceTenantRoles(trx, tenantId, client.id, ids);
      return ids;
    });
    return { client, roleIds, secret };
  }

  async updateClient(principal: Principal, tenantId: string, clientId: string, input: Input<ClientInputT>) {
    const existing = await this.administrableExisting(
      principal,
      tenantId,
      () => repo.findClient(this.db, tenantId, clientId),
      'Client',
      clientId,
    );
    const body = input();
    const name = body.Name.trim();
    if (name === '') throw invalid('Name must not be blank.', 'Send a client name.');
    const changes = {
      name,
      enabled: body.Enabled === undefined ? existing.enabled : body.Enabled ? 1 : 0,
      tags: body.Tags === undefined ? existing.tags : JSON.stringify(body.Tags),
      access_token_lifetime: body.AccessTokenLifetime ?? existing.access_token_lifetime,
    };
    const roleIds = await this.db.transaction().execute(async (trx) => {
      const ids =
        body.RoleIds === undefined
          ? ((await repo.tenantRoleIdsOf(trx, tenantId, [clientId])).get(clientId) ?? [])
          : await this.tenantRoleIds(trx, tenantId, body.RoleIds);
      await repo.updateClient(trx, tenantId, clientId, changes);
      await repo.replaceTenantRoles(trx, tenantId, clientId, ids);
      return ids;
    });
    return { client: { ...existing, ...changes }, roleIds };
  }

  async deleteClient(principal: Principal, tenantId: string, clientId: string): Promise<void> {
    await this.administrableExisting(
      principal,
      tenantId,
      () => repo.findClient(this.db, tenantId, clientId),
      'Client',
      clientId,
    );
    if (principal.kind === 'client' && principal.id === clientId) {
      throw conflict('A client cannot delete itself.', 'Delete it with another administrator’s credentials.');
    }
    const deleted = await this.db
      .transaction()
      .execute((trx) => repo.deletePrincipal(trx, 'clients', tenantId, clientId));
    if (!deleted) throw notFound('Client', clientId);
  }
}
