// The identity API as one route table: discovery and token (public), tenants, users, roles, clients.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { forbidden, OAuthError } from '../http/errors.ts';
import { describeWait, type RateLimiter } from '../http/rate-limit.ts';
import { bodyOf, pagingOf, principalOf, withTotal } from '../http/routing.ts';
import { errors, Guid, NoContent, PagingQuery, TOTAL_COUNT_HEADER } from '../http/schemas.ts';
import type { AuthService } from './auth.service.ts';
import {
  ClientCreateResponseV1,
  ClientCredentialClientResponse,
  ClientInput,
  ClientSchema,
  RoleInput,
  RoleSchema,
  TenantCreateResponse,
  TenantInput,
  TenantSchema,
  toClient,
  toClientCreated,
  toClientCreatedV1,
  toRole,
  toTenant,
  toUser,
  UserInput,
  UserSchema,
} from './identity.schemas.ts';
import type { IdentityService } from './identity.service.ts';
import { isOperator } from './principal.ts';
import type { TokenService } from './token.service.ts';

export interface IdentityDeps {
  identity: IdentityService;
  auth: AuthService;
  tokens: TokenService;
  publicUrl: string;
  limiter: RateLimiter;
}

const TenantParams = Type.Object({ tenantId: Guid('Tenant identifier.') });
const UserParams = Type.Object({ tenantId: Guid('Tenant identifier.'), userId: Guid('User identifier.') });
const RoleParams = Type.Object({ tenantId: Guid('Tenant identifier.'), roleId: Guid('Role identifier.') });
const ClientParams = Type.Object({
  tenantId: Guid('Tenant identifier.'),
  clientId: Guid('Client identifier.'),
});

const TokenForm = Type.Object({
  grant_type: Type.Optional(Type.String({ description: 'Must be client_credentials.' })),
  client_id: Type.Optional(Type.String({ description: 'The client id (ClientId of the client).' })),
  client_secret: Type.Optional(Type.String({ description: 'The client secret.' })),
  scope: Type.Optional(Type.String({ description: 'Ignored: every token carries the client’s roles.' })),
});

const TokenResponseSchema = Type.Object(
  {
    access_token: Type.String({ description: 'A signed JWT to send as `Authorization: Bearer …`.' }),
    token_type: Type.Literal('Bearer', { description: 'Always Bearer.' }),
    expires_in: Type.Integer({ description: 'Seconds until the token expires.' }),
  },
  { $id: 'TokenResponse', description: 'RFC 6749 §5.1 access token response.' },
);

const OAuthErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'RFC 6749 error code, such as invalid_client.' }),
    error_description: Type.Optional(Type.String({ description: 'Human-readable reason.' })),
  },
  { $id: 'OAuthError', description: 'RFC 6749 §5.2 error response.' },
);

const Discovery = Type.Object(
  {
    issuer: Type.String({ description: 'Issuer of this service’s tokens.' }),
    token_endpoint: Type.String({ description: 'Absolute URL of the token endpoint.' }),
    jwks_uri: Type.String({ description: 'Absolute URL of the signing keys.' }),
    grant_types_supported: Type.Array(Type.String(), { description: 'Supported grants.' }),
    token_endpoint_auth_methods_supported: Type.Array(Type.String(), {
      description: 'Client authentication.',
    }),
    id_token_signing_alg_values_supported: Type.Array(Type.String(), { description: 'Signing algorithms.' }),
  },
  { description: 'OpenID Connect discovery document.' },
);

const Jwks = Type.Object(
  { keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'Public signing keys.' }) },
  { description: 'JSON Web Key Set.' },
);

const TotalHeaders = { headers: TOTAL_COUNT_HEADER };
const listResponse = <T extends TSchema>(item: T, description: string) => ({
  200: Type.Array(item, { description, ...TotalHeaders }),
  ...errors(400, 401, 403, 404),
});

