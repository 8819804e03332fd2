// The wire conventions of CONTRACT §1 that apply to every route: Operation-Id, JSON bodies, verbosity,
// Request-Timeout, the ErrorResponse for every non-2xx (unknown routes and wrong methods included).
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
} from 'fastify';
import fp from 'fastify-plugin';
import { AppError, invalid, OAuthError } from './errors.ts';
import { canonicalizeInput } from './input.ts';
import { isGuid } from './schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a bearer token (discovery, token, health, documentation, pages). */
    public?: boolean;
    /** Errors follow RFC 6749 (the token endpoint). */
    oauth?: boolean;
  }
}

const JSON_TYPE = 'application/json';

/** Node fires a timer longer than this (about 24.8 days) at once; a Request-Timeout beyond it never fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * On every answer (SECURITY.md): no content sniffing of a JSON body that echoes input, and no cache keeps
 * per-caller data or a secret shown once. A route may set its own Cache-Control (the page assets do).
 */
const SAFE_RESPONSE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

function errorBody(request: FastifyRequest, error: AppError) {
  return { OperationId: request.id, Error: error.title, Reason: error.reason, Resolution: error.resolution };
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  const where = { body: 'request body', querystring: 'query string', params: 'path', headers: 'headers' }[
    error.validationContext ?? 'body'
  ];
  if (first === undefined) return `The ${where} is invalid: ${error.message}.`;
  const pathName = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const params = first.params as Record<string, unknown>;
  const subject =
    typeof params.missingProperty === 'string'
      ? `property '${[pathName, params.missingProperty].filter(Boolean).join('.')}'`
      : pathName === ''
        ? `the ${where}`
        : `'${pathName}'`;
  // A wrong type for the whole body or query ("must be object") reads badly as "In the body, the body ...".
  if (pathName === '' && typeof params.missingProperty !== 'string') return `The ${where} ${first.message}.`;
  const message =
    typeof params.missingProperty === 'string'
      ? 'is required'
      : typeof params.pattern === 'string' && params.pattern.includes('[0-9a-fA-F]{8}')
        ? 'must be a GUID (such as 9f1d4a2e-3b5c-4d6e-8f70-112233445566)'
        : first.message;
  return `In the ${where}, ${subject} ${message}.`;
}

/** `contentType` is the request's header ('' when absent), or undefined when not known here. */
function unsupportedMediaType(contentType: string | undefined): AppError {
  const reason =
    contentType === undefined
      ? 'The content type of the request body is not accepted.'
      : contentType.trim() === ''
        ? 'The request has a body but no Content-Type.'
        : `The content type '${contentType}' is not accepted.`;
  return new AppError('unsupported_media_type', reason, 'Send the body as application/json.');
}

/** Maps any thrown value to an AppError; framework errors get their own public wording. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as FastifyError;
  if (e?.validation !== undefined) {
    return invalid(describeValidation(e), 'Correct the request and send it again; see /openapi.json.');
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'payload_too_large',
        'The request body is larger than the service accepts.',
        'Send a smaller body.',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(undefined);
    case 'FST_ERR_BAD_URL':
      return invalid('The path is not a valid URL (malformed percent-encoding).', 'Percent-encode the path.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return invalid(
        'A path segment is longer than any identifier.',
        'Check the path against /openapi.json.',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalid('The Content-Length header does not match the body.', 'Send a well-formed request.');
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413)
    return new AppError('payload_too_large', 'The request is too large.', 'Send a smaller request.');
  if (status === 415)
    return new AppError(
      'unsupported_media_type',
      'The content type is not accepted.',
      'Send application/json.',
    );
  if (status >= 400 && status < 500)
    return invalid('The request is malformed.', 'Send a well-formed request.');
  return new AppError(
    'internal',
    'The service failed while handling the request.',
    'Try again later; if it keeps failing, report the OperationId to the operator.',
    { cause: error },
  );
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof OAuthError) return sendOAuthError(reply, error);
  const appError = toAppError(error);
  if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
  if (request.routeOptions.config?.oauth === true) {
    // Keep the status (a store failure is not the client's invalid_request); RFC 6749 has no code for a
    // timeout or a 413/415, so those stay invalid_request with their own status.
    const code = appError.status >= 500 ? 'server_error' : 'invalid_request';
    return sendOAuthError(reply, new OAuthError(appError.status, code, appError.reason));
  }
  return reply
    .code(appError.status)
    .headers(appError.headers)
    .type(JSON_TYPE)
    .send(errorBody(request, appError));
}

function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .type(JSON_TYPE)
    .send({ error: error.error, error_description: error.description });
}

/**
 * Fastify's `frameworkErrors` option. The router rejects a malformed percent-encoding or an over-long path
 * parameter before any hook runs, so without this those answers lack the Operation-Id and the ErrorResponse.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error);
  // No hook runs here either, so the onSend hook cannot drop the charset Fastify appends to a JSON type; a
  // Buffer is sent as is.
  reply
    .code(appError.status)
    .header('Operation-Id', request.id)
    .headers(SAFE_RESPONSE_HEADERS)
    .header('content-type', JSON_TYPE)
    .send(Buffer.from(JSON.stringify(errorBody(request, appError))));
}

/** Leaves out null members, as every answer does unless the client asks for Accept-Verbosity: verbose. */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== null && inner !== undefined) out[key] = stripNulls(inner);
  }
  return out;
}

interface KnownRoute {
  method: string;
  pattern: RegExp;
  /** Path parameter names by segment index (GUIDs, all of them). */
  params: Map<number, string>;
}

