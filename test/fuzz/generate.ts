// Request plans drawn with fast-check from the OpenAPI document, for every operation about equally often
// and for paths and methods no route serves:
//
// - valid: a caller and ids of one side (the owner tenant or the guest), bodies built from the request
//   schema with the domain's names (e-mails, real role ids, invitation actions), properties in any case,
//   null for absent, unknown properties, odd but legal text;
// - boundary: the same callers, with edges of the schema (empty, at and past maxLength and maxItems,
//   skip and count at 0, 1, 1000, 1001, -1, 2^31, 2^63, 1e309, Infinity), unknown GUIDs, path variants;
// - malformed: one wrong part in an otherwise valid request (body, query, headers, path id or token), or
//   everything wrong at once: wrong types, 100–300 KB strings, lone surrogates, NUL, RTL, emoji,
//   combining marks, duplicate and case-duplicate keys, truncated JSON, bad GUIDs and percent-encodings,
//   wrong content types, missing, garbage, forged, stale and other-tenant tokens, odd Accept-Verbosity,
//   Request-Timeout and Idempotency-Key values.
//
// A plan names its ids symbolically (a pool and a pick), so the same seed draws the same plans whatever
// ids the fixtures were given; the runner resolves them against the live pools when it sends the request.
import fc from 'fast-check';
import type { ApiDocument, JsonSchema, Operation } from './openapi.ts';

export type Pool = 'tenant' | 'user' | 'client' | 'role' | 'communityRole' | 'community' | 'invitation';

/** Whose fixtures a valid request picks from, so that its ids and its caller belong together. */
export type Side = 'owner' | 'guest';

/** An id from a pool of real ids, resolved when the request is sent. */
export class IdRef {
  constructor(
    readonly pool: Pool,
    readonly pick: number,
    readonly upper = false,
    /**
     * The resource a PUT or DELETE addresses: picked mostly among the ids the run created, so that the
     * fixtures (whose tokens and memberships most requests rely on) survive most of an epoch.
     */
    readonly disposable = false,
    readonly side: Side | undefined = undefined,
  ) {}
}

/** The same value with every id picked from one side's fixtures. */
function onSide(value: unknown, side: Side | undefined): unknown {
  if (side === undefined) return value;
  if (value instanceof IdRef) return new IdRef(value.pool, value.pick, value.upper, value.disposable, side);
  if (Array.isArray(value)) return value.map((item) => onSide(item, side));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, onSide(inner, side)]));
  }
  return value;
}

/** A path segment: a real id, or text already percent-encoded (or deliberately not). */
export type Segment = IdRef | { raw: string };

export type Principal =
  | 'owner'
  | 'ownerAdmin'
  | 'ownerModerator'
  | 'ownerMember'
  | 'ownerPlain'
  | 'guest'
  | 'guestUser'
  | 'outsider'
  | 'operator'
  | 'stale';

export type AuthPlan =
  | { kind: 'principal'; who: Principal; scheme: string }
  | { kind: 'none' }
  | { kind: 'header'; value: string }
  | { kind: 'forged'; how: 'foreign-key' | 'alg-none' | 'tampered' | 'expired-shape' };

export type TextMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; key: string; value: unknown; first: boolean }
  | { kind: 'wrap'; before: string; after: string };

export type BodyPlan =
  | { kind: 'none' }
  /** A JSON value (ids still symbolic); `contentType` undefined sends no Content-Type header. */
  | { kind: 'json'; value: unknown; contentType: string | undefined; mutate?: TextMutation }
  | { kind: 'raw'; text: string; contentType: string | undefined }
  | { kind: 'token'; token: TokenPlan };

/** A client credentials request: which known credential, and how it is spoiled. */
export interface TokenPlan {
  credential: number;
  grant: string | undefined;
  id: 'right' | 'upper' | 'missing' | 'unknown' | { odd: string };
  secret: 'right' | 'wrong' | 'missing' | 'empty' | { odd: string };
  basic: boolean;
  /** Appended to the form text as is (duplicate or unknown fields). */
  extra: string;
  contentType: string | undefined;
  /** Pad the form past its 16 KB limit. */
  huge: boolean;
}

export type PathVariant = 'canonical' | 'lower' | 'upper' | 'trailing' | 'doubled';

export type Family = 'valid' | 'boundary' | 'malformed';

export interface RequestPlan {
  family: Family;
  /** The side a valid or one-wrong-part request was drawn for (its caller and ids). */
  side: Side | undefined;
  /** Undefined for a path the document does not serve. */
  op: Operation | undefined;
  method: string;
  /** The template with its path parameters, or a literal path. */
  path: { template: string; params: Record<string, Segment>; variant: PathVariant } | { literal: string };
  /** Query text without the `?` (already encoded), or '' for none. */
  query: string;
  body: BodyPlan;
  auth: AuthPlan;
  headers: Record<string, string>;
  /** The client address (token rate limits count per address). */
  remoteAddress: string;
  /** What the conventions must answer when no route serves the request (unknown path, wrong method). */
  expect?: 'not-found' | 'method-not-allowed';
}

const JSON_TYPE = 'application/json';

