// The rules of community invitations (CONTRACT §4). Decisions come from the pure lifecycle table; each
// transition is applied as a compare-and-set in one transaction together with its outbox messages.
import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Clock } from '../clock.ts';
import * as communityRepo from '../communities/community.repository.ts';
import type { CommunityService } from '../communities/community.service.ts';
import { type Db, isUniqueViolation } from '../db/database.ts';
import { emailKey, normaliseEmail } from '../http/email.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../http/errors.ts';
import type { Input } from '../http/input.ts';
import { type RateLimiter, tooManyRequests } from '../http/rate-limit.ts';
import type { Paging } from '../http/schemas.ts';
import { findTenant } from '../identity/identity.repository.ts';
import type { Principal } from '../identity/principal.ts';
import { hashSecret, newSecret, secretMatches } from '../identity/secrets.ts';
import { enqueue, type OutboxMessage } from '../mail/outbox.ts';
import { acceptedMail, confirmedMail, declinedMail, invitationMail } from './invitation.emails.ts';
import {
  ACTIONS,
  type Action,
  type Caller,
  decide,
  effectiveState,
  explainInvalidState,
  mayTakeAnyAction,
  type State,
} from './invitation.lifecycle.ts';
import * as repo from './invitation.repository.ts';
import type { CreateInvitationInput, ProcessInvitationInput } from './invitation.schemas.ts';

type CreateInput = Static<typeof CreateInvitationInput>;
type ProcessInput = Static<typeof ProcessInvitationInput>;

export interface InvitationServiceOptions {
  db: Db;
  clock: Clock;
  communities: CommunityService;
  ttlMs: number;
  publicUrl: string;
  /** Called after a commit that wrote outbox messages (wakes the delivery worker). */
  onMail: () => void;
  /** Counts invitation e-mails (sends and resends) per recipient and per issuing tenant. */
  limiter: RateLimiter;
}

function recipientAddress(value: string, property: string): string {
  const email = normaliseEmail(value);
  if (email === undefined) {
    throw invalid(
      `${property} '${value.trim().slice(0, 300)}' is not a valid e-mail address (at most 254 characters).`,
      `Send ${property} as name@example.com.`,
    );
  }
  return email;
}

function parseAction(raw: string): Action {
  const action = ACTIONS.find((a) => a.toLowerCase() === raw.trim().toLowerCase());
  if (action === undefined) {
    throw invalid(`Action '${raw.slice(0, 100)}' is not known.`, `Send one of: ${ACTIONS.join(', ')}.`);
  }
  return action;
}

export class InvitationService {
  constructor(private readonly o: InvitationServiceOptions) {}

  private get db() {
    return this.o.db;
  }

  /** The link of the invitation e-mail: the id and an unguessable token (only its hash is stored). */
  invitationLink(id: string, token: string): string {
    return `${this.o.publicUrl}/invitations/${id}?token=${encodeURIComponent(token)}`;
  }

  private async commit<T>(work: (trx: Db) => Promise<{ result: T; mail: OutboxMessage[] }>): Promise<T> {
    const now = this.o.clock.now();
    const { result, mail } = await this.db.transaction().execute(async (trx) => {
      const outcome = await work(trx);
      await enqueue(trx, now, outcome.mail);
      return outcome;
    });
    if (mail.length > 0) this.o.onMail();
    return result;
  }

  /**
   * Counts one invitation e-mail inside the transaction that sends it, so that a refused (429) or failed
   * request rolls its count back with everything else.
   */
  private async countInvitationMail(trx: Db, recipientKey: string, tenantId: string): Promise<void> {
    const { rules } = this.o.limiter;
    const exceeded = await this.o.limiter.hit(
      [
        { rule: rules.invitationsPerRecipient, key: recipientKey },
        { rule: rules.invitationsPerTenant, key: tenantId },
      ],
      trx,
    );
    if (exceeded === undefined) return;
    throw tooManyRequests(
      exceeded,
      exceeded.rule === rules.invitationsPerRecipient
        ? `Too many invitations were sent to this recipient today (at most ${exceeded.rule.limit} a day).`
        : `Your tenant has sent too many invitations today (at most ${exceeded.rule.limit} a day).`,
    );
  }

  private async issuerContact(db: Db, invitation: repo.Invitation): Promise<string | null> {
    const owner = await communityRepo.findMembership(
      db,
      invitation.community_id,
      invitation.issuing_tenant_id,
    );
    if (owner?.contact_email) return owner.contact_email;
    return (await findTenant(db, invitation.issuing_tenant_id))?.contact_email ?? null;
  }

