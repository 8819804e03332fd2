// The pages a person opens from an invitation e-mail, rendered on the server. Every value goes through
// the escaping `html` template; there is no script and no inline style (the CSP forbids both).
import type { State } from '../invitations/invitation.lifecycle.ts';
import { html, type SafeHtml } from './html.ts';

export interface Viewer {
  email: string | null;
  tenantId: string;
  tenantName: string;
  tenantAdmin: boolean;
}

export interface InvitationFacts {
  id: string;
  /** The token of the link, repeated in every form so each post is checked against the current link. */
  token: string;
  communityName: string;
  issuerName: string;
  recipient: string;
  state: State;
  expiresAt: string;
  acceptedTenantName: string | null;
  invitedTenantId: string | null;
}

export interface Notice {
  kind: 'error' | 'ok' | 'info';
  title: string;
  text: string;
  resolution?: string;
}

export interface PageContext {
  csrf: string;
  viewer?: Viewer;
  /** Where the sign-out button comes back to. */
  here?: string;
  notice?: Notice;
}

export interface Page {
  status: number;
  body: string;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'full',
  timeStyle: 'short',
  timeZone: 'UTC',
});

const when = (iso: string) => html`<time datetime="${iso}">${dateFormat.format(new Date(iso))} UTC</time>`;

export const invitationPath = (id: string, token: string) =>
  `/invitations/${id}?token=${encodeURIComponent(token)}`;