/** fc.oneof without the entries whose weight is 0 (fast-check wants every weight positive). */
function weighted<T>(...entries: { weight: number; arbitrary: fc.Arbitrary<T> }[]): fc.Arbitrary<T> {
  return fc.oneof(...entries.filter((entry) => entry.weight > 0));
}

// Odd text: lone surrogates, bidirectional overrides, NUL, emoji, combining marks, invisible and
// case-folding oddities, and strings that are dangerous elsewhere (SQL, HTML, paths, templates).
const ODD_STRINGS = [
  '\uD800',
  'a\uDC00b',
  '\uDBFF\uDBFF',
  '\u202Eevil\u202C.test',
  'شركة\u200F',
  '\u0000',
  'a\u0000b',
  '\u0001\u001F\u007F',
  '😀',
  '👩‍👩‍👧‍👦'.repeat(20),
  `e${'\u0301\u0302\u0303\u0304\u0305'.repeat(40)}`,
  '\uFEFF',
  '\u200B\u200C\u200D\u2060',
  '\u0085\u2028\u2029',
  'İıßſΣς',
  '\uFFFD\uFFFE\uFFFF',
  '\r\n\t',
  '   ',
  "'; DROP TABLE tenants; --",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  '../../../etc/passwd',
  '%00%2F%2e%2e',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, sent as literal text.
  '${jndi:ldap://x}',
  '{{7*7}}',
  '\\u0000',
  'ｆｕｌｌ＠ｗｉｄｔｈ．ｔｅｓｔ',
  '\u{10FFFF}\u{E0001}',
];

export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...ODD_STRINGS), fc.string({ maxLength: 10 }))
      .map(([odd, text]) => `${text}${odd}${text}`),
  },
);

/** 100 KB to 300 KB: some fit the 256 KB body limit, some do not. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('x', 'é', '😀', '\u0000', 'ab\u0301'), fc.integer({ min: 100_000, max: 300_000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

/**
 * Free text the schema accepts. Odd text (NUL, lone surrogates, bidirectional overrides, combining marks)
 * is a string as much as any other, so valid bodies carry it too, cut to the length the schema allows.
 */
const wordText = (min: number, max: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'grapheme-ascii' }) },
    { weight: 2, arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(oddString, fc.string({ minLength: min, maxLength: max, unit: 'grapheme-ascii' }))
        .map(([odd, text]) => `${text}${odd}`.slice(0, max))
        .filter((text) => text.length >= min),
    },
  );

const emailArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.nat(1_000_000).map((n) => `fuzz${n}@example.test`) },
  { weight: 1, arbitrary: fc.nat(1_000_000).map((n) => `  Fuzz.Mixed+${n}@Example.TEST  `) },
  { weight: 2, arbitrary: fc.emailAddress() },
);

const futureDate = fc
  .date({ min: new Date('2031-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

const GUID_SHAPE = '[0-9a-fA-F]{8}';
const isGuidSchema = (schema: JsonSchema) =>
  typeof schema.pattern === 'string' && schema.pattern.includes(GUID_SHAPE);

/** Where a GUID property's real ids come from. */
function poolOfProperty(name: string): Pool | undefined {
  if (name === 'RoleIds[]') return 'role';
  if (name === '[]') return 'communityRole';
  return undefined;
}

export function poolOfParam(name: string): fc.Arbitrary<Pool> {
  switch (name) {
    case 'tenantId':
      return fc.constant('tenant');
    case 'userId':
      return fc.constant('user');
    case 'clientId':
      return fc.constant('client');
    case 'roleId':
      return fc.constantFrom<Pool>('role', 'role', 'role', 'communityRole');
    case 'communityId':
      return fc.constant('community');
    case 'invitationId':
      return fc.constant('invitation');
    default:
      return fc.constantFrom<Pool>('tenant', 'user', 'community');
  }
}

const idRef = (pool: Pool) =>
  fc
    .tuple(fc.noBias(fc.nat(9999)), fc.nat(9))
    .map(([pick, shout]) => new IdRef(pool, pick, shout === 0)) as fc.Arbitrary<unknown>;

/** A value the request schema accepts, with the names the domain gives it (e-mails, real ids, actions). */
export function validValue(schema: JsonSchema, name: string): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.anyOf))
    return fc.oneof(...(schema.anyOf as JsonSchema[]).map((s) => validValue(s, name)));
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  switch (schema.type) {
    case 'string': {
      if (isGuidSchema(schema)) {
        const pool = poolOfProperty(name);
        return pool === undefined ? fc.uuid() : idRef(pool);
      }
      if (schema.format === 'date-time') return futureDate;
      if (/email|recipient/i.test(name)) return emailArb;
      if (name === 'Action')
        return fc.constantFrom('Accept', 'Decline', 'Confirm', 'Resend', 'accept', 'CONFIRM');
      const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const max = typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, 40) : 40;
      return wordText(Math.max(min, 1), Math.max(max, min, 1));
    }
    case 'integer': {
      if (name === 'RoleScope') return fc.integer({ min: 0, max: 2 });
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1000;
      return fc.integer({ min, max });
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      const max = typeof schema.maxItems === 'number' ? Math.min(schema.maxItems, 3) : 3;
      return fc.array(validValue(items, `${name}[]`), { maxLength: max });
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, inner] of Object.entries(properties)) record[key] = validValue(inner, key);
      return fc
        .tuple(fc.record(record, { requiredKeys: required }), fc.nat(19), fc.nat(1000))
        .map(([value, decoration, n]) =>
          decorate(value as Record<string, unknown>, properties, decoration, n),
        );
    }
    default:
      return fc.constant(null);
  }
}