/**
 * RFC 6749 §2.3.1: HTTP Basic client authentication, where id and secret are form-encoded before being
 * joined. Undefined when the header is not Basic; a malformed one is the client's error, not ours.
 */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (header === undefined || !/^basic\s/i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const formDecode = (value: string) => decodeURIComponent(value.replaceAll('+', ' '));
  try {
    if (colon <= 0) throw new URIError('no colon');
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError(
      400,
      'invalid_request',
      'The Basic Authorization header must carry form-encoded client_id:client_secret.',
    );
  }
}

export async function identityRoutes(app: FastifyInstance, deps: IdentityDeps): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { identity, auth, tokens } = deps;
  const tags = (name: string) => [name];

  // Discovery and token (public)

  const discovery = () => ({
    issuer: tokens.issuer,
    token_endpoint: `${deps.publicUrl}/identity/connect/token`,
    jwks_uri: `${deps.publicUrl}/identity/.well-known/openid-configuration/jwks`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
  r.get(
    '/identity/.well-known/openid-configuration',
    {
      config: { public: true },
      schema: { tags: tags('Identity'), summary: 'OpenID discovery', response: { 200: Discovery } },
    },
    async () => discovery(),
  );
  r.get(
    '/identity/.well-known/openid-configuration/jwks',
    {
      config: { public: true },
      schema: { tags: tags('Identity'), summary: 'Signing keys (JWKS)', response: { 200: Jwks } },
    },
    async () => tokens.jwks(),
  );
  r.post(
    '/identity/connect/token',
    {
      config: { public: true, oauth: true },
      schema: {
        tags: tags('Identity'),
        summary: 'Client credentials token',
        description:
          'RFC 6749 §4.4. Form-encoded grant_type=client_credentials, client_id, client_secret (or HTTP Basic). No scope is needed. Errors are RFC 6749 JSON. Requests are limited per client id and per address (CONVENE_RATE_TOKEN_PER_CLIENT_PER_MINUTE, CONVENE_RATE_TOKEN_PER_IP_PER_MINUTE): beyond that, 429 with error slow_down and a Retry-After header (seconds).',
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenForm,
        response: {
          200: TokenResponseSchema,
          400: OAuthErrorSchema,
          401: OAuthErrorSchema,
          415: OAuthErrorSchema,
          429: OAuthErrorSchema,
          408: OAuthErrorSchema,
          500: OAuthErrorSchema,
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      // RFC 6749 §4.4.2: the request is form-encoded. JSON has a parser (every other type is refused
      // before this runs, with 415 and invalid_request), so refuse it here the same way.
      const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
      if (type !== undefined && type !== 'application/x-www-form-urlencoded') {
        throw new OAuthError(
          415,
          'invalid_request',
          'The token request must be sent as application/x-www-form-urlencoded.',
        );
      }
      const basic = basicCredentials(request.headers.authorization);
      const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
        string,
        unknown
      >;
      // Counted before the secret is checked: the limit is what bounds guessing, failed attempts included.
      const clientId = basic?.id ?? body.client_id;
      const { rules } = deps.limiter;
      const exceeded = await deps.limiter.hit([
        ...(typeof clientId === 'string' && clientId !== ''
          ? [{ rule: rules.tokenPerClient, key: clientId.toLowerCase() }]
          : []),
        { rule: rules.tokenPerIp, key: request.ip },
      ]);
      if (exceeded !== undefined) {
        reply.header('retry-after', String(exceeded.retryAfterSeconds));
        const who = exceeded.rule === rules.tokenPerClient ? 'this client id' : 'this address';
        throw new OAuthError(
          429,
          'slow_down',
          `Too many token requests for ${who}; try again in ${describeWait(exceeded.retryAfterSeconds)}.`,
        );
      }
      try {
        return await auth.exchange(body, basic);
      } catch (error) {
        // RFC 6749 §5.2: a client that authenticated with the Authorization header gets a challenge back.
        if (error instanceof OAuthError && error.status === 401 && basic !== undefined) {
          reply.header('www-authenticate', 'Basic realm="convene", charset="UTF-8"');
        }
        throw error;
      }
    },
  );

  // Tenants

  r.get(
    '/api/v1/Tenants',
    {
      schema: {
        tags: tags('Tenants'),
        summary: 'List tenants',
        description:
          'The operator sees every tenant; any other caller sees its own. Ordered by creation time.',
        querystring: PagingQuery,
        response: listResponse(TenantSchema, 'Tenants.'),
      },
      attachValidation: true,
    },
    async (request, reply) =>
      withTotal(reply, await identity.listTenants(principalOf(request), pagingOf(request))).map(toTenant),
  );
  r.post(
    '/api/v1/Tenants',
    {
      schema: {
        tags: tags('Tenants'),
        summary: 'Create a tenant (operator)',
        description: 'Creates a tenant, its built-in roles and a first client holding Tenant Administrator.',
        body: TenantInput,
        response: { 201: TenantCreateResponse, ...errors(400, 401, 403) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      if (!isOperator(principalOf(request))) {
        throw forbidden('Only the operator may create tenants.', 'Use the operator client’s credentials.');
      }
      const created = await identity.createTenant(bodyOf<Static<typeof TenantInput>>(request)());
      reply.code(201);
      return {
        Tenant: toTenant(created.tenant),
        Client: toClientCreated(created.client, created.roleIds, created.secret),
      };
    },
  );
  r.get(
    '/api/v1/Tenants/:tenantId',
    {
      schema: {
        tags: tags('Tenants'),
        summary: 'Get a tenant',
        params: TenantParams,
        response: { 200: TenantSchema, ...errors(400, 401, 404) },
      },
      attachValidation: true,
    },
    async (request) => toTenant(await identity.getTenant(principalOf(request), request.params.tenantId)),
  );
  r.delete(
    '/api/v1/Tenants/:tenantId',
    {
      schema: {
        tags: tags('Tenants'),
        summary: 'Delete a tenant (operator)',
        description: 'Removes the tenant and everything it owns.',
        params: TenantParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      await identity.deleteTenant(principalOf(request), request.params.tenantId);
      return reply.code(204).send(null);
    },
  );

  // Users

  const usersPath = '/api/v1/Tenants/:tenantId/Users';
  r.get(
    usersPath,
    {
      exposeHeadRoute: false,
      schema: {
        tags: tags('Users'),
        summary: 'List users',
        description: 'Users of the tenant, ordered by creation time then id.',
        params: TenantParams,
        querystring: PagingQuery,
        response: listResponse(UserSchema, 'Users.'),
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const page = await identity.listUsers(principalOf(request), request.params.tenantId, pagingOf(request));
      return withTotal(reply, page).map((u) => toUser(u.user, u.roleIds));
    },
  );
  r.head(
    usersPath,
    {
      schema: {
        tags: tags('Users'),
        summary: 'Count users',
        description: 'The status of the matching GET, whose paging parameters are validated the same way.',
        params: TenantParams,
        querystring: PagingQuery,
        response: {
          200: Type.Null({ description: 'No body; the count is in Total-Count.', ...TotalHeaders }),
          ...errors(400, 401, 404),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const count = await identity.countUsers(
        principalOf(request),
        request.params.tenantId,
        pagingOf(request),
      );
      reply.header('Total-Count', count);
      return reply.send(null);
    },
  );
  r.post(
    usersPath,
    {
      schema: {
        tags: tags('Users'),
        summary: 'Create a user',
        params: TenantParams,
        body: UserInput,
        response: { 201: UserSchema, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const saved = await identity.createUser(principalOf(request), request.params.tenantId, bodyOf(request));
      reply.code(201);
      return toUser(saved.user, saved.roleIds);
    },
  );
  r.get(
    `${usersPath}/:userId`,
    {
      schema: {
        tags: tags('Users'),
        summary: 'Get a user',
        params: UserParams,
        response: { 200: UserSchema, ...errors(400, 401, 404) },
      },
      attachValidation: true,
    },
    async (request) => {
      const found = await identity.getUser(
        principalOf(request),
        request.params.tenantId,
        request.params.userId,
      );
      return toUser(found.user, found.roleIds);
    },
  );
  r.post(
    `${usersPath}/:userId`,
    {
      schema: {
        tags: tags('Users'),
        summary: 'Get or create a user with this id',
        description: 'Returns the user with this id (200), or creates it with this id (201).',
        params: UserParams,
        body: UserInput,
        response: { 200: UserSchema, 201: UserSchema, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { tenantId, userId } = request.params;
      const saved = await identity.getOrCreateUser(principalOf(request), tenantId, userId, bodyOf(request));
      reply.code(saved.created ? 201 : 200);
      return toUser(saved.user, saved.roleIds);
    },
  );
  r.put(
    `${usersPath}/:userId`,
    {
      schema: {
        tags: tags('Users'),
        summary: 'Create or update a user',
        description: 'Creates the user (201) or updates it (200); absent properties keep their value.',
        params: UserParams,
        body: UserInput,
        response: { 200: UserSchema, 201: UserSchema, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { tenantId, userId } = request.params;
      const saved = await identity.putUser(principalOf(request), tenantId, userId, bodyOf(request));
      reply.code(saved.created ? 201 : 200);
      return toUser(saved.user, saved.roleIds);
    },
  );
  r.delete(
    `${usersPath}/:userId`,
    {
      schema: {
        tags: tags('Users'),
        summary: 'Delete a user',
        description: 'Also removes the user’s community memberships.',
        params: UserParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      await identity.deleteUser(principalOf(request), request.params.tenantId, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  // Roles

  const rolesPath = '/api/v1/Tenants/:tenantId/Roles';
  r.get(
    rolesPath,
    {
      schema: {
        tags: tags('Roles'),
        summary: 'List roles',
        description:
          'Tenant roles (RoleScope 1), then the community roles (RoleScope 2) of every community the tenant belongs to; each group ordered by creation time then id.',
        params: TenantParams,
        querystring: PagingQuery,
        response: listResponse(RoleSchema, 'Roles.'),
      },
      attachValidation: true,
    },
    async (request, reply) =>
      withTotal(
        reply,
        await identity.listRoles(principalOf(request), request.params.tenantId, pagingOf(request)),
      ).map(toRole),
  );
  r.post(
    rolesPath,
    {
      schema: {
        tags: tags('Roles'),
        summary: 'Create a custom tenant role',
        params: TenantParams,
        body: RoleInput,
        response: { 201: RoleSchema, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const role = await identity.createRole(principalOf(request), request.params.tenantId, bodyOf(request));
      reply.code(201);
      return toRole(role);
    },
  );
  r.get(
    `${rolesPath}/:roleId`,
    {
      schema: {
        tags: tags('Roles'),
        summary: 'Get a role',
        params: RoleParams,
        response: { 200: RoleSchema, ...errors(400, 401, 404) },
      },
      attachValidation: true,
    },
    async (request) =>
      toRole(await identity.getRole(principalOf(request), request.params.tenantId, request.params.roleId)),
  );
  r.put(
    `${rolesPath}/:roleId`,
    {
      schema: {
        tags: tags('Roles'),
        summary: 'Update a custom tenant role',
        description: 'Built-in and community roles cannot be changed (409).',
        params: RoleParams,
        body: RoleInput,
        response: { 200: RoleSchema, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request) => {
      const { tenantId, roleId } = request.params;
      return toRole(await identity.updateRole(principalOf(request), tenantId, roleId, bodyOf(request)));
    },
  );
  r.delete(
    `${rolesPath}/:roleId`,
    {
      schema: {
        tags: tags('Roles'),
        summary: 'Delete a custom tenant role',
        description: 'Built-in and community roles cannot be deleted (409).',
        params: RoleParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      await identity.deleteRole(principalOf(request), request.params.tenantId, request.params.roleId);
      return reply.code(204).send(null);
    },
  );

  // Client credential clients, under both API versions; only the create response differs.

  for (const version of ['v1', 'v1-preview'] as const) {
    const clientsPath = `/api/${version}/Tenants/:tenantId/ClientCredentialClients`;
    const tag = tags('Clients');
    r.get(
      clientsPath,
      {
        exposeHeadRoute: false,
        schema: {
          tags: tag,
          summary: `List clients (${version})`,
          description: 'Clients of the tenant, ordered by creation time then id.',
          params: TenantParams,
          querystring: PagingQuery,
          response: listResponse(ClientSchema, 'Clients.'),
        },
        attachValidation: true,
      },
      async (request, reply) => {
        const page = await identity.listClients(
          principalOf(request),
          request.params.tenantId,
          pagingOf(request),
        );
        return withTotal(reply, page).map((c) => toClient(c.client, c.roleIds));
      },
    );
    r.head(
      clientsPath,
      {
        schema: {
          tags: tag,
          summary: `Count clients (${version})`,
          description: 'The status of the matching GET, whose paging parameters are validated the same way.',
          params: TenantParams,
          querystring: PagingQuery,
          response: {
            200: Type.Null({ description: 'No body; the count is in Total-Count.', ...TotalHeaders }),
            ...errors(400, 401, 404),
          },
        },
        attachValidation: true,
      },
      async (request, reply) => {
        const count = await identity.countClients(
          principalOf(request),
          request.params.tenantId,
          pagingOf(request),
        );
        reply.header('Total-Count', count);
        return reply.send(null);
      },
    );
    r.post(
      clientsPath,
      {
        schema: {
          tags: tag,
          summary: `Create a client (${version})`,
          description:
            version === 'v1'
              ? 'Answers ADH’s v1 shape; the client id for the token endpoint is Client.Id. The secret is shown once.'
              : 'Answers the preview shape; the client id for the token endpoint is ClientId. The secret is shown once.',
          params: TenantParams,
          body: ClientInput,
          response: {
            201: version === 'v1' ? ClientCreateResponseV1 : ClientCredentialClientResponse,
            ...errors(400, 401, 403, 404),
          },
        },
        attachValidation: true,
      },
      async (request, reply) => {
        const created = await identity.createClient(
          principalOf(request),
          request.params.tenantId,
          bodyOf(request),
        );
        reply.code(201);
        return version === 'v1'
          ? toClientCreatedV1(created.client, created.roleIds, created.secret)
          : toClientCreated(created.client, created.roleIds, created.secret);
      },
    );
    r.get(
      `${clientsPath}/:clientId`,
      {
        schema: {
          tags: tag,
          summary: `Get a client (${version})`,
          params: ClientParams,
          response: { 200: ClientSchema, ...errors(400, 401, 404) },
        },
        attachValidation: true,
      },
      async (request) => {
        const { tenantId, clientId } = request.params;
        const found = await identity.getClient(principalOf(request), tenantId, clientId);
        return toClient(found.client, found.roleIds);
      },
    );
    r.put(
      `${clientsPath}/:clientId`,
      {
        schema: {
          tags: tag,
          summary: `Update a client (${version})`,
          description: 'Changes the properties present; the secret is not changed.',
          params: ClientParams,
          body: ClientInput,
          response: { 200: ClientSchema, ...errors(400, 401, 403, 404) },
        },
        attachValidation: true,
      },
      async (request) => {
        const { tenantId, clientId } = request.params;
        const saved = await identity.updateClient(principalOf(request), tenantId, clientId, bodyOf(request));
        return toClient(saved.client, saved.roleIds);
      },
    );
    r.delete(
      `${clientsPath}/:clientId`,
      {
        schema: {
          tags: tag,
          summary: `Delete a client (${version})`,
          params: ClientParams,
          response: { 204: NoContent, ...errors(400, 401, 403, 404, 409) },
        },
        attachValidation: true,
      },
      async (request, reply) => {
        await identity.deleteClient(principalOf(request), request.params.tenantId, request.params.clientId);
        return reply.code(204).send(null);
      },
    );
  }
}
