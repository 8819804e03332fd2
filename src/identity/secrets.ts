// Secrets (client secrets, one-time tokens) are random, high-entropy values, so a SHA-256 digest is a
// sufficient hash at rest; comparisons are constant-time.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../digest.ts';

/** 256 bits, URL-safe. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

export const hashSecret = (secret: string): string => sha256Hex(secret);

export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
