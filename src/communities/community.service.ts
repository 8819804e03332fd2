// The rules for communities and their member tenants (CONTRACT §3, §6). A caller whose tenant is not a
// member of C gets 404 for C; a member without the role gets 403.
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Clock } from '../clock.ts';
import { type Db, isUniqueViolation, toStoredTime } from '../db/database.ts';
import type { RoleRow } from '../db/schema.ts';
import { normaliseEmail } from '../http/email.ts';
import { conflict, forbidden, invalid, notFound } from '../http/errors.ts';
import type { Input } from '../http/input.ts';
import type { Paging } from '../http/schemas.ts';
import {
  communitiesWithRolesOf,
  communityRoleTypesOf,
  insertRoles,
} from '../identity/identity.repository.ts';
import type { Principal } from '../identity/principal.ts';
import { BUILT_IN_COMMUNITY_ROLES, COMMUNITY_ROLE_TYPES, RoleScope } from '../identity/roles.ts';
import * as repo from './community.repository.ts';
import type { CommunityInput, CommunityTenantInput, CommunityUpdate } from './community.schemas.ts';

type CommunityInputT = Static<typeof CommunityInput>;
type CommunityUpdateT = Static<typeof CommunityUpdate>;
type CommunityTenantInputT = Static<typeof CommunityTenantInput>;

/** What the caller may do in one community, from its tenant's membership and its community roles. */
export interface CommunityAccess {
  community: repo.Community;
  membership: repo.Membership;
  isOwner: boolean;
  member: boolean;
  moderator: boolean;
  admin: boolean;
}

/** `roles`: the role types the principal holds in C (not needed, and not read, for a Tenant Administrator). */
export function accessIn(
  principal: Principal,
  community: repo.Community,
  membership: repo.Membership,
  roles: readonly string[],
): CommunityAccess {
  const active = membership.status === 'Active';
  const admin = active && (principal.tenantAdmin || roles.includes(COMMUNITY_ROLE_TYPES.administrator));
  const moderator = admin || (active && roles.includes(COMMUNITY_ROLE_TYPES.moderator));
  const member = moderator || (active && roles.length > 0);
  return { community, membership, isOwner: membership.is_owner === 1, member, moderator, admin };
}

function contactEmail(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  const email = normaliseEmail(value);
  if (email === undefined) {
    throw invalid(
      `ContactEmail '${value}' is not a valid e-mail address.`,
      'Send ContactEmail as name@example.com.',
    );
  }
  return email;
}

function communityName(value: string): { name: string; name_key: string } {
  const name = value.trim();
  if (name === '') throw invalid('Name must not be blank.', 'Send a community name.');
  return { name, name_key: name.toLowerCase() };
}

const duplicateName = (name: string) =>
  conflict(
    `Your tenant already has a community named '${name}'.`,
    'Choose another name, or use the existing community.',
  );

/**
 * The three roles every community is created with, Administrator, Moderator and Member, created one
 * millisecond apart so that creation order (the documented list order) is theirs.
 */
export function builtInRoleRows(communityId: string, createdMs: number): RoleRow[] {
  return BUILT_IN_COMMUNITY_ROLES.map((r, i) => ({
    id: randomUUID(),
    tenant_id: null,
    community_id: communityId,
    name: r.name,
    description: r.description,
    scope: RoleScope.Community,
    role_type_id: r.typeId,
    created_at: toStoredTime(new Date(createdMs + i)),
  }));
}

