// Wire objects of the identity API (CONTRACT §2, §3, §6, §7), each with its mapper from the store row.
import { Type } from 'typebox';
import { DateTime, Guid, GuidOut, Nullable } from '../http/schemas.ts';
import type { Client, Role, Tenant, User } from './identity.repository.ts';

const Email = (description: string) => Type.String({ maxLength: 254, description });
const Text = (description: string, maxLength = 256) => Type.String({ maxLength, description });

export const TenantSchema = Type.Object(
  {
    Id: GuidOut('Tenant identifier.'),
    Name: Type.String({ description: 'Tenant name.' }),
    ContactEmail: Type.Optional(Nullable(Type.String({ description: 'Contact e-mail of the tenant.' }))),
    DateCreated: DateTime('When the tenant was created.'),
  },
  { $id: 'Tenant', description: 'An organisation using the service.' },
);

export const TenantInput = Type.Object(
  {
    Name: Type.String({ minLength: 1, maxLength: 200, description: 'Tenant name.' }),
    ContactEmail: Type.Optional(Email('Contact e-mail of the tenant.')),
  },
  { description: 'Tenant to create.' },
);

export const UserSchema = Type.Object(
  {
    Id: GuidOut('User identifier.'),
    GivenName: Type.Optional(Nullable(Type.String({ description: 'Given name of the user.' }))),
    Surname: Type.Optional(Nullable(Type.String({ description: 'Surname of the user.' }))),
    Name: Type.Optional(Nullable(Type.String({ description: 'Name of the user.' }))),
    Email: Type.Optional(Nullable(Type.String({ description: 'E-mail of the user.' }))),
    ContactEmail: Type.Optional(
      Nullable(Type.String({ description: 'The user is only contacted at this e-mail.' })),
    ),
    ContactGivenName: Type.Optional(
      Nullable(Type.String({ description: 'Preferred given name for the user.' })),
    ),
    ContactSurname: Type.Optional(
      Nullable(Type.String({ description: 'Preferred contact surname for the user.' })),
    ),
    ExternalUserId: Type.Optional(
      Nullable(Type.String({ description: 'Identifier of the user at its identity provider (the `sub`).' })),
    ),
    IdentityProviderId: Type.Optional(
      Nullable(GuidOut('Identity provider used to authenticate the user (CONVENE_TRUSTED_ISSUERS).')),
    ),
    RoleIds: Type.Array(Type.String({ format: 'uuid' }), {
      description:
        'Role ids of the user: tenant roles, or community roles where the route is under a community.',
    }),
  },
  { $id: 'User', description: 'A user of a tenant.' },
);

export const UserInput = Type.Object(
  {
    Id: Type.Optional(Guid('User identifier (ignored on POST /Users; the path id wins elsewhere).')),
    Email: Type.Optional(Email('E-mail of the user.')),
    ContactEmail: Type.Optional(Email('Contact e-mail of the user.')),
    GivenName: Type.Optional(Text('Given name.')),
    Surname: Type.Optional(Text('Surname.')),
    Name: Type.Optional(Text('Name.')),
    ContactGivenName: Type.Optional(Text('Preferred given name.')),
    ContactSurname: Type.Optional(Text('Preferred surname.')),
    ExternalUserId: Type.Optional(Text('Identifier of the user at its identity provider.')),
    IdentityProviderId: Type.Optional(Guid('Identity provider identifier.')),
    RoleIds: Type.Optional(
      Type.Array(Guid('Tenant role id.'), {
        maxItems: 100,
        description: 'Tenant role ids; Tenant Member is always included.',
      }),
    ),
  },
  {
    description: 'A user to create or update. At least one of Email and ContactEmail is required on create.',
  },
);

export const RoleSchema = Type.Object(
  {
    Id: GuidOut('Role identifier.'),
    Name: Type.String({ description: 'Role name.' }),
    Description: Type.Optional(Nullable(Type.String({ description: 'Role description.' }))),
    RoleScope: Type.Integer({ description: 'Scope of the role: 0 None, 1 Tenant, 2 Community.' }),
    TenantId: Type.Optional(Nullable(GuidOut('Tenant of a tenant role.'))),
    CommunityId: Type.Optional(Nullable(GuidOut('Community of a community role.'))),
    RoleTypeId: Type.Optional(Nullable(GuidOut('Built-in role type; absent for custom roles.'))),
  },
  { $id: 'Role', description: 'A tenant role or a community role.' },
);

export const RoleInput = Type.Object(
  {
    Id: Type.Optional(Guid('Ignored on create.')),
    Name: Type.String({ minLength: 1, maxLength: 200, description: 'Role name.' }),
    Description: Type.Optional(Text('Role description.', 1000)),
    RoleScope: Type.Optional(Type.Integer({ description: 'Only 1 (Tenant) may be created here.' })),
  },
  { description: 'A custom tenant role.' },
);

export const ClientSchema = Type.Object(
  {
    Id: GuidOut('Client identifier, which is also its client_id at the token endpoint.'),
    ClientId: GuidOut('The client_id at the token endpoint (equal to Id).'),
    Name: Type.String({ description: 'Client name.' }),
    Enabled: Type.Boolean({ description: 'Whether the client may obtain tokens.' }),
    AccessTokenLifetime: Type.Integer({ description: 'Lifetime of its access tokens in seconds.' }),
    Tags: Type.Array(Type.String(), { description: 'Free tags.' }),
    RoleIds: Type.Array(Type.String({ format: 'uuid' }), { description: 'Tenant role ids of the client.' }),
  },
  {
    $id: 'ClientCredentialClient',
    description: 'A client credential client (its secret is never shown again).',
  },
);

