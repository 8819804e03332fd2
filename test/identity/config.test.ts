// loadConfig (CONTRACT §7): the defaults, what each key accepts, and a message naming the key, the value
// and what is accepted for every invalid value. Pure: no store, no app.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from '../../src/config.ts';

const IDP = '3C5B0E8A-7D1F-4E2A-9B6C-0F1E2D3C4B5A';

describe('loadConfig defaults', () => {
  test('an empty environment gives CONTRACT §7’s defaults', () => {
    const config = loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(config.dataDir, path.resolve('./data'));
    assert.deepEqual(config.database, { kind: 'sqlite', path: path.resolve('./data/convene.db') });
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.mailFrom, 'Convene <no-reply@localhost>');
    assert.equal(config.operator, undefined);
    assert.equal(config.invitationTtlMs, 14 * 86_400_000);
    assert.deepEqual(config.trustedIssuers, []);
    assert.equal(config.tokenTtlSeconds, 3600);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.signingKeyFile, path.resolve('./data/signing-key.json'));
  });

  test('blank values count as unset', () => {
    const config = loadConfig({ CONVENE_PORT: '', CONVENE_PUBLIC_URL: '  ', CONVENE_TOKEN_TTL: ' ' });
    assert.equal(config.port, 8080);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8080');
    assert.equal(config.tokenTtlSeconds, 3600);
  });

  test('the configuration is frozen', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
  });

  test('the data folder moves the SQLite file and the signing key with it', () => {
    const config = loadConfig({ CONVENE_DATA_DIR: '/var/lib/convene' });
    assert.equal(config.dataDir, '/var/lib/convene');
    assert.deepEqual(config.database, { kind: 'sqlite', path: '/var/lib/convene/convene.db' });
    assert.equal(config.signingKeyFile, '/var/lib/convene/signing-key.json');
  });
});

