// The rules of community users and clients (CONTRACT §5): a C-moderator of T changes which of T's users
// and clients belong to C and with which of C's roles; any C-member may read them.

import { communityRoles, findMembership } from '../communities/community.repository.ts';
import type { CommunityService } from '../communities/community.service.ts';
import type { Db, Engine } from '../db/database.ts';
import { forbidden, invalid, notFound } from '../http/errors.ts';
import type { Input } from '../http/input.ts';
import type { Paging } from '../http/schemas.ts';
import { type Client, findClient, findUser, type User } from '../identity/identity.repository.ts';
import type { Principal } from '../identity/principal.ts';
import { COMMUNITY_ROLE_TYPES } from '../identity/roles.ts';
import * as repo from './community-user.repository.ts';

const NOUN = { users: 'User', clients: 'Client' } as const;

export class CommunityUserService {
  constructor(
    private readonly db: Db,
    private readonly engine: Engine,
    private readonly communities: CommunityService,
  ) {}

  /** C visible to the caller (else 404) and T a member of C (else 404 "Tenant not found"). */
  private async scope(principal: Principal, communityId: string, tenantId: string, activeOnly: boolean) {
    const access = await this.communities.access(principal, communityId);
    const membership = await findMembership(this.db, communityId, tenantId);
    if (membership === undefined || (activeOnly && membership.status !== 'Active')) {
      throw notFound('Tenant', tenantId);
    }
    return access;
  }

  private async requireModeratorOf(
    principal: Principal,
    communityId: string,
    tenantId: string,
    activeOnly: boolean,
  ) {
    const access = await this.scope(principal, communityId, tenantId, activeOnly);
    if (principal.tenantId !== tenantId || !access.moderator) {
      throw forbidden(
        'Only a Community Moderator or Administrator of that tenant may change its members of the community.',
        'Ask a Community Administrator of that tenant.',
      );
    }
  }

  private async requireMemberAndTenant(principal: Principal, communityId: string, tenantId: string) {
    const access = await this.scope(principal, communityId, tenantId, false);
    if (!access.member) {
      throw forbidden(
        'Only members of the community may see who belongs to it.',
        'Ask a Community Administrator of your tenant to add you to the community.',
      );
    }
  }

  /** C's role ids for a principal: only C's roles, deduplicated, Community Member always included. */
  private async roleIds(communityId: string, requested: string[]): Promise<string[]> {
    const roles = await communityRoles(this.db, communityId);
    const known = new Set(roles.map((r) => r.id));
    const wanted = new Set<string>();
    for (const raw of requested) {
      const id = raw.toLowerCase();
      if (!known.has(id)) {
        throw invalid(
          `'${raw}' is not a role of this community.`,
          'Use the ids of GET /api/v1-preview/Communities/{communityId}/Roles.',
        );
      }
      wanted.add(id);
    }
    const member = roles.find((r) => r.role_type_id === COMMUNITY_ROLE_TYPES.member);
    if (member !== undefined) wanted.add(member.id);
    return roles.filter((r) => wanted.has(r.id)).map((r) => r.id);
  }

  async putUser(
    principal: Principal,
    communityId: string,
    tenantId: string,
    userId: string,
    input: Input<string[]>,
  ) {
    return this.put<User>(principal, 'users', communityId, tenantId, userId, input, () =>
      findUser(this.db, tenantId, userId),
    );
  }

  async putClient(
    principal: Principal,
    communityId: string,
    tenantId: string,
    clientId: string,
    input: Input<string[]>,
  ) {
    return this.put<Client>(principal, 'clients', communityId, tenantId, clientId, input, () =>
      findClient(this.db, tenantId, clientId),
    );
  }