/**
 * Variations the contract says are the same request (CONTRACT §1): property names in another case, null
 * for an absent property, unknown properties.
 */
function decorate(
  value: Record<string, unknown>,
  properties: Record<string, JsonSchema>,
  decoration: number,
  n: number,
): Record<string, unknown> {
  if (decoration < 12) return value;
  const out: Record<string, unknown> = {};
  const recase = (key: string) =>
    decoration % 2 === 0 ? key.toLowerCase() : `${key.charAt(0).toLowerCase()}${key.slice(1)}`;
  for (const [key, inner] of Object.entries(value)) out[decoration < 16 ? recase(key) : key] = inner;
  if (decoration >= 16) {
    const absent = Object.keys(properties).filter((key) => !(key in value));
    const key = absent[n % Math.max(absent.length, 1)];
    if (key !== undefined) out[key] = null;
  }
  if (decoration >= 18) out[`Unknown${n}`] = n % 2 === 0 ? 'ignored' : { nested: [n] };
  return out;
}

/** Values at and just past the edges the schema states, and a few more a parser may choke on. */
export function boundaryValue(schema: JsonSchema, name: string): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.enum)) {
    return fc.constantFrom('active', 'PAUSED', '', 'None', ' Active', 'Active ');
  }
  switch (schema.type) {
    case 'string': {
      if (isGuidSchema(schema)) {
        return fc.constantFrom(
          '00000000-0000-0000-0000-000000000000',
          'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
          '9f1d4a2e-3b5c-4d6e-8f70-112233445566',
        );
      }
      if (schema.format === 'date-time') {
        return fc.constantFrom(
          '1970-01-01T00:00:00Z',
          '2000-01-01T00:00:00Z',
          '9999-12-31T23:59:59.999Z',
          '2031-02-29T00:00:00Z',
          '2031-01-01T00:00:00+14:00',
          '2031-01-01',
          '2031-01-01T24:00:00Z',
        );
      }
      const max = typeof schema.maxLength === 'number' ? schema.maxLength : 256;
      if (/email|recipient/i.test(name)) {
        const at = (local: number, total: number) =>
          `${'l'.repeat(local)}@${'d'.repeat(Math.max(1, total - local - 6))}.test`;
        return fc.constantFrom(
          '',
          ' ',
          at(64, 80),
          at(65, 80),
          // 254 and 255 characters in all, with labels of at most 63.
          `${'l'.repeat(60)}@${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(56)].join('.')}.test`,
          `${'l'.repeat(61)}@${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(56)].join('.')}.test`,
          'x'.repeat(max),
          'x'.repeat(max + 1),
          'a@b',
          '@example.test',
          'a@.test',
          'a..b@example.test',
          'a@example..test',
          '"quoted"@example.test',
          'ünï@exämple.test',
        );
      }
      return fc.constantFrom(
        '',
        ' ',
        'x'.repeat(max),
        'x'.repeat(max + 1),
        '😀'.repeat(max),
        '😀'.repeat(max + 1),
        'e\u0301'.repeat(Math.ceil(max / 2)),
        ` ${'x'.repeat(Math.max(0, max - 2))} `,
      );
    }
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1000;
      return fc.constantFrom(
        min,
        max,
        min - 1,
        max + 1,
        0,
        -1,
        -0,
        1.5,
        2 ** 31,
        2 ** 53 + 2,
        -(2 ** 63),
        1e308,
      );
    }
    case 'boolean':
      return fc.constantFrom(true, false);
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : 10;
      const item = validValue(items, `${name}[]`);
      return fc.oneof(
        fc.constant([]),
        fc.array(item, { minLength: maxItems, maxLength: maxItems }),
        fc.array(item, { minLength: maxItems + 1, maxLength: maxItems + 1 }),
        item.map((one) => [one, one, one]),
      );
    }
    default:
      return fc.constant({});
  }
}

/** A value of the wrong type for the schema, or an oversized or odd one of the right type. */
export function malformedValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  const wrongTypes: unknown[] = {
    string: [42, 0, true, false, {}, [], ['x'], { $gt: '' }],
    integer: ['5', '', 5.5, true, [], {}, 'NaN', '1e3'],
    number: ['5', true, [], {}],
    boolean: ['true', 'false', 1, 0, '', [], {}],
    array: ['x', 1, true, {}, [1, 2], [null], [[]], [{}]],
    object: [[], 'x', 1, true],
  }[String(schema.type)] ?? [1, 'x', [], {}];
  const options: fc.Arbitrary<unknown>[] = [fc.constantFrom(...wrongTypes)];
  if (schema.type === 'string') options.push(oddString, hugeString);
  if (schema.type === 'array') {
    options.push(fc.array(oddString, { maxLength: 3 }));
    options.push(hugeString.map((s) => [s]));
  }
  return fc.oneof(...options);
}

