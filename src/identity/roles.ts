// Built-in role type ids are fixed by ADH (CONTRACT §3); role instance ids are per tenant or community.

export const RoleScope = { None: 0, Tenant: 1, Community: 2 } as const;

export const TENANT_ROLE_TYPES = {
  administrator: '2dc742ab-39ea-4fc0-a39e-2bcb71c26a5f',
  contributor: 'f1439595-e5a2-487f-8a4f-0627fefe75df',
  dataSteward: '45b66433-5f57-420b-bbdf-8bbd60c1cd9d',
  member: '7ad2b9ef-5386-4ead-ac9f-ad99c5c5b977',
  viewer: 'e6cbf91e-0be8-4858-92b5-f88ecafd5574',
} as const;

export const COMMUNITY_ROLE_TYPES = {
  administrator: 'b50b3349-fa9e-4a03-9220-cf99184b4645',
  moderator: 'f49f69a6-61b2-423e-8ad5-d58841be441c',
  member: 'f79a55da-7c76-4600-a809-0f62ca9971d9',
} as const;

export const BUILT_IN_TENANT_ROLES = [
  {
    typeId: TENANT_ROLE_TYPES.administrator,
    name: 'Tenant Administrator',
    description: 'Manages the tenant: its users, roles, clients and communities.',
  },
  {
    typeId: TENANT_ROLE_TYPES.contributor,
    name: 'Tenant Contributor',
    description: 'Contributes to the tenant.',
  },
  {
    typeId: TENANT_ROLE_TYPES.dataSteward,
    name: 'Tenant Data Steward',
    description: 'Stewards the tenant’s data.',
  },
  {
    typeId: TENANT_ROLE_TYPES.member,
    name: 'Tenant Member',
    description: 'Every user and client of the tenant.',
  },
  { typeId: TENANT_ROLE_TYPES.viewer, name: 'Tenant Viewer', description: 'Views the tenant.' },
] as const;

export const BUILT_IN_COMMUNITY_ROLES = [
  {
    typeId: COMMUNITY_ROLE_TYPES.administrator,
    name: 'Community Administrator',
    description: 'Administers the community for its tenant.',
  },
  {
    typeId: COMMUNITY_ROLE_TYPES.moderator,
    name: 'Community Moderator',
    description: 'Manages which of its tenant’s users belong to the community.',
  },
  {
    typeId: COMMUNITY_ROLE_TYPES.member,
    name: 'Community Member',
    description: 'Belongs to the community.',
  },
] as const;