  /** PUT: adds the principal to C (created) or replaces its roles there; answers its roles in C. */
  private async put<T extends User | Client>(
    principal: Principal,
    table: repo.PrincipalTable,
    communityId: string,
    tenantId: string,
    principalId: string,
    input: Input<string[]>,
    find: () => Promise<T | undefined>,
  ): Promise<{ created: boolean; subject: T; roleIds: string[] }> {
    await this.requireModeratorOf(principal, communityId, tenantId, true);
    const requested = input();
    const notOfTenant = () =>
      invalid(
        `${NOUN[table]} '${principalId}' is not a ${NOUN[table].toLowerCase()} of tenant '${tenantId}'.`,
        `Add ${table} of the tenant named in the path only.`,
      );
    const subject = await find();
    if (subject === undefined) throw notOfTenant();
    const roleIds = await this.roleIds(communityId, requested);
    const lock = this.engine === 'postgres';
    const previous = await this.db.transaction().execute(async (trx) => {
      // The checks above ran outside the transaction: re-check what a concurrent request may have changed
      // since, or the roles would outlive a deleted C, a removed or paused T or a deleted principal.
      const gone = await repo.activeMembershipHeld(trx, communityId, tenantId, lock);
      if (gone === 'community') throw notFound('Community', communityId);
      if (gone === 'tenant') throw notFound('Tenant', tenantId);
      // Concurrent replacements of one principal's roles queue on its row (SQLite runs one transaction at a
      // time anyway), so each replaces the whole set and exactly one of them sees the principal absent.
      if (!(await repo.lockPrincipal(trx, table, tenantId, principalId, lock))) throw notOfTenant();
      return repo.replaceCommunityRoles(trx, communityId, tenantId, principalId, roleIds);
    });
    return { created: previous === 0, subject, roleIds };
  }

  async remove(
    principal: Principal,
    table: repo.PrincipalTable,
    communityId: string,
    tenantId: string,
    principalId: string,
  ): Promise<void> {
    // Active only, as for PUT: a paused tenant's principals hold no rights in C, so the only ones who could
    // change its members cannot, and the answer is the PUT's "Tenant not found" rather than a 403.
    await this.requireModeratorOf(principal, communityId, tenantId, true);
    const removed = await this.db.transaction().execute(async (trx) => {
      // Users and clients share assignments, so the id must be one of the path's kind (a user is not removed
      // through /ClientCredentialClients). The lock queues this behind a PUT of the same principal: on
      // PostgreSQL its delete-and-insert would otherwise hide the roles from this delete, a 404 for a
      // principal that was in C all along.
      const exists = await repo.lockPrincipal(trx, table, tenantId, principalId, this.engine === 'postgres');
      return exists && (await repo.removeFromCommunity(trx, communityId, tenantId, principalId));
    });
    if (!removed) throw notFound(`${NOUN[table]} in the community`, principalId);
  }

  async listUsers(principal: Principal, communityId: string, tenantId: string, paging: Input<Paging>) {
    await this.requireMemberAndTenant(principal, communityId, tenantId);
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listUsersInCommunity(this.db, communityId, tenantId, page),
      repo.countInCommunity(this.db, 'users', communityId, tenantId),
    ]);
    const roles = await repo.communityRoleIdsOf(
      this.db,
      communityId,
      items.map((u) => u.id),
    );
    return { items: items.map((user) => ({ user, roleIds: roles.get(user.id) ?? [] })), total };
  }

  async listClients(principal: Principal, communityId: string, tenantId: string, paging: Input<Paging>) {
    await this.requireMemberAndTenant(principal, communityId, tenantId);
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listClientsInCommunity(this.db, communityId, tenantId, page),
      repo.countInCommunity(this.db, 'clients', communityId, tenantId),
    ]);
    const roles = await repo.communityRoleIdsOf(
      this.db,
      communityId,
      items.map((c) => c.id),
    );
    return { items: items.map((client) => ({ client, roleIds: roles.get(client.id) ?? [] })), total };
  }

  /** HEAD: the status of the matching GET, so its paging is validated too, though unused. */
  async count(
    principal: Principal,
    table: repo.PrincipalTable,
    communityId: string,
    tenantId: string,
    paging: Input<Paging>,
  ) {
    await this.requireMemberAndTenant(principal, communityId, tenantId);
    paging();
    return repo.countInCommunity(this.db, table, communityId, tenantId);
  }
}
