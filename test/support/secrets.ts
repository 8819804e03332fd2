// The log check of SECURITY.md: "secrets only as hashes, and never logged". When CONVENE_TEST_LOG_DIR is
// set (scripts/test.ts sets it), every test app logs at level trace, with the service's own logger
// options, into a file there, and every secret the service hands the tests is recorded beside the logs.
// After the run, checkLogsForSecrets() looks for each recorded secret in every log file.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { loggerOptions } from '../../src/app.ts';

export type SecretKind =
  | 'client secret'
  | 'operator secret'
  | 'access token'
  | 'invitation link token'
  | 'sign-in link token'
  | 'session cookie'
  | 'CSRF token'
  | 'idempotency key';

const logDir = (): string | undefined => process.env.CONVENE_TEST_LOG_DIR?.trim() || undefined;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Shorter values are test placeholders ("garbage", "a.b.c"), not secrets; ids are not secrets either. */
const MIN_LENGTH = 16;

const recorded = new Set<string>();

/** Records a secret for the log check; a no-op unless CONVENE_TEST_LOG_DIR is set. */
export function recordSecret(kind: SecretKind, value: unknown): void {
  const dir = logDir();
  if (dir === undefined || typeof value !== 'string') return;
  // An Idempotency-Key is often a GUID, and it is the key of the stored (encrypted) response.
  if (value.length < MIN_LENGTH || (GUID.test(value) && kind !== 'idempotency key')) return;
  if (/[\t\n\r]/.test(value)) return;
  const line = `${kind}\t${value}\n`;
  if (recorded.has(line)) return;
  recorded.add(line);
  fs.appendFileSync(path.join(dir, `secrets-${process.pid}.tsv`), line, { mode: 0o600 });
}

/** The one-time tokens of the links in a mail (invitation pages and sign-in). */
export function recordMailSecrets(text: string): void {
  for (const match of text.matchAll(/\/(invitations\/[0-9a-f-]{36}|sign-in)\?token=([A-Za-z0-9_-]+)/gi)) {
    const kind = match[1]?.toLowerCase() === 'sign-in' ? 'sign-in link token' : 'invitation link token';
    recordSecret(kind, match[2]);
  }
}

let appCount = 0;

/**
 * The logger of a test app: the service's own options at level trace, into a file of the log folder; or
 * none when there is no folder (a test run outside scripts/test.ts).
 */
export function testLogger(): FastifyServerOptions['logger'] {
  const dir = logDir();
  if (dir === undefined) return false;
  const fd = fs.openSync(path.join(dir, `app-${process.pid}-${++appCount}.log`), 'a', 0o600);
  // Synchronous writes: nothing is lost when a test process exits right after its last request. The file
  // stays open until the process ends, as a log line may still come while the app closes.
  return { ...loggerOptions('trace'), stream: { write: (line: string) => fs.writeSync(fd, line) } };
}

function recordFromBody(value: unknown, depth = 0): void {
  if (typeof value !== 'object' || value === null || depth > 4) return;
  if (Array.isArray(value)) {
    for (const item of value) recordFromBody(item, depth + 1);
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'ClientSecret' || key === 'Secret') recordSecret('client secret', inner);
    else if (key === 'access_token') recordSecret('access token', inner);
    else recordFromBody(inner, depth + 1);
  }
}

function cookieKind(name: string): SecretKind | undefined {
  if (name.endsWith('convene_session')) return 'session cookie';
  if (name.endsWith('convene_csrf')) return 'CSRF token';
  return undefined;
}

/**
 * An onSend hook for test apps: records the secrets the service hands out in each exchange (a secret in an
 * answer, a cookie it sets), whichever test made it (through TestApp.call, an Agent of the page tests, or
 * app.inject directly). What a test sends is not recorded as such: the fuzz tests send the same made-up
 * values in the URL, which is logged, and as credentials. Real credentials a test sends were handed out
 * by the service, and so are recorded already; an Idempotency-Key, the one secret a client makes up, is
 * recorded once the service accepted it (2xx) if it has the variety of a real key.
 */
