// Test mail peers: an in-memory mailer, and a real SMTP server (smtp-server) in the test process.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Mailer, MailMessage } from '../../src/mail/mailer.ts';
import { recordMailSecrets } from './secrets.ts';

export interface MemoryMailer extends Mailer {
  sent: MailMessage[];
  /** Resolves when at least `count` messages have been sent (or rejects after `ms`). */
  waitFor(count: number, ms?: number): Promise<MailMessage[]>;
}

export function memoryMailer(): MemoryMailer {
  const sent: MailMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    sent,
    async send(message) {
      recordMailSecrets(message.text);
      recordMailSecrets(message.html);
      sent.push(message);
      for (const w of waiters.filter((w) => sent.length >= w.count)) w.resolve();
    },
    close() {},
    waitFor(count, ms = 5000) {
      if (sent.length >= count) return Promise.resolve(sent);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${sent.length} of ${count} messages arrived`)),
          ms,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(sent);
          },
        });
      });
    },
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpSink {
  url: string;
  port: number;
  received: ReceivedMail[];
  waitFor(count: number, ms?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 (a free port, or `port` to restart on the same one). */
export async function startSmtpSink(port = 0, received: ReceivedMail[] = []): Promise<SmtpSink> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  // A client that dies with its connection open (the service killed with SIGKILL while its pooled SMTP
  // connection is idle) resets it; smtp-server reports that on the server, and with no listener the test
  // process would throw. A real mail server shrugs it off too.
  server.on('error', () => {});
  const actual = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${actual}`,
    port: actual,
    received,
    waitFor(count, ms = 10_000) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) return resolve(received);
          if (Date.now() - started > ms)
            return reject(new Error(`only ${received.length} of ${count} mails arrived`));
          setTimeout(check, 20);
        };
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
