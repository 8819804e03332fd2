// The `convene` command line (CONTRACT §7), run as an operator runs it: `node bin/convene.js` in the
// repository root, configured by the environment only. Its output is then used against the real app.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/db/database.ts';
import { type TestDatabaseConfig, testDatabaseConfig, testEngines } from '../support/engines.ts';
import { GUID } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any CONVENE_* of the developer's shell, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONVENE_')) out[key] = value;
  return { ...out, ...env };
}

function convene(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/convene.js', ...args],
      { cwd: ROOT, env: cleanEnv(env), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const COMMANDS = ['tenant create', 'user create', 'token', 'migrate', 'help'];

describe('convene help', () => {
  for (const args of [['--help'], ['help'], [], ['-h']]) {
    test(`convene ${args.join(' ')} lists every command and exits 0`, async () => {
      const run = await convene(args, {});
      assert.equal(run.code, 0, run.stderr);
      for (const command of COMMANDS) assert.ok(run.stdout.includes(command), `${command}: ${run.stdout}`);
      for (const option of [
        '--name',
        '--contact-email',
        '--tenant',
        '--email',
        '--admin',
        '--user',
        '--client',
      ]) {
        assert.ok(run.stdout.includes(option), option);
      }
    });
  }

  test('a wrong command line is a usage error (exit 2) that says what is wrong and points to --help', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /Unknown command 'frobnicate'/],
      [['tenant', 'delete'], /Unknown command 'tenant delete'/],
      [['migrate', '--name', 'x'], /Unknown option '--name'/],
      [['token', '--bogus'], /Unknown option '--bogus'/],
      [['tenant', 'create'], /--name is required/],
      [['user', 'create', '--email', 'a@b.test'], /--tenant is required/],
      [['token', '--tenant', 'x'], /exactly one of --user and --client/],
      [['token', '--tenant', 'x', '--user', 'u', '--client', 'c'], /exactly one of --user and --client/],
    ];
    // No configuration is read before the command line is valid: an invalid one does not mask the error.
    const runs = await Promise.all(cases.map(([args]) => convene(args, { CONVENE_PORT: 'abc' })));
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i] as Run;
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /convene --help/);
      assert.equal(run.stdout, '');
    }
  });
});