export async function recordExchangeSecrets(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  if (logDir() === undefined) return payload;
  const idempotencyKey = request.headers['idempotency-key'];
  if (reply.statusCode < 300 && typeof idempotencyKey === 'string' && new Set(idempotencyKey).size >= 8) {
    recordSecret('idempotency key', idempotencyKey);
  }
  const setCookie = reply.getHeader('set-cookie');
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [String(setCookie)];
  for (const line of cookies) {
    const pair = line.split(';')[0] ?? '';
    const at = pair.indexOf('=');
    const kind = cookieKind(pair.slice(0, at).trim());
    if (kind !== undefined) recordSecret(kind, pair.slice(at + 1).trim());
  }
  if (typeof payload === 'string' && /^\s*[[{]/.test(payload)) {
    try {
      recordFromBody(JSON.parse(payload));
    } catch {
      // Not JSON after all: nothing to record.
    }
  }
  return payload;
}

// The check, run by scripts/test.ts once the tests have finished.

export interface LogCheck {
  /** One line per leak: the log file, the line and the kind of secret, never the secret itself. */
  leaks: string[];
  logFiles: number;
  logBytes: number;
  requestLines: number;
  secrets: Map<SecretKind | string, number>;
}

interface Secret {
  kind: string;
  value: string;
}

const TAIL = MIN_LENGTH;
// Every character a recorded secret may hold (base64url, JWT, the test operator secret).
const RUN = /[A-Za-z0-9._~+/=%-]{16,}/g;

function readSecrets(dir: string): Secret[] {
  const out = new Map<string, Secret>();
  for (const file of fs.readdirSync(dir).filter((f) => /^secrets-\d+\.tsv$/.test(f))) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const tab = line.indexOf('\t');
      if (tab <= 0) continue;
      const secret = { kind: line.slice(0, tab), value: line.slice(tab + 1) };
      out.set(secret.value, secret);
      // A JWT leaked in part is still a leak: its signature is searched for on its own too.
      const parts = secret.value.split('.');
      const signature = parts[2];
      if (parts.length === 3 && signature !== undefined && signature.length >= MIN_LENGTH) {
        out.set(signature, { kind: `${secret.kind} (its signature)`, value: signature });
      }
    }
  }
  return [...out.values()];
}

export function checkLogsForSecrets(dir: string): LogCheck {
  const secrets = readSecrets(dir);
  const byTail = new Map<string, Secret[]>();
  const counts = new Map<string, number>();
  for (const secret of secrets) {
    const tail = secret.value.slice(-TAIL);
    byTail.set(tail, [...(byTail.get(tail) ?? []), secret]);
    counts.set(secret.kind, (counts.get(secret.kind) ?? 0) + 1);
  }

  const result: LogCheck = { leaks: [], logFiles: 0, logBytes: 0, requestLines: 0, secrets: counts };
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    result.logFiles++;
    result.logBytes += Buffer.byteLength(text);
    result.requestLines += text.match(/"msg":"request completed"/g)?.length ?? 0;
    // Found secrets by offset in the file; lines are counted only when there is something to report.
    const found: { at: number; kind: string }[] = [];
    for (const run of text.matchAll(RUN)) {
      const value = run[0];
      for (let end = TAIL; end <= value.length; end++) {
        for (const secret of byTail.get(value.slice(end - TAIL, end)) ?? []) {
          const start = end - secret.value.length;
          if (start >= 0 && value.slice(start, end) === secret.value) {
            found.push({ at: (run.index ?? 0) + start, kind: secret.kind });
          }
        }
      }
    }
    if (found.length === 0) continue;
    const lines = text.split('\n');
    const lineStarts: number[] = [];
    let offset = 0;
    for (const line of lines) {
      lineStarts.push(offset);
      offset += line.length + 1;
    }
    const reported = new Set<string>();
    for (const { at, kind } of found) {
      let line = lineStarts.findIndex((startOf) => startOf > at);
      line = line === -1 ? lines.length : line;
      const where = `${path.join(dir, file)}:${line}`;
      if (reported.has(`${where} ${kind}`)) continue;
      reported.add(`${where} ${kind}`);
      let fields = '';
      try {
        fields = `, in a line with the fields ${Object.keys(JSON.parse(lines[line - 1] ?? '')).join(', ')}`;
      } catch {
        // Not a JSON line: the file and line say enough.
      }
      result.leaks.push(`${where}: holds a recorded secret of kind '${kind}'${fields}`);
    }
  }
  return result;
}
