// Fuzzing from the committed OpenAPI document: fast-check draws requests for every route and method
// (valid, boundary and malformed ones), app.inject sends them, and every answer is held to the contract:
//
// - no 5xx;
// - the status is one the operation declares, or one the conventions produce on any route: 413 and 415
//   (body limits and content types are checked before any route code runs), and on paths or methods
//   no route serves, 404 and 405 (with Allow), or 400 for a path that cannot be percent-decoded;
// - the body matches the declared schema (strictly: no undeclared property, lowercase GUIDs, UTC times),
//   errors are ErrorResponse (RFC 6749 on the token endpoint) whose OperationId is the Operation-Id
//   header, the content type is exactly application/json, no null without `Accept-Verbosity: verbose`,
//   no body on HEAD, 204 and the bodiless invitation actions, and the declared headers are present;
// - a body the operation's request schema refuses (read as the contract says: names in any case,
//   unknown properties ignored, null absent) is never answered 2xx;
// - a rejected write (POST, PUT, DELETE, PATCH answered ≥ 400, but not 408, whose outcome is unknown by
//   contract) leaves the store as it was: every table of t.snapshot(), compared before and after;
// - a HEAD answers the status (and Total-Count) of the matching GET.
//
// The plans are seeded (DEFAULT_SEED unless told), so a failure names the seed and the request number
// that reproduce it. Nothing is kept per request beyond counters and at most `maxFailures` lines, so a
// chaos run of 100,000 requests needs no more memory than one of 5,000: the fixtures are rebuilt, and the
// previous ones deleted, every `epoch` requests.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../support/app.ts';
import {
  type BodyPlan,
  encodeLoose,
  type Family,
  IdRef,
  type RequestPlan,
  requestPlans,
  type TokenPlan,
} from './generate.ts';
import {
  type ApiDocument,
  type JsonSchema,
  loadDocument,
  type Operation,
  type ResponseSpec,
} from './openapi.ts';
import { World } from './world.ts';

export const DEFAULT_SEED = 20_240_611;
export const DEFAULT_EPOCH = 500;
/**
 * How far the test clock moves at each epoch: past the one-minute windows of the token rate limits, which
 * the fixtures' own token requests would otherwise exhaust in a long run (the clock never moves back).
 */
const EPOCH_CLOCK_STEP_MS = 61_000;

export interface FuzzOptions {
  requests: number;
  seed?: number;
  /** Requests per epoch; the fixtures are rebuilt (and the previous ones deleted) this often. */
  epoch?: number;
  /** Failure lines kept (the count goes on beyond them). */
  maxFailures?: number;
  /** Called with a progress line after each epoch. */
  log?: (line: string) => void;
  /** Called after every request with one line (number, family, method, path, principal, status). */
  trace?: (line: string) => void;
}

export interface FuzzResult {
  seed: number;
  requests: number;
  byStatus: Record<number, number>;
  byFamily: Record<Family, number>;
  failures: string[];
  /** All failures, including those beyond `maxFailures`. */
  failureCount: number;
  /** Operations of the document, and those that never answered a 2xx in this run. */
  operations: { total: number; neverSucceeded: string[] };
  /** Rejected writes whose store was compared before and after. */
  checkedWrites: number;
  durationMs: number;
  /** Of which reading the store for those comparisons. */
  storeCheckMs: number;
}

type Snapshot = Record<string, unknown[]>;

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JSON_TYPE = 'application/json';

/** Request-Timeout values that may fire before a request ends (sent on reads only). */
const SHORT_TIMEOUTS = new Set(['0', '0.001', '0.0000001']);

function inject(t: TestApp, request: Sent, remoteAddress: string): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    remoteAddress,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
}

/** Replaces every IdRef in a body by the id it picks. */
function resolve(value: unknown, world: World): unknown {
  if (value instanceof IdRef) return world.resolveId(value);
  if (Array.isArray(value)) return value.map((item) => resolve(item, world));
  if (typeof value === 'object' && value !== null) {
    // fromEntries keeps a generated `__proto__` key as an own property, as JSON.parse would.
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner, world)]));
  }
  return value;
}

