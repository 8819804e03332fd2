// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on every authenticated POST and on routes
// that opt in with `config.idempotent`. A preHandler claims the key in the store (an insert that only one
// request can win) or answers from it; onSend stores the first 2xx response. A retry with the same key and
// request gets that response again without the work being done again; the same key with another request
// is a 409; a key whose first request still runs is a 409 too. Keys belong to one caller and last 24 hours.
//
// Some first responses carry a secret shown once (a new client's secret), and secrets are kept only as
// hashes: so the stored response is encrypted with a key derived from the Idempotency-Key itself, which
// the store holds only as a digest. Only a caller that still has the key can read it back.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type TObject, type TSchema, Type } from 'typebox';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { sha256Hex } from '../digest.ts';
import type { Principal } from '../identity/principal.ts';
import { AppError, conflict, invalid } from './errors.ts';
import { errors } from './schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honours Idempotency-Key; by default every POST that is not public does. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotencyClaim?: Claim;
  }
}

export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;
/**
 * How long a claim holds while its request runs. A claim older than this belongs to a request whose
 * instance died, and a retry may take it over; requests here finish in well under a second.
 */
export const IDEMPOTENCY_LEASE_MS = 5 * 60_000;
const SWEEP_EVERY_MS = 60_000;
const MAX_KEY_LENGTH = 255;
/** The headers of the first response that a replay repeats; Operation-Id is the retry's own. */
const REPLAYED_HEADERS = ['content-type', 'location', 'cache-control', 'total-count'];
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export const IDEMPOTENCY_KEY_DESCRIPTION =
  'Optional. A unique value chosen by the client (a GUID is ideal; 1–255 visible ASCII characters) that makes the request safe to retry: a retry with the same key and the same request by the same caller answers the first (2xx) response again, with `Idempotent-Replayed: true`, without doing the work again. The same key with a different request is a 409; while the first request still runs, a retry is a 409 with Retry-After. Keys last 24 hours. Failed requests (non-2xx) are not kept: a retry does the work.';

interface Claim {
  principal: string;
  keyHash: string;
  key: string;
  fingerprint: string;
}

interface StoredResponse {
  headers: Record<string, string>;
  /** The body as sent (utf8 text) or base64 for a Buffer; null when there was none. */
  body: string | null;
  base64: boolean;
}

/** JSON with sorted keys, so that the fingerprint does not depend on property order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, inner]) => `${JSON.stringify(k)}:${stableJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The draft sends the key as a structured-field string ("…"); a bare token is accepted too. */
function parseKey(raw: string | string[]): string {
  const value = (Array.isArray(raw) ? (raw.length === 1 ? raw[0] : undefined) : raw)?.trim();
  const key = value !== undefined && /^".*"$/.test(value) ? value.slice(1, -1) : value;
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    throw invalid(
      'The Idempotency-Key header must be one value of 1 to 255 visible ASCII characters.',
      'Send one Idempotency-Key, such as a new GUID for each distinct operation.',
    );
  }
  return key;
}

const principalScope = (principal: Principal) => `${principal.kind}:${principal.id}`;

function cipherKey(key: string, principal: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, principal, 'convene idempotency response', 32));
}

function seal(response: StoredResponse, claim: Claim): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cipherKey(claim.key, claim.principal), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), sealed]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

function open(stored: string, key: string, principal: string): StoredResponse {
  const [version, iv, tag, sealed] = stored.split('.');
  if (version !== 'v1' || iv === undefined || tag === undefined || sealed === undefined) {
    throw new Error('unknown idempotency response format');
  }
  const decipher = createDecipheriv('aes-256-gcm', cipherKey(key, principal), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const text = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]);
  return JSON.parse(text.toString('utf8')) as StoredResponse;
}

function storable(payload: unknown): Pick<StoredResponse, 'body' | 'base64'> | undefined {
  if (payload === undefined || payload === null) return { body: null, base64: false };
  if (typeof payload === 'string') return { body: payload, base64: false };
  if (Buffer.isBuffer(payload)) return { body: payload.toString('base64'), base64: true };
  return undefined; // a stream: not kept
}

const keyReused = () =>
  conflict(
    'This Idempotency-Key was already used for a different request (another body, path or method).',
    'Use a new Idempotency-Key for each distinct operation; resend the first request unchanged to get its response.',
  );

const inProgress = () =>
  new AppError(
    'conflict',
    'A request with this Idempotency-Key is still being processed, or it timed out and its outcome is unknown.',
    'Wait and retry with the same key to get its response; after a timeout, read the resource to see whether the change was made.',
    { headers: { 'Retry-After': '1' } },
  );

export interface IdempotencyOptions {
  db: Db;
  clock: Clock;
}

