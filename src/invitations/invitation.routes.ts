// The seven endpoints of the Community Invitations API, as one route table.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Clock } from '../clock.ts';
import { bodyOf, pagingOf, principalOf, withTotal } from '../http/routing.ts';
import { errors, Guid, NoContent, PagingQuery, TOTAL_COUNT_HEADER } from '../http/schemas.ts';
import {
  CommunityInvitation,
  CommunityInvitationDetails,
  CommunityInvitationState,
  CreateInvitationInput,
  ProcessInvitationInput,
  toInvitation,
} from './invitation.schemas.ts';
import type { InvitationService } from './invitation.service.ts';

const CommunityParams = Type.Object({ communityId: Guid('Community identifier.') });
const InvitationInCommunityParams = Type.Object({
  communityId: Guid('Community identifier.'),
  invitationId: Guid('Invitation identifier.'),
});
const InvitationParams = Type.Object({ invitationId: Guid('Invitation identifier.') });
const TenantParams = Type.Object({ tenantId: Guid('Tenant identifier.') });

const invitationList = (description: string) =>
  Type.Array(CommunityInvitation, { description, headers: TOTAL_COUNT_HEADER });

export async function invitationRoutes(
  app: FastifyInstance,
  deps: { invitations: InvitationService; clock: Clock },
) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { invitations, clock } = deps;
  const tags = ['Community Invitations'];
  app.addSchema(CommunityInvitationState);

  r.get(
    '/api/v1-preview/communities/:communityId/invitations',
    {
      schema: {
        tags,
        summary: 'List a Community Invitation by issuing Tenant and Community',
        description:
          'Invitations of the community issued by the caller’s tenant, ordered by creation time then id. The caller must be a member of the community.',
        params: CommunityParams,
        querystring: PagingQuery,
        response: { 200: invitationList('Invitations.'), ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const page = await invitations.list(
        principalOf(request),
        request.params.communityId,
        pagingOf(request),
      );
      const now = clock.now().toISOString();
      return withTotal(reply, page).map((i) => toInvitation(i, now));
    },
  );
  r.post(
    '/api/v1-preview/communities/:communityId/invitations',
    {
      schema: {
        tags,
        summary: 'Create a Community Invitation',
        description:
          'A Community Moderator or Administrator of the owning tenant invites a recipient by e-mail; the invitation e-mail is accepted into the outbox. A second pending invitation to the same recipient (compared case-insensitively) is a 409. Invitation e-mails (sends and resends) are limited per recipient and per issuing tenant per day: beyond that, 429 with Retry-After, and nothing is created.',
        params: CommunityParams,
        body: CreateInvitationInput,
        response: { 201: CommunityInvitation, ...errors(400, 401, 403, 404, 409, 429) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const created = await invitations.create(
        principalOf(request),
        request.params.communityId,
        bodyOf(request),
      );
      reply.code(201);
      return toInvitation(created, clock.now());
    },
  );
  r.get(
    '/api/v1-preview/communities/:communityId/invitations/:invitationId',
    {
      schema: {
        tags,
        summary: 'Get a Community Invitation by Tenant, Community, and Id',
        params: InvitationInCommunityParams,
        response: { 200: CommunityInvitation, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request) => {
      const { communityId, invitationId } = request.params;
      return toInvitation(
        await invitations.get(principalOf(request), communityId, invitationId),
        clock.now(),
      );
    },
  );
  r.delete(
    '/api/v1-preview/communities/:communityId/invitations/:invitationId',
    {
      schema: {
        tags,
        summary: 'Delete a Community Invitation',
        description: 'A Community Administrator of the owning tenant deletes an invitation in any state.',
        params: InvitationInCommunityParams,
        response: { 204: NoContent, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      await invitations.delete(principalOf(request), request.params.communityId, request.params.invitationId);
      return reply.code(204).send(null);
    },
  );
  r.get(
    '/api/v1-preview/communityinvitations/:invitationId/details',
    {
      schema: {
        tags,
        summary: 'Get details of an Invitation',
        description:
          'Any Tenant Administrator who holds the id (it travels in the e-mail link). ContactEmail is the owning tenant’s contact for the community.',
        params: InvitationParams,
        response: { 200: CommunityInvitationDetails, ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request) => {
      const found = await invitations.details(principalOf(request), request.params.invitationId);
      return {
        CommunityName: found.invitation.community_name,
        CommunityId: found.invitation.community_id,
        InvitationState: found.state,
        ContactEmail: found.contactEmail,
      };
    },
  );
  r.put(
    '/api/v1-preview/communityinvitations/:invitationId',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Process a Community Invitation Based on the Requested Action',
        description:
          'Accept (202; a Tenant Administrator of another tenant, with ContactEmail), Decline (200; the invited tenant, or the owner once accepted), Confirm (202; a Community Administrator of the owning tenant: the tenant joins) or Resend (202; a Community Moderator of the owning tenant: new Issued and Expires, new link; counted against the same daily limits as a new invitation, 429 beyond them). An action the state does not allow is a 409 naming the state; an unknown action is a 400.',
        params: InvitationParams,
        body: ProcessInvitationInput,
        response: {
          200: Type.Null({ description: 'The invitation was processed.' }),
          202: Type.Null({ description: 'The invitation was processed and the notification accepted.' }),
          ...errors(400, 401, 403, 404, 409, 429),
        },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const status = await invitations.process(
        principalOf(request),
        request.params.invitationId,
        bodyOf(request),
      );
      // No body, as the seed page has it (Fastify sends none for an undefined payload).
      return reply.code(status).send(undefined as never);
    },
  );
  r.get(
    '/api/v1-preview/tenants/:tenantId/communityinvitations',
    {
      schema: {
        tags,
        summary: 'List Accepted Community Invitations by Tenant',
        description:
          'Invitations in the InvitationAccepted state whose InvitedTenantId is the tenant, ordered by creation time then id. The caller must be a Tenant Administrator of the tenant.',
        params: TenantParams,
        querystring: PagingQuery,
        response: { 200: invitationList('Accepted invitations.'), ...errors(400, 401, 403, 404) },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const page = await invitations.listAccepted(
        principalOf(request),
        request.params.tenantId,
        pagingOf(request),
      );
      const now = clock.now().toISOString();
      return withTotal(reply, page).map((i) => toInvitation(i, now));
    },
  );
}
