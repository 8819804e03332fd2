// The invitation e-mails, in plain text and HTML. Every interpolated value is escaped for HTML; subjects
// are made single-line by the mailer, and recipients are validated addresses.
import type { OutboxMessage } from '../mail/outbox.ts';

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const oneLine = (value: string) => value.replace(/[\r\n\u2028\u2029]+/g, ' ');

function html(title: string, paragraphs: string[], link?: { href: string; label: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const button =
    link === undefined
      ? ''
      : `<p><a href="${escapeHtml(link.href)}" style="display:inline-block;padding:10px 16px;background:#1f5fbf;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(link.label)}</a></p>\n<p style="font-size:12px;color:#555">${escapeHtml(link.href)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:560px;margin:auto;padding:16px;line-height:1.5">
<h1 style="font-size:20px">${escapeHtml(title)}</h1>
${body}
${button}
</body></html>`;
}

const dateText = (iso: string) => new Date(iso).toUTCString();

export function invitationMail(input: {
  to: string;
  communityName: string;
  issuingTenantName: string;
  link: string;
  expiresAt: string;
  resent: boolean;
}): OutboxMessage {
  const community = oneLine(input.communityName);
  const issuer = oneLine(input.issuingTenantName);
  const title = `${issuer} invites you to the community ${community}`;
  const lines = [
    `${issuer} invites your organisation to join the community "${community}".`,
    'Open the link to see the invitation, sign in as a Tenant Administrator of your organisation, and accept or decline it.',
    `The invitation expires on ${dateText(input.expiresAt)}.`,
    ...(input.resent ? ['This invitation was sent again; earlier links to it no longer work.'] : []),
  ];
  return {
    kind: input.resent ? 'invitation-resent' : 'invitation',
    to: input.to,
    subject: `${input.resent ? 'Reminder: ' : ''}${title}`,
    text: `${lines.join('\n\n')}\n\n${input.link}\n`,
    html: html(title, lines, { href: input.link, label: 'Open the invitation' }),
  };
}

export function acceptedMail(input: {
  to: string;
  communityName: string;
  acceptedTenantName: string;
  invitationId: string;
  apiUrl: string;
}): OutboxMessage {
  const community = oneLine(input.communityName);
  const tenant = oneLine(input.acceptedTenantName);
  const title = `${tenant} accepted the invitation to ${community}`;
  const lines = [
    `${tenant} accepted your invitation to join the community "${community}".`,
    `Confirm it to let the tenant in, or decline it if this is not the tenant you expected: PUT ${input.apiUrl} with {"Action": "Confirm"} or {"Action": "Decline"}.`,
  ];
  return {
    kind: 'invitation-accepted',
    to: input.to,
    subject: title,
    text: `${lines.join('\n\n')}\n`,
    html: html(title, lines),
  };
}

export function confirmedMail(input: { to: string; communityName: string }): OutboxMessage {
  const community = oneLine(input.communityName);
  const title = `Your organisation joined the community ${community}`;
  const lines = [
    `The invitation was confirmed: your organisation is now an active member of the community "${community}".`,
    'A Community Administrator of your tenant can now add your users to the community.',
  ];
  return {
    kind: 'invitation-confirmed',
    to: input.to,
    subject: title,
    text: `${lines.join('\n\n')}\n`,
    html: html(title, lines),
  };
}

export function declinedMail(input: { to: string; communityName: string }): OutboxMessage {
  const community = oneLine(input.communityName);
  const title = `The invitation to ${community} was declined`;
  const lines = [
    `The community's owner declined your organisation's acceptance of the invitation to "${community}".`,
    'If you expected to join, contact the community’s owner for a new invitation.',
  ];
  return {
    kind: 'invitation-declined',
    to: input.to,
    subject: title,
    text: `${lines.join('\n\n')}\n`,
    html: html(title, lines),
  };
}
