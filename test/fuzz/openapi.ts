// The committed OpenAPI document as the fuzzer reads it: one entry per route and method, with the
// request schemas to generate from and an Ajv validator per declared response.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under NodeNext its function sits on `.default`.
const addFormats = addFormatsModule.default;

export type JsonSchema = Record<string, unknown>;

export const DOCUMENT_PATH = new URL('../../openapi.json', import.meta.url);

export interface ResponseSpec {
  /** Undefined when the status declares no body (204, HEAD counts, the invitation actions). */
  validate?: ValidateFunction;
  /** Declared response headers, lower-cased. */
  headers: string[];
}

export interface Operation {
  /** `GET /api/v1/Tenants/{tenantId}`, as failures name it. */
  key: string;
  method: string;
  template: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  body?: { contentType: string; schema: JsonSchema; validate: ValidateFunction };
  responses: Map<number, ResponseSpec>;
  /**
   * The body of an error that the conventions produce on any route (413, 415): the route's own error
   * shape, which is RFC 6749's on the token endpoint and the ErrorResponse everywhere else.
   */
  conventionError: ValidateFunction;
  /** POST, PUT, DELETE (and PATCH): a rejected one must leave the store as it was. */
  write: boolean;
}

export interface ApiDocument {
  operations: Operation[];
  errorResponse: ValidateFunction;
  /** Every method the document serves at a concrete path (lower-case matching, as the router does). */
  methodsAt(path: string): string[];
}

/** An absolute base for the component schemas, so references between them resolve from anywhere. */
const COMPONENTS = 'https://openapi.convene.test/components/';

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'];
const WRITES = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/**
 * Response schemas are read strictly: an object may carry only the properties it declares (the serializer
 * strips the others, so an extra one means a body that bypassed it), ids are lowercase GUIDs and times
 * are UTC with `Z` (CONTRACT §1).
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string')
      out[key] = value.replace('#/components/schemas/', COMPONENTS);
    else out[key] = strict(value);
  }
  if (typeof out.properties === 'object' && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

function responseAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (value: string) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(value) && !Number.isNaN(Date.parse(value)),
  });
  return ajv;
}

function routePattern(template: string): RegExp {
  const body = template
    .split('/')
    .filter(Boolean)
    .map((segment) =>
      segment.startsWith('{') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').toLowerCase(),
    )
    .join('/');
  return new RegExp(`^/${body}$`);
}

export function loadDocument(file: URL | string = DOCUMENT_PATH): ApiDocument {
  const document = JSON.parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { schemas: Record<string, JsonSchema> };
  };
  const ajv = responseAjv();
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    ajv.addSchema({ ...(strict(schema) as JsonSchema), $id: `${COMPONENTS}${name}` });
  }
  const compile = (schema: JsonSchema) => ajv.compile(strict(schema) as JsonSchema);
  // Request bodies as the document states them: no coercion (a JSON body is typed already), and
  // additional properties allowed (unknown input properties are ignored, CONTRACT §1).
  const requestAjv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
  addFormats(requestAjv);
  const errorResponse = ajv.getSchema(`${COMPONENTS}ErrorResponse`);
  if (errorResponse === undefined) throw new Error('openapi.json has no ErrorResponse component');

  const operations: Operation[] = [];
  const patterns: { method: string; pattern: RegExp }[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method] as
        | {
            parameters?: { in: string; name: string; schema: JsonSchema }[];
            requestBody?: { content: Record<string, { schema: JsonSchema }> };
            responses: Record<
              string,
              { content?: Record<string, { schema: JsonSchema }>; headers?: Record<string, unknown> }
            >;
          }
        | undefined;
      if (op === undefined) continue;
      const responses = new Map<number, ResponseSpec>();
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.['application/json']?.schema;
        responses.set(Number(status), {
          ...(schema === undefined ? {} : { validate: compile(schema) }),
          headers: Object.keys(response.headers ?? {}).map((name) => name.toLowerCase()),
        });
      }
      const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      const upper = method.toUpperCase();
      operations.push({
        key: `${upper} ${template}`,
        method: upper,
        template,
        pathParams: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        query: (op.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema })),
        ...(contentType === undefined || media === undefined
          ? {}
          : { body: { contentType, schema: media.schema, validate: requestAjv.compile(media.schema) } }),
        responses,
        conventionError: responses.get(400)?.validate ?? errorResponse,
        write: WRITES.has(upper),
      });
      patterns.push({ method: upper, pattern: routePattern(template) });
    }
  }

  const methodsAt = (path: string) => {
    const normalised = `/${path.split('?')[0]?.split('/').filter(Boolean).join('/') ?? ''}`.toLowerCase();
    return [...new Set(patterns.filter((p) => p.pattern.test(normalised)).map((p) => p.method))];
  };
  return { operations, errorResponse, methodsAt };
}