function bodyText(plan: Extract<BodyPlan, { kind: 'json' }>, world: World): string {
  const text = JSON.stringify(resolve(plan.value, world)) ?? 'null';
  const mutation = plan.mutate;
  if (mutation === undefined) return text;
  switch (mutation.kind) {
    case 'truncate':
      return text.slice(0, Math.min(text.length - 1, Math.floor(mutation.at * text.length)));
    case 'wrap':
      return `${mutation.before}${text}${mutation.after}`;
    case 'duplicate': {
      if (!text.startsWith('{')) return text;
      const entry = `${JSON.stringify(mutation.key)}:${JSON.stringify(mutation.value) ?? 'null'}`;
      if (text === '{}') return `{${entry},${entry}}`;
      return mutation.first ? `{${entry},${text.slice(1)}` : `${text.slice(0, -1)},${entry}}`;
    }
  }
}

function formEncode(value: string): string {
  return encodeLoose(value).replaceAll('%20', '+');
}

function tokenRequest(token: TokenPlan, world: World, headers: Record<string, string>): string {
  const credential = world.credential(token.credential);
  const id =
    token.id === 'right'
      ? credential.id
      : token.id === 'upper'
        ? credential.id.toUpperCase()
        : token.id === 'unknown'
          ? '00000000-0000-4000-8000-00000000f022'
          : token.id === 'missing'
            ? undefined
            : token.id.odd;
  const secret =
    token.secret === 'right'
      ? credential.secret
      : token.secret === 'wrong'
        ? `${credential.secret}x`
        : token.secret === 'empty'
          ? ''
          : token.secret === 'missing'
            ? undefined
            : token.secret.odd;
  const fields: string[] = [];
  if (token.grant !== undefined) fields.push(`grant_type=${formEncode(token.grant)}`);
  if (token.basic && id !== undefined && secret !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`, 'latin1').toString('base64')}`;
  } else {
    if (id !== undefined) fields.push(`client_id=${formEncode(id)}`);
    if (secret !== undefined) fields.push(`client_secret=${formEncode(secret)}`);
  }
  if (token.extra !== '') fields.push(token.extra);
  if (token.huge) fields.push(`pad=${'x'.repeat(20_000)}`);
  if (token.contentType !== undefined) headers['content-type'] = token.contentType;
  return fields.join('&');
}

function buildPath(plan: RequestPlan, world: World): string {
  if ('literal' in plan.path) return plan.path.literal;
  const { template, params, variant } = plan.path;
  const segments = template
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      if (segment.startsWith('{')) {
        const value = params[segment.slice(1, -1)];
        if (value === undefined) return segment;
        return value instanceof IdRef ? world.resolveId(value) : value.raw;
      }
      if (variant === 'lower') return segment.toLowerCase();
      if (variant === 'upper') return segment.toUpperCase();
      return segment;
    });
  if (variant === 'doubled') return `//${segments.join('//')}`;
  return `/${segments.join('/')}${variant === 'trailing' ? '/' : ''}`;
}

function buildRequest(plan: RequestPlan, world: World): Sent {
  const headers: Record<string, string> = { ...plan.headers };
  const authorization = world.authorization(plan.auth);
  if (authorization !== undefined) headers.authorization = authorization;
  let payload: string | undefined;
  const body = plan.body;
  switch (body.kind) {
    case 'none':
      break;
    case 'json':
      payload = bodyText(body, world);
      if (body.contentType !== undefined) headers['content-type'] = body.contentType;
      break;
    case 'raw':
      payload = body.text;
      if (body.contentType !== undefined) headers['content-type'] = body.contentType;
      break;
    case 'token':
      payload = tokenRequest(body.token, world, headers);
      break;
  }
  const path = buildPath(plan, world);
  return { method: plan.method, url: plan.query === '' ? path : `${path}?${plan.query}`, headers, payload };
}

function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.some(hasNull);
  if (typeof value === 'object') return Object.values(value as object).some(hasNull);
  return false;
}

const preview = (text: string | undefined, max = 240) =>
  text === undefined
    ? '-'
    : JSON.stringify(text.length > max ? `${text.slice(0, max)}…(${text.length})` : text);

/**
 * A JSON body as the contract has the service read it (CONTRACT §1): property names match the schema's
 * case-insensitively (the last of two spellings wins), unknown properties are dropped, null is absent.
 */