export const ClientInput = Type.Object(
  {
    Name: Type.String({ minLength: 1, maxLength: 200, description: 'Client name.' }),
    RoleIds: Type.Optional(
      Type.Array(Guid('Tenant role id.'), {
        maxItems: 100,
        description: 'Tenant role ids; Tenant Member is always included.',
      }),
    ),
    Enabled: Type.Optional(Type.Boolean({ description: 'Defaults to true.' })),
    Tags: Type.Optional(Type.Array(Text('Tag.', 100), { maxItems: 50, description: 'Free tags.' })),
    AccessTokenLifetime: Type.Optional(
      Type.Integer({ minimum: 301, maximum: 86_400, description: 'Token lifetime in seconds (301–86400).' }),
    ),
    SecretDescription: Type.Optional(Text('Description of the secret.', 1000)),
    SecretExpirationDate: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the secret stops working.' }),
    ),
  },
  { description: 'A client credential client to create or update.' },
);

export const ClientCredentialClientResponse = Type.Object(
  {
    Id: GuidOut('Client identifier.'),
    ClientId: GuidOut('The client_id at the token endpoint (equal to Id).'),
    Name: Type.String({ description: 'Client name.' }),
    Enabled: Type.Boolean({ description: 'Whether the client may obtain tokens.' }),
    Tags: Type.Array(Type.String(), { description: 'Free tags.' }),
    RoleIds: Type.Array(Type.String({ format: 'uuid' }), { description: 'Tenant role ids.' }),
    ClientSecret: Type.String({ description: 'The secret, shown only in this response.' }),
    SecretDescription: Type.Optional(Nullable(Type.String({ description: 'Description of the secret.' }))),
    SecretExpirationDate: Type.Optional(Nullable(DateTime('When the secret stops working.'))),
  },
  { $id: 'ClientCredentialClientResponse', description: 'A created client with its secret (preview shape).' },
);

export const ClientCreateResponseV1 = Type.Object(
  {
    Secret: Type.String({ description: 'The secret, shown only in this response.' }),
    Id: Type.Integer({ description: 'Identifier of the secret within the client.' }),
    Description: Type.Optional(Nullable(Type.String({ description: 'Description of the secret.' }))),
    ExpirationDate: Type.Optional(Nullable(DateTime('When the secret stops working.'))),
    Client: Type.Object(
      {
        Id: GuidOut('Client identifier: the client_id at the token endpoint.'),
        Name: Type.String({ description: 'Client name.' }),
        Enabled: Type.Boolean({ description: 'Whether the client may obtain tokens.' }),
        AccessTokenLifetime: Type.Integer({ description: 'Token lifetime in seconds.' }),
        Tags: Type.Array(Type.String(), { description: 'Free tags.' }),
        RoleIds: Type.Array(Type.String({ format: 'uuid' }), { description: 'Tenant role ids.' }),
      },
      { description: 'The created client.' },
    ),
  },
  {
    $id: 'ClientCredentialClientCreateResponse',
    description: 'A created client with its secret (v1 shape).',
  },
);

export const TenantCreateResponse = Type.Object(
  {
    Tenant: TenantSchema,
    Client: ClientCredentialClientResponse,
  },
  {
    $id: 'TenantCreateResponse',
    description: 'A created tenant and its first client (Tenant Administrator).',
  },
);

export const toTenant = (row: Tenant) => ({
  Id: row.id,
  Name: row.name,
  ContactEmail: row.contact_email,
  DateCreated: row.created_at,
});

export const toUser = (row: User, roleIds: string[]) => ({
  Id: row.id,
  GivenName: row.given_name,
  Surname: row.surname,
  Name: row.name,
  Email: row.email,
  ContactEmail: row.contact_email,
  ContactGivenName: row.contact_given_name,
  ContactSurname: row.contact_surname,
  ExternalUserId: row.external_user_id,
  IdentityProviderId: row.identity_provider_id,
  RoleIds: roleIds,
});

export const toRole = (row: Role) => ({
  Id: row.id,
  Name: row.name,
  Description: row.description,
  RoleScope: row.scope,
  TenantId: row.tenant_id,
  CommunityId: row.community_id,
  RoleTypeId: row.role_type_id,
});

export const toClient = (row: Client, roleIds: string[]) => ({
  Id: row.id,
  ClientId: row.id,
  Name: row.name,
  Enabled: row.enabled === 1,
  AccessTokenLifetime: row.access_token_lifetime,
  Tags: JSON.parse(row.tags) as string[],
  RoleIds: roleIds,
});

export const toClientCreated = (row: Client, roleIds: string[], secret: string) => ({
  Id: row.id,
  ClientId: row.id,
  Name: row.name,
  Enabled: row.enabled === 1,
  Tags: JSON.parse(row.tags) as string[],
  RoleIds: roleIds,
  ClientSecret: secret,
  SecretDescription: row.secret_description,
  SecretExpirationDate: row.secret_expiration,
});

export const toClientCreatedV1 = (row: Client, roleIds: string[], secret: string) => ({
  Secret: secret,
  Id: 1,
  Description: row.secret_description,
  ExpirationDate: row.secret_expiration,
  Client: {
    Id: row.id,
    Name: row.name,
    Enabled: row.enabled === 1,
    AccessTokenLifetime: row.access_token_lifetime,
    Tags: JSON.parse(row.tags) as string[],
    RoleIds: roleIds,
  },
});