function layout(title: string, context: Partial<PageContext>, content: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Convene</title>
<link rel="stylesheet" href="/assets/convene.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
<header class="site"><span class="brand">Convene</span></header>
<main>
${sessionBar(context)}${notice(context.notice)}${content}
</main>
</body>
</html>
`.value;
}

function csrfField(csrf: string) {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

function sessionBar(context: Partial<PageContext>) {
  const viewer = context.viewer;
  if (viewer === undefined || context.csrf === undefined) return '';
  return html`<div class="card session">
<p class="muted">Signed in as <strong>${viewer.email ?? 'a user'}</strong>, user of <strong>${viewer.tenantName}</strong>${viewer.tenantAdmin ? ' (Tenant Administrator)' : ''}.</p>
<form method="post" action="/sign-out">${csrfField(context.csrf)}<input type="hidden" name="returnTo" value="${context.here ?? ''}"><button type="submit" class="link">Sign out</button></form>
</div>
`;
}

function notice(value: Notice | undefined) {
  if (value === undefined) return '';
  return html`<div class="notice ${value.kind}" role="${value.kind === 'error' ? 'alert' : 'status'}">
<p><strong>${value.title}</strong></p>
<p>${value.text}</p>
${value.resolution === undefined ? '' : html`<p>${value.resolution}</p>`}
</div>
`;
}

const STATE_LABEL: Record<State, { text: string; tone: 'ok' | 'warn' | 'bad' }> = {
  InvitationCreated: { text: 'Waiting for an answer', tone: 'warn' },
  InvitationAccepted: { text: 'Accepted, awaiting confirmation', tone: 'warn' },
  InvitationDeclined: { text: 'Declined', tone: 'bad' },
  InvitationExpired: { text: 'Expired', tone: 'bad' },
  InvitationCompleted: { text: 'Completed', tone: 'ok' },
};

function facts(i: InvitationFacts) {
  const label = STATE_LABEL[i.state];
  return html`<dl class="facts">
<dt>Community</dt><dd>${i.communityName}</dd>
<dt>Invited by</dt><dd>${i.issuerName}</dd>
<dt>Sent to</dt><dd>${i.recipient}</dd>
<dt>State</dt><dd><span class="state ${label.tone}" data-state="${i.state}">${label.text}</span></dd>
${i.state === 'InvitationCreated' || i.state === 'InvitationExpired' ? html`<dt>${i.state === 'InvitationExpired' ? 'Expired' : 'Expires'}</dt><dd>${when(i.expiresAt)}</dd>` : ''}
</dl>
`;
}

function signInForm(i: InvitationFacts, csrf: string, email: string | undefined) {
  return html`<h2>Sign in to answer</h2>
<p>Only a Tenant Administrator of your organisation can accept or decline. Enter your e-mail address: if it belongs to a user of an organisation here, we send you a link that signs you in.</p>
<form method="post" action="/invitations/${i.id}/sign-in">
${csrfField(csrf)}<input type="hidden" name="token" value="${i.token}">
<label for="email">Your e-mail address</label>
<input type="email" id="email" name="email" required maxlength="254" autocomplete="email" inputmode="email" value="${email ?? ''}">
<div class="actions"><button type="submit">Send me a sign-in link</button></div>
</form>
`;
}

function answerForms(i: InvitationFacts, context: PageContext & { viewer: Viewer }, contactEmail?: string) {
  const { viewer, csrf } = context;
  const hidden = html`${csrfField(csrf)}<input type="hidden" name="token" value="${i.token}">`;
  return html`<h2>Your answer</h2>
${viewer.tenantAdmin ? '' : html`<p class="notice">Only a Tenant Administrator of your organisation can accept or decline; your user does not hold that role, so the service will refuse. Sign in as a Tenant Administrator, or ask one to open this invitation.</p>`}
<form method="post" action="/invitations/${i.id}/accept">
${hidden}
<label for="contactEmail">Contact e-mail for ${viewer.tenantName} in this community</label>
<input type="email" id="contactEmail" name="contactEmail" required maxlength="254" autocomplete="email" value="${contactEmail ?? viewer.email ?? ''}">
<div class="actions"><button type="submit" name="action" value="accept">Accept the invitation</button></div>
</form>
<form method="post" action="/invitations/${i.id}/decline">
${hidden}
<div class="actions"><button type="submit" class="danger" name="action" value="decline">Decline the invitation</button></div>
</form>
<p class="muted">After you accept, ${i.issuerName} confirms your organisation’s membership and the contact e-mail is told.</p>
`;
}

/** The invitation page in its current state. */
export function invitationPage(
  i: InvitationFacts,
  context: PageContext,
  form: { email?: string; contactEmail?: string } = {},
  status = 200,
): Page {
  const { viewer } = context;
  const title = `${i.issuerName || 'A tenant'} invites your organisation to ${i.communityName}`;
  let next: SafeHtml;
  switch (i.state) {
    case 'InvitationCreated':
      next =
        viewer === undefined
          ? signInForm(i, context.csrf, form.email)
          : answerForms(i, { ...context, viewer }, form.contactEmail);
      break;
    case 'InvitationAccepted': {
      const who = i.acceptedTenantName ?? 'The invited organisation';
      const mine = viewer !== undefined && viewer.tenantId === i.invitedTenantId;
      next = html`<p>${who} accepted this invitation. ${i.issuerName || 'The inviting tenant'} must now confirm it; the contact e-mail given at acceptance will receive a message when it does.</p>
${
  mine
    ? html`<form method="post" action="/invitations/${i.id}/decline">${csrfField(context.csrf)}<input type="hidden" name="token" value="${i.token}">
<div class="actions"><button type="submit" class="danger">Withdraw the acceptance</button></div>
</form>`
    : ''
}`;
      break;
    }
    case 'InvitationDeclined':
      next = html`<p>This invitation was declined, so nothing more can be done with it.</p>
<p>If your organisation should still join ${i.communityName}, ask ${i.issuerName || 'the inviting tenant'} for a new invitation.</p>`;
      break;
    case 'InvitationCompleted':
      next = html`<p>${i.acceptedTenantName ?? 'The invited organisation'} is now an active member of ${i.communityName}. Nothing more is needed here.</p>
<p>A Community Administrator of the organisation can now add its users to the community.</p>`;
      break;
    case 'InvitationExpired':
      next = html`<p>This invitation expired before it was answered.</p>
<p>Ask ${i.issuerName || 'the inviting tenant'} to resend it: you will receive a new e-mail with a new link, valid for another period.</p>`;
      break;
  }
  return {
    status,
    body: layout(
      title,
      context,
      html`<div class="card">
<h1>${title}</h1>
${facts(i)}${next}
</div>
`,
    ),
  };
}

function messagePage(
  status: number,
  title: string,
  paragraphs: (string | SafeHtml)[],
  context: Partial<PageContext> = {},
): Page {
  return {
    status,
    body: layout(
      title,
      context,
      html`<div class="card">
<h1>${title}</h1>
${paragraphs.map((p) => html`<p>${p}</p>\n`)}</div>
`,
    ),
  };
}

export const supersededPage = (context: Partial<PageContext>, status = 200) =>
  messagePage(
    status,
    'This link has been replaced',
    [
      'The invitation was sent again, so a newer e-mail with a new link went to its recipient, and this link no longer works.',
      'Open the link in the most recent invitation e-mail. If you cannot find it, ask the inviting tenant to resend the invitation.',
    ],
    context,
  );

export const notFoundPage = (context: Partial<PageContext> = {}) =>
  messagePage(
    404,
    'Invitation not found',
    [
      'There is no invitation at this link. It may have been cut short: copy the whole link from the e-mail, including everything after “?token=”.',
      'The invitation may also have been withdrawn. Ask the inviting tenant to send a new one.',
    ],
    context,
  );

export const checkMailPage = (email: string, backTo: string, context: Partial<PageContext>) =>
  messagePage(
    200,
    'Check your e-mail',
    [
      html`If <strong>${email}</strong> belongs to a user of an organisation here, we have sent a sign-in link to it.`,
      'The link works once, within 15 minutes. Open it in this browser; it brings you back to the invitation.',
      html`No e-mail after a few minutes? Check the address and your spam folder, then <a href="${backTo}">go back to the invitation</a> and ask again.`,
    ],
    context,
  );

const LINK_PROBLEM = {
  used: ['This sign-in link has already been used', 'Each sign-in link works only once.'],
  expired: ['This sign-in link has expired', 'A sign-in link works for 15 minutes after it was sent.'],
  unknown: [
    'This sign-in link is not valid',
    'The link may have been cut short: copy the whole link from the e-mail.',
  ],
} as const;

export const signInLinkProblemPage = (reason: keyof typeof LINK_PROBLEM) =>
  messagePage(reason === 'unknown' ? 404 : 410, LINK_PROBLEM[reason][0], [
    LINK_PROBLEM[reason][1],
    'Open the invitation from its e-mail again and ask for a new sign-in link there.',
  ]);

export const signedInPage = (context: Partial<PageContext>) =>
  messagePage(200, 'You are signed in', ['Open the invitation from its e-mail to answer it.'], context);

export const signedOutPage = () =>
  messagePage(200, 'You are signed out', ['Open the invitation from its e-mail to sign in again.']);

export const forbiddenFormPage = (context: Partial<PageContext>) =>
  messagePage(
    403,
    'The form could not be accepted',
    [
      'It was not sent from this site, or the page was open for too long and its security token no longer matches.',
      'Go back, reload the page and send the form again.',
    ],
    context,
  );

export const errorPage = (status: number, title: string, reason: string, resolution: string) =>
  messagePage(status, title, [reason, resolution]);
