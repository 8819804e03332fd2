// The invitation lifecycle of CONTRACT §4 as one pure table: state × action × caller → next state and
// effects, or a named error. The service applies a decision as a compare-and-set in the store.

export const STATES = [
  'InvitationCreated',
  'InvitationAccepted',
  'InvitationDeclined',
  'InvitationExpired',
  'InvitationCompleted',
] as const;
export type State = (typeof STATES)[number];

/** Nothing moves out of these states (Expired can still be resent). */
export const TERMINAL_STATES: readonly State[] = ['InvitationDeclined', 'InvitationCompleted'];

export const ACTIONS = ['Accept', 'Decline', 'Confirm', 'Resend'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * The caller as the table sees it, relative to one invitation:
 * - IssuerAdmin: a Community Administrator of the owning tenant (its Tenant Administrators included);
 * - IssuerModerator: a Community Moderator of the owning tenant who is not an administrator;
 * - IssuerOther: any other principal of the owning tenant;
 * - AcceptingAdmin: a Tenant Administrator of the tenant that accepted the invitation;
 * - MemberAdmin: a Tenant Administrator of another tenant that already belongs to the community;
 * - OutsideAdmin: a Tenant Administrator of any other tenant;
 * - OutsideOther: any other principal of another tenant.
 */
export const CALLERS = [
  'IssuerAdmin',
  'IssuerModerator',
  'IssuerOther',
  'AcceptingAdmin',
  'MemberAdmin',
  'OutsideAdmin',
  'OutsideOther',
] as const;
export type Caller = (typeof CALLERS)[number];

/** A message the transition writes to the outbox in the same transaction. */
export type Effect =
  | 'MailInvitation'
  | 'MailAcceptedToIssuer'
  | 'MailDeclinedToAccepting'
  | 'MailConfirmed'
  | 'JoinCommunity';

export type Decision =
  | { ok: true; next: State; effects: Effect[]; status: 200 | 202 }
  | { ok: false; error: 'Forbidden' | 'InvalidState' | 'AlreadyMember' };

/** Who may ever take each action, whatever the state: anyone else gets 403 (precedence: 403 before 409). */
const MAY_TAKE: Record<Action, readonly Caller[]> = {
  Accept: ['IssuerAdmin', 'AcceptingAdmin', 'MemberAdmin', 'OutsideAdmin'],
  Decline: ['IssuerAdmin', 'AcceptingAdmin', 'MemberAdmin', 'OutsideAdmin'],
  Confirm: ['IssuerAdmin'],
  Resend: ['IssuerAdmin', 'IssuerModerator'],
};

/** The states from which an action can move at all; from any other state it is a 409. */
const FROM: Record<Action, readonly State[]> = {
  Accept: ['InvitationCreated'],
  Decline: ['InvitationCreated', 'InvitationAccepted'],
  Confirm: ['InvitationAccepted'],
  Resend: ['InvitationCreated', 'InvitationExpired'],
};

/** Whether the caller may take some action on an invitation, in some state: if not, any request is a 403. */
export const mayTakeAnyAction = (caller: Caller): boolean =>
  ACTIONS.some((action) => MAY_TAKE[action].includes(caller));

const forbidden = { ok: false, error: 'Forbidden' } as const;
const invalidState = { ok: false, error: 'InvalidState' } as const;

export function decide(state: State, action: Action, caller: Caller): Decision {
  if (!MAY_TAKE[action].includes(caller)) return forbidden;
  if (!FROM[action].includes(state)) return invalidState;
  switch (action) {
    case 'Accept':
      // The owner and existing members are in the community already.
      if (caller === 'IssuerAdmin' || caller === 'MemberAdmin') return { ok: false, error: 'AlreadyMember' };
      return { ok: true, next: 'InvitationAccepted', effects: ['MailAcceptedToIssuer'], status: 202 };
    case 'Decline':
      if (state === 'InvitationCreated') {
        // The owner withdraws an unanswered invitation with DELETE, not Decline.
        if (caller === 'IssuerAdmin') return invalidState;
        return { ok: true, next: 'InvitationDeclined', effects: [], status: 200 };
      }
      if (caller === 'AcceptingAdmin')
        return { ok: true, next: 'InvitationDeclined', effects: [], status: 200 };
      if (caller === 'IssuerAdmin') {
        return { ok: true, next: 'InvitationDeclined', effects: ['MailDeclinedToAccepting'], status: 200 };
      }
      return forbidden;
    case 'Confirm':
      return {
        ok: true,
        next: 'InvitationCompleted',
        effects: ['JoinCommunity', 'MailConfirmed'],
        status: 202,
      };
    case 'Resend':
      return { ok: true, next: 'InvitationCreated', effects: ['MailInvitation'], status: 202 };
  }
}

/** The state a reader sees: a Created invitation past its expiry reads as InvitationExpired. */
export function effectiveState(stored: string, expiresAt: string, now: Date | string): State {
  if (stored !== 'InvitationCreated') return stored as State;
  if (expiresAt <= (typeof now === 'string' ? now : now.toISOString())) return 'InvitationExpired';
  return stored as State;
}

const READABLE: Record<State, string> = {
  InvitationCreated: 'waiting for the invited tenant to accept it',
  InvitationAccepted: 'accepted and waiting for the inviting tenant to confirm it',
  InvitationDeclined: 'declined',
  InvitationExpired: 'expired',
  InvitationCompleted: 'completed: the tenant has joined the community',
};

/** Why an action is not possible in a state, and what to do instead: the Reason and Resolution of a 409. */
export function explainInvalidState(state: State, action: Action): { reason: string; resolution: string } {
  const reason = `The invitation is ${state} (${READABLE[state]}), so it cannot be processed with ${action}.`;
  const resolution =
    state === 'InvitationExpired'
      ? 'Ask the inviting tenant to resend the invitation.'
      : state === 'InvitationCreated'
        ? action === 'Confirm'
          ? 'Wait until the invited tenant accepts the invitation.'
          : 'Delete the invitation to withdraw it.'
        : state === 'InvitationAccepted'
          ? 'Confirm or decline the accepted invitation.'
          : 'Create a new invitation if the tenant should still join.';
  return { reason, resolution };
}
