// The SMTP peer of the write path: a real SMTP server (smtp-server) on loopback in the bench process. It
// keeps only what the checks need: when each message arrived, and its Message-ID (the outbox row id), so
// a message delivered twice is seen.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  /** Arrival times (performance.now()) of every message, in order. */
  arrivals: number[];
  messageIds: Set<string>;
  duplicates: number;
  withoutId: number;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sink: SmtpSink = {
    url: '',
    arrivals: [],
    messageIds: new Set(),
    duplicates: 0,
    withoutId: 0,
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 1000,
    // No reverse DNS lookup of 127.0.0.1 per connection (on a closed network it waits for a timeout).
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      let head = '';
      let inHeaders = true;
      stream.on('data', (chunk: Buffer) => {
        if (!inHeaders) return;
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) {
          head = head.slice(0, end);
          inHeaders = false;
        }
      });
      stream.on('end', () => {
        sink.arrivals.push(performance.now());
        const id = /^message-id:\s*(\S+)/im.exec(head)?.[1];
        if (id === undefined) sink.withoutId++;
        else if (sink.messageIds.has(id)) sink.duplicates++;
        else sink.messageIds.add(id);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A service stopped with its pooled SMTP connection open resets it; not an error of the sink's.
  server.on('error', () => {});
  sink.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}
