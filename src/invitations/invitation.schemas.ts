// Wire objects of the Community Invitations API, as the seed page defines them.
import { Type } from 'typebox';
import { DateTime, GuidOut, Nullable } from '../http/schemas.ts';
import { effectiveState } from './invitation.lifecycle.ts';
import type { InvitationWire } from './invitation.repository.ts';

export const CommunityInvitationState = Type.Union(
  [
    Type.Literal('None'),
    Type.Literal('InvitationCreated'),
    Type.Literal('InvitationAccepted'),
    Type.Literal('InvitationDeclined'),
    Type.Literal('InvitationExpired'),
    Type.Literal('InvitationCompleted'),
  ],
  {
    $id: 'CommunityInvitationState',
    description:
      'Invitation state. None is never produced; InvitationExpired is what an InvitationCreated invitation reads as once Expires has passed.',
  },
);

export const CommunityInvitation = Type.Object(
  {
    Id: GuidOut('Invitation identifier.'),
    Issued: DateTime('Invitation issued timestamp (renewed by Resend).'),
    Expires: DateTime('Invitation expiration timestamp.'),
    Accepted: Type.Optional(Nullable(DateTime('Invitation accepted timestamp.'))),
    State: Type.Unsafe<string>({ $ref: 'CommunityInvitationState', description: 'Invitation state.' }),
    IssuingTenantId: GuidOut('Identifier of the tenant that issued the invitation.'),
    InvitedTenantId: Type.Optional(
      Nullable(GuidOut('Identifier of the tenant that accepted the invitation.')),
    ),
    CommunityId: GuidOut('Identifier of the community from which the invitation was issued.'),
    CommunityName: Type.Optional(Nullable(Type.String({ description: 'Name of the community.' }))),
    InvitationRecipient: Type.Optional(
      Nullable(
        Type.String({ description: 'E-mail address of the recipient notified to accept the invitation.' }),
      ),
    ),
    AcceptedUserEmail: Type.Optional(
      Nullable(
        Type.String({ description: 'E-mail address of the user who accepted (absent for a client).' }),
      ),
    ),
    AcceptedTenantName: Type.Optional(
      Nullable(Type.String({ description: 'Name of the tenant accepting.' })),
    ),
  },
  { $id: 'CommunityInvitation', description: 'Representation of the community invitation.' },
);

export const CreateInvitationInput = Type.Object(
  {
    InvitationRecipient: Type.String({
      maxLength: 1000,
      description: 'E-mail address of the invitation recipient (trimmed; at most 254 characters).',
    }),
  },
  { $id: 'CreateInvitationInput', description: 'The input object to create an invitation.' },
);

export const CommunityInvitationDetails = Type.Object(
  {
    CommunityName: Type.Optional(Nullable(Type.String({ description: 'Community name.' }))),
    CommunityId: GuidOut('Community identifier.'),
    InvitationState: Type.Unsafe<string>({
      $ref: 'CommunityInvitationState',
      description: 'Invitation state.',
    }),
    ContactEmail: Type.Optional(
      Nullable(Type.String({ description: 'The owning tenant’s point of contact for the community.' })),
    ),
  },
  { $id: 'CommunityInvitationDetails', description: 'Summary of a community invitation.' },
);

export const ProcessInvitationInput = Type.Object(
  {
    Action: Type.String({
      maxLength: 100,
      description: 'Action to take: Accept, Decline, Confirm or Resend (any case).',
      examples: ['Accept'],
    }),
    ContactEmail: Type.Optional(
      Type.String({
        maxLength: 1000,
        description: 'Required for Accept: the accepting tenant’s point of contact for the community.',
      }),
    ),
  },
  { $id: 'ProcessInvitationInput', description: 'The input object to process an invitation.' },
);

/** `now` may be given as ISO text, computed once for a whole page. */
export const toInvitation = (row: InvitationWire, now: Date | string) => ({
  Id: row.id,
  Issued: row.issued_at,
  Expires: row.expires_at,
  Accepted: row.accepted_at,
  State: effectiveState(row.state, row.expires_at, now),
  IssuingTenantId: row.issuing_tenant_id,
  InvitedTenantId: row.invited_tenant_id,
  CommunityId: row.community_id,
  CommunityName: row.community_name,
  InvitationRecipient: row.recipient,
  AcceptedUserEmail: row.accepted_user_email,
  AcceptedTenantName: row.accepted_tenant_name,
});