for (const engine of testEngines()) {
  describe(`convene commands [${engine}]`, () => {
    let database: TestDatabaseConfig;
    let env: Record<string, string>;

    before(async () => {
      database = await testDatabaseConfig(engine);
      // SQLite is the default store: the data folder alone selects it. PostgreSQL needs its URL.
      env = { CONVENE_DATA_DIR: database.dataDir };
      if (database.database.kind === 'postgres') env.CONVENE_DATABASE_URL = database.database.url;
    });
    after(() => database?.cleanup());

    test('migrate applies the migrations once, then has nothing to do', async () => {
      const first = await convene(['migrate'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^Applied: 0001-/);
      if (engine === 'sqlite') assert.ok(existsSync(path.join(database.dataDir, 'convene.db')));
      const second = await convene(['migrate'], env);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /Nothing to migrate/);
    });

    test('tenant create, user create and token give working credentials', async () => {
      const tenantRun = await convene(
        ['tenant', 'create', '--name', 'Cli Tenant', '--contact-email', 'ops@cli.test'],
        env,
      );
      assert.equal(tenantRun.code, 0, tenantRun.stderr);
      const { Tenant, Client, ...rest } = JSON.parse(tenantRun.stdout);
      assert.deepEqual(rest, {});
      assert.match(Tenant.Id, GUID);
      assert.equal(Tenant.Name, 'Cli Tenant');
      assert.equal(Tenant.ContactEmail, 'ops@cli.test');
      assert.equal(Client.ClientId, Client.Id);
      assert.equal(typeof Client.ClientSecret, 'string');
      assert.equal(Client.RoleIds.length, 2);
      assert.equal(Object.values(Client).includes(null), false, 'nulls are omitted, as over HTTP');

      const adminArgs = ['--email', 'ada@cli.test', '--given-name', 'Ada', '--admin'];
      const [userRun, plainRun] = await Promise.all([
        convene(['user', 'create', '--tenant', Tenant.Id, ...adminArgs], env),
        convene(['user', 'create', '--tenant', Tenant.Id, '--email', 'bob@cli.test'], env),
      ]);
      assert.equal(userRun.code, 0, userRun.stderr);
      const user = JSON.parse(userRun.stdout);
      assert.match(user.Id, GUID);
      assert.equal(user.Email, 'ada@cli.test');
      assert.equal(user.GivenName, 'Ada');
      assert.deepEqual([...user.RoleIds].sort(), [...Client.RoleIds].sort(), 'Administrator and Member');

      assert.equal(plainRun.code, 0, plainRun.stderr);
      const plain = JSON.parse(plainRun.stdout);
      assert.equal(plain.RoleIds.length, 1, 'without --admin: Tenant Member only');

      const [clientToken, userToken] = await Promise.all([
        convene(['token', '--tenant', Tenant.Id, '--client', Client.ClientId], env),
        convene(['token', '--tenant', Tenant.Id, '--user', user.Id], env),
      ]);
      assert.equal(clientToken.code, 0, clientToken.stderr);
      assert.equal(userToken.code, 0, userToken.stderr);
      const tokens = { client: clientToken.stdout.trim(), user: userToken.stdout.trim() };
      assert.equal(decodeJwt(tokens.client).sub, Client.ClientId);
      assert.equal(decodeJwt(tokens.user).sub, user.Id);
      // Both token commands started on a folder without a signing key: they raced to create it, one won.
      assert.equal(decodeProtectedHeader(tokens.client).kid, decodeProtectedHeader(tokens.user).kid);
      const keyFile = path.join(database.dataDir, 'signing-key.json');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the private key is readable by its owner only');
      assert.deepEqual(
        readdirSync(database.dataDir).filter((f) => f.endsWith('.tmp')),
        [],
      );

      // The app built on the same configuration (data folder, store, signing key) accepts all of it.
      const config = loadConfig({ ...env, CONVENE_LOG_LEVEL: 'silent' });
      const app = await buildApp({ config, store: openStore(config.database), logger: false });
      try {
        const jwks = (
          await app.inject({ method: 'GET', url: '/identity/.well-known/openid-configuration/jwks' })
        ).json();
        for (const token of Object.values(tokens)) {
          const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
            issuer: `${config.publicUrl}/identity`,
          });
          assert.equal(payload.tid, Tenant.Id);
        }
        const users = await app.inject({
          method: 'GET',
          url: `/api/v1/Tenants/${Tenant.Id}/Users`,
          headers: { authorization: `Bearer ${tokens.client}` },
        });
        assert.equal(users.statusCode, 200, users.body);
        assert.equal(users.headers['total-count'], '2');
        const created = await app.inject({
          method: 'POST',
          url: `/api/v1/Tenants/${Tenant.Id}/Users`,
          headers: { authorization: `Bearer ${tokens.user}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ Email: 'by-ada@cli.test' }),
        });
        assert.equal(created.statusCode, 201, `the --admin user is a Tenant Administrator: ${created.body}`);
        const token = await app.inject({
          method: 'POST',
          url: '/identity/connect/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: Client.ClientId,
            client_secret: Client.ClientSecret,
          }).toString(),
        });
        assert.equal(token.statusCode, 200, 'the printed secret works at the token endpoint');
      } finally {
        await app.close();
      }
    });

    // The reasons come from the services, whatever the store: once is enough.
    if (engine === 'sqlite') {
      test('a command that fails exits 1 with the reason and prints nothing on stdout', async () => {
        const missing = '3c5b0e8a-7d1f-4e2a-9b6c-0f1e2d3c4b5a';
        const cases: [string[], RegExp][] = [
          [
            ['tenant', 'create', '--name', 'X', '--contact-email', 'nope'],
            /ContactEmail 'nope' is not a valid/,
          ],
          [['tenant', 'create', '--name', 'x'.repeat(201)], /Name/],
          [['user', 'create', '--tenant', missing, '--email', 'a@b.test'], /does not exist/],
          [['token', '--tenant', missing, '--client', missing], /No client/],
          [['token', '--tenant', missing, '--user', missing], /No user/],
        ];
        const runs = await Promise.all(cases.map(([args]) => convene(args, env)));
        for (const [i, [args, message]] of cases.entries()) {
          const run = runs[i] as Run;
          assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
          assert.match(run.stderr, message);
          assert.equal(run.stdout, '');
        }
      });
    }
  });
}

describe('convene with an invalid configuration', () => {
  const cases: [string, string, RegExp][] = [
    ['CONVENE_INVITATION_TTL', '5x', /whole number followed by s, m, h or d/],
    ['CONVENE_PORT', 'abc', /whole number from 0 to 65535/],
    ['CONVENE_DATABASE_URL', 'mysql://db/x', /sqlite:PATH/],
  ];
  for (const [key, value, accepted] of cases) {
    test(`${key}=${value} stops the commands with a message naming the key, the value and what is accepted`, async () => {
      const env = { CONVENE_DATA_DIR: '/nonexistent/convene-cli-test', [key]: value };
      const runs = await Promise.all([
        convene(['migrate'], env),
        convene(['tenant', 'create', '--name', 'X'], env),
      ]);
      for (const run of runs) {
        assert.equal(run.code, 1, run.stderr);
        assert.ok(run.stderr.includes(key), run.stderr);
        assert.ok(run.stderr.includes(JSON.stringify(value)), run.stderr);
        assert.match(run.stderr, accepted);
        assert.equal(run.stdout, '');
      }
      assert.equal(existsSync('/nonexistent/convene-cli-test'), false, 'nothing was created');
    });
  }
});
