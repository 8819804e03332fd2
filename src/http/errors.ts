// Errors are values with stable codes. Each code has its HTTP status and public wording; the throw site
// adds the specific Reason and Resolution. Internal causes are logged, never sent.

export const ERROR_CODES = {
  unauthorized: { status: 401, error: 'Unauthorized.' },
  forbidden: { status: 403, error: 'Forbidden.' },
  not_found: { status: 404, error: 'Not found.' },
  route_not_found: { status: 404, error: 'Not found.' },
  method_not_allowed: { status: 405, error: 'Method not allowed.' },
  invalid_request: { status: 400, error: 'Bad request.' },
  request_timeout: { status: 408, error: 'Request timeout.' },
  conflict: { status: 409, error: 'Conflict.' },
  payload_too_large: { status: 413, error: 'Payload too large.' },
  unsupported_media_type: { status: 415, error: 'Unsupported media type.' },
  too_many_requests: { status: 429, error: 'Too many requests.' },
  internal: { status: 500, error: 'Internal server error.' },
  unavailable: { status: 503, error: 'Service unavailable.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly reason: string;
  readonly resolution: string;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    reason: string,
    resolution: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.reason = reason;
    this.resolution = resolution;
    this.headers = options.headers ?? {};
  }

  get title(): string {
    return ERROR_CODES[this.code].error;
  }
}

export const unauthorized = (reason: string) =>
  new AppError(
    'unauthorized',
    reason,
    'Send a valid bearer access token from /identity/connect/token in the Authorization header.',
  );

/** Also used when the resource exists but the caller's tenant may not see it: existence is never revealed. */
export const notFound = (what: string, id?: string) =>
  new AppError(
    'not_found',
    id === undefined ? `${what} was not found.` : `${what} '${id}' was not found.`,
    `Check the identifier and that your tenant has access to the ${what.toLowerCase()}.`,
  );

export const forbidden = (reason: string, resolution = 'Ask an administrator of your tenant for the role.') =>
  new AppError('forbidden', reason, resolution);

export const invalid = (reason: string, resolution = 'Correct the request and send it again.') =>
  new AppError('invalid_request', reason, resolution);

export const conflict = (reason: string, resolution: string) => new AppError('conflict', reason, resolution);

/** An error that follows RFC 6749 §5.2 (token endpoint), not the ErrorResponse shape. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}
