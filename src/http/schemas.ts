// Wire schemas shared by every feature: ids, paging, the ErrorResponse and the error statuses a route
// declares. Feature schemas live beside their routes.
import { type TSchema, Type } from 'typebox';

export const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const GUID_REGEX = new RegExp(GUID_PATTERN);
export const isGuid = (value: string): boolean => GUID_REGEX.test(value);

export const Guid = (description: string) =>
  Type.String({ pattern: GUID_PATTERN, description, examples: ['9f1d4a2e-3b5c-4d6e-8f70-112233445566'] });

export const GuidOut = (description: string) => Type.String({ format: 'uuid', description });

/** A nullable output property: present as `null` only with `Accept-Verbosity: verbose`. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const DateTime = (description: string) => Type.String({ format: 'date-time', description });

export const ErrorResponse = Type.Object(
  {
    OperationId: Type.String({ description: 'Operation identifier of the request that caused the error.' }),
    Error: Type.String({ description: 'What failed.' }),
    Reason: Type.String({ description: 'Why it failed.' }),
    Resolution: Type.String({ description: 'What the caller can do about it.' }),
    DynamicProperties: Type.Optional(
      Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'Additional properties.' })),
    ),
  },
  { $id: 'ErrorResponse', description: 'Object returned whenever there is an error.' },
);

const ErrorRef = Type.Ref('ErrorResponse');

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad Request. The request is malformed or a property is invalid.',
  401: 'Unauthorized. No valid bearer token was sent.',
  403: 'Forbidden. The caller can see the resource but lacks the role for this action.',
  404: 'Not Found. The resource does not exist or the caller’s tenant may not see it.',
  408: 'Request Timeout. The request ran longer than its Request-Timeout header allowed.',
  409: 'Conflict. The request conflicts with the current state.',
  413: 'Payload Too Large. The request body exceeds the limit.',
  415: 'Unsupported Media Type. Send application/json.',
  429: 'Too Many Requests. A rate limit was reached; Retry-After says how many seconds to wait.',
  500: 'Internal Server Error.',
};

/** The ErrorResponse statuses a route can return, for its response schema (and so the OpenAPI). */
export function errors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of [...statuses, 408, 500]) {
    out[status] = Type.Unsafe({ ...ErrorRef, description: ERROR_DESCRIPTIONS[status] ?? 'Error.' });
  }
  return out;
}

export const PagingQuery = Type.Object({
  // Bounded like the Int32 of an ASP.NET service: a larger number (or Infinity, which the query string's
  // coercion accepts as an integer) would reach the database as an OFFSET it refuses.
  skip: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 2_147_483_647,
      default: 0,
      description: 'Zero-based offset of the first item to return (0–2147483647).',
    }),
  ),
  count: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      description: 'Maximum number of items (1–1000).',
    }),
  ),
  query: Type.Optional(Type.String({ description: 'Not supported; accepted and ignored.' })),
});

export interface Paging {
  skip: number;
  count: number;
}

export const TOTAL_COUNT_HEADER = {
  'Total-Count': Type.Integer({ description: 'Total number of items, whatever skip and count.' }),
};

export const NoContent = Type.Null({ description: 'No content.' });