function asRead(value: unknown, schema: JsonSchema): unknown {
  if (Array.isArray(value)) {
    const items = schema.type === 'array' ? ((schema.items ?? {}) as JsonSchema) : {};
    return value.map((item) => asRead(item, items));
  }
  if (typeof value !== 'object' || value === null || schema.type !== 'object') return value;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const names = new Map(Object.keys(properties).map((name) => [name.toLowerCase(), name]));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const name = names.get(key.toLowerCase());
    if (name !== undefined && inner !== null) out[name] = asRead(inner, properties[name] ?? {});
  }
  return out;
}

/** Why the declared request schema refuses the body sent, or undefined when it accepts it (or is not JSON). */
function refusedBody(op: Operation, sent: Sent): string | undefined {
  const body = op.body;
  if (body === undefined || body.contentType !== JSON_TYPE) return undefined;
  const type = sent.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (sent.payload !== undefined && sent.payload.trim() !== '' && type !== JSON_TYPE) return undefined;
  if (sent.payload === undefined || sent.payload.trim() === '') return 'the required body is missing';
  let value: unknown;
  try {
    value = JSON.parse(sent.payload);
  } catch {
    return 'the body is not JSON';
  }
  if (body.validate(asRead(value, body.schema))) return undefined;
  const error = body.validate.errors?.[0];
  return `${error?.instancePath || '(root)'} ${error?.message ?? 'is invalid'}`;
}

/** What is wrong with one answer, by the rules at the top of this file. */
function problemsOf(
  document: ApiDocument,
  plan: RequestPlan,
  sent: Sent,
  response: LightMyRequestResponse,
): string[] {
  const problems: string[] = [];
  const status = response.statusCode;
  if (status >= 500) problems.push('a server error');
  const operationId = response.headers['operation-id'];
  if (typeof operationId !== 'string' || !GUID.test(operationId))
    problems.push('no Operation-Id GUID header');

  let spec: ResponseSpec | undefined;
  const op = plan.op;
  if (plan.expect === 'not-found') {
    if (status === 404 || status === 400) spec = { validate: document.errorResponse, headers: [] };
    else problems.push(`a path no route serves answered ${status}, not 404`);
  } else if (plan.expect === 'method-not-allowed') {
    if (status === 405) spec = { validate: document.errorResponse, headers: ['allow'] };
    else problems.push(`a method the path does not serve answered ${status}, not 405`);
  } else if (op !== undefined) {
    spec = op.responses.get(status);
    if (spec === undefined && (status === 413 || status === 415))
      spec = { validate: op.conventionError, headers: [] };
    if (spec === undefined) problems.push(`status ${status} is not declared for ${op.key}`);
  }

  if (op !== undefined && status < 300) {
    const refused = refusedBody(op, sent);
    if (refused !== undefined) problems.push(`accepted a body its schema refuses: ${refused}`);
  }

  const isHead = sent.method === 'HEAD';
  if (isHead || spec?.validate === undefined) {
    if (response.rawPayload.length > 0 && (isHead || spec !== undefined)) {
      problems.push(`a body on a response that has none (${response.rawPayload.length} bytes)`);
    }
  } else {
    const type = response.headers['content-type'];
    if (type !== JSON_TYPE)
      problems.push(`content-type ${JSON.stringify(type)}, not exactly application/json`);
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      problems.push('the body is not JSON');
    }
    if (body !== undefined) {
      const validate = spec.validate;
      if (!validate(body)) {
        const error = validate.errors?.[0];
        problems.push(
          `body does not match the ${status} schema: ${error?.instancePath || '(root)'} ${error?.message ?? ''} ${JSON.stringify(error?.params ?? {})}`,
        );
      }
      const verbosity = sent.headers['accept-verbosity'];
      if (!(typeof verbosity === 'string' && verbosity.trim().toLowerCase() === 'verbose') && hasNull(body)) {
        problems.push('a null in a non-verbose response');
      }
      const errorId = (body as { OperationId?: unknown } | null)?.OperationId;
      if (status >= 400 && errorId !== undefined && errorId !== operationId)
        problems.push('OperationId differs from the Operation-Id header');
    }
  }
  if (spec !== undefined && status < 300) {
    for (const name of spec.headers) {
      const value = response.headers[name];
      if (value === undefined) problems.push(`declared header ${name} is missing`);
      else if (name === 'total-count' && !/^\d+$/.test(String(value)))
        problems.push(`Total-Count ${JSON.stringify(value)} is not a count`);
    }
  }
  if (status === 405 && response.headers.allow === undefined) problems.push('405 without an Allow header');
  return problems;
}

