// SHA-256 of text, the one digest the service keeps of secrets, keys and counted values.
import { createHash } from 'node:crypto';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export const sha256Hex = (value: string): string => sha256(value).toString('hex');
