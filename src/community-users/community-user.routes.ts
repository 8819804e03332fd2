// The Community Users API of the seed page, and the same for clients as ADH has it.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { invalid } from '../http/errors.ts';
import type { Input } from '../http/input.ts';
import { bodyOf, pagingOf, principalOf, withTotal } from '../http/routing.ts';
import { errors, Guid, NoContent, PagingQuery, TOTAL_COUNT_HEADER } from '../http/schemas.ts';
import { ClientSchema, toClient, toUser, UserSchema } from '../identity/identity.schemas.ts';
import type { CommunityUserService } from './community-user.service.ts';

const TenantParams = Type.Object({
  communityId: Guid('Community identifier.'),
  tenantId: Guid('Tenant identifier.'),
});
const UserParams = Type.Object({
  communityId: Guid('Community identifier.'),
  tenantId: Guid('Tenant identifier.'),
  userId: Guid('User identifier.'),
});
const ClientParams = Type.Object({
  communityId: Guid('Community identifier.'),
  tenantId: Guid('Tenant identifier.'),
  clientId: Guid('Client identifier.'),
});

const RoleIdList = Type.Array(Guid('Community role id.'), {
  maxItems: 10,
  description: 'Community role ids to assign; the community’s Member role is always included.',
});

// The body must be a JSON array of strings. Its shape is noted on the raw body, before Ajv, which may coerce
// a scalar to a one-element array and back (coerceTypes: 'array') and so take a bare "<guid>", or
// [["<guid>"]], for ["<guid>"]; it is refused as a 400 only once the access checks have passed (CONTRACT §1).
const notAnArray = new WeakSet<FastifyRequest>();

async function noteNonArrayBody(request: FastifyRequest) {
  const body = request.body;
  if (!Array.isArray(body) || body.some((item) => typeof item !== 'string')) notAnArray.add(request);
}

function roleIdsOf(request: FastifyRequest): Input<string[]> {
  return () => {
    if (notAnArray.has(request)) {
      throw invalid(
        'The request body must be a JSON array of community role ids (strings).',
        'Send the role ids as a JSON array, such as ["<role id>"]; [] adds the Community Member role only.',
      );
    }
    return bodyOf<string[]>(request)();
  };
}

const COUNT_ONLY = Type.Null({
  description: 'No body; the count is in Total-Count.',
  headers: TOTAL_COUNT_HEADER,
});
const ORDER = 'Ordered by the creation time of the user or client, then id.';

