// What the chaos scenarios share: the service as a real child process (started, killed with any signal,
// restarted on the same data), a small HTTP client that tells "never sent" from "outcome unknown", the
// public-API fixtures the scenarios build on, and the readers that tie SMTP deliveries to outbox rows.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ReceivedMail } from '../support/mail.ts';

export { freePort } from '../support/net.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const OPERATOR = { id: 'chaos-operator', secret: 'chaos-operator-secret-0123456789' };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `ms` naming `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// Every child started here is killed when this process exits, whatever way it exits, so a failed
// assertion or an interrupted run never leaves a server holding a port or a database.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface ServiceSpec {
  name: string;
  port: number;
  /** CONVENE_* settings; the parent's own CONVENE_* variables are never inherited. */
  env: Record<string, string>;
}

/** One run of `node --import tsx src/server.ts`; `restart()` starts it again with the same settings. */
export class ServiceProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private log: string[] = [];
  private logSize = 0;

  private constructor(readonly spec: ServiceSpec) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the process; call ready() to wait until it serves. */
  static spawn(spec: ServiceSpec): ServiceProcess {
    const service = new ServiceProcess(spec);
    service.launch();
    return service;
  }

  private launch(): void {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONVENE_')) env[key] = value;
    Object.assign(env, this.spec.env, { CONVENE_HOST: '127.0.0.1', CONVENE_PORT: String(this.spec.port) });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const keep = (chunk: Buffer) => {
      // The tail of the output, for the failure message; the whole of it could be megabytes.
      this.log.push(chunk.toString('utf8'));
      this.logSize += chunk.length;
      while (this.logSize > 64 * 1024 && this.log.length > 1) this.logSize -= this.log.shift()?.length ?? 0;
      this.onOutput?.(chunk.toString('utf8'));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.on('exit', () => {
        children.delete(child);
        resolve();
      }),
    );
    this.child = child;
  }

  /** Called with every chunk the process writes (its JSON log lines). */
  onOutput?: (text: string) => void;

  output(): string {
    return this.log.join('');
  }

  /** Waits until /health/ready answers 200; fails early if the process exits. */
  async ready(ms = 60_000): Promise<void> {
    let gone = false;
    void this.exited?.then(() => {
      gone = true;
    });
    await until(
      `${this.spec.name} to serve on ${this.url}`,
      async () => {
        if (gone) throw new Error(`${this.spec.name} exited during start:\n${this.output()}`);
        const status = await probe(`${this.url}/health/ready`);
        return status === 200 ? true : undefined;
      },
      ms,
    );
  }

  /** Sends `signal` and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** Starts the process again with the same settings (same port, data and store). */
  async restart(ms?: number): Promise<void> {
    await this.kill('SIGKILL');
    this.launch();
    await this.ready(ms);
  }
}

function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', () => resolve(undefined));
    request.on('timeout', () => request.destroy());
  });
}

export interface Reply {
  status: number;
  body: string;
  json<T = unknown>(): T;
}

/**
 * A request that got no reply. `sent` is false only when the connection was refused (the server cannot
 * have seen the request); otherwise the outcome is unknown and the caller must find out what happened.
 */
export class NoReply extends Error {
  constructor(
    readonly sent: boolean,
    cause: unknown,
  ) {
    super(`no reply (${sent ? 'outcome unknown' : 'not sent'}): ${(cause as Error)?.message ?? cause}`);
  }
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  form?: Record<string, string>;
}

/** A keep-alive HTTP client for one base URL; `reset()` drops its connections (after a kill). */
export class Client {
  private agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(readonly base: string) {}

  reset(): void {
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  close(): void {
    this.agent.destroy();
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    let payload: string | undefined;
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.form !== undefined) {
      payload = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    return new Promise((resolve, reject) => {
      const request = http.request(
        `${this.base}${path}`,
        { method, headers, agent: this.agent, timeout: 60_000 },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('error', (error) => reject(new NoReply(true, error)));
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, body, json: () => JSON.parse(body) });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error('request timed out')));
      request.on('error', (error: NodeJS.ErrnoException) =>
        reject(new NoReply(error.code !== 'ECONNREFUSED', error)),
      );
      request.end(payload);
    });
  }
}

// Fixtures through the public API (CONTRACT §2, §6, §7).

export interface Tenant {
  id: string;
  name: string;
  clientId: string;
  secret: string;
  /** A token of the tenant's first client, which holds Tenant Administrator. */
  token: string;
}

export interface Community {
  id: string;
  name: string;
  owner: Tenant;
  /** The owner's contact for C: the issuer notifications (invitation-accepted) go there. */
  contactEmail: string;
}

function expect(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status)
    throw new Error(`${what}: expected ${status}, got ${reply.status} ${reply.body}`);
  return reply;
}

export async function token(client: Client, clientId: string, secret: string): Promise<string> {
  const reply = await client.request('POST', '/identity/connect/token', {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
  });
  return expect(reply, 200, 'token').json<{ access_token: string }>().access_token;
}