function routeParams(url: string): Map<number, string> {
  const params = new Map<number, string>();
  url
    .split('/')
    .filter(Boolean)
    .forEach((segment, index) => {
      if (segment.startsWith(':')) params.set(index, segment.slice(1));
    });
  return params;
}

function routePattern(url: string): RegExp {
  const body = url
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^/${body}$`, 'i');
}

function decodeSegment(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    return segment ?? '';
  }
}

function normalisePath(url: string): string {
  const pathOnly = url.split('?')[0] ?? '/';
  return `/${pathOnly.split('/').filter(Boolean).join('/')}`;
}

export interface ConventionsOptions {
  /** The service's validator compiler (src/http/validation.ts), the one the app sets as its default. */
  validatorCompiler: FastifySchemaCompiler<unknown>;
}

async function conventions(app: FastifyInstance, options: ConventionsOptions): Promise<void> {
  const routes: KnownRoute[] = [];
  // Every route validates with the service's compiler (typed JSON bodies, coerced query and path), set per
  // route: Fastify rebuilds its default Ajv, which coerces bodies too, for any scope that adds a schema.
  const compile = options.validatorCompiler;
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({ method, pattern: routePattern(route.url), params: routeParams(route.url) });
    }
    route.validatorCompiler ??= compile;
  });

  // An empty body with a JSON content type (every DELETE of the public client) is no body at all. A body
  // sent to an unknown route or with the wrong method is not parsed: the 404 or 405 says more than a 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(JSON_TYPE, { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '' || request.is404) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        invalid(
          `The request body is not valid JSON: ${(error as Error).message}.`,
          'Send a well-formed JSON document.',
        ),
      );
    }
  });
  // Any other body is a 415, text/plain included (Fastify would hand its string to the body schema, a 400).
  // An empty one is no body, whatever its declared type.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    if ((body as Buffer).length === 0 || request.is404) return done(null, undefined);
    done(unsupportedMediaType(request.headers['content-type'] ?? ''));
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('Operation-Id', request.id);
    reply.headers(SAFE_RESPONSE_HEADERS);
    const timeout = request.headers['request-timeout'];
    const ms =
      typeof timeout === 'string' && /^\d+(\.\d+)?$/.test(timeout.trim()) ? Number(timeout) * 1000 : NaN;
    if (ms <= MAX_TIMER_MS) {
      const timer = setTimeout(
        () => {
          if (!reply.sent) {
            sendError(
              request,
              reply,
              new AppError(
                'request_timeout',
                `The request did not finish within its Request-Timeout of ${timeout} seconds.`,
                'Retry with a longer Request-Timeout; check whether the change was made before retrying a write.',
              ),
            );
          }
        },
        Math.max(1, ms),
      );
      timer.unref();
      reply.raw.once('close', () => clearTimeout(timer));
    }
  });

  app.addHook('preValidation', canonicalizeInput);

  // A malformed path id is a 400 before any 404; other validation errors wait for the access checks. Ids
  // are stored lowercase; they are lowered even when the query or body is invalid, or the lookup of an
  // uppercase id would answer 404 where the deferred 400 belongs. Only GUIDs: a wildcard is a file name.
  app.addHook('preHandler', async (request) => {
    const error = request.validationError;
    if (error !== undefined && (error as FastifyError).validationContext === 'params') throw error;
    const params = request.params as Record<string, string> | undefined;
    if (params !== undefined) {
      for (const [key, value] of Object.entries(params)) {
        if (typeof value === 'string' && isGuid(value)) params[key] = value.toLowerCase();
      }
    }
  });

  app.addHook('preSerialization', async (request, _reply, payload) => {
    const verbosity = request.headers['accept-verbosity'];
    if (typeof verbosity === 'string' && verbosity.trim().toLowerCase() === 'verbose') return payload;
    return stripNulls(payload);
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith(JSON_TYPE)) reply.header('content-type', JSON_TYPE);
    return payload;
  });

  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));

  app.setNotFoundHandler((request, reply) => {
    const path = normalisePath(request.url);
    const matching = routes.filter((r) => r.pattern.test(path));
    const allowed = [...new Set(matching.map((r) => r.method))];
    // A route serves this method and path shape, yet the router did not match: a path parameter that the
    // router's case folding changed the length of ('İ' lowercases to two characters). Ids are GUIDs.
    const route = matching.find((r) => r.method === request.method);
    if (route !== undefined) {
      const segments = path.split('/').filter(Boolean);
      const name = [...route.params].find(([index]) => !isGuid(decodeSegment(segments[index])))?.[1];
      if (name !== undefined) {
        return sendError(
          request,
          reply,
          invalid(
            `In the path, '${name}' must be a GUID (such as 9f1d4a2e-3b5c-4d6e-8f70-112233445566).`,
            'Correct the request and send it again; see /openapi.json.',
          ),
        );
      }
    }
    if (allowed.length > 0) {
      reply.header('Allow', allowed.join(', '));
      return sendError(
        request,
        reply,
        new AppError(
          'method_not_allowed',
          `${request.method} is not supported on ${path}.`,
          `Use one of: ${allowed.join(', ')}.`,
        ),
      );
    }
    return sendError(
      request,
      reply,
      new AppError(
        'route_not_found',
        `No resource is served at ${request.method} ${path}.`,
        'Check the path against /openapi.json.',
      ),
    );
  });
}

export default fp(conventions, { name: 'conventions' });
