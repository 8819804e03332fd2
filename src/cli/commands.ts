// The commands of `convene`, loaded only once the arguments and the configuration are known to be valid,
// so that `--help` and usage errors answer without loading the store drivers.
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { openStore, type Store } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { AuthService } from '../identity/auth.service.ts';
import { findTenantRoles } from '../identity/identity.repository.ts';
import { toClientCreated, toTenant, toUser } from '../identity/identity.schemas.ts';
import { IdentityService } from '../identity/identity.service.ts';
import type { Principal } from '../identity/principal.ts';
import { TENANT_ROLE_TYPES } from '../identity/roles.ts';
import { TokenService } from '../identity/token.service.ts';

/** Option values as parsed; required options are checked by the caller before a command runs. */
export type Values = Record<string, string | boolean | undefined>;
type Run = (values: Values, config: Readonly<Config>) => Promise<void>;

const text = (values: Values, name: string): string | undefined =>
  typeof values[name] === 'string' ? values[name].trim() : undefined;

/** The command line acts with the operator's authority inside a tenant, as its administrator would. */
const operatorIn = (tenantId: string): Principal => ({
  kind: 'operator',
  id: 'cli',
  tenantId,
  email: null,
  tenantAdmin: true,
});

/** Opens the store, brings it up to date (as the service does at start), and always closes it. */
async function withStore<T>(config: Readonly<Config>, action: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(config.database);
  try {
    await migrateToLatest(store.db);
    return await action(store);
  } finally {
    await store.close();
  }
}

/** As the HTTP API answers by default (non-verbose): nulls are omitted. */
const print = (value: unknown) =>
  console.log(JSON.stringify(value, (_key, inner: unknown) => (inner === null ? undefined : inner), 2));

export const commands: Record<string, Run> = {
  async 'tenant create'(values, config) {
    const contactEmail = text(values, 'contact-email');
    const created = await withStore(config, (store) =>
      new IdentityService(store.db, systemClock, config.tokenTtlSeconds).createTenant({
        Name: text(values, 'name') ?? '',
        ...(contactEmail === undefined ? {} : { ContactEmail: contactEmail }),
      }),
    );
    print({
      Tenant: toTenant(created.tenant),
      Client: toClientCreated(created.client, created.roleIds, created.secret),
    });
  },

  async 'user create'(values, config) {
    const tenantId = (text(values, 'tenant') ?? '').toLowerCase();
    const givenName = text(values, 'given-name');
    const surname = text(values, 'surname');
    const saved = await withStore(config, async (store) => {
      const roles = await findTenantRoles(store.db, tenantId);
      if (roles.length === 0) throw new Error(`Tenant ${tenantId} does not exist.`);
      const admin = roles.find((r) => r.role_type_id === TENANT_ROLE_TYPES.administrator)?.id;
      const identity = new IdentityService(store.db, systemClock, config.tokenTtlSeconds);
      return identity.createUser(operatorIn(tenantId), tenantId, () => ({
        Email: text(values, 'email') ?? '',
        ...(givenName === undefined ? {} : { GivenName: givenName }),
        ...(surname === undefined ? {} : { Surname: surname }),
        ...(values.admin === true && admin !== undefined ? { RoleIds: [admin] } : {}),
      }));
    });
    print(toUser(saved.user, saved.roleIds));
  },

  async token(values, config) {
    const tenantId = (text(values, 'tenant') ?? '').toLowerCase();
    const user = text(values, 'user');
    const kind = user === undefined ? 'client' : 'user';
    const id = (user ?? text(values, 'client') ?? '').toLowerCase();
    const token = await withStore(config, async (store) => {
      const tokens = await TokenService.create(config, systemClock);
      return new AuthService(store.db, tokens, systemClock, config).tokenFor(kind, tenantId, id);
    });
    console.log(token);
  },

  async migrate(_values, config) {
    // Not through withStore, which migrates first: the report would then always be empty.
    const store = openStore(config.database);
    try {
      const report = await migrateToLatest(store.db);
      console.log(
        report.applied.length === 0 ? 'Nothing to migrate.' : `Applied: ${report.applied.join(', ')}`,
      );
    } finally {
      await store.close();
    }
  },
};
