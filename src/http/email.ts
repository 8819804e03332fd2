// E-mail addresses as CONTRACT §4 wants them: trimmed before validation and storage, compared case-folded.

const MAX_LENGTH = 254;
// A pragmatic subset of RFC 5322: dot-atom local part, a dotted domain of letters, digits and hyphens.
const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim();
  if (email.length > MAX_LENGTH || !ADDRESS.test(email)) return undefined;
  if (email.startsWith('.') || email.includes('..') || email.split('@')[0]?.endsWith('.')) return undefined;
  return email;
}

export const emailKey = (email: string): string => email.trim().toLowerCase();
