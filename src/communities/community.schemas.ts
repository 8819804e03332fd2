// Wire objects of the communities API (CONTRACT §6) and their mappers.
import { Type } from 'typebox';
import { DateTime, GuidOut, Nullable } from '../http/schemas.ts';
import type { Role } from '../identity/identity.repository.ts';
import { RoleSchema, toRole } from '../identity/identity.schemas.ts';
import type { Community, MemberTenant } from './community.repository.ts';

export const CommunityTenantStatus = Type.Union([Type.Literal('Active'), Type.Literal('Paused')], {
  description: 'Active: the tenant’s community roles grant access. Paused: they are kept but grant nothing.',
});

export const CommunityTenantSchema = Type.Object(
  {
    Id: GuidOut('Tenant identifier.'),
    Name: Type.String({ description: 'Tenant name.' }),
    Status: CommunityTenantStatus,
    IsOwner: Type.Boolean({ description: 'Whether this tenant created (owns) the community.' }),
    UserCount: Type.Integer({ description: 'Users of this tenant in the community.' }),
    ClientCount: Type.Integer({ description: 'Clients of this tenant in the community.' }),
    PreferredRegionId: Type.Optional(
      Nullable(Type.String({ description: 'Preferred region of the tenant.' })),
    ),
    ContactEmail: Type.Optional(
      Nullable(Type.String({ description: 'The tenant’s point of contact for the community.' })),
    ),
    CommunityAlias: Type.Optional(
      Nullable(Type.String({ description: 'The tenant’s own name for the community.' })),
    ),
  },
  { $id: 'CommunityTenant', description: 'A tenant that belongs to a community.' },
);

export const CommunitySchema = Type.Object(
  {
    Id: GuidOut('Community identifier.'),
    MemberRoleId: GuidOut('Id of the community’s Community Member role.'),
    Name: Type.String({ description: 'Community name.' }),
    DisplayName: Type.String({ description: 'Name to display (the name).' }),
    Description: Type.Optional(Nullable(Type.String({ description: 'Community description.' }))),
    Tenants: Type.Array(CommunityTenantSchema, { description: 'Member tenants, owner first by join time.' }),
    DateCreated: DateTime('When the community was created.'),
    PreferredRegionId: Type.Optional(Nullable(Type.String({ description: 'Preferred region.' }))),
    CommunityRoles: Type.Array(RoleSchema, { description: 'The three community roles.' }),
  },
  { $id: 'Community', description: 'A community of tenants.' },
);

export const CommunityInput = Type.Object(
  {
    Name: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Community name, unique within the owning tenant.',
    }),
    Description: Type.Optional(Type.String({ maxLength: 2000, description: 'Community description.' })),
    PreferredRegionId: Type.Optional(Type.String({ maxLength: 100, description: 'Preferred region.' })),
    ContactEmail: Type.Optional(
      Type.String({
        maxLength: 254,
        description: 'The owning tenant’s point of contact (shown in invitation details).',
      }),
    ),
  },
  { description: 'A community to create.' },
);

export const CommunityUpdate = Type.Partial(CommunityInput, { description: 'The properties to change.' });

export const CommunityTenantInput = Type.Object(
  {
    Status: Type.Optional(CommunityTenantStatus),
    ContactEmail: Type.Optional(
      Type.String({ maxLength: 254, description: 'The tenant’s point of contact.' }),
    ),
    CommunityAlias: Type.Optional(
      Type.String({ maxLength: 200, description: 'The tenant’s own name for the community.' }),
    ),
  },
  {
    description:
      'Changes to a member tenant: Status by the owner; ContactEmail and CommunityAlias by the tenant itself.',
  },
);

export const toCommunityTenant = (m: MemberTenant) => ({
  Id: m.tenant_id,
  Name: m.tenant_name,
  Status: m.status as 'Active' | 'Paused',
  IsOwner: m.is_owner === 1,
  UserCount: m.user_count,
  ClientCount: m.client_count,
  PreferredRegionId: null,
  ContactEmail: m.contact_email,
  CommunityAlias: m.community_alias,
});

export const toCommunity = (c: Community, tenants: MemberTenant[], roles: Role[]) => ({
  Id: c.id,
  MemberRoleId: c.member_role_id,
  Name: c.name,
  DisplayName: c.name,
  Description: c.description,
  Tenants: tenants.map(toCommunityTenant),
  DateCreated: c.created_at,
  PreferredRegionId: c.preferred_region_id,
  CommunityRoles: roles.map(toRole),
});
