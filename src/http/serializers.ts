// Response serializers compiled once per distinct schema. Fastify compiles a serializer per route and
// status, and every route declares the same ErrorResponse statuses: 464 compilations of 39 distinct
// schemas, most of the time from start to ready and ~10 MB of heap (measured with `npm run bench`).
import fastJsonStringify from 'fast-json-stringify';
import type { FastifyServerOptions } from 'fastify';

type SerializerFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']
>;

/**
 * Fastify's default serializer factory (fast-json-stringify), memoized by the JSON of the schema and of the
 * shared schemas it may reference. The cache belongs to the app: Fastify calls the factory again for every
 * route of a scope that added schemas, so a cache per call would never hit.
 */
export function memoizedSerializers(): SerializerFactory {
  const cache = new Map<string, (data: unknown) => string>();
  return (externalSchemas, serializerOpts) => {
    const shared = JSON.stringify(externalSchemas ?? {});
    return ({ schema }) => {
      const key = `${shared}\n${JSON.stringify(schema)}`;
      let serializer = cache.get(key);
      if (serializer === undefined) {
        // As the default compiler: a schema is not also passed as an external schema of itself.
        let schemas = externalSchemas as Record<string, unknown> | undefined;
        const id = (schema as { $id?: unknown }).$id;
        if (typeof id === 'string' && schemas?.[id] !== undefined) {
          schemas = { ...schemas };
          delete schemas[id];
        }
        serializer = fastJsonStringify(schema as object, { ...serializerOpts, schema: schemas as never });
        cache.set(key, serializer);
      }
      return serializer;
    };
  };
}