function authLabel(plan: RequestPlan): string {
  const auth = plan.auth;
  if (auth.kind === 'principal') return auth.scheme === 'Bearer' ? auth.who : `${auth.who}(${auth.scheme})`;
  if (auth.kind === 'forged') return `forged:${auth.how}`;
  if (auth.kind === 'header') return `header:${preview(auth.value, 40)}`;
  return 'none';
}

/** The rows a rejected write added, removed or changed, table by table (a few of each). */
function snapshotDiff(before: Snapshot, after: Snapshot): string | undefined {
  const parts: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = (before[table] ?? []) as string[];
    const is = (after[table] ?? []) as string[];
    if (was.length === is.length && was.every((row, i) => row === is[i])) continue;
    const old = new Set(was);
    const now = new Set(is);
    const added = is.filter((row) => !old.has(row));
    const removed = was.filter((row) => !now.has(row));
    parts.push(`${table}: +${added.length} -${removed.length} ${preview(added[0] ?? removed[0], 200)}`);
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}

export async function runFuzz(t: TestApp, options: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const seed = options.seed ?? DEFAULT_SEED;
  const epochSize = Math.max(1, options.epoch ?? DEFAULT_EPOCH);
  const maxFailures = options.maxFailures ?? 200;
  const document = loadDocument();

  const byStatus: Record<number, number> = {};
  const byFamily: Record<Family, number> = { valid: 0, boundary: 0, malformed: 0 };
  const failures: string[] = [];
  const succeeded = new Set<string>();
  let failureCount = 0;
  let checkedWrites = 0;
  let sent = 0;
  let world: World | undefined;
  let operatorToken = '';
  // The store as it was after the last request, while only reads and rejected writes have followed.
  let clean: { snapshot: Snapshot; at: number } | undefined;

  // The tables of t.snapshot(), read all at once: PostgreSQL answers them on several connections, which
  // makes the store comparison around each rejected write a few times cheaper than reading them in turn.
  // The outbox is the one table a teardown does not empty, so it is read as its count and this epoch's
  // rows (id, kind and recipient, as t.snapshot() has them: delivery progress moves on its own).
  const tables = Object.keys(await t.snapshot());
  let epochStart = '';
  let storeCheckMs = 0;
  const readTable = async (table: string): Promise<unknown[]> => {
    const db = t.store.db;
    if (table !== 'outbox') {
      return db
        .selectFrom(table as 'tenants')
        .selectAll()
        .execute();
    }
    const [rows, total] = await Promise.all([
      db
        .selectFrom('outbox')
        .select(['id', 'kind', 'recipient'])
        .where('created_at', '>=', epochStart)
        .execute(),
      db.selectFrom('outbox').select(db.fn.countAll().as('count')).executeTakeFirst(),
    ]);
    return [...rows, { count: Number(total?.count ?? 0) }];
  };
  const snapshot = async (): Promise<Snapshot> => {
    const started = Date.now();
    const rows = await Promise.all(tables.map(readTable));
    const out = Object.fromEntries(
      tables.map((table, i) => [table, (rows[i] ?? []).map((r) => JSON.stringify(r)).sort()]),
    );
    storeCheckMs += Date.now() - started;
    return out;
  };

  const fail = (line: string) => {
    failureCount++;
    if (failures.length < maxFailures) failures.push(line);
  };

  const nextEpoch = async () => {
    let stale: string | undefined;
    if (world !== undefined) {
      for (const problem of await world.tearDown(operatorToken)) fail(problem);
      stale = world.ownerToken;
    }
    t.clock.advance(EPOCH_CLOCK_STEP_MS);
    epochStart = t.clock.now().toISOString();
    operatorToken = await t.operatorToken();
    world = await World.create(t, Math.floor(sent / epochSize), operatorToken, stale);
    // The in-memory mailer keeps every message; a long run must not.
    t.mail.sent.length = 0;
    clean = undefined;
    if (sent > 0) options.log?.(`fuzz: ${sent} requests, ${failureCount} failures`);
  };

  const one = async (plan: RequestPlan) => {
    if (sent % epochSize === 0) await nextEpoch();
    if (world === undefined) throw new Error('no fixtures');
    const index = ++sent;
    byFamily[plan.family]++;
    const request = buildRequest(plan, world);
    const write = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
    if (write && clean === undefined) clean = { snapshot: await snapshot(), at: index - 1 };
    const response = await inject(t, request, plan.remoteAddress);
    const status = response.statusCode;
    byStatus[status] = (byStatus[status] ?? 0) + 1;

    const problems = problemsOf(document, plan, request, response);
    if (
      request.method === 'HEAD' &&
      plan.op !== undefined &&
      !SHORT_TIMEOUTS.has(request.headers['request-timeout'] ?? '')
    ) {
      // CONTRACT §1: a HEAD answers the status and headers of the matching GET.
      const get = await inject(t, { ...request, method: 'GET' }, plan.remoteAddress);
      if (get.statusCode !== status)
        problems.push(`HEAD answered ${status} where GET answers ${get.statusCode}`);
      else if (status === 200 && get.headers['total-count'] !== response.headers['total-count']) {
        problems.push(
          `HEAD Total-Count ${String(response.headers['total-count'])} where GET has ${String(get.headers['total-count'])}`,
        );
      }
    }
    // A 408 is no rejection: its write may still be running, and its outcome is unknown by contract.
    if (write && status >= 400 && status !== 408 && clean !== undefined) {
      checkedWrites++;
      const after = await snapshot();
      const diff = snapshotDiff(clean.snapshot, after);
      if (diff !== undefined) {
        const since =
          clean.at === index - 1
            ? ''
            : ` (compared with the store after request #${clean.at}; only reads and rejected writes came between)`;
        problems.push(`a rejected write changed the store${since}: ${diff}`);
      }
      clean = { snapshot: after, at: index };
    } else if (write || status === 408) {
      // A successful write changed the store; a request that timed out may still change it.
      clean = undefined;
    }
    if (status >= 200 && status < 300 && plan.op !== undefined) {
      succeeded.add(plan.op.key);
      if (request.method !== 'HEAD' && response.body !== '') {
        try {
          world.learnFrom(plan.op.template, request.method, JSON.parse(response.body), plan.side);
        } catch {
          // Not JSON: already a problem above.
        }
      }
    }
    options.trace?.(
      `#${index} ${plan.family} ${request.method} ${preview(request.url, 160)} as ${authLabel(plan)} → ${status}`,
    );
    if (problems.length > 0) {
      fail(
        `#${index} [seed ${seed}] ${plan.family} ${request.method} ${preview(request.url, 160)} as ${authLabel(plan)}` +
          ` headers=${preview(JSON.stringify(Object.fromEntries(Object.entries(request.headers).filter(([k]) => k !== 'authorization'))), 160)}` +
          ` body=${preview(request.payload, 200)} → ${status}: ${problems.join('; ')}; response ${preview(response.body, 300)}`,
      );
    }
  };

  // fc.check rather than fc.assert: a harness error (a fixture the service refused) is rethrown as it is,
  // and no shrinking replays requests against a store they have already changed.
  const details = await fc.check(
    fc.asyncProperty(requestPlans(document), async (plan) => {
      await one(plan);
    }),
    { seed, numRuns: options.requests, endOnFailure: true, verbose: 0 },
  );
  if (details.failed) {
    const cause = details.errorInstance;
    throw new Error(
      `the fuzzer itself failed at request #${sent} (seed ${seed}): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  if (world !== undefined) for (const problem of await world.tearDown(operatorToken)) fail(problem);

  return {
    seed,
    requests: sent,
    byStatus,
    byFamily,
    failures,
    failureCount,
    operations: {
      total: document.operations.length,
      neverSucceeded: document.operations.map((op) => op.key).filter((key) => !succeeded.has(key)),
    },
    checkedWrites,
    durationMs: Date.now() - started,
    storeCheckMs,
  };
}

/** One line: requests, statuses and failures, for a test's or a chaos run's output. */
export function summarize(result: FuzzResult): string {
  const statuses = Object.entries(result.byStatus)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  return (
    `fuzz seed ${result.seed}: ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)} s ` +
    `(valid ${result.byFamily.valid}, boundary ${result.byFamily.boundary}, malformed ${result.byFamily.malformed}); ` +
    `statuses ${statuses}; ${result.checkedWrites} rejected writes checked ` +
    `(${(result.storeCheckMs / 1000).toFixed(1)} s reading the store); ` +
    `${result.operations.total - result.operations.neverSucceeded.length}/${result.operations.total} operations answered 2xx; ` +
    `${result.failureCount} failures`
  );
}