describe('loadConfig accepted values', () => {
  test('the public URL defaults to the host and port, IPv6 in brackets', () => {
    assert.equal(
      loadConfig({ CONVENE_HOST: '0.0.0.0', CONVENE_PORT: '9000' }).publicUrl,
      'http://0.0.0.0:9000',
    );
    assert.equal(loadConfig({ CONVENE_HOST: '::1', CONVENE_PORT: '9000' }).publicUrl, 'http://[::1]:9000');
    assert.equal(loadConfig({ CONVENE_HOST: 'convene.internal' }).host, 'convene.internal');
  });

  test('CONVENE_PUBLIC_URL keeps its path and loses trailing slashes', () => {
    assert.equal(
      loadConfig({ CONVENE_PUBLIC_URL: 'https://example.test/convene/' }).publicUrl,
      'https://example.test/convene',
    );
    assert.equal(
      loadConfig({ CONVENE_PUBLIC_URL: 'https://example.test' }).publicUrl,
      'https://example.test',
    );
  });

  test('CONVENE_DATABASE_URL selects PostgreSQL or another SQLite file', () => {
    assert.deepEqual(loadConfig({ CONVENE_DATABASE_URL: 'postgres://u:p@db:5432/convene' }).database, {
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/convene',
    });
    assert.equal(loadConfig({ CONVENE_DATABASE_URL: 'postgresql://db/convene' }).database.kind, 'postgres');
    assert.deepEqual(loadConfig({ CONVENE_DATABASE_URL: 'sqlite:other.db' }).database, {
      kind: 'sqlite',
      path: path.resolve('other.db'),
    });
    assert.deepEqual(loadConfig({ CONVENE_DATABASE_URL: 'sqlite::memory:' }).database, {
      kind: 'sqlite',
      path: ':memory:',
    });
  });

  test('durations take s, m, h and d', () => {
    assert.equal(loadConfig({ CONVENE_INVITATION_TTL: '1s' }).invitationTtlMs, 1000);
    assert.equal(loadConfig({ CONVENE_INVITATION_TTL: '90m' }).invitationTtlMs, 90 * 60_000);
    assert.equal(loadConfig({ CONVENE_INVITATION_TTL: '36h' }).invitationTtlMs, 36 * 3_600_000);
    assert.equal(loadConfig({ CONVENE_INVITATION_TTL: '7d' }).invitationTtlMs, 7 * 86_400_000);
    assert.equal(parseDuration('K', '30s'), 30_000);
  });

  test('trusted issuers: Audience optional, IdentityProviderId lower-cased', () => {
    const config = loadConfig({
      CONVENE_TRUSTED_ISSUERS: JSON.stringify([
        {
          Issuer: 'https://login.example.test/tenant/v2.0',
          IdentityProviderId: IDP,
          Audience: 'api://convene',
        },
        { Issuer: 'http://127.0.0.1:9999', IdentityProviderId: IDP.toLowerCase() },
      ]),
    });
    assert.deepEqual(config.trustedIssuers, [
      {
        issuer: 'https://login.example.test/tenant/v2.0',
        identityProviderId: IDP.toLowerCase(),
        audience: 'api://convene',
      },
      { issuer: 'http://127.0.0.1:9999', identityProviderId: IDP.toLowerCase() },
    ]);
  });

  test('the operator client needs both keys', () => {
    const config = loadConfig({
      CONVENE_OPERATOR_CLIENT_ID: 'ops',
      CONVENE_OPERATOR_CLIENT_SECRET: 'a-secret-of-16-chars',
    });
    assert.deepEqual(config.operator, { clientId: 'ops', clientSecret: 'a-secret-of-16-chars' });
  });

  test('token lifetime, log level, SMTP and sender', () => {
    const config = loadConfig({
      CONVENE_TOKEN_TTL: '301',
      CONVENE_LOG_LEVEL: 'silent',
      CONVENE_SMTP_URL: 'smtps://user:pass@mail.example.test:465',
      CONVENE_MAIL_FROM: 'Ops <ops@example.test>',
    });
    assert.equal(config.tokenTtlSeconds, 301);
    assert.equal(config.logLevel, 'silent');
    assert.equal(config.smtpUrl, 'smtps://user:pass@mail.example.test:465');
    assert.equal(config.mailFrom, 'Ops <ops@example.test>');
    assert.equal(loadConfig({ CONVENE_TOKEN_TTL: '86400' }).tokenTtlSeconds, 86_400);
  });
});