/** A body of the wrong shape altogether. */
const wrongDocument: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>([], {}, 'text', 0, -1, true, [{}], [[[[[]]]]], { '': '' }),
  fc.jsonValue({ maxDepth: 3 }),
);

const TEXT_VARIANTS: [string, string][] = [
  ['\uFEFF', ''],
  ['', ','],
  ['', '}'],
  ['', ' trailing'],
  ['[', ']'],
  ['  \n\t', '\n\n'],
  ['/* comment */', ''],
];

const RAW_BODIES = [
  '{',
  '}',
  '[',
  '{"Name":}',
  "{'Name':'single quotes'}",
  '{"Name":"a",}',
  '{"Name":NaN}',
  '{"Name":Infinity}',
  '{"Name":"\\ud800"}',
  '{"Name":"\\u0000"}',
  '{"Name":"unterminated',
  'null',
  'undefined',
  '\u0000',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  `{"Name":${'9'.repeat(400)}}`,
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
];

export const ODD_CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/json-patch+json',
  'application/*',
  'application/octet-stream',
  'application/jsonx',
  'json',
  ';;;',
];

const JSON_TYPE_VARIANTS = [
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset=latin1',
  'application/json ; foo=bar',
];

/** Percent-encodes any text, lone surrogates included (as the bytes a careless client would send). */
export function encodeLoose(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) {
      out +=
        `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    } else out += encodeURIComponent(char);
  }
  return out;
}

const BAD_GUIDS = [
  'not-a-guid',
  '1234',
  '00000000-0000-0000-0000-00000000000g',
  '{9f1d4a2e-3b5c-4d6e-8f70-112233445566}',
  '9f1d4a2e3b5c4d6e8f70112233445566',
  '9f1d4a2e-3b5c-4d6e-8f70-1122334455660',
  '9f1d4a2e-3b5c-4d6e-8f70-11223344556',
  ' 9f1d4a2e-3b5c-4d6e-8f70-112233445566',
  '9f1d4a2e-3b5c-4d6e-8f70-112233445566%20',
  '%E0%A4%A',
  '%',
  '%zz',
  '%2F',
  '%00',
  '...',
  '*',
  'null',
  'undefined',
  '٣f1d4a2e-3b5c-4d6e-8f70-112233445566',
  'x'.repeat(101),
  'x'.repeat(5000),
];

const badSegment: fc.Arbitrary<Segment> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BAD_GUIDS).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: oddString.filter((s) => s !== '').map((s) => ({ raw: encodeLoose(s) })) },
  { weight: 1, arbitrary: fc.uuid().map((u) => ({ raw: encodeURIComponent(` ${u}`) })) },
);

const POOLS: Pool[] = ['tenant', 'user', 'client', 'role', 'communityRole', 'community', 'invitation'];

function segmentFor(name: string, family: Family, disposable: boolean): fc.Arbitrary<Segment> {
  const real = fc
    .tuple(poolOfParam(name), fc.noBias(fc.nat(9999)), fc.nat(9))
    .map(([pool, pick, shout]) => new IdRef(pool, pick, shout === 0, disposable) as Segment);
  const unknown = fc.uuid().map((u) => ({ raw: u }) as Segment);
  // A real id of another kind (a user's id where a tenant's belongs): it exists, but not as this.
  const confused = fc
    .tuple(fc.constantFrom(...POOLS), fc.noBias(fc.nat(9999)))
    .map(([pool, pick]) => new IdRef(pool, pick, false, disposable) as Segment);
  if (family === 'valid') {
    return fc.oneof(
      { weight: 16, arbitrary: real },
      { weight: 2, arbitrary: unknown },
      { weight: 2, arbitrary: confused },
    );
  }
  if (family === 'boundary') {
    return fc.oneof(
      { weight: 6, arbitrary: real },
      { weight: 1, arbitrary: unknown },
      { weight: 1, arbitrary: confused },
    );
  }
  return fc.oneof(
    { weight: 2, arbitrary: real },
    { weight: 1, arbitrary: unknown },
    { weight: 2, arbitrary: badSegment },
  );
}

const PAGING_BOUNDARY = [
  '0',
  '1',
  '1000',
  '1001',
  '-1',
  '',
  '2147483647',
  '2147483648',
  '9007199254740993',
  '9223372036854775808',
  '1e20',
  '1e309',
  '1.5',
  '1e3',
  '0x10',
  ' 5',
  '5 ',
  'abc',
  'NaN',
  'Infinity',
  '-0',
  '+1',
  '1,2',
  'true',
  '%00',
];

function queryFor(op: Operation | undefined, family: Family): fc.Arbitrary<string> {
  const pageable = op?.query.some((q) => q.name === 'skip') ?? false;
  const extra = fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constant('unknown=1') },
    { weight: 1, arbitrary: oddString.map((s) => `${encodeLoose(s)}=${encodeLoose(s)}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('%', '%zz', '&&&', '=', '==', '[]=1', 'a[b]=c', '__proto__[x]=1'),
    },
  );
  if (!pageable) return family === 'valid' ? fc.constant('') : extra;
  const name = (base: string) =>
    fc.constantFrom(base, base, base, base.toUpperCase(), `${base.charAt(0).toUpperCase()}${base.slice(1)}`);
  const validPaging = fc
    .tuple(
      fc.option(fc.nat(50), { nil: undefined }),
      fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
      fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      name('skip'),
      name('count'),
    )
    .map(([skip, count, query, skipName, countName]) =>
      [
        skip === undefined ? undefined : `${skipName}=${skip}`,
        count === undefined ? undefined : `${countName}=${count}`,
        query === undefined ? undefined : `query=${encodeURIComponent(query)}`,
      ]
        .filter(Boolean)
        .join('&'),
    );
  if (family === 'valid') return validPaging;
  const boundary = fc
    .tuple(fc.constantFrom('skip', 'count', 'Count', 'SKIP'), fc.constantFrom(...PAGING_BOUNDARY), fc.nat(3))
    .map(([key, value, repeat]) =>
      repeat === 0 ? `${key}=${encodeLoose(value)}&${key}=1` : `${key}=${encodeLoose(value)}`,
    );
  if (family === 'boundary') return boundary;
  return fc.oneof(
    boundary,
    extra,
    oddString.map((s) => `query=${encodeLoose(s)}`),
    hugeString.map((s) => `query=${s.slice(0, 20_000)}`),
  );
}

