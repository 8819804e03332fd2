// Helpers shared by the identity tests: raw token requests and the RFC 6749 error shape.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../support/app.ts';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A POST to the token endpoint with the given form fields (form-encoded unless `contentType` says otherwise). */
export function tokenRequest(
  t: TestApp,
  form: Record<string, string>,
  options: { headers?: Record<string, string>; contentType?: string; payload?: string } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/identity/connect/token',
    payload: options.payload ?? new URLSearchParams(form).toString(),
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      ...options.headers,
    },
  });
}

export const clientCredentials = (clientId: string, secret: string) => ({
  grant_type: 'client_credentials',
  client_id: clientId,
  client_secret: secret,
});

/** RFC 6749 §5.2: `{ error, error_description }` as exactly application/json, with the Operation-Id header. */
export function assertOAuthError(response: LightMyRequestResponse, status: number, error: string): string {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.match(String(response.headers['operation-id']), GUID);
  assert.equal(response.headers['cache-control'], 'no-store');
  const body = response.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body.error, error);
  assert.equal(typeof body.error_description, 'string');
  return body.error_description as string;
}
