// Every cell of the lifecycle table (5 states × 4 actions × 7 callers), written out independently of
// the implementation: A = allowed, F = 403, S = 409 (state), M = 409 (already a member).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACTIONS,
  type Action,
  CALLERS,
  decide,
  effectiveState,
  explainInvalidState,
  STATES,
  type State,
} from '../../src/invitations/invitation.lifecycle.ts';

// Callers in order: IssuerAdmin, IssuerModerator, IssuerOther, AcceptingAdmin, MemberAdmin, OutsideAdmin, OutsideOther.
const EXPECTED: Record<State, Record<Action, string>> = {
  InvitationCreated: { Accept: 'MFFAMAF', Decline: 'SFFAAAF', Confirm: 'SFFFFFF', Resend: 'AAFFFFF' },
  InvitationAccepted: { Accept: 'SFFSSSF', Decline: 'AFFAFFF', Confirm: 'AFFFFFF', Resend: 'SSFFFFF' },
  InvitationDeclined: { Accept: 'SFFSSSF', Decline: 'SFFSSSF', Confirm: 'SFFFFFF', Resend: 'SSFFFFF' },
  InvitationExpired: { Accept: 'SFFSSSF', Decline: 'SFFSSSF', Confirm: 'SFFFFFF', Resend: 'AAFFFFF' },
  InvitationCompleted: { Accept: 'SFFSSSF', Decline: 'SFFSSSF', Confirm: 'SFFFFFF', Resend: 'SSFFFFF' },
};

const NEXT: Record<Action, State> = {
  Accept: 'InvitationAccepted',
  Decline: 'InvitationDeclined',
  Confirm: 'InvitationCompleted',
  Resend: 'InvitationCreated',
};

describe('invitation lifecycle table', () => {
  for (const state of STATES) {
    for (const action of ACTIONS) {
      test(`${state} × ${action}`, () => {
        const row = EXPECTED[state][action];
        CALLERS.forEach((caller, i) => {
          const decision = decide(state, action, caller);
          const code = decision.ok
            ? 'A'
            : { Forbidden: 'F', InvalidState: 'S', AlreadyMember: 'M' }[decision.error];
          assert.equal(code, row[i], `${state} × ${action} × ${caller}`);
          if (decision.ok) assert.equal(decision.next, NEXT[action]);
        });
      });
    }
  }

  test('replies and effects of the allowed transitions', () => {
    assert.deepEqual(decide('InvitationCreated', 'Accept', 'OutsideAdmin'), {
      ok: true,
      next: 'InvitationAccepted',
      effects: ['MailAcceptedToIssuer'],
      status: 202,
    });
    assert.deepEqual(decide('InvitationCreated', 'Decline', 'OutsideAdmin'), {
      ok: true,
      next: 'InvitationDeclined',
      effects: [],
      status: 200,
    });
    assert.deepEqual(decide('InvitationAccepted', 'Decline', 'IssuerAdmin'), {
      ok: true,
      next: 'InvitationDeclined',
      effects: ['MailDeclinedToAccepting'],
      status: 200,
    });
    assert.deepEqual(decide('InvitationAccepted', 'Decline', 'AcceptingAdmin'), {
      ok: true,
      next: 'InvitationDeclined',
      effects: [],
      status: 200,
    });
    assert.deepEqual(decide('InvitationAccepted', 'Confirm', 'IssuerAdmin'), {
      ok: true,
      next: 'InvitationCompleted',
      effects: ['JoinCommunity', 'MailConfirmed'],
      status: 202,
    });
    assert.deepEqual(decide('InvitationExpired', 'Resend', 'IssuerModerator'), {
      ok: true,
      next: 'InvitationCreated',
      effects: ['MailInvitation'],
      status: 202,
    });
  });

  test('a Created invitation reads as expired once Expires has passed, and only then', () => {
    const expires = '2026-01-15T00:00:00.000Z';
    assert.equal(
      effectiveState('InvitationCreated', expires, new Date('2026-01-14T23:59:59.999Z')),
      'InvitationCreated',
    );
    assert.equal(effectiveState('InvitationCreated', expires, new Date(expires)), 'InvitationExpired');
    assert.equal(
      effectiveState('InvitationAccepted', expires, new Date('2027-01-01T00:00:00Z')),
      'InvitationAccepted',
    );
    assert.equal(
      effectiveState('InvitationExpired', expires, new Date('2020-01-01T00:00:00Z')),
      'InvitationExpired',
    );
  });

  test('every 409 names the current state and says what to do', () => {
    for (const state of STATES) {
      for (const action of ACTIONS) {
        const { reason, resolution } = explainInvalidState(state, action);
        assert.match(reason, new RegExp(state));
        assert.ok(resolution.length > 10);
      }
    }
  });
});
