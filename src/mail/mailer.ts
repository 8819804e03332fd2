// The mailer port and its two adapters: SMTP (CONVENE_SMTP_URL) and one .eml file per message in the
// mail folder (the embedded default). Both build the message with nodemailer, which encodes headers, so
// no input can add a header.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * A stable id (the outbox row's), sent as the Message-ID: delivery is at least once, and a message sent
   * again after a crash between the send and its bookkeeping is then recognisably the same message.
   */
  id?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** A subject line can never carry a line break, whatever was interpolated into it. */
const oneLine = (value: string) => value.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();

/** `<id@domain of the sender>`, or nodemailer's random Message-ID when the message has no id. */
function messageId(message: MailMessage, from: string): { messageId?: string } {
  if (message.id === undefined) return {};
  const domain = /@([^\s<>@]+)>?\s*$/.exec(from)?.[1] ?? 'convene.invalid';
  return { messageId: `<${message.id}@${domain}>` };
}

/** How long one SMTP exchange may wait on the server, in milliseconds. */
export interface SmtpTimeouts {
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

// The outbox worker sends a few messages at a time and shutdown waits for those in flight, so a server
// that accepts connections and then says nothing must fail the attempt (to be retried with backoff) within
// a minute or so, not after nodemailer's default of 10 minutes of socket silence. Query parameters of the
// URL (`?socketTimeout=…`) still override these.
const SMTP_TIMEOUTS: SmtpTimeouts = {
  connectionTimeout: 30_000,
  greetingTimeout: 30_000,
  socketTimeout: 60_000,
};

export function smtpMailer(url: string, from: string, timeouts: SmtpTimeouts = SMTP_TIMEOUTS): Mailer {
  // Pooled: the connection stays open between messages (a new one per message, with its greeting and
  // EHLO, limited a worker to a few mails a second; see bench/README.md). `?pool=false` in the URL opts out.
  const transport = nodemailer.createTransport({ url, pool: true, ...timeouts });
  return {
    async send(message) {
      await transport.sendMail({
        from,
        to: message.to,
        subject: oneLine(message.subject),
        text: message.text,
        html: message.html,
        ...messageId(message, from),
      });
    },
    close: () => transport.close(),
  };
}

export function folderMailer(folder: string, from: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      const info = await transport.sendMail({
        from,
        to: message.to,
        subject: oneLine(message.subject),
        text: message.text,
        html: message.html,
        ...messageId(message, from),
      });
      await fs.mkdir(folder, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`;
      await fs.writeFile(path.join(folder, name), info.message as Buffer);
    },
    close: () => transport.close(),
  };
}

export function createMailer(config: { smtpUrl?: string; mailFrom: string; dataDir: string }): Mailer {
  return config.smtpUrl === undefined
    ? folderMailer(path.join(config.dataDir, 'mail'), config.mailFrom)
    : smtpMailer(config.smtpUrl, config.mailFrom);
}
