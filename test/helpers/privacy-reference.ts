/**
 * docs/privacy.md's rules in plain TypeScript, sharing nothing with the SQL in
 * src/lambda/privacy/masks.ts: if the engine's masking is wrong, these disagree. Strings are read
 * by code point (as both engines' string functions do); words are separated by spaces.
 */
import { createHmac } from 'node:crypto';
import type { PersonalKind } from '../../src/lambda/lake/layout.ts';
import type { PiiMode } from '../../src/lambda/privacy/modes.ts';

type Value = string | number | null;

/** The engines' key: HMAC-SHA256(secret, "lakegate pseudonyms v1"). */
export const derivedKey = (secret: Buffer) => createHmac('sha256', secret).update('lakegate pseudonyms v1').digest();

export const pseudonymOf = (value: string, secret: Buffer) => `lgp_${createHmac('sha256', derivedKey(secret)).update(value, 'utf8').digest('hex').slice(0, 16)}`;

const firstCodePoint = (word: string) => String.fromCodePoint(word.codePointAt(0)!);

function maskName(s: string): string {
  const words = s.split(' ').filter((w) => w !== '');
  if (words.length === 0) return '';
  const first = `${firstCodePoint(words[0]!)}.`;
  return words.length === 1 ? first : `${first} ${firstCodePoint(words.at(-1)!)}.`;
}

function maskEmail(s: string, secret: Buffer): string {
  const [local, domain, ...more] = s.split('@');
  const labels = domain?.split('.') ?? [];
  const wellFormed = more.length === 0 && !!local && !local.includes(' ') && labels.length >= 2 && labels.every((l) => l !== '' && !l.includes(' '));
  return wellFormed ? `XXXXX@${domain}` : pseudonymOf(s, secret);
}

function maskPhone(s: string): string {
  const digits = s.replace(/[^0-9]/g, '');
  return digits.length <= 4 ? 'XXXXX' : `XXXXX${digits.slice(-4)}`;
}

function maskAddress(s: string): string {
  const words = s.split(/([ ,])/); // separators kept
  const kept = words.map((w) => (/[0-9]/.test(w) && w !== ' ' && w !== ',' ? '' : w)).join('');
  return kept.replace(/ +,/g, ',').replace(/ {2,}/g, ' ').replace(/^[ ,]+|[ ,]+$/g, '');
}

/** Two decimals, halves away from zero; a zero is 0 whatever its sign (JSON and CSV have no -0). */
const maskCoordinate = (x: number) => Math.sign(x) * (Math.floor(Math.abs(x) * 100 + 0.5) / 100) || 0;

/** A personal value as a caller in `mode` gets it. */
export function referenceValue(kind: PersonalKind, mode: PiiMode, value: Value, secret: Buffer): Value {
  if (value === null || mode === 'clear') return value;
  if (kind === 'coordinate') return maskCoordinate(value as number);
  const text = value as string;
  if (mode === 'pseudonymized') return pseudonymOf(text, secret);
  switch (kind) {
    case 'name': return maskName(text);
    case 'email': return maskEmail(text, secret);
    case 'phone': return maskPhone(text);
    case 'address': return maskAddress(text);
  }
}
