// Access tokens: RS256 JWTs signed with the service's key (generated into the data folder at first start
// unless CONVENE_SIGNING_KEY_FILE names one), and user tokens from trusted external issuers verified
// against their discovered JWKS. A verified token is cached until it expires, because signature checks
// dominate the cost of an authenticated request.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Clock } from '../clock.ts';
import type { Config, TrustedIssuer } from '../config.ts';
import { unauthorized } from '../http/errors.ts';
import type { PrincipalKind } from './principal.ts';

const ALG = 'RS256';
const AUDIENCE = 'convene';
const CLOCK_SKEW_SECONDS = 60;
const CACHE_LIMIT = 10_000;

export type VerifiedToken =
  | { source: 'own'; kind: PrincipalKind; subject: string; tenantId: string; expiresAt: number }
  | {
      source: 'external';
      identityProviderId: string;
      externalUserId: string;
      tenantId?: string;
      email?: string;
      expiresAt: number;
    };

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function loadOrCreateKey(file: string): Promise<SigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read the signing key ${file}: ${(error as Error).message}`);
    }
    const { privateKey } = await generateKeyPair(ALG, { extractable: true, modulusLength: 2048 });
    jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALG, use: 'sig' };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written aside, then linked into place: link() fails when the file exists, so when several processes
    // start at once on a shared folder (the service and `convene token`, say) the first key wins, and no
    // process can read a half-written file.
    const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(temporary, file);
    } catch (linkError) {
      if ((linkError as NodeJS.ErrnoException).code !== 'EEXIST') throw linkError;
      jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
    } finally {
      fs.rmSync(temporary, { force: true });
    }
  }
  if (jwk.kty !== 'RSA' || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string') {
    throw new Error(`The signing key ${file} is not an RSA private JWK with a kid.`);
  }
  const privateKey = (await importJWK(jwk, ALG)) as CryptoKey;
  const { kty, n, e, kid } = jwk;
  return { kid, privateKey, publicJwk: { kty, n, e, kid, alg: ALG, use: 'sig' } };
}

/** After a failed discovery, how long tokens of that issuer are refused without asking it again. */
const DISCOVERY_RETRY_MS = 30_000;

interface ExternalIssuer extends TrustedIssuer {
  keys?: JWTVerifyGetKey;
  /** The discovery in flight, shared by concurrent requests. */
  discovering?: Promise<JWTVerifyGetKey>;
  /** After a failure: not before this time (service clock, ms) is discovery tried again, and why it failed. */
  retry?: { at: number; error: unknown };
}

export class TokenService {
  readonly issuer: string;
  private readonly cache = new Map<string, VerifiedToken>();
  private readonly external: Map<string, ExternalIssuer>;
  private ownKey?: CryptoKey;

  private constructor(
    private readonly key: SigningKey,
    private readonly clock: Clock,
    config: Pick<Config, 'publicUrl' | 'trustedIssuers'>,
  ) {
    this.issuer = `${config.publicUrl}/identity`;
    this.external = new Map(config.trustedIssuers.map((t) => [t.issuer.replace(/\/+$/, ''), { ...t }]));
  }

  static async create(
    config: Pick<Config, 'publicUrl' | 'trustedIssuers' | 'signingKeyFile'>,
    clock: Clock,
  ): Promise<TokenService> {
    return new TokenService(await loadOrCreateKey(config.signingKeyFile), clock, config);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.key.publicJwk] };
  }

  async sign(
    subject: { kind: PrincipalKind; id: string; tenantId: string },
    ttlSeconds: number,
  ): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ tid: subject.tenantId, principal_type: subject.kind })
      .setProtectedHeader({ alg: ALG, kid: this.key.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setSubject(subject.id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.key.privateKey);
  }

  /** Verifies a bearer token; throws a 401 AppError with the reason when it is not acceptable. */
  async verify(token: string): Promise<VerifiedToken> {
    const nowMs = this.clock.now().getTime();
    const cached = this.cache.get(token);
    if (cached !== undefined) {
      if (cached.expiresAt * 1000 > nowMs) return cached;
      this.cache.delete(token);
    }
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw unauthorized('The bearer token is not a well-formed JWT.');
    }
    const verified =
      unverified.iss === this.issuer
        ? await this.verifyOwn(token, nowMs)
        : await this.verifyExternal(token, unverified.iss, nowMs);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, verified);
    return verified;
  }

  private async verifyOwn(token: string, nowMs: number): Promise<VerifiedToken> {
    this.ownKey ??= (await importJWK(this.key.publicJwk, ALG)) as CryptoKey;
    const key = this.ownKey;
    const { payload } = await this.check(() =>
      jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: AUDIENCE,
        currentDate: new Date(nowMs),
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp', 'tid'],
      }),
    );
    const kind = payload.principal_type;
    if ((kind !== 'user' && kind !== 'client' && kind !== 'operator') || typeof payload.tid !== 'string') {
      throw unauthorized('The bearer token does not name a principal of this service.');
    }
    return {
      source: 'own',
      kind,
      subject: payload.sub as string,
      tenantId: payload.tid,
      expiresAt: payload.exp as number,
    };
  }

  private async verifyExternal(
    token: string,
    iss: string | undefined,
    nowMs: number,
  ): Promise<VerifiedToken> {
    const issuer = iss === undefined ? undefined : this.external.get(iss.replace(/\/+$/, ''));
    if (issuer === undefined)
      throw unauthorized('The bearer token was issued by an issuer this service does not trust.');
    issuer.keys ??= await this.keysOf(issuer, nowMs);
    const { payload } = await this.check(() =>
      jwtVerify(token, issuer.keys as JWTVerifyGetKey, {
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
        issuer: iss,
        ...(issuer.audience === undefined ? {} : { audience: issuer.audience }),
        currentDate: new Date(nowMs),
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }),
    );
    return {
      source: 'external',
      identityProviderId: issuer.identityProviderId,
      externalUserId: payload.sub as string,
      ...(typeof payload.tid === 'string' ? { tenantId: payload.tid.toLowerCase() } : {}),
      ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
      expiresAt: payload.exp as number,
    };
  }

  /**
   * The issuer's keys, discovered once. The issuer of a token is read before its signature is checked, so
   * anyone can send tokens naming a trusted issuer: while its discovery fails, one request every 30 s asks
   * it again (shared by all requests meanwhile), rather than one per token received.
   */
  private async keysOf(issuer: ExternalIssuer, nowMs: number): Promise<JWTVerifyGetKey> {
    if (issuer.retry !== undefined && nowMs < issuer.retry.at) throw issuer.retry.error;
    issuer.discovering ??= this.discoverKeys(issuer.issuer).finally(() => {
      issuer.discovering = undefined;
    });
    try {
      const keys = await issuer.discovering;
      issuer.retry = undefined;
      return keys;
    } catch (error) {
      issuer.retry = { at: nowMs + DISCOVERY_RETRY_MS, error };
      throw error;
    }
  }

  private async discoverKeys(issuer: string): Promise<JWTVerifyGetKey> {
    const base = issuer.replace(/\/+$/, '');
    try {
      const response = await fetch(`${base}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`discovery answered ${response.status}`);
      const document = (await response.json()) as { jwks_uri?: unknown };
      if (typeof document.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
      return createRemoteJWKSet(new URL(document.jwks_uri));
    } catch (error) {
      throw unauthorized(
        `The keys of the issuer ${base} could not be fetched (${(error as Error).message}).`,
      );
    }
  }

  private async check<T>(verify: () => Promise<T>): Promise<T> {
    try {
      return await verify();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const reason =
        code === 'ERR_JWT_EXPIRED'
          ? 'The bearer token has expired.'
          : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
            ? `The bearer token's claims are not acceptable (${(error as Error).message}).`
            : 'The bearer token signature or algorithm is not valid.';
      throw unauthorized(reason);
    }
  }
}
