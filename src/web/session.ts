// The browser session of the pages: a cookie holding a user access token of this service, and CSRF
// protection by double submit (a random cookie repeated in a hidden field of every form, compared in
// constant time), with the Origin and Sec-Fetch-Site headers checked when the browser sends them.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sha256 } from '../digest.ts';

export interface Cookies {
  session: string;
  csrf: string;
  /** Secure cookies, only when the service is served over https. */
  secure: boolean;
}

/** The `__Host-` prefix (Secure, Path=/, no Domain) where the browser allows it: only over https. */
export function cookieNames(publicUrl: string): Cookies {
  const secure = new URL(publicUrl).protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}convene_session`, csrf: `${prefix}convene_csrf`, secure };
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    const value = part.slice(at + 1).trim();
    // Only the URL-safe alphabets this service writes (base64url, JWT); anything else is not ours.
    return /^[A-Za-z0-9._~-]{1,4000}$/.test(value) ? value : undefined;
  }
  return undefined;
}

/** Appends a Set-Cookie header (several may be set on one reply). */
export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: { secure: boolean; maxAgeSeconds?: number },
): void {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  const previous = reply.getHeader('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}

export const clearCookie = (reply: FastifyReply, name: string, secure: boolean) =>
  setCookie(reply, name, '', { secure, maxAgeSeconds: 0 });

export const newCsrfToken = (): string => randomBytes(32).toString('base64url');

/** The hidden field must repeat the cookie; digests make the comparison constant-time whatever the lengths. */
export function csrfMatches(cookie: string | undefined, field: string | undefined): boolean {
  if (cookie === undefined || field === undefined || cookie.length < 32) return false;
  return timingSafeEqual(sha256(cookie), sha256(field));
}

/**
 * A cross-site form post is refused on the headers alone when the browser says where it comes from.
 * `Origin: null` is what a browser sends for a same-origin form on a page with `Referrer-Policy:
 * no-referrer`, so it proves nothing either way and the token decides.
 */
export function sameOriginRequest(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return true;
  return origin === publicOrigin;
}
