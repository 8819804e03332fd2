// The communities API (CONTRACT §6) as one route table.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { bodyOf, pagingOf, principalOf, withTotal } from '../http/routing.ts';
import { errors, Guid, NoContent, PagingQuery, TOTAL_COUNT_HEADER } from '../http/schemas.ts';
import { RoleSchema, toRole } from '../identity/identity.schemas.ts';
import {
  CommunityInput,
  CommunitySchema,
  CommunityTenantInput,
  CommunityTenantSchema,
  CommunityUpdate,
  toCommunity,
  toCommunityTenant,
} from './community.schemas.ts';
import type { CommunityService } from './community.service.ts';

const CommunityParams = Type.Object({ communityId: Guid('Community identifier.') });
const CommunityTenantParams = Type.Object({
  communityId: Guid('Community identifier.'),
  tenantId: Guid('Tenant identifier.'),
});

export async function communityRoutes(app: FastifyInstance, deps: { communities: CommunityService }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { communities } = deps;
  const tags = ['Communities'];
  const base = '/api/v1-preview/Communities';
  const render = (view: Awaited<ReturnType<CommunityService['view']>>) =>
    toCommunity(view.community, view.tenants, view.roles);

  r.get(
    base,
    {
      schema: {
        tags,
        summary: 'List communities',
        description:
          'Communities where the caller’s tenant is an Active member and the caller holds a community role (all of them for a Tenant Administrator), ordered by creation time then id. A paused membership grants nothing, so its community is not listed.',
        querystring: PagingQuery,
        response: {
          200: Type.Array(CommunitySchema, {
            description: 'Communities.',
            headers: TOTAL_COUNT_HEADER,
          }),
          ...errors(400, 401),
        },
      },
      attachValidation: true,
    },
    async (request, reply) =>
      withTotal(reply, await communities.list(principalOf(request), pagingOf(request))).map(render),
  );
  r.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create a community',
        description:
          'A Tenant Administrator creates a community owned by its tenant, with its three community roles; the creator receives Community Administrator and Community Member. A name the tenant already uses is a 409.',
        body: CommunityInput,
        response: { 201: CommunitySchema, ...errors(400, 401, 403, 409) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const view = await communities.create(principalOf(request), bodyOf(request));
      reply.code(201);
      return render(view);
    },
  );
  r.get(
    `${base}/:communityId`,
    {
      schema: {
        tags,
        summary: 'Get a community',
        description:
          'The caller must hold a role in the community, or be the Tenant Administrator of an Active member tenant (403 otherwise, including while its tenant is paused); a tenant that is not a member gets 404.',
        params: CommunityParams,
        response: { 200: CommunitySchema, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request) => render(await communities.get(principalOf(request), request.params.communityId)),
  );
  r.put(
    `${base}/:communityId`,
    {
      schema: {
        tags,
        summary: 'Update a community',
        description: 'A Community Administrator of the owning tenant changes the properties present.',
        params: CommunityParams,
        body: CommunityUpdate,
        response: { 200: CommunitySchema, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request) =>
      render(await communities.update(principalOf(request), request.params.communityId, bodyOf(request))),
  );
  r.delete(
    `${base}/:communityId`,
    {
      schema: {
        tags,
        summary: 'Delete a community',
        description:
          'A Community Administrator of the owning tenant deletes it with its roles and memberships.',
        params: CommunityParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      await communities.delete(principalOf(request), request.params.communityId);
      return reply.code(204).send(null);
    },
  );
  r.get(
    `${base}/:communityId/Roles`,
    {
      schema: {
        tags,
        summary: 'List the community roles',
        description:
          'Administrator, Moderator and Member, in creation order. The caller must hold a role in the community (or be the Tenant Administrator of an Active member tenant).',
        params: CommunityParams,
        querystring: PagingQuery,
        response: {
          200: Type.Array(RoleSchema, { description: 'Community roles.', headers: TOTAL_COUNT_HEADER }),
          ...errors(400, 401, 403, 404),
        },
      },
      attachValidation: true,
    },
    async (request, reply) =>
      withTotal(
        reply,
        await communities.roles(principalOf(request), request.params.communityId, pagingOf(request)),
      ).map(toRole),
  );
  r.put(
    `${base}/:communityId/Tenants/:tenantId`,
    {
      schema: {
        tags,
        summary: 'Update a member tenant',
        description:
          'The owning tenant’s Community Administrator changes another member’s Status (Active or Paused; the owner’s own Status cannot change: 409); a member tenant’s Community Administrator changes its own ContactEmail and CommunityAlias. Sending the Status a tenant already has is not a change. A paused tenant’s principals hold no community rights, so they cannot change their own details until reactivated. Tenants join through invitations.',
        params: CommunityTenantParams,
        body: CommunityTenantInput,
        response: { 200: CommunityTenantSchema, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request) => {
      const { communityId, tenantId } = request.params;
      const member = await communities.updateTenant(
        principalOf(request),
        communityId,
        tenantId,
        bodyOf(request),
      );
      return toCommunityTenant(member);
    },
  );
  r.delete(
    `${base}/:communityId/Tenants/:tenantId`,
    {
      schema: {
        tags,
        summary: 'Remove a member tenant',
        description:
          'The owning tenant’s Community Administrator removes another member (paused or not), or a member tenant’s Community Administrator removes its own tenant (leaves; not while paused, when it holds no community rights); the tenant’s community roles go with it. The owner cannot be removed (409).',
        params: CommunityTenantParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404, 409) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      await communities.removeTenant(
        principalOf(request),
        request.params.communityId,
        request.params.tenantId,
      );
      return reply.code(204).send(null);
    },
  );
}