  // Issuing side

  async create(principal: Principal, communityId: string, input: Input<CreateInput>) {
    const access = await this.o.communities.access(principal, communityId);
    if (!access.isOwner) {
      throw forbidden(
        'Only the tenant that owns the community issues its invitations.',
        'Ask the owning tenant to invite the recipient.',
      );
    }
    if (!access.moderator) {
      throw forbidden(
        'Only a Community Moderator or Administrator of the owning tenant may invite.',
        'Ask a Community Administrator of your tenant for the Community Moderator role.',
      );
    }
    const recipient = recipientAddress(input().InvitationRecipient, 'InvitationRecipient');
    const now = this.o.clock.now();
    const token = newSecret();
    const issuer = await findTenant(this.db, access.community.owner_tenant_id);
    const row = {
      id: randomUUID(),
      community_id: communityId,
      issuing_tenant_id: access.community.owner_tenant_id,
      recipient,
      recipient_key: emailKey(recipient),
      state: 'InvitationCreated',
      version: 1,
      issued_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.o.ttlMs).toISOString(),
      accepted_at: null,
      invited_tenant_id: null,
      accepted_tenant_name: null,
      accepted_user_email: null,
      contact_email: null,
      link_token_hash: hashSecret(token),
      created_at: now.toISOString(),
    };
    try {
      await this.commit(async (trx) => {
        await repo.storeExpired(trx, communityId, row.recipient_key, row.issued_at);
        await repo.insertInvitation(trx, row);
        await this.countInvitationMail(trx, row.recipient_key, row.issuing_tenant_id);
        const mail = invitationMail({
          to: recipient,
          communityName: access.community.name,
          issuingTenantName: issuer?.name ?? 'A tenant',
          link: this.invitationLink(row.id, token),
          expiresAt: row.expires_at,
          resent: false,
        });
        return { result: undefined, mail: [mail] };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw conflict(
        `A pending invitation to ${recipient} for this community already exists.`,
        'Resend the existing invitation, or delete it first.',
      );
    }
    return { ...row, community_name: access.community.name };
  }

  async list(principal: Principal, communityId: string, paging: Input<Paging>) {
    await this.o.communities.requireMember(principal, communityId);
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listIssuedInvitations(this.db, communityId, principal.tenantId, page),
      repo.countIssuedInvitations(this.db, communityId, principal.tenantId),
    ]);
    return { items, total };
  }

  async get(principal: Principal, communityId: string, invitationId: string) {
    // 404 for C, then 404 for the invitation, then 403 (CONTRACT §1): an unknown id is a 404 whoever asks.
    const access = await this.o.communities.access(principal, communityId);
    const invitation = await repo.findIssuedInvitation(
      this.db,
      communityId,
      principal.tenantId,
      invitationId,
    );
    if (invitation === undefined) throw notFound('Invitation', invitationId);
    if (!access.member) await this.o.communities.requireMember(principal, communityId);
    return invitation;
  }

  async delete(principal: Principal, communityId: string, invitationId: string): Promise<void> {
    const access = await this.o.communities.access(principal, communityId);
    const invitation = await repo.findIssuedInvitation(
      this.db,
      communityId,
      principal.tenantId,
      invitationId,
    );
    if (invitation === undefined) throw notFound('Invitation', invitationId);
    if (!access.isOwner || !access.admin) {
      throw forbidden(
        'Only a Community Administrator of the owning tenant may delete an invitation.',
        'Ask a Community Administrator of your tenant.',
      );
    }
    if (!(await repo.deleteInvitation(this.db, invitationId))) throw notFound('Invitation', invitationId);
  }

  // Either side, by invitation id (it travels in the e-mail link)

  async details(principal: Principal, invitationId: string) {
    const invitation = await repo.findInvitation(this.db, invitationId);
    if (invitation === undefined) throw notFound('Invitation', invitationId);
    if (!principal.tenantAdmin) {
      throw forbidden(
        'Only a Tenant Administrator may read the details of an invitation.',
        'Sign in as a Tenant Administrator of your tenant.',
      );
    }
    return {
      invitation,
      state: effectiveState(invitation.state, invitation.expires_at, this.o.clock.now()),
      contactEmail: await this.issuerContact(this.db, invitation),
    };
  }

  async listAccepted(principal: Principal, tenantId: string, paging: Input<Paging>) {
    if (principal.tenantId !== tenantId) throw notFound('Tenant', tenantId);
    if (!principal.tenantAdmin) {
      throw forbidden('Only a Tenant Administrator may list the tenant’s accepted invitations.', 'Ask one.');
    }
    const page = paging();
    const [items, total] = await Promise.all([
      repo.listAcceptedInvitations(this.db, tenantId, page),
      repo.countAcceptedInvitations(this.db, tenantId),
    ]);
    return { items, total };
  }

  /** How the lifecycle table sees this caller for this invitation. */
  private async callerOf(principal: Principal, invitation: repo.Invitation): Promise<Caller> {
    if (principal.tenantId === invitation.issuing_tenant_id) {
      const access = await this.o.communities
        .access(principal, invitation.community_id)
        .catch(() => undefined);
      if (access?.admin) return 'IssuerAdmin';
      if (access?.moderator) return 'IssuerModerator';
      return 'IssuerOther';
    }
    if (!principal.tenantAdmin) return 'OutsideOther';
    if (invitation.invited_tenant_id === principal.tenantId) return 'AcceptingAdmin';
    const membership = await communityRepo.findMembership(
      this.db,
      invitation.community_id,
      principal.tenantId,
    );
    return membership === undefined ? 'OutsideAdmin' : 'MemberAdmin';
  }

  /** PUT /communityinvitations/{id}: Accept, Decline, Confirm or Resend. Returns the reply status. */
  async process(principal: Principal, invitationId: string, input: Input<ProcessInput>): Promise<200 | 202> {
    const invitation = await repo.findInvitation(this.db, invitationId);
    if (invitation === undefined) throw notFound('Invitation', invitationId);
    // Status precedence (CONTRACT §1) is 404, 403, 400, 409: the caller is placed before the body is read,
    // and the body is validated before the state is judged.
    const caller = await this.callerOf(principal, invitation);
    if (!mayTakeAnyAction(caller)) {
      throw forbidden(
        'You may not process this invitation: only a Tenant Administrator of another tenant, or a Community Moderator or Administrator of the owning tenant, may.',
        'Sign in with an identity that holds one of those roles.',
      );
    }
    const body = input();
    const action = parseAction(body.Action);
    const now = this.o.clock.now();
    const state = effectiveState(invitation.state, invitation.expires_at, now);
    const decision = decide(state, action, caller);
    if (!decision.ok && decision.error === 'Forbidden') throw this.refusal(decision.error, state, action);

    let contactEmail: string | undefined;
    if (action === 'Accept') {
      if (body.ContactEmail === undefined) {
        throw invalid(
          'ContactEmail is required to accept an invitation.',
          'Send your tenant’s contact e-mail.',
        );
      }
      contactEmail = recipientAddress(body.ContactEmail, 'ContactEmail');
    }
    if (!decision.ok) throw this.refusal(decision.error, state, action);
    // The accepting tenant's row is gone when that tenant was deleted (the foreign key sets it null): there
    // is no one left to join.
    const joining = invitation.invited_tenant_id;
    if (decision.effects.includes('JoinCommunity') && joining === null) {
      throw conflict(
        'The tenant that accepted this invitation no longer exists, so it cannot join the community.',
        'Decline the invitation, and invite the tenant again if it should join.',
      );
    }

    const at = now.toISOString();
    const mail: OutboxMessage[] = [];
    let changes: Parameters<typeof repo.transition>[3] = { state: decision.next };
    let newToken: string | undefined;
    if (action === 'Accept') {
      const tenant = await findTenant(this.db, principal.tenantId);
      changes = {
        ...changes,
        accepted_at: at,
        invited_tenant_id: principal.tenantId,
        accepted_tenant_name: tenant?.name ?? null,
        accepted_user_email: principal.kind === 'user' ? principal.email : null,
        contact_email: contactEmail ?? null,
      };
    } else if (action === 'Resend') {
      newToken = newSecret();
      changes = {
        ...changes,
        issued_at: at,
        expires_at: new Date(now.getTime() + this.o.ttlMs).toISOString(),
        link_token_hash: hashSecret(newToken),
      };
    }

    try {
      await this.commit(async (trx) => {
        if (!(await repo.transition(trx, invitation.id, invitation.version, changes))) {
          const current = await repo.findInvitation(trx, invitation.id);
          const currentState =
            current === undefined ? state : effectiveState(current.state, current.expires_at, now);
          throw new AppError(
            'conflict',
            `The invitation changed while this request was handled; it is now ${currentState}.`,
            'Read the invitation again and decide whether the action still applies.',
          );
        }
        // The caller was placed before the transaction; its tenant may have joined C since (another of its
        // invitations to C confirmed), which the unique indexes cannot see. Checked after the
        // compare-and-set, which on PostgreSQL waits for such a confirmation still in progress.
        if (
          action === 'Accept' &&
          (await communityRepo.findMembership(trx, invitation.community_id, principal.tenantId)) !== undefined
        ) {
          throw this.refusal('AlreadyMember', state, action);
        }
        for (const effect of decision.effects) {
          if (effect === 'JoinCommunity') {
            await communityRepo.insertMembership(trx, {
              community_id: invitation.community_id,
              tenant_id: joining as string,
              status: 'Active',
              is_owner: 0,
              contact_email: invitation.contact_email,
              community_alias: null,
              joined_at: at,
            });
          } else if (effect === 'MailAcceptedToIssuer') {
            const to = await this.issuerContact(trx, invitation);
            if (to !== null) {
              mail.push(
                acceptedMail({
                  to,
                  communityName: invitation.community_name,
                  acceptedTenantName: (changes.accepted_tenant_name as string | null) ?? 'A tenant',
                  invitationId: invitation.id,
                  apiUrl: `${this.o.publicUrl}/api/v1-preview/communityinvitations/${invitation.id}`,
                }),
              );
            }
          } else if (effect === 'MailConfirmed' || effect === 'MailDeclinedToAccepting') {
            if (invitation.contact_email !== null) {
              const build = effect === 'MailConfirmed' ? confirmedMail : declinedMail;
              mail.push(build({ to: invitation.contact_email, communityName: invitation.community_name }));
            }
          } else if (effect === 'MailInvitation') {
            await this.countInvitationMail(trx, invitation.recipient_key, invitation.issuing_tenant_id);
            const issuer = await findTenant(trx, invitation.issuing_tenant_id);
            mail.push(
              invitationMail({
                to: invitation.recipient,
                communityName: invitation.community_name,
                issuingTenantName: issuer?.name ?? 'A tenant',
                link: this.invitationLink(invitation.id, newToken as string),
                expiresAt: changes.expires_at as string,
                resent: true,
              }),
            );
          }
        }
        return { result: undefined, mail };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw action === 'Accept'
        ? conflict(
            'Your tenant already has an accepted invitation to this community awaiting confirmation.',
            'Wait for the owner to confirm or decline it, or decline it yourself first.',
          )
        : action === 'Confirm'
          ? conflict('The accepting tenant is already a member of the community.', 'Decline this invitation.')
          : conflict(
              'Another pending invitation to this recipient exists for the community.',
              'Use the pending invitation instead.',
            );
    }
    return decision.status;
  }

  private refusal(
    error: 'Forbidden' | 'InvalidState' | 'AlreadyMember',
    state: State,
    action: Action,
  ): AppError {
    if (error === 'Forbidden') {
      const who: Record<Action, string> = {
        Accept: 'a Tenant Administrator of the invited tenant',
        Decline:
          'a Tenant Administrator of the invited tenant, or a Community Administrator of the owning tenant',
        Confirm: 'a Community Administrator of the owning tenant',
        Resend: 'a Community Moderator or Administrator of the owning tenant',
      };
      return forbidden(
        `You may not ${action.toLowerCase()} this invitation: only ${who[action]} may.`,
        'Sign in with an identity that holds that role.',
      );
    }
    if (error === 'AlreadyMember') {
      return conflict(
        'Your tenant is already a member of this community.',
        'Nothing to accept; use the community directly.',
      );
    }
    const { reason, resolution } = explainInvalidState(state, action);
    return conflict(reason, resolution);
  }

  // The invitation page

  /** The invitation a link points to, and whether its token is the current one (Resend supersedes). */
  async byLink(invitationId: string, token: string) {
    const invitation = await repo.findInvitation(this.db, invitationId);
    if (invitation === undefined) return undefined;
    const issuer = await findTenant(this.db, invitation.issuing_tenant_id);
    return {
      invitation,
      issuerName: issuer?.name ?? '',
      state: effectiveState(invitation.state, invitation.expires_at, this.o.clock.now()),
      current: secretMatches(token, invitation.link_token_hash),
    };
  }
}
