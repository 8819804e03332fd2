// Input conventions (CONTRACT §1): property names match case-insensitively, unknown properties are
// ignored and `null` counts as absent. The canonical names come from the route's own body and query schemas.
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';

type Canonicalize = (value: unknown) => unknown;

const cache = new WeakMap<object, Canonicalize>();

function compile(schema: TSchema | undefined): Canonicalize {
  if (schema === undefined || typeof schema !== 'object') return (value) => value;
  const cached = cache.get(schema);
  if (cached !== undefined) return cached;
  const s = schema as Record<string, unknown>;
  let fn: Canonicalize = (value) => value;
  if (s.type === 'object' && typeof s.properties === 'object' && s.properties !== null) {
    const props = s.properties as Record<string, TSchema>;
    const names = new Map<string, { name: string; inner: Canonicalize }>();
    for (const [name, propSchema] of Object.entries(props)) {
      names.set(name.toLowerCase(), { name, inner: compile(propSchema) });
    }
    fn = (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        const target = names.get(key.toLowerCase());
        if (target === undefined || inner === null) continue;
        out[target.name] = target.inner(inner);
      }
      return out;
    };
  } else if (s.type === 'array' && typeof s.items === 'object') {
    const item = compile(s.items as TSchema);
    fn = (value) => (Array.isArray(value) ? value.map(item) : value);
  }
  cache.set(schema, fn);
  return fn;
}

/**
 * preValidation hook: rewrite the body and the query string to the schema's canonical property names
 * (ASP.NET binds `?Count=` as `count` too).
 */
export async function canonicalizeInput(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema;
  const body = schema?.body as TSchema | undefined;
  if (body !== undefined && request.body !== undefined && request.body !== null) {
    request.body = compile(body)(request.body);
  }
  const query = schema?.querystring as TSchema | undefined;
  if (query !== undefined && request.query !== undefined && request.query !== null) {
    request.query = compile(query)(request.query);
  }
}

/**
 * Status precedence (CONTRACT §1) puts 404 and 403 before a 400 for the body or the query, so routes
 * validate with `attachValidation` and read their input through this once the caller is known to see the
 * resource. Path ids are checked earlier, in a preHandler, because a malformed id is a 400 before a 404.
 */
export function validInput<T extends FastifyRequest>(request: T): T {
  if (request.validationError !== undefined) throw request.validationError;
  return request;
}

/** A deferred read of the request's validated input: the service calls it after its access checks. */
export type Input<T> = () => T;