export async function communityUserRoutes(
  app: FastifyInstance,
  deps: { communityUsers: CommunityUserService },
) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { communityUsers } = deps;
  const tags = ['Community Users'];
  const users = '/api/v1-preview/Communities/:communityId/Tenants/:tenantId/Users';
  const clients = '/api/v1-preview/Communities/:communityId/Tenants/:tenantId/ClientCredentialClients';

  r.put(
    `${users}/:userId`,
    {
      schema: {
        tags,
        summary: 'Add User to a Community',
        description:
          'A Community Moderator or Administrator of the tenant adds one of its users to the community (201) or replaces its community roles (200). The body is a JSON array of the community’s role ids; RoleIds of the answer are the user’s roles in the community. A tenant that is not an active member of the community is a 404 (Tenant not found).',
        params: UserParams,
        body: RoleIdList,
        response: { 200: UserSchema, 201: UserSchema, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
      preValidation: noteNonArrayBody,
    },
    async (request, reply) => {
      const { communityId, tenantId, userId } = request.params;
      const saved = await communityUsers.putUser(
        principalOf(request),
        communityId,
        tenantId,
        userId,
        roleIdsOf(request),
      );
      reply.code(saved.created ? 201 : 200);
      return toUser(saved.subject, saved.roleIds);
    },
  );
  r.delete(
    `${users}/:userId`,
    {
      schema: {
        tags,
        summary: 'Remove User from a Community',
        description:
          'Removes every community role of the user; 404 when the user is not in the community, or the tenant is not an active member of it.',
        params: UserParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { communityId, tenantId, userId } = request.params;
      await communityUsers.remove(principalOf(request), 'users', communityId, tenantId, userId);
      return reply.code(204).send(null);
    },
  );
  r.get(
    users,
    {
      exposeHeadRoute: false,
      schema: {
        tags,
        summary: 'List Users of a Tenant in a Community',
        description: `Users of the tenant holding any role in the community; any member of the community may read. ${ORDER}`,
        params: TenantParams,
        querystring: PagingQuery,
        response: {
          200: Type.Array(UserSchema, {
            description: 'Users in the community.',
            headers: TOTAL_COUNT_HEADER,
          }),
          ...errors(400, 401, 403, 404),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { communityId, tenantId } = request.params;
      const page = await communityUsers.listUsers(
        principalOf(request),
        communityId,
        tenantId,
        pagingOf(request),
      );
      return withTotal(reply, page).map((u) => toUser(u.user, u.roleIds));
    },
  );
  r.head(
    users,
    {
      schema: {
        tags,
        summary: 'Get Count of Users of a Tenant in a Community',
        description: 'The status of the matching GET, whose paging parameters are validated the same way.',
        params: TenantParams,
        querystring: PagingQuery,
        response: { 200: COUNT_ONLY, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { communityId, tenantId } = request.params;
      reply.header(
        'Total-Count',
        await communityUsers.count(principalOf(request), 'users', communityId, tenantId, pagingOf(request)),
      );
      return reply.send(null);
    },
  );

  r.put(
    `${clients}/:clientId`,
    {
      schema: {
        tags,
        summary: 'Add Client to a Community',
        description:
          'As for users: 201 when the client was not in the community, 200 when its community roles were replaced.',
        params: ClientParams,
        body: RoleIdList,
        response: { 200: ClientSchema, 201: ClientSchema, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
      preValidation: noteNonArrayBody,
    },
    async (request, reply) => {
      const { communityId, tenantId, clientId } = request.params;
      const saved = await communityUsers.putClient(
        principalOf(request),
        communityId,
        tenantId,
        clientId,
        roleIdsOf(request),
      );
      reply.code(saved.created ? 201 : 200);
      return toClient(saved.subject, saved.roleIds);
    },
  );
  r.delete(
    `${clients}/:clientId`,
    {
      schema: {
        tags,
        summary: 'Remove Client from a Community',
        params: ClientParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { communityId, tenantId, clientId } = request.params;
      await communityUsers.remove(principalOf(request), 'clients', communityId, tenantId, clientId);
      return reply.code(204).send(null);
    },
  );
  r.get(
    clients,
    {
      exposeHeadRoute: false,
      schema: {
        tags,
        summary: 'List Clients of a Tenant in a Community',
        description: `Clients of the tenant holding any role in the community. ${ORDER}`,
        params: TenantParams,
        querystring: PagingQuery,
        response: {
          200: Type.Array(ClientSchema, {
            description: 'Clients in the community.',
            headers: TOTAL_COUNT_HEADER,
          }),
          ...errors(400, 401, 403, 404),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { communityId, tenantId } = request.params;
      const page = await communityUsers.listClients(
        principalOf(request),
        communityId,
        tenantId,
        pagingOf(request),
      );
      return withTotal(reply, page).map((c) => toClient(c.client, c.roleIds));
    },
  );
  r.head(
    clients,
    {
      schema: {
        tags,
        summary: 'Get Count of Clients of a Tenant in a Community',
        description: 'The status of the matching GET, whose paging parameters are validated the same way.',
        params: TenantParams,
        querystring: PagingQuery,
        response: { 200: COUNT_ONLY, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const { communityId, tenantId } = request.params;
      reply.header(
        'Total-Count',
        await communityUsers.count(principalOf(request), 'clients', communityId, tenantId, pagingOf(request)),
      );
      return reply.send(null);
    },
  );
}