const principal = fc.constantFrom<Principal>(
  'owner',
  'owner',
  'owner',
  'owner',
  'ownerAdmin',
  'ownerModerator',
  'ownerMember',
  'ownerPlain',
  'guest',
  'guest',
  'guestUser',
  'outsider',
  'operator',
);

const garbageAuth: fc.Arbitrary<AuthPlan> = fc.oneof(
  fc.constant<AuthPlan>({ kind: 'none' }),
  fc.constantFrom<AuthPlan>(
    { kind: 'forged', how: 'foreign-key' },
    { kind: 'forged', how: 'alg-none' },
    { kind: 'forged', how: 'tampered' },
    { kind: 'forged', how: 'expired-shape' },
    { kind: 'principal', who: 'stale', scheme: 'Bearer' },
  ),
  fc
    .constantFrom(
      'Bearer',
      'Bearer ',
      'Bearer garbage',
      'Bearer a.b.c',
      'Bearer eyJhbGciOiJIUzI1NiJ9.e30.',
      'Basic dXNlcjpwYXNz',
      'Basic',
      'Digest x',
      'bearer\t',
      'Bearer \u00ff\u00fe',
      // Long credentials of a pattern no generated URL holds: npm test looks for every credential a test
      // sent in the service's logs, which do hold URLs.
      `Bearer ${'Tq'.repeat(4000)}`,
    )
    .map((value) => ({ kind: 'header', value }) as AuthPlan),
  fc
    .string({ unit: 'grapheme-ascii', maxLength: 60 })
    .map((s) => ({ kind: 'header', value: `Bearer ${s}` }) as AuthPlan),
);

// The operator administers every tenant, so it belongs to each side (and meets ids of no tenant).
const SIDE_PRINCIPALS: Record<Side, Principal[]> = {
  owner: ['owner', 'owner', 'owner', 'ownerAdmin', 'ownerModerator', 'operator'],
  guest: ['guest', 'guest', 'guestUser', 'operator'],
};

function authFor(op: Operation | undefined, family: Family, side?: Side): fc.Arbitrary<AuthPlan> {
  const scheme =
    family === 'valid' ? fc.constant('Bearer') : fc.constantFrom('Bearer', 'Bearer', 'bearer', 'BEARER');
  const real = fc
    .tuple(side === undefined ? principal : fc.constantFrom(...SIDE_PRINCIPALS[side]), scheme)
    .map(([who, s]) => ({ kind: 'principal', who, scheme: s }) as AuthPlan);
  // The operator is the one principal of POST and DELETE /api/v1/Tenants; give it those more often.
  const operatorHeavy = op?.template === '/api/v1/Tenants' || op?.template === '/api/v1/Tenants/{tenantId}';
  const operator = fc.constant<AuthPlan>({ kind: 'principal', who: 'operator', scheme: 'Bearer' });
  const chosen = operatorHeavy ? fc.oneof(real, operator) : real;
  if (family === 'malformed')
    return fc.oneof({ weight: 2, arbitrary: chosen }, { weight: 1, arbitrary: garbageAuth });
  return chosen;
}

