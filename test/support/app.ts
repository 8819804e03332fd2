// Builds the real app on a real store (SQLite file or a fresh PostgreSQL database) for HTTP-level tests,
// with a movable clock and fixture builders that go through the public API.
import { after, before, describe } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { openStore, type Store } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { Mailer } from '../../src/mail/mailer.ts';
import { type Engine, testDatabaseConfig, testEngines } from './engines.ts';
import { type MemoryMailer, memoryMailer } from './mail.ts';
import { recordExchangeSecrets, recordSecret, testLogger } from './secrets.ts';

export const OPERATOR = { id: 'operator-client', secret: 'operator-secret-for-tests-0123456789' };

export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** A raw payload (string) sent as is, with the given content type. */
  raw?: string;
  contentType?: string;
}

export interface TenantFixture {
  id: string;
  name: string;
  clientId: string;
  secret: string;
  /** A token of the tenant's first client, which holds Tenant Administrator. */
  token: string;
  roles: Record<string, string>;
}

export interface TestApp {
  engine: Engine;
  app: FastifyInstance;
  store: Store;
  config: Readonly<Config>;
  clock: TestClock;
  /** The mail the app sent (unless the test passed its own mailer). */
  mail: MemoryMailer;
  call(method: Method, url: string, options?: CallOptions): Promise<LightMyRequestResponse>;
  operatorToken(): Promise<string>;
  tokenFor(clientId: string, secret: string): Promise<string>;
  createTenant(name?: string): Promise<TenantFixture>;
  /** A user of the tenant (created through the API) and a token for it, minted with the service key. */
  createUser(
    tenant: TenantFixture,
    options?: { admin?: boolean; email?: string },
  ): Promise<{ id: string; email: string; token: string }>;
  /** Rows in every table, to show that a rejected request changed nothing. */
  snapshot(): Promise<Record<string, unknown[]>>;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestApp(
  engine: Engine,
  options: { env?: Record<string, string>; clock?: TestClock; mailer?: Mailer } = {},
): Promise<TestApp> {
  const database = await testDatabaseConfig(engine);
  const config = loadConfig({
    CONVENE_DATA_DIR: database.dataDir,
    CONVENE_DATABASE_URL:
      database.database.kind === 'sqlite' ? `sqlite:${database.database.path}` : database.database.url,
    CONVENE_PUBLIC_URL: 'http://convene.test',
    CONVENE_OPERATOR_CLIENT_ID: OPERATOR.id,
    CONVENE_OPERATOR_CLIENT_SECRET: OPERATOR.secret,
    CONVENE_LOG_LEVEL: 'silent',
    ...options.env,
  });
  const store = openStore(config.database);
  await migrateToLatest(store.db);
  const clock = options.clock ?? new TestClock();
  const mail = memoryMailer();
  const app = await buildApp({
    config,
    store,
    clock,
    // With CONVENE_TEST_LOG_DIR (npm test), the service's logger at level trace into that folder, and the
    // secrets of every exchange recorded there, so that scripts/test.ts can show none reached a log.
    logger: testLogger(),
    mailer: options.mailer ?? mail,
    outboxPollMs: 50,
  });
  recordSecret('operator secret', config.operator?.clientSecret);
  app.addHook('onSend', recordExchangeSecrets);
  await app.ready();

  const call: TestApp['call'] = (method, url, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    let payload: string | undefined;
    if (o.raw !== undefined) {
      payload = o.raw;
      headers['content-type'] = o.contentType ?? 'application/json';
    } else if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  };

  const tokenFor = async (clientId: string, secret: string) => {
    const response = await app.inject({
      method: 'POST',
      url: '/identity/connect/token',
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    if (response.statusCode !== 200) throw new Error(`token: ${response.statusCode} ${response.body}`);
    recordSecret('client secret', secret);
    const token = response.json().access_token as string;
    recordSecret('access token', token);
    return token;
  };

  const operatorToken = () => tokenFor(OPERATOR.id, OPERATOR.secret);

  const createTenant = async (name = `Tenant ${++counter}`): Promise<TenantFixture> => {
    const response = await call('POST', '/api/v1/Tenants', {
      token: await operatorToken(),
      body: { Name: name, ContactEmail: `contact${counter}@tenant.test` },
    });
    if (response.statusCode !== 201) throw new Error(`tenant: ${response.statusCode} ${response.body}`);
    const { Tenant, Client } = response.json();
    const token = await tokenFor(Client.ClientId, Client.ClientSecret);
    const rolesResponse = await call('GET', `/api/v1/Tenants/${Tenant.Id}/Roles`, { token });
    const roles: Record<string, string> = {};
    for (const role of rolesResponse.json() as { Name: string; Id: string }[]) roles[role.Name] = role.Id;
    return { id: Tenant.Id, name, clientId: Client.ClientId, secret: Client.ClientSecret, token, roles };
  };

  const { AuthService } = await import('../../src/identity/auth.service.ts');
  const { TokenService } = await import('../../src/identity/token.service.ts');
  const minter = new AuthService(store.db, await TokenService.create(config, clock), clock, config);

  const createUser: TestApp['createUser'] = async (tenant, o = {}) => {
    const email = o.email ?? `user${++counter}@example.test`;
    const body: Record<string, unknown> = { Email: email, GivenName: 'Test', Surname: `User ${counter}` };
    if (o.admin) body.RoleIds = [tenant.roles['Tenant Administrator']];
    const response = await call('POST', `/api/v1/Tenants/${tenant.id}/Users`, { token: tenant.token, body });
    if (response.statusCode !== 201) throw new Error(`user: ${response.statusCode} ${response.body}`);
    const id = response.json().Id as string;
    const token = await minter.tokenFor('user', tenant.id, id);
    recordSecret('access token', token);
    return { id, email, token };
  };

  const snapshot = async () => {
    const tables = [
      'tenants',
      'users',
      'clients',
      'roles',
      'role_assignments',
      'communities',
      'community_tenants',
      'invitations',
      'sign_in_links',
    ] as const;
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      const rows = await store.db.selectFrom(table).selectAll().execute();
      out[table] = rows.map((r) => JSON.stringify(r)).sort();
    }
    // Delivery progress of the outbox moves on its own; what a request changes is which messages exist.
    const outbox = await store.db.selectFrom('outbox').select(['id', 'kind', 'recipient']).execute();
    out.outbox = outbox.map((r) => JSON.stringify(r)).sort();
    return out;
  };

  return {
    engine,
    app,
    store,
    config,
    clock,
    mail,
    call,
    operatorToken,
    tokenFor,
    createTenant,
    createUser,
    snapshot,
    close: async () => {
      await app.close();
      await database.cleanup();
    },
  };
}

/** Runs `suite` once per test engine, each with its own app and store. */
export function describeEachEngine(
  name: string,
  suite: (t: () => TestApp) => void,
  options: { env?: Record<string, string> } = {},
): void {
  for (const engine of testEngines()) {
    describe(`${name} [${engine}]`, () => {
      let testApp: TestApp | undefined;
      before(async () => {
        testApp = await startTestApp(engine, options);
      });
      after(async () => {
        await testApp?.close();
      });
      suite(() => {
        if (testApp === undefined) throw new Error('test app not started');
        return testApp;
      });
    });
  }
}

/** The ErrorResponse shape every non-2xx carries. */
export function assertErrorResponse(
  response: LightMyRequestResponse,
  status: number,
): Record<string, string> {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
  }
  if (response.headers['content-type'] !== 'application/json') {
    throw new Error(`error content-type is ${String(response.headers['content-type'])}`);
  }
  const body = response.json() as Record<string, string>;
  for (const key of ['OperationId', 'Error', 'Reason', 'Resolution']) {
    if (typeof body[key] !== 'string' || body[key] === '')
      throw new Error(`ErrorResponse lacks ${key}: ${response.body}`);
  }
  if (body.OperationId !== response.headers['operation-id'])
    throw new Error('OperationId differs from the header');
  return body;
}