/** [key, invalid value, a pattern the "Expected …" part must match] */
const INVALID: [string, string, RegExp][] = [
  ['CONVENE_HOST', 'local host', /host name or an IP address/],
  ['CONVENE_HOST', 'http://example.test', /host name or an IP address/],
  ['CONVENE_PORT', 'abc', /whole number from 0 to 65535/],
  ['CONVENE_PORT', '-1', /whole number from 0 to 65535/],
  ['CONVENE_PORT', '65536', /whole number from 0 to 65535/],
  ['CONVENE_PORT', '80.5', /whole number from 0 to 65535/],
  ['CONVENE_PUBLIC_URL', 'example.test', /absolute URL/],
  ['CONVENE_PUBLIC_URL', 'ftp://example.test', /absolute URL/],
  ['CONVENE_PUBLIC_URL', 'https://example.test/?tenant=1', /without query, fragment or credentials/],
  ['CONVENE_PUBLIC_URL', 'https://example.test/#top', /without query, fragment or credentials/],
  ['CONVENE_DATABASE_URL', 'mysql://db/convene', /sqlite:PATH.*postgres:\/\//],
  ['CONVENE_DATABASE_URL', 'sqlite:', /sqlite:PATH.*postgres:\/\//],
  ['CONVENE_DATABASE_URL', 'convene.db', /sqlite:PATH.*postgres:\/\//],
  ['CONVENE_SMTP_URL', 'http://mail.example.test', /smtp:, smtps:/],
  ['CONVENE_SMTP_URL', 'mail.example.test:25', /smtp:, smtps:/],
  ['CONVENE_MAIL_FROM', 'no address here', /mailbox/],
  ['CONVENE_MAIL_FROM', 'a@b.test\r\nBcc: x@y.test', /mailbox/],
  ['CONVENE_INVITATION_TTL', '5x', /whole number followed by s, m, h or d/],
  ['CONVENE_INVITATION_TTL', '14', /whole number followed by s, m, h or d/],
  ['CONVENE_INVITATION_TTL', '0s', /at least 1s/],
  ['CONVENE_INVITATION_TTL', '1.5d', /whole number followed by s, m, h or d/],
  ['CONVENE_INVITATION_TTL', '-1d', /whole number followed by s, m, h or d/],
  ['CONVENE_INVITATION_TTL', '99999999999999999999d', /whole number followed by s, m, h or d/],
  ['CONVENE_TRUSTED_ISSUERS', 'not json', /JSON list/],
  ['CONVENE_TRUSTED_ISSUERS', '{}', /JSON list/],
  ['CONVENE_TRUSTED_ISSUERS', '[1]', /JSON list.*entry 1 is not an object/],
  ['CONVENE_TRUSTED_ISSUERS', `[{"IdentityProviderId":"${IDP}"}]`, /JSON list.*entry 1 has no Issuer/],
  [
    'CONVENE_TRUSTED_ISSUERS',
    '[{"Issuer":"https://idp.test","IdentityProviderId":"nope"}]',
    /JSON list.*entry 1 has no IdentityProviderId GUID/,
  ],
  [
    'CONVENE_TRUSTED_ISSUERS',
    `[{"Issuer":"https://idp.test","IdentityProviderId":"${IDP}","Audience":5}]`,
    /JSON list.*entry 1 has an Audience that is not a string/,
  ],
  [
    'CONVENE_TRUSTED_ISSUERS',
    `[{"Issuer":"idp.test","IdentityProviderId":"${IDP}"}]`,
    /JSON list.*entry 1 has an Issuer that is not an absolute http\(s\) URL \("idp.test"\)/,
  ],
  ['CONVENE_TOKEN_TTL', '300', /whole number from 301 to 86400/],
  ['CONVENE_TOKEN_TTL', '86401', /whole number from 301 to 86400/],
  ['CONVENE_TOKEN_TTL', '1h', /whole number from 301 to 86400/],
  ['CONVENE_LOG_LEVEL', 'verbose', /one of fatal, error, warn, info, debug, trace, silent/],
];

describe('loadConfig invalid values', () => {
  for (const [key, value, accepted] of INVALID) {
    test(`${key}=${JSON.stringify(value)} names the key, the value and what is accepted`, () => {
      assert.throws(
        () => loadConfig({ [key]: value }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          const message = (error as Error).message;
          assert.ok(message.includes(key), message);
          assert.ok(message.includes(JSON.stringify(value.trim())) || message.includes(value), message);
          const expected = message.slice(message.indexOf('Expected'));
          assert.match(expected, accepted);
          return true;
        },
      );
    });
  }

  test('an operator id without a secret, or a secret without an id, names the missing key', () => {
    assert.throws(
      () => loadConfig({ CONVENE_OPERATOR_CLIENT_ID: 'ops' }),
      /CONVENE_OPERATOR_CLIENT_SECRET.*both CONVENE_OPERATOR_CLIENT_ID and CONVENE_OPERATOR_CLIENT_SECRET/,
    );
    assert.throws(
      () => loadConfig({ CONVENE_OPERATOR_CLIENT_SECRET: 'a-secret-of-16-chars' }),
      /CONVENE_OPERATOR_CLIENT_ID.*both/,
    );
  });

  test('a short operator secret is refused without printing it', () => {
    assert.throws(
      () => loadConfig({ CONVENE_OPERATOR_CLIENT_ID: 'ops', CONVENE_OPERATOR_CLIENT_SECRET: 'short-secret' }),
      (error: unknown) => {
        const message = (error as Error).message;
        assert.match(message, /CONVENE_OPERATOR_CLIENT_SECRET/);
        assert.match(message, /at least 16 characters/);
        assert.ok(!message.includes('short-secret'), message);
        return true;
      },
    );
  });
});