function headersFor(op: Operation | undefined, family: Family): fc.Arbitrary<Record<string, string>> {
  // The token endpoint writes nothing a snapshot holds (only rate-limit counters).
  const readOnly =
    op === undefined ||
    op.method === 'GET' ||
    op.method === 'HEAD' ||
    op.template === '/identity/connect/token';
  const verbosity = weighted(
    { weight: 6, arbitrary: fc.constant<string | undefined>(undefined) },
    {
      weight: 3,
      arbitrary: fc.constantFrom<string | undefined>(
        'verbose',
        'Verbose',
        ' VERBOSE ',
        'non-verbose',
        'Non-Verbose',
      ),
    },
    {
      weight: family === 'valid' ? 0 : 1,
      arbitrary: fc.constantFrom<string | undefined>('', 'garbage', 'verbose, verbose', 'vérbose', '\t'),
    },
  );
  // Short timeouts only where a 408 cannot leave a write half-known (the outcome of a timed-out write is
  // unknown by contract); the rest never fire.
  const timeout = weighted(
    { weight: 12, arbitrary: fc.constant<string | undefined>(undefined) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<string | undefined>('30', '600', '86400', '  60  ', '1e3', 'abc', '-1', ''),
    },
    {
      weight: family === 'valid' ? 0 : 1,
      arbitrary: fc.constantFrom<string | undefined>(
        '99999999999',
        `1${'0'.repeat(30)}`,
        '4294967.296',
        '2147483.648',
      ),
    },
    { weight: readOnly ? 1 : 0, arbitrary: fc.constantFrom<string | undefined>('0', '0.001', '0.0000001') },
  );
  const odd = weighted(
    { weight: 10, arbitrary: fc.constant<[string, string] | undefined>(undefined) },
    {
      weight: family === 'valid' ? 0 : 2,
      arbitrary: fc.constantFrom<[string, string] | undefined>(
        ['accept', 'application/xml'],
        ['accept', '*/*;q=0'],
        ['accept-language', 'tlh'],
        ['x-forwarded-for', '999.999.999.999, garbage'],
        ['idempotency-key', ''],
        ['idempotency-key', 'Kd'.repeat(1000)],
        ['idempotency-key', 'fuzz-key-1'],
        ['idempotency-key', 'fuzz-key-2'],
        ['if-none-match', '*'],
        ['x-http-method-override', 'DELETE'],
        ['operation-id', 'not-a-guid'],
        ['origin', 'http://evil.test'],
        ['accept-verbosity', 'verbose\u00a0'],
        ['x-unicode', 'caf\u00e9 \u00ff'],
      ),
    },
  );
  return fc.tuple(verbosity, timeout, odd).map(([v, t, o]) => {
    const headers: Record<string, string> = {};
    if (v !== undefined) headers['accept-verbosity'] = v;
    if (t !== undefined) headers['request-timeout'] = t;
    if (o !== undefined) headers[o[0]] = o[1];
    return headers;
  });
}

const pathVariant = fc.constantFrom<PathVariant>(
  'canonical',
  'canonical',
  'canonical',
  'canonical',
  'canonical',
  'canonical',
  'lower',
  'upper',
  'trailing',
  'doubled',
);

function bodyFor(op: Operation, family: Family): fc.Arbitrary<BodyPlan> {
  const declared = op.body;
  if (declared === undefined) {
    // The public client sends Content-Type: application/json with an empty body on every DELETE.
    return weighted(
      { weight: 8, arbitrary: fc.constant<BodyPlan>({ kind: 'none' }) },
      { weight: 1, arbitrary: fc.constant<BodyPlan>({ kind: 'raw', text: '', contentType: JSON_TYPE }) },
      {
        weight: family === 'valid' ? 0 : 1,
        arbitrary: fc.oneof(
          fc.constant<BodyPlan>({ kind: 'json', value: { Id: null }, contentType: JSON_TYPE }),
          fc.constant<BodyPlan>({ kind: 'raw', text: '{', contentType: JSON_TYPE }),
          fc
            .constantFrom(...ODD_CONTENT_TYPES)
            .map((t): BodyPlan => ({ kind: 'raw', text: 'x', contentType: t })),
          hugeString.map((text): BodyPlan => ({ kind: 'raw', text, contentType: JSON_TYPE })),
        ),
      },
    );
  }
  if (declared.contentType !== JSON_TYPE) return tokenBody(family);
  const schema = declared.schema;
  const valid = validValue(schema, schema.type === 'array' ? '' : 'body');
  const json = (value: fc.Arbitrary<unknown>) =>
    value.map((v): BodyPlan => ({ kind: 'json', value: v, contentType: JSON_TYPE }));
  if (family === 'valid') {
    return fc.oneof(
      { weight: 9, arbitrary: json(valid) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(valid, fc.constantFrom(...JSON_TYPE_VARIANTS))
          .map(([value, contentType]): BodyPlan => ({ kind: 'json', value, contentType })),
      },
    );
  }
  const properties = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);
  /** The valid body with one property replaced. */
  const withProperty = (replace: (s: JsonSchema, name: string) => fc.Arbitrary<unknown>) =>
    properties.length === 0
      ? json(schema.type === 'array' ? replace(schema, '') : valid)
      : fc
          .tuple(valid, fc.constantFrom(...properties))
          .chain(([body, [key, inner]]) =>
            replace(inner, key).map((value) => ({ ...(body as Record<string, unknown>), [key]: value })),
          )
          .map((value): BodyPlan => ({ kind: 'json', value, contentType: JSON_TYPE }));
  if (family === 'boundary') {
    return fc.oneof(
      { weight: 4, arbitrary: withProperty(boundaryValue) },
      { weight: 1, arbitrary: json(fc.constant(schema.type === 'array' ? [] : {})) },
    );
  }
  const mutation: fc.Arbitrary<TextMutation> = fc.oneof(
    fc.double({ min: 0, max: 0.999, noNaN: true }).map((at): TextMutation => ({ kind: 'truncate', at })),
    fc
      .tuple(
        fc.constantFrom(...(properties.length > 0 ? properties.map(([k]) => k) : ['Name'])),
        malformedValue({ type: 'string' }),
        fc.boolean(),
        fc.boolean(),
      )
      .map(
        ([key, value, first, lower]): TextMutation => ({
          kind: 'duplicate',
          key: lower ? key.toLowerCase() : key,
          value,
          first,
        }),
      ),
    fc
      .constantFrom(...TEXT_VARIANTS)
      .map(([before, after]): TextMutation => ({ kind: 'wrap', before, after })),
  );
  return fc.oneof(
    { weight: 4, arbitrary: withProperty((s) => malformedValue(s)) },
    { weight: 2, arbitrary: json(wrongDocument) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, mutation)
        .map(([value, mutate]): BodyPlan => ({ kind: 'json', value, contentType: JSON_TYPE, mutate })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...RAW_BODIES)
        .map((text): BodyPlan => ({ kind: 'raw', text, contentType: JSON_TYPE })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom<string | undefined>(...ODD_CONTENT_TYPES, undefined))
        .map(([value, contentType]): BodyPlan => ({ kind: 'json', value, contentType })),
    },
    { weight: 1, arbitrary: fc.constant<BodyPlan>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.constant<BodyPlan>({ kind: 'raw', text: '', contentType: JSON_TYPE }) },
  );
}