async function idempotency(app: FastifyInstance, { db, clock }: IdempotencyOptions): Promise<void> {
  let lastSweep = 0;
  const iso = (ms: number) => new Date(ms).toISOString();

  // Every POST that has a caller, and any route that asks: declared in its schema (so in the OpenAPI),
  // with the 400 and 409 the header can cause.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = route.config ?? {};
    if (!(config.idempotent ?? (methods.includes('POST') && config.public !== true))) return;
    route.config = { ...config, idempotent: true };
    const schema = route.schema ?? {};
    route.schema = schema;
    const headers = schema.headers as TObject | undefined;
    schema.headers = Type.Object({
      ...(headers?.properties ?? {}),
      'Idempotency-Key': Type.Optional(Type.String({ description: IDEMPOTENCY_KEY_DESCRIPTION })),
    });
    const response = (schema.response ?? {}) as Record<number, TSchema>;
    schema.response = response;
    const declared = errors(400, 409);
    for (const status of [400, 409]) response[status] ??= declared[status] as TSchema;
  });

  async function claim(
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    key: string,
  ): Promise<FastifyReply | undefined> {
    const scope = principalScope(principal);
    const keyHash = sha256Hex(key);
    const fingerprint = sha256Hex(
      stableJson({
        method: request.method,
        route: request.routeOptions.url,
        params: request.params,
        query: request.query,
        body: request.body,
      }),
    );
    // Twice at most: an expired row found on the first pass is deleted, then claimed on the second.
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = clock.now().getTime();
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({
          principal: scope,
          key_hash: keyHash,
          tenant_id: principal.tenantId === '' ? null : principal.tenantId,
          fingerprint,
          status: null,
          response: null,
          locked_until: iso(now + IDEMPOTENCY_LEASE_MS),
          created_at: iso(now),
          expires_at: iso(now + IDEMPOTENCY_KEY_TTL_MS),
        })
        .onConflict((oc) => oc.columns(['principal', 'key_hash']).doNothing())
        .returning('key_hash')
        .executeTakeFirst();
      if (inserted !== undefined) {
        request.idempotencyClaim = { principal: scope, keyHash, key, fingerprint };
        return undefined;
      }
      const row = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('principal', '=', scope)
        .where('key_hash', '=', keyHash)
        .executeTakeFirst();
      if (row === undefined) continue; // swept in between
      if (row.expires_at <= iso(now)) {
        await db
          .deleteFrom('idempotency_keys')
          .where('principal', '=', scope)
          .where('key_hash', '=', keyHash)
          .where('expires_at', '=', row.expires_at)
          .execute();
        continue;
      }
      if (row.fingerprint !== fingerprint) throw keyReused();
      if (row.status !== null && row.response !== null) {
        const stored = open(row.response, key, scope);
        reply.code(row.status).headers(stored.headers).header(REPLAYED_HEADER, 'true');
        const body =
          stored.body === null ? undefined : stored.base64 ? Buffer.from(stored.body, 'base64') : stored.body;
        return reply.send(body);
      }
      if (row.locked_until !== null && row.locked_until > iso(now)) throw inProgress();
      // The lease ran out: the first request died with its instance. Take the claim over, once.
      const taken = await db
        .updateTable('idempotency_keys')
        .set({ locked_until: iso(now + IDEMPOTENCY_LEASE_MS) })
        .where('principal', '=', scope)
        .where('key_hash', '=', keyHash)
        .where('status', 'is', null)
        .where('locked_until', '=', row.locked_until)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) !== 1) throw inProgress();
      request.idempotencyClaim = { principal: scope, keyHash, key, fingerprint };
      return undefined;
    }
    throw inProgress();
  }

  // After the conventions' preHandler (registered first): path ids are checked and lowered by then.
  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.config?.idempotent !== true) return;
    const raw = request.headers['idempotency-key'];
    const principal = request.principal;
    if (raw === undefined || principal === undefined) return;
    return claim(request, reply, principal, parseKey(raw));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotencyClaim;
    if (held === undefined) return payload;
    request.idempotencyClaim = undefined;
    const mine = db
      .updateTable('idempotency_keys')
      .where('principal', '=', held.principal)
      .where('key_hash', '=', held.keyHash)
      .where('status', 'is', null);
    const status = reply.statusCode;
    const body = storable(payload);
    try {
      if (status >= 200 && status < 300 && body !== undefined) {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        await mine.set({ status, response: seal({ headers, ...body }, held), locked_until: null }).execute();
      } else if (status === 408) {
        // The handler may still finish after a Request-Timeout answer, out of sight of this hook: the
        // outcome is unknown, so the key stays claimed until it expires rather than let a retry redo it.
        await mine.set((eb) => ({ locked_until: eb.ref('expires_at') })).execute();
      } else {
        // A failure changed nothing: the key is released, and a retry does the work.
        await db
          .deleteFrom('idempotency_keys')
          .where('principal', '=', held.principal)
          .where('key_hash', '=', held.keyHash)
          .where('status', 'is', null)
          .execute();
      }
    } catch (error) {
      // The response is already decided; a retry within the lease gets 409, later it does the work.
      request.log.error({ err: error }, 'could not record the Idempotency-Key outcome');
    }
    return payload;
  });

  app.addHook('onResponse', async (request) => {
    const now = clock.now().getTime();
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    try {
      await db.deleteFrom('idempotency_keys').where('expires_at', '<=', iso(now)).execute();
    } catch (error) {
      request.log.warn({ err: error }, 'could not delete expired Idempotency-Keys');
    }
  });
}

export default fp(idempotency, { name: 'idempotency', dependencies: ['conventions'] });
