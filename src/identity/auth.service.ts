// The client-credentials exchange and the resolution of a bearer token to a Principal whose rights are
// read from the store on every request.
import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { sha256 } from '../digest.ts';
import { OAuthError, unauthorized } from '../http/errors.ts';
import * as repo from './identity.repository.ts';
import type { Principal } from './principal.ts';
import { TENANT_ROLE_TYPES } from './roles.ts';
import { secretMatches } from './secrets.ts';
import type { TokenService } from './token.service.ts';

const sameText = (a: string, b: string) => timingSafeEqual(sha256(a), sha256(b));

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly config: Pick<Config, 'operator' | 'tokenTtlSeconds'>,
  ) {}

  /** RFC 6749 §4.4: client credentials. Every failure is an OAuthError. */
  async exchange(
    form: Record<string, unknown>,
    basic?: { id: string; secret: string },
  ): Promise<TokenResponse> {
    const grantType = form.grant_type;
    if (typeof grantType !== 'string' || grantType === '') {
      throw new OAuthError(400, 'invalid_request', 'grant_type is required.');
    }
    if (grantType !== 'client_credentials') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        `grant_type '${grantType}' is not supported; use client_credentials.`,
      );
    }
    const clientId = basic?.id ?? form.client_id;
    const secret = basic?.secret ?? form.client_secret;
    if (typeof clientId !== 'string' || clientId === '' || typeof secret !== 'string' || secret === '') {
      throw new OAuthError(400, 'invalid_request', 'client_id and client_secret are required.');
    }
    const invalidClient = () =>
      new OAuthError(401, 'invalid_client', 'The client id or secret is not valid.');

    const operator = this.config.operator;
    if (operator !== undefined && sameText(clientId, operator.clientId)) {
      if (!sameText(secret, operator.clientSecret)) throw invalidClient();
      const ttl = this.config.tokenTtlSeconds;
      const token = await this.tokens.sign({ kind: 'operator', id: operator.clientId, tenantId: '' }, ttl);
      return { access_token: token, token_type: 'Bearer', expires_in: ttl };
    }

    const client = /^[0-9a-f-]{36}$/i.test(clientId)
      ? await repo.findClientForToken(this.db, clientId.toLowerCase())
      : undefined;
    // Hash the offered secret even for an unknown client, so timing does not reveal which ids exist.
    if (!secretMatches(secret, client?.secret_hash ?? '0'.repeat(64)) || client === undefined)
      throw invalidClient();
    // invalid_client, as IdentityServer (behind ADH) answers: unauthorized_client is about the grant type,
    // and a client that cannot authenticate at all is an authentication failure. Only said after the
    // secret matched, so it reveals nothing to a caller without the secret.
    if (client.enabled !== 1) throw new OAuthError(401, 'invalid_client', 'The client is disabled.');
    if (client.secret_expiration !== null && client.secret_expiration <= this.clock.now().toISOString()) {
      throw new OAuthError(401, 'invalid_client', 'The client secret has expired.');
    }
    const ttl = client.access_token_lifetime;
    const token = await this.tokens.sign({ kind: 'client', id: client.id, tenantId: client.tenant_id }, ttl);
    return { access_token: token, token_type: 'Bearer', expires_in: ttl };
  }

  /** Mints a token for a user or client (the command line's `convene token`). */
  async tokenFor(kind: 'user' | 'client', tenantId: string, id: string): Promise<string> {
    const found =
      kind === 'user'
        ? await repo.findUser(this.db, tenantId, id)
        : await repo.findClient(this.db, tenantId, id);
    if (found === undefined) throw new Error(`No ${kind} ${id} in tenant ${tenantId}.`);
    // authenticate() refuses a disabled client's token, so minting one would only hand out a dud.
    if (kind === 'client' && (found as repo.Client).enabled !== 1) {
      throw new Error(`The client ${id} is disabled.`);
    }
    const ttl =
      kind === 'client' ? (found as repo.Client).access_token_lifetime : this.config.tokenTtlSeconds;
    return this.tokens.sign({ kind, id, tenantId }, ttl);
  }

  /** Resolves `Authorization: Bearer …` to a principal; throws a 401 AppError otherwise. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '') {
      throw unauthorized('The request has no Authorization header.');
    }
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
    if (match === null) throw unauthorized('The Authorization header is not of the form "Bearer <token>".');
    const verified = await this.tokens.verify(match[1] as string);

    if (verified.source === 'own' && verified.kind === 'operator') {
      if (this.config.operator === undefined || verified.subject !== this.config.operator.clientId) {
        throw unauthorized('The operator credential of this token is no longer configured.');
      }
      return {
        kind: 'operator',
        id: verified.subject,
        tenantId: '',
        email: null,
        tenantAdmin: false,
      };
    }

    let kind: 'user' | 'client';
    let tenantId: string;
    let id: string;
    let email: string | null = null;
    // The principal and its tenant-level roles in one query where the token names the principal.
    let roles: { role_type_id: string | null }[] | undefined;
    if (verified.source === 'own') {
      kind = verified.kind as 'user' | 'client';
      tenantId = verified.tenantId;
      id = verified.subject;
      if (kind === 'client') {
        const rows = await repo.clientAccessRows(this.db, tenantId, id);
        const client = rows[0];
        if (client === undefined) throw unauthorized('The client of this token no longer exists.');
        if (client.enabled !== 1) throw unauthorized('The client of this token is disabled.');
        roles = rows;
      } else {
        const rows = await repo.userAccessRows(this.db, tenantId, id);
        const user = rows[0];
        if (user === undefined) throw unauthorized('The user of this token no longer exists.');
        email = user.email ?? user.contact_email;
        roles = rows;
      }
    } else {
      const { identityProviderId, externalUserId, tenantId: tid } = verified;
      // The tenant filter belongs in the query: filtering a bounded result afterwards loses users. A tid
      // naming none of the user's tenants is ignored, since an external provider's tid (Entra ID's, say)
      // is its own tenant, not ours.
      const inTid =
        tid === undefined
          ? []
          : await repo.findUsersByExternalIdentity(this.db, identityProviderId, externalUserId, tid);
      const users =
        inTid.length > 0
          ? inTid
          : await repo.findUsersByExternalIdentity(this.db, identityProviderId, externalUserId);
      if (users.length === 0) throw unauthorized('The signed-in user is not a user of any tenant here.');
      if (users.length > 1) {
        throw unauthorized(
          'The signed-in user belongs to several tenants; the token must carry a tid claim naming one.',
        );
      }
      const user = users[0] as repo.User;
      kind = 'user';
      tenantId = user.tenant_id;
      id = user.id;
      email = user.email ?? user.contact_email;
    }

    roles ??= await repo.tenantRoleTypesOf(this.db, tenantId, id);
    const tenantAdmin = roles.some((row) => row.role_type_id === TENANT_ROLE_TYPES.administrator);
    return { kind, id, tenantId, email, tenantAdmin };
  }
}