function tokenBody(family: Family): fc.Arbitrary<BodyPlan> {
  const odd = oddString.map((s) => ({ odd: s }));
  const plan = fc.record({
    credential: fc.noBias(fc.nat(9999)),
    grant:
      family === 'valid'
        ? fc.constant('client_credentials')
        : fc.constantFrom<string | undefined>(
            'client_credentials',
            'client_credentials',
            'password',
            'CLIENT_CREDENTIALS',
            '',
            undefined,
            'authorization_code',
          ),
    id:
      family === 'valid'
        ? fc.constantFrom<TokenPlan['id']>('right', 'upper')
        : fc.oneof(fc.constantFrom<TokenPlan['id']>('right', 'upper', 'missing', 'unknown'), odd),
    secret:
      family === 'valid'
        ? fc.constant<TokenPlan['secret']>('right')
        : fc.oneof(fc.constantFrom<TokenPlan['secret']>('right', 'wrong', 'missing', 'empty'), odd),
    basic: fc.boolean(),
    extra:
      family === 'valid'
        ? fc.constantFrom('', '', '', 'scope=ignored')
        : fc.constantFrom(
            '',
            'client_id=other',
            'client_secret=x&client_secret=y',
            'grant_type=password',
            '%zz=1',
            '&&&',
            '__proto__=1',
            `scope=${'%F0%9F%98%80'.repeat(50)}`,
          ),
    contentType:
      family === 'malformed'
        ? fc.constantFrom<string | undefined>(
            'application/x-www-form-urlencoded',
            'application/json',
            'text/plain',
            undefined,
            'application/x-www-form-urlencoded; charset=utf-8',
          )
        : fc.constant<string | undefined>('application/x-www-form-urlencoded'),
    huge: family === 'malformed' ? fc.boolean() : fc.constant(false),
  });
  return plan.map((token): BodyPlan => ({ kind: 'token', token }));
}

const REMOTE = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `10.${a}.${b}.${c}`);

/** Which family each part of a request is drawn from. */
interface Mix {
  params: Family;
  query: Family;
  body: Family;
  auth: Family;
  headers: Family;
}

const allOf = (family: Family): Mix => ({
  params: family,
  query: family,
  body: family,
  auth: family,
  headers: family,
});

// Most requests come from one side (caller and ids of one tenant), so that they can succeed and one wrong
// part is what decides the answer; the rest mix sides, which is how a tenant meets another's ids.
const side = fc.constantFrom<Side | undefined>(
  'owner',
  'owner',
  'owner',
  'owner',
  'guest',
  'guest',
  undefined,
  undefined,
);

function planFor(op: Operation, family: Family): fc.Arbitrary<RequestPlan> {
  if (family === 'valid') return side.chain((s) => mixedPlan(op, family, allOf('valid'), s));
  if (family === 'boundary') {
    return side.chain((s) => mixedPlan(op, family, { ...allOf('boundary'), auth: 'valid' }, s));
  }
  // One wrong part in an otherwise valid request (so the oracle knows what must be refused), or anything.
  const parts: (keyof Mix)[] = ['auth', 'headers', 'query'];
  if (op.pathParams.length > 0) parts.push('params');
  if (op.body !== undefined || op.method === 'DELETE') parts.push('body', 'body', 'body');
  const oneWrong = fc
    .tuple(side, fc.constantFrom(...parts))
    .chain(([s, part]) => mixedPlan(op, family, { ...allOf('valid'), [part]: 'malformed' }, s));
  return fc.oneof(oneWrong, mixedPlan(op, family, allOf('malformed'), undefined));
}