export class CommunityService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Loads C as the caller sees it: 404 unless the caller's tenant belongs to C. */
  async access(principal: Principal, communityId: string, db: Db = this.db): Promise<CommunityAccess> {
    const { community, membership } =
      principal.tenantId === ''
        ? { community: await repo.findCommunity(db, communityId), membership: undefined }
        : await repo.findCommunityAndMembership(db, communityId, principal.tenantId);
    if (community === undefined || membership === undefined) throw notFound('Community', communityId);
    // Roles count only while the tenant's membership is Active, and a Tenant Administrator needs none.
    const roles =
      membership.status !== 'Active' || principal.tenantAdmin
        ? []
        : (await communityRoleTypesOf(db, communityId, principal.tenantId, principal.id)).flatMap(
            (row) => row.role_type_id ?? [],
          );
    return accessIn(principal, community, membership, roles);
  }

  async requireMember(principal: Principal, communityId: string): Promise<CommunityAccess> {
    const access = await this.access(principal, communityId);
    if (!access.member) {
      throw access.membership.status === 'Active'
        ? forbidden(
            'You hold no role in this community.',
            'Ask a Community Administrator of your tenant to add you to the community.',
          )
        : forbidden(
            'Your tenant’s membership of this community is paused.',
            'Ask the owning tenant’s Community Administrator to reactivate your tenant.',
          );
    }
    return access;
  }

  private async requireOwnerAdmin(principal: Principal, communityId: string, action: string) {
    const access = await this.access(principal, communityId);
    if (!access.isOwner || !access.admin) {
      throw forbidden(
        `Only a Community Administrator of the owning tenant may ${action}.`,
        'Ask the owning tenant’s Community Administrator.',
      );
    }
    return access;
  }

  /** C as the wire shows it: with its member tenants and its roles. */
  private async present(community: repo.Community) {
    const [tenants, roles] = await Promise.all([
      repo.memberTenants(this.db, community.id),
      repo.communityRoles(this.db, community.id),
    ]);
    return { community, tenants, roles };
  }

  async view(communityId: string) {
    const community = await repo.findCommunity(this.db, communityId);
    if (community === undefined) throw notFound('Community', communityId);
    return this.present(community);
  }

  async list(principal: Principal, paging: Input<Paging>) {
    if (principal.tenantId === '') return { items: [], total: 0 };
    const page = paging();
    const only = principal.tenantAdmin
      ? undefined
      : await communitiesWithRolesOf(this.db, principal.tenantId, principal.id);
    const [communities, total] = await Promise.all([
      repo.listCommunitiesOf(this.db, principal.tenantId, page, only),
      repo.countCommunitiesOf(this.db, principal.tenantId, only),
    ]);
    // From the rows already read: re-reading by id would turn a community deleted meanwhile into a 404.
    const items = await Promise.all(communities.map((c) => this.present(c)));
    return { items, total };
  }

  async get(principal: Principal, communityId: string) {
    const { community } = await this.requireMember(principal, communityId);
    return this.present(community);
  }

  /** C's three roles in creation order (Administrator, Moderator, Member), paged like every list. */
  async roles(principal: Principal, communityId: string, paging: Input<Paging>) {
    await this.requireMember(principal, communityId);
    const { skip, count } = paging();
    const roles = await repo.communityRoles(this.db, communityId);
    return { items: roles.slice(skip, skip + count), total: roles.length };
  }

  /** Creates C with its three roles; the creator gets Community Administrator and Community Member. */
  async create(principal: Principal, input: Input<CommunityInputT>) {
    if (!principal.tenantAdmin) {
      throw forbidden('Only a Tenant Administrator may create a community.', 'Ask a Tenant Administrator.');
    }
    const body = input();
    const { name, name_key } = communityName(body.Name);
    const email = contactEmail(body.ContactEmail) ?? null;
    const now = toStoredTime(this.clock.now());
    const id = randomUUID();
    const roles = builtInRoleRows(id, this.clock.now().getTime());
    const roleOf = (typeId: string) => roles.find((r) => r.role_type_id === typeId)?.id as string;
    try {
      await this.db.transaction().execute(async (trx) => {
        await repo.insertCommunity(trx, {
          id,
          owner_tenant_id: principal.tenantId,
          name,
          name_key,
          description: body.Description ?? null,
          preferred_region_id: body.PreferredRegionId ?? null,
          member_role_id: roleOf(COMMUNITY_ROLE_TYPES.member),
          created_at: now,
        });
        await insertRoles(trx, roles);
        await repo.insertMembership(trx, {
          community_id: id,
          tenant_id: principal.tenantId,
          status: 'Active',
          is_owner: 1,
          contact_email: email,
          community_alias: null,
          joined_at: now,
        });
        await repo.insertAssignments(
          trx,
          [COMMUNITY_ROLE_TYPES.administrator, COMMUNITY_ROLE_TYPES.member].map((typeId) => ({
            principal_id: principal.id,
            role_id: roleOf(typeId),
            tenant_id: principal.tenantId,
            community_id: id,
          })),
        );
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName(name);
      throw error;
    }
    return this.view(id);
  }

  async update(principal: Principal, communityId: string, input: Input<CommunityUpdateT>) {
    await this.requireOwnerAdmin(principal, communityId, 'change the community');
    const body = input();
    const email = contactEmail(body.ContactEmail);
    const changes = {
      ...(body.Name === undefined ? {} : communityName(body.Name)),
      ...(body.Description === undefined ? {} : { description: body.Description }),
      ...(body.PreferredRegionId === undefined ? {} : { preferred_region_id: body.PreferredRegionId }),
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        if (Object.keys(changes).length > 0) await repo.updateCommunity(trx, communityId, changes);
        if (email !== undefined) {
          await repo.updateMembership(trx, communityId, principal.tenantId, { contact_email: email });
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName(changes.name ?? '');
      throw error;
    }
    return this.view(communityId);
  }

  async delete(principal: Principal, communityId: string): Promise<void> {
    await this.requireOwnerAdmin(principal, communityId, 'delete the community');
    // Roles, memberships and role assignments go with it through their foreign keys.
    const deleted = await this.db.transaction().execute((trx) => repo.deleteCommunity(trx, communityId));
    if (!deleted) throw notFound('Community', communityId);
  }

  private async target(communityId: string, tenantId: string) {
    const membership = await repo.findMembership(this.db, communityId, tenantId);
    if (membership === undefined) throw notFound('Tenant', tenantId);
    return membership;
  }

  /** Owner: Status of another member. The member itself: its ContactEmail and CommunityAlias. */
  async updateTenant(
    principal: Principal,
    communityId: string,
    tenantId: string,
    input: Input<CommunityTenantInputT>,
  ) {
    const access = await this.access(principal, communityId);
    const target = await this.target(communityId, tenantId);
    const self = principal.tenantId === tenantId;
    if (!access.admin || (!self && !access.isOwner)) {
      throw forbidden(
        'Only the owning tenant’s Community Administrator, or the member tenant’s own, may change a member tenant.',
        'Ask a Community Administrator of the owning tenant or of that tenant.',
      );
    }
    const body = input();
    const changes: { status?: string; contact_email?: string | null; community_alias?: string | null } = {};
    if (body.Status !== undefined && body.Status !== target.status) {
      if (!access.isOwner) {
        throw forbidden('Only the owning tenant may change a member’s Status.', 'Ask the owning tenant.');
      }
      if (target.is_owner === 1) {
        throw conflict(
          'The owning tenant’s Status cannot change.',
          'Pause or resume other member tenants only.',
        );
      }
      changes.status = body.Status;
    }
    if (body.ContactEmail !== undefined || body.CommunityAlias !== undefined) {
      if (!self) {
        throw forbidden(
          'Only the member tenant itself may change its ContactEmail and CommunityAlias.',
          'Ask that tenant to change them.',
        );
      }
      if (body.ContactEmail !== undefined) changes.contact_email = contactEmail(body.ContactEmail) ?? null;
      if (body.CommunityAlias !== undefined) changes.community_alias = body.CommunityAlias;
    }
    if (Object.keys(changes).length > 0) {
      // Compare-and-set on the Status the decision was made from: a concurrent pause, resume or removal wins.
      const updated = await repo.updateMembership(this.db, communityId, tenantId, changes, target.status);
      if (!updated) {
        const now = await this.target(communityId, tenantId);
        throw conflict(
          `The tenant’s Status changed to ${now.status} while the request was handled.`,
          'Read the community again and retry if the change still applies.',
        );
      }
    }
    const member = (await repo.memberTenants(this.db, communityId)).find((m) => m.tenant_id === tenantId);
    if (member === undefined) throw notFound('Tenant', tenantId);
    return member;
  }

  /** The owner removes another member; a member removes itself (leaves). The owner cannot be removed. */
  async removeTenant(principal: Principal, communityId: string, tenantId: string): Promise<void> {
    const access = await this.access(principal, communityId);
    const target = await this.target(communityId, tenantId);
    const self = principal.tenantId === tenantId;
    if (!access.admin || (!self && !access.isOwner)) {
      throw forbidden(
        'Only the owning tenant’s Community Administrator may remove another tenant; a tenant may remove itself.',
        'Ask a Community Administrator of the owning tenant.',
      );
    }
    if (target.is_owner === 1) {
      throw conflict(
        'The owning tenant cannot be removed from its community.',
        'Delete the community instead.',
      );
    }
    const removed = await this.db
      .transaction()
      .execute((trx) => repo.deleteMembership(trx, communityId, tenantId));
    if (!removed) throw notFound('Tenant', tenantId);
  }
}