export async function createTenant(client: Client, operatorToken: string, name: string): Promise<Tenant> {
  const reply = await client.request('POST', '/api/v1/Tenants', {
    token: operatorToken,
    body: { Name: name, ContactEmail: `contact@${name.toLowerCase().replace(/[^a-z0-9]/g, '')}.chaos` },
  });
  const { Tenant, Client: first } = expect(reply, 201, 'tenant').json<{
    Tenant: { Id: string };
    Client: { ClientId: string; ClientSecret: string };
  }>();
  return {
    id: Tenant.Id,
    name,
    clientId: first.ClientId,
    secret: first.ClientSecret,
    token: await token(client, first.ClientId, first.ClientSecret),
  };
}

export async function createCommunity(client: Client, owner: Tenant, name: string): Promise<Community> {
  const contactEmail = `owner.${name.toLowerCase().replace(/[^a-z0-9]/g, '')}@owner.chaos`;
  const reply = await client.request('POST', '/api/v1-preview/Communities', {
    token: owner.token,
    body: { Name: name, ContactEmail: contactEmail },
  });
  return { id: expect(reply, 201, 'community').json<{ Id: string }>().Id, name, owner, contactEmail };
}

export const paths = {
  invitations: (c: string) => `/api/v1-preview/communities/${c}/invitations`,
  invitation: (c: string, i: string) => `/api/v1-preview/communities/${c}/invitations/${i}`,
  process: (i: string) => `/api/v1-preview/communityinvitations/${i}`,
  community: (c: string) => `/api/v1-preview/Communities/${c}`,
};

export interface InvitationWire {
  Id: string;
  State: string;
  Issued: string;
  InvitedTenantId?: string;
  InvitationRecipient?: string;
}

export async function listInvitations(client: Client, community: Community): Promise<InvitationWire[]> {
  const reply = await client.request('GET', `${paths.invitations(community.id)}?count=1000`, {
    token: community.owner.token,
  });
  return expect(reply, 200, 'list invitations').json<InvitationWire[]>();
}

/** The active member tenants of C other than its owner. */
export async function guestMembers(client: Client, community: Community): Promise<Map<string, string>> {
  const reply = await client.request('GET', paths.community(community.id), { token: community.owner.token });
  const tenants = expect(reply, 200, 'community').json<{
    Tenants: { Id: string; IsOwner: boolean; Status: string }[];
  }>().Tenants;
  return new Map(tenants.filter((t) => !t.IsOwner).map((t) => [t.Id, t.Status]));
}

// Mail: outbox rows and SMTP deliveries are tied together by the Message-ID (the outbox row's id), and to
// an invitation by what the message carries.

export const MAIL_KINDS = [
  'invitation',
  'invitation-resent',
  'invitation-accepted',
  'invitation-confirmed',
  'invitation-declined',
] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

/** The contact e-mail an accepting tenant gives: it names the invitation, so the mail sent to it does too. */
export const contactFor = (invitationId: string, guestIndex: number) =>
  `c.${invitationId}.g${guestIndex}@guest.chaos`;

const ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const LINK = new RegExp(`/invitations/(${ID})\\?token=`);
const API = new RegExp(`/communityinvitations/(${ID})`);
const CONTACT = new RegExp(`^c\\.(${ID})\\.g\\d+@guest\\.chaos$`);

/** The invitation an outbox row is about (undefined when the row cannot be placed: a failure). */
export function invitationOfMail(row: { kind: string; recipient: string; text_body: string }) {
  const match =
    row.kind === 'invitation' || row.kind === 'invitation-resent'
      ? LINK.exec(row.text_body)
      : row.kind === 'invitation-accepted'
        ? API.exec(row.text_body)
        : CONTACT.exec(row.recipient);
  return match?.[1];
}

/** The Message-ID of a received message, without its angle brackets and domain: the outbox row id. */
export function messageIdOf(mail: ReceivedMail): string | undefined {
  const head = mail.raw.slice(0, Math.max(0, mail.raw.indexOf('\r\n\r\n')));
  const match = /^message-id:\s*<([^@>]+)@[^>]*>/im.exec(head);
  return match?.[1];
}

/** How many times each outbox row id arrived at the sink, and the arrivals that name no row at all. */
export function deliveries(received: readonly ReceivedMail[]): {
  byId: Map<string, number>;
  unnamed: number;
} {
  const byId = new Map<string, number>();
  let unnamed = 0;
  for (const mail of received) {
    const id = messageIdOf(mail);
    if (id === undefined) unnamed++;
    else byId.set(id, (byId.get(id) ?? 0) + 1);
  }
  return { byId, unnamed };
}

/**
 * Waits until every outbox row is marked sent. A slow box only slows the drain down; what fails is a
 * drain that makes no progress for `stallMs` (a message stuck behind a lease, a worker that stopped).
 */
export async function drain(rows: () => Promise<{ id: string; sent_at: string | null }[]>, stallMs = 30_000) {
  let left = Number.POSITIVE_INFINITY;
  let progressAt = Date.now();
  for (;;) {
    const unsent = (await rows()).filter((r) => r.sent_at === null);
    if (unsent.length === 0) return true;
    if (unsent.length < left) {
      left = unsent.length;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > stallMs) {
      throw new Error(
        `the outbox stopped draining: ${unsent.length} messages unsent for ${stallMs} ms (${unsent
          .slice(0, 5)
          .map((r) => r.id)
          .join(', ')}${unsent.length > 5 ? ', …' : ''})`,
      );
    }
    await sleep(200);
  }
}

/** Counts by key. */
export function tally<K>(items: Iterable<K>): Map<K, number> {
  const counts = new Map<K, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}