function mixedPlan(
  op: Operation,
  family: Family,
  mix: Mix,
  side: Side | undefined,
): fc.Arbitrary<RequestPlan> {
  const params: Record<string, fc.Arbitrary<Segment>> = {};
  // What a PUT or DELETE changes or removes is disposable, except a membership: the community routes of a
  // tenant, user or client change what it may do in one community, not whether its token works.
  const last = op.pathParams.at(-1);
  const membership = op.template.startsWith('/api/v1-preview/Communities/{communityId}/Tenants/{tenantId}');
  const disposable = (op.method === 'PUT' || op.method === 'DELETE') && !membership;
  for (const name of op.pathParams) {
    params[name] = segmentFor(name, mix.params, disposable && name === last).map(
      (s) => onSide(s, side) as Segment,
    );
  }
  return fc
    .record({
      params: fc.record(params),
      variant: mix.params === 'valid' ? fc.constant<PathVariant>('canonical') : pathVariant,
      query: queryFor(op, mix.query),
      body: bodyFor(op, mix.body).map((b) =>
        b.kind === 'json' ? { ...b, value: onSide(b.value, side) } : b,
      ),
      auth: authFor(op, mix.auth, side),
      headers: headersFor(op, mix.headers),
      remoteAddress: REMOTE,
    })
    .map(
      (p): RequestPlan => ({
        family,
        side,
        op,
        method: op.method,
        path: { template: op.template, params: p.params, variant: p.variant },
        query: p.query,
        body: p.body,
        auth: p.auth,
        headers: p.headers,
        remoteAddress: p.remoteAddress,
      }),
    );
}

const UNKNOWN_PATHS = [
  '/',
  '/api',
  '/api/v1',
  '/api/v2/Communities',
  '/api/v1-preview/Nope',
  '/api/v1-preview/Communities/9f1d4a2e-3b5c-4d6e-8f70-112233445566/Nope',
  '/api/v1-preview/Communities/9f1d4a2e-3b5c-4d6e-8f70-112233445566/Tenants',
  '/api/v1/Tenants/9f1d4a2e-3b5c-4d6e-8f70-112233445566/Nope',
  '/api/v1/Tenants/9f1d4a2e-3b5c-4d6e-8f70-112233445566/Users/9f1d4a2e-3b5c-4d6e-8f70-112233445566/Roles',
  '/identity',
  '/identity/connect',
  '/health',
  '/%E2%80%AEapi',
  '/api/%F0%9F%98%80',
  '/api/v1-preview/Communities/../../../etc/passwd',
  `/api/${'x'.repeat(10_000)}`,
  '/.env',
  '/api/v1-preview/Communities%2F',
];

function unknownRoute(document: ApiDocument): fc.Arbitrary<RequestPlan> {
  const known = [...new Set(document.operations.map((op) => op.template))];
  const wrongMethod = fc
    .tuple(
      fc.constantFrom(...known),
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    )
    .map(([template, method]) => ({
      template,
      method,
      literal: template.replaceAll(/\{[^}]+\}/g, '9f1d4a2e-3b5c-4d6e-8f70-112233445566'),
    }))
    .filter(({ literal, method }) => !document.methodsAt(literal).includes(method))
    .map(({ literal, method }) => ({ literal, method, expect: 'method-not-allowed' as const }));
  const unknown = fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...UNKNOWN_PATHS),
        oddString.map((s) => `/api/v1-preview/${encodeLoose(s)}/x/y/z`),
      ),
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'),
    )
    .filter(([literal]) => document.methodsAt(literal).length === 0)
    .map(([literal, method]) => ({ literal, method, expect: 'not-found' as const }));
  return fc.tuple(fc.oneof(wrongMethod, unknown), authFor(undefined, 'valid'), fc.boolean(), REMOTE).map(
    ([target, auth, withBody, remoteAddress]): RequestPlan => ({
      family: 'malformed',
      side: undefined,
      op: undefined,
      method: target.method,
      path: { literal: target.literal },
      query: '',
      body:
        withBody && target.method !== 'GET' && target.method !== 'HEAD'
          ? { kind: 'raw', text: '{"x":', contentType: JSON_TYPE }
          : { kind: 'none' },
      auth,
      headers: {},
      remoteAddress,
      expect: target.expect,
    }),
  );
}

/** Every operation of the document about equally often, and a few requests no route serves. */
export function requestPlans(document: ApiDocument): fc.Arbitrary<RequestPlan> {
  const perOperation = document.operations.map((op) =>
    fc.oneof(
      { weight: 40, arbitrary: planFor(op, 'valid') },
      { weight: 25, arbitrary: planFor(op, 'boundary') },
      { weight: 35, arbitrary: planFor(op, 'malformed') },
    ),
  );
  return fc.oneof(...perOperation.map((arbitrary) => ({ weight: 10, arbitrary })), {
    weight: 30,
    arbitrary: unknownRoute(document),
  });
}
