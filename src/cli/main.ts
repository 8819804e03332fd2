// `convene`: the operator's command line (CONTRACT §7), same configuration as the service. This file only
// reads the arguments and the configuration; the commands themselves are loaded after both are valid.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';

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

interface Syntax {
  options: NonNullable<ParseArgsConfig['options']>;
  required: string[];
  /** Exactly one of these options must be given. */
  oneOf?: string[];
}

const SYNTAX: Record<string, Syntax> = {
  'tenant create': {
    options: { name: { type: 'string' }, 'contact-email': { type: 'string' } },
    required: ['name'],
  },
  'user create': {
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      'given-name': { type: 'string' },
      surname: { type: 'string' },
      admin: { type: 'boolean' },
    },
    required: ['tenant', 'email'],
  },
  token: {
    options: { tenant: { type: 'string' }, user: { type: 'string' }, client: { type: 'string' } },
    required: ['tenant'],
    oneOf: ['user', 'client'],
  },
  migrate: { options: {}, required: [] },
};

const given = (value: unknown) => typeof value === 'string' && value.trim() !== '';

async function run(argv: string[]): Promise<void> {
  const [first, second] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    console.log(HELP);
    return;
  }
  const name = second !== undefined && `${first} ${second}` in SYNTAX ? `${first} ${second}` : first;
  const syntax = SYNTAX[name];
  if (syntax === undefined) throw new UsageError(`Unknown command '${argv.join(' ')}'.`);
  const values: Record<string, string | boolean | undefined> = parseArgs({
    args: argv.slice(name.split(' ').length),
    options: { ...syntax.options, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  }).values;
  if (values.help === true) {
    console.log(HELP);
    return;
  }
  for (const option of syntax.required) {
    if (!given(values[option])) throw new UsageError(`--${option} is required.`);
  }
  if (syntax.oneOf !== undefined && syntax.oneOf.filter((o) => given(values[o])).length !== 1) {
    throw new UsageError(`Give exactly one of ${syntax.oneOf.map((o) => `--${o}`).join(' and ')}.`);
  }
  const config = loadConfig();
  const { commands } = await import('./commands.ts');
  await commands[name]?.(values, config);
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n\nRun 'convene --help' for usage.`);
    process.exit(2);
  }
  // A configuration error names the key, the value and what is accepted: that is the whole message.
  const message =
    error instanceof ConfigError
      ? error.message
      : ((error as { reason?: string }).reason ?? (error as Error).message ?? String(error));
  console.error(`convene: ${message}`);
  process.exit(1);
});
