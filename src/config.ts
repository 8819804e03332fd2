// The only reader of the environment. Every key of CONTRACT §7 is parsed here once into a frozen object;
// an invalid value stops the start with a message naming the key, the value and what is accepted.
import net from 'node:net';
import path from 'node:path';

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface TrustedIssuer {
  issuer: string;
  identityProviderId: string;
  audience?: string;
}

/** Abuse limits (0: no limit). Counted in the store, so they hold across instances. */
export interface RateLimitConfig {
  tokenPerClientPerMinute: number;
  tokenPerIpPerMinute: number;
  invitationsPerRecipientPerDay: number;
  invitationsPerTenantPerDay: number;
  signInPerEmailPerHour: number;
  signInPerIpPerHour: number;
}

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  database: DatabaseConfig;
  smtpUrl?: string;
  mailFrom: string;
  operator?: { clientId: string; clientSecret: string };
  invitationTtlMs: number;
  trustedIssuers: TrustedIssuer[];
  tokenTtlSeconds: number;
  logLevel: string;
  signingKeyFile: string;
  rateLimits: RateLimitConfig;
}

export class ConfigError extends Error {
  constructor(key: string, value: string, accepted: string) {
    super(`Invalid configuration: ${key}=${JSON.stringify(value)} is not accepted. Expected ${accepted}.`);
    this.name = 'ConfigError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

type Env = Record<string, string | undefined>;

function read(env: Env, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(key, raw, `a whole number from ${min} to ${max}`);
  }
  return value;
}

/** `14d`, `36h`, `90m`, `30s`: a whole number with a unit, at least one second. */
export function parseDuration(key: string, raw: string): number {
  const match = /^(\d+)([smhd])$/.exec(raw);
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : 0;
  if (!match || !Number.isSafeInteger(ms) || ms < 1000) {
    throw new ConfigError(key, raw, 'a whole number followed by s, m, h or d (for example 14d), at least 1s');
  }
  return ms;
}

function url(key: string, raw: string, protocols: string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(key, raw, `an absolute URL (${protocols.join(', ')})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(key, raw, `an absolute URL (${protocols.join(', ')})`);
  }
  return parsed;
}

function database(env: Env, dataDir: string): DatabaseConfig {
  const key = 'CONVENE_DATABASE_URL';
  const accepted = 'sqlite:PATH, or a postgres:// (postgresql://) URL';
  const raw = read(env, key);
  if (raw === undefined) return { kind: 'sqlite', path: path.join(dataDir, 'convene.db') };
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length);
    if (file === '') throw new ConfigError(key, raw, accepted);
    return { kind: 'sqlite', path: file === ':memory:' ? file : path.resolve(file) };
  }
  // One message for every wrong value, so `mysql://…` also learns that sqlite:PATH is an option.
  try {
    url(key, raw, ['postgres:', 'postgresql:']);
  } catch {
    throw new ConfigError(key, raw, accepted);
  }
  return { kind: 'postgres', url: raw };
}

/** Every link and the token issuer are built by appending paths, so a query or fragment would break them. */
function publicUrl(raw: string): string {
  const key = 'CONVENE_PUBLIC_URL';
  const parsed = url(key, raw, ['http:', 'https:']);
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(key, raw, 'an absolute http(s) URL without query, fragment or credentials');
  }
  return parsed.href.replace(/\/+$/, '');
}

const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

function trustedIssuers(env: Env): TrustedIssuer[] {
  const key = 'CONVENE_TRUSTED_ISSUERS';
  const raw = read(env, key);
  if (raw === undefined) return [];
  const accepted = 'a JSON list of {"Issuer": url, "IdentityProviderId": guid, "Audience"?: string}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(key, raw, accepted);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(key, raw, accepted);
  return parsed.map((entry: unknown, index: number) => {
    // The whole value is named (it is what the operator set), with the entry that is wrong.
    const wrong = (what: string) => new ConfigError(key, raw, `${accepted}; entry ${index + 1} ${what}`);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw wrong('is not an object');
    const { Issuer, IdentityProviderId, Audience } = entry as Record<string, unknown>;
    if (typeof Issuer !== 'string') throw wrong('has no Issuer');
    try {
      url(key, Issuer, ['http:', 'https:']);
    } catch {
      throw wrong(`has an Issuer that is not an absolute http(s) URL (${JSON.stringify(Issuer)})`);
    }
    if (typeof IdentityProviderId !== 'string' || !GUID.test(IdentityProviderId)) {
      throw wrong('has no IdentityProviderId GUID');
    }
    if (Audience !== undefined && typeof Audience !== 'string')
      throw wrong('has an Audience that is not a string');
    return {
      issuer: Issuer,
      identityProviderId: IdentityProviderId.toLowerCase(),
      ...(Audience === undefined ? {} : { audience: Audience }),
    };
  });
}

const MAX_LIMIT = 1_000_000;

function rateLimits(env: Env): RateLimitConfig {
  const limit = (key: string, fallback: number) => integer(env, key, fallback, 0, MAX_LIMIT);
  return {
    tokenPerClientPerMinute: limit('CONVENE_RATE_TOKEN_PER_CLIENT_PER_MINUTE', 120),
    tokenPerIpPerMinute: limit('CONVENE_RATE_TOKEN_PER_IP_PER_MINUTE', 600),
    invitationsPerRecipientPerDay: limit('CONVENE_RATE_INVITATIONS_PER_RECIPIENT_PER_DAY', 10),
    invitationsPerTenantPerDay: limit('CONVENE_RATE_INVITATIONS_PER_TENANT_PER_DAY', 500),
    signInPerEmailPerHour: limit('CONVENE_RATE_SIGN_IN_PER_EMAIL_PER_HOUR', 10),
    signInPerIpPerHour: limit('CONVENE_RATE_SIGN_IN_PER_IP_PER_HOUR', 100),
  };
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const host = read(env, 'CONVENE_HOST') ?? '127.0.0.1';
  // Checked here rather than left to listen(), whose error would name neither the key nor the value.
  if (net.isIP(host) === 0 && !HOST_NAME.test(host)) {
    throw new ConfigError('CONVENE_HOST', host, 'a host name or an IP address, such as 127.0.0.1 or ::');
  }
  const port = integer(env, 'CONVENE_PORT', 8080, 0, 65535);
  const publicUrlRaw = read(env, 'CONVENE_PUBLIC_URL');
  const publicUrlValue =
    publicUrlRaw === undefined
      ? `http://${net.isIPv6(host) ? `[${host}]` : host}:${port}`
      : publicUrl(publicUrlRaw);
  const dataDir = path.resolve(read(env, 'CONVENE_DATA_DIR') ?? './data');

  const smtpUrl = read(env, 'CONVENE_SMTP_URL');
  if (smtpUrl !== undefined) url('CONVENE_SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);

  const mailFrom = read(env, 'CONVENE_MAIL_FROM') ?? 'Convene <no-reply@localhost>';
  if (/[\r\n]/.test(mailFrom) || !/@/.test(mailFrom)) {
    throw new ConfigError(
      'CONVENE_MAIL_FROM',
      mailFrom,
      'a mailbox such as "Convene <no-reply@example.com>"',
    );
  }

  const operatorId = read(env, 'CONVENE_OPERATOR_CLIENT_ID');
  const operatorSecret = read(env, 'CONVENE_OPERATOR_CLIENT_SECRET');
  if ((operatorId === undefined) !== (operatorSecret === undefined)) {
    const key = operatorId === undefined ? 'CONVENE_OPERATOR_CLIENT_ID' : 'CONVENE_OPERATOR_CLIENT_SECRET';
    throw new ConfigError(
      key,
      '',
      'both CONVENE_OPERATOR_CLIENT_ID and CONVENE_OPERATOR_CLIENT_SECRET, or neither',
    );
  }
  if (operatorSecret !== undefined && operatorSecret.length < 16) {
    throw new ConfigError('CONVENE_OPERATOR_CLIENT_SECRET', '(hidden)', 'a secret of at least 16 characters');
  }

  const ttlRaw = read(env, 'CONVENE_INVITATION_TTL') ?? '14d';
  const logLevel = read(env, 'CONVENE_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('CONVENE_LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  }

  return Object.freeze({
    host,
    port,
    publicUrl: publicUrlValue,
    dataDir,
    database: database(env, dataDir),
    ...(smtpUrl === undefined ? {} : { smtpUrl }),
    mailFrom,
    ...(operatorId !== undefined && operatorSecret !== undefined
      ? { operator: { clientId: operatorId, clientSecret: operatorSecret } }
      : {}),
    invitationTtlMs: parseDuration('CONVENE_INVITATION_TTL', ttlRaw),
    trustedIssuers: trustedIssuers(env),
    tokenTtlSeconds: integer(env, 'CONVENE_TOKEN_TTL', 3600, 301, 86_400),
    logLevel,
    signingKeyFile: path.resolve(
      read(env, 'CONVENE_SIGNING_KEY_FILE') ?? path.join(dataDir, 'signing-key.json'),
    ),
    rateLimits: Object.freeze(rateLimits(env)),
  });
}
