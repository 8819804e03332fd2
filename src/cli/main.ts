// `convene`: the operator's command line (CONTRACT §7), same configuration as the service.
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { openStore, type Store } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { AuthService } from '../identity/auth.service.ts';
import { findTenantRoles } from '../identity/identity.repository.ts';
import { toClientCreated, toTenant, toUser } from '../identity/identity.schemas.ts';
import { IdentityService } from '../identity/identity.service.ts';
import type { Principal } from '../identity/principal.ts';
import { TENANT_ROLE_TYPES } from '../identity/roles.ts';
import { TokenService } from '../identity/token.service.ts';

const HELP = `Usage: convene <command> [options]

Commands:
  tenant create --name NAME [--contact-email E]
      Create a tenant with its built-in roles and a first client holding Tenant Administrator.
      Prints {"Tenant": {...}, "Client": {...}} with the client secret (shown this once).
  user create --tenant T --email E [--given-name G] [--surname S] [--admin]
      Create a user of tenant T (with --admin it also holds Tenant Administrator). Prints the User.
  token --tenant T (--user U | --client C)
      Print a bearer access token for that user or client.
  migrate
      Apply pending migrations; exits non-zero on failure.
  help, --help
      Show this text.

Configuration comes from the environment (see .env.example); CONVENE_DATABASE_URL selects the store.`;

class UsageError extends Error {}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required.`);
  return value.trim();
}

/** The command line acts with the operator's authority inside a tenant, as its administrator would. */
const operatorIn = (tenantId: string): Principal => ({
  kind: 'operator',
  id: 'cli',
  tenantId,
  email: null,
  tenantAdmin: true,
  communityRoles: new Map(),
});

async function withStore<T>(action: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = openStore(config.database);
  try {
    await migrateToLatest(store.db);
    return await action(store);
  } finally {
    await store.close();
  }
}

async function run(argv: string[]): Promise<void> {
  const [command, sub] = argv;
  const rest = argv.slice(command === 'tenant' || command === 'user' ? 2 : 1);
  const options = {
    name: { type: 'string' },
    'contact-email': { type: 'string' },
    tenant: { type: 'string' },
    email: { type: 'string' },
    'given-name': { type: 'string' },
    surname: { type: 'string' },
    admin: { type: 'boolean' },
    user: { type: 'string' },
    client: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;

  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(HELP);
    return;
  }
  const { values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const config = loadConfig();

  if (command === 'migrate') {
    const report = await withStore((store) => migrateToLatest(store.db));
    console.log(
      report.applied.length === 0 ? 'Nothing to migrate.' : `Applied: ${report.applied.join(', ')}`,
    );
    return;
  }
  if (command === 'tenant' && sub === 'create') {
    const name = required(values, 'name');
    const created = await withStore((store) =>
      new IdentityService(store.db, systemClock, config.tokenTtlSeconds).createTenant({
        Name: name,
        ...(values['contact-email'] === undefined ? {} : { ContactEmail: values['contact-email'] }),
      }),
    );
    const output = {
      Tenant: toTenant(created.tenant),
      Client: toClientCreated(created.client, created.roleIds, created.secret),
    };
    console.log(JSON.stringify(output, null, 2));
    return;
  }
  if (command === 'user' && sub === 'create') {
    const tenantId = required(values, 'tenant').toLowerCase();
    const email = required(values, 'email');
    const saved = await withStore(async (store) => {
      const roles = await findTenantRoles(store.db, tenantId);
      if (roles.length === 0) throw new UsageError(`Tenant ${tenantId} does not exist.`);
      const admin = roles.find((r) => r.role_type_id === TENANT_ROLE_TYPES.administrator)?.id;
      const identity = new IdentityService(store.db, systemClock, config.tokenTtlSeconds);
      return identity.createUser(operatorIn(tenantId), tenantId, () => ({
        Email: email,
        ...(values['given-name'] === undefined ? {} : { GivenName: values['given-name'] }),
        ...(values.surname === undefined ? {} : { Surname: values.surname }),
        ...(values.admin && admin !== undefined ? { RoleIds: [admin] } : {}),
      }));
    });
    console.log(JSON.stringify(toUser(saved.user, saved.roleIds), null, 2));
    return;
  }
  if (command === 'token') {
    const tenantId = required(values, 'tenant').toLowerCase();
    if ((values.user === undefined) === (values.client === undefined)) {
      throw new UsageError('Give exactly one of --user and --client.');
    }
    const kind = values.user === undefined ? 'client' : 'user';
    const id = (values.user ?? values.client ?? '').toLowerCase();
    const token = await withStore(async (store) => {
      const tokens = await TokenService.create(config, systemClock);
      return new AuthService(store.db, tokens, systemClock, config).tokenFor(kind, tenantId, id);
    });
    console.log(token);
    return;
  }
  throw new UsageError(`Unknown command '${argv.join(' ')}'.`);
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    console.error(`${(error as Error).message}\n\nRun 'convene --help' for usage.`);
    process.exit(2);
  }
  const message = (error as { reason?: string }).reason ?? (error as Error).message ?? String(error);
  console.error(`convene: ${message}`);
  process.exit(1);
});
