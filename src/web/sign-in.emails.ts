// The sign-in e-mail: one link per tenant user the address belongs to, each naming its tenant.
import type { OutboxMessage } from '../mail/outbox.ts';
import { html } from './html.ts';

const oneLine = (value: string) => value.replace(/[\r\n\u2028\u2029]+/g, ' ');

export function signInMail(input: {
  to: string;
  links: { tenantName: string; url: string }[];
  validMinutes: number;
}): OutboxMessage {
  const title = 'Your sign-in link for Convene';
  const intro = `Someone, probably you, asked to sign in to Convene with this address to answer a community invitation. Each link below signs you in once, within ${input.validMinutes} minutes.`;
  const ignore = 'If you did not ask for this, ignore this message: nothing happens without the link.';
  const text = [
    intro,
    ...input.links.map((link) => `As a user of ${oneLine(link.tenantName)}:\n${link.url}`),
    ignore,
  ].join('\n\n');
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:560px;margin:auto;padding:16px;line-height:1.5">
<h1 style="font-size:20px">${title}</h1>
<p>${intro}</p>
${input.links.map(
  (link) =>
    html`<p><a href="${link.url}" style="display:inline-block;padding:10px 16px;background:#1f5fbf;color:#fff;text-decoration:none;border-radius:4px">Sign in as a user of ${oneLine(link.tenantName)}</a></p>
<p style="font-size:12px;color:#555">${link.url}</p>
`,
)}<p>${ignore}</p>
</body></html>`;
  return { kind: 'sign-in-link', to: input.to, subject: title, text: `${text}\n`, html: body.value };
}
