/**
 * Client secrets (docs/design.md §9): 256 random bits, shown once, stored only as a hash, several per
 * client so a client can rotate without downtime.
 *
 * The hash is SHA-256. Password hashes (scrypt, Argon2) are slow on purpose to make guessing a
 * low-entropy password expensive; a secret of 256 uniformly random bits cannot be guessed
 * whatever the hash speed, and a fast hash keeps the token endpoint's check in microseconds.
 * Comparison is constant-time, and an unknown client is checked against a dummy hash so it
 * costs the same as a wrong secret.
 *
 * The store is JSON Lines, one secret per line: `{client_id, id, created, sha256}` — never the
 * secret itself. It is not the access table: only the token endpoint reads it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface StoredSecret {
  readonly client_id: number;
  /** Public handle of the secret (for listing and revoking), unrelated to its value. */
  readonly id: string;
  readonly created: string;
  /** base64url SHA-256 of the secret's UTF-8 text. */
  readonly sha256: string;
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/** The secret's text: a readable prefix and 256 random bits (base64url). */
export const SECRET_FORMAT = /^lgs_[A-Za-z0-9_-]{43}$/;
const SECRET_ID = /^[a-f0-9]{16}$/;
const HASH = /^[A-Za-z0-9_-]{43}$/;

export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('base64url');

/** A new secret for a client: the text to show once, and the record to store. */
export function newSecret(clientId: number, now = new Date()): { secret: string; stored: StoredSecret } {
  const secret = `lgs_${randomBytes(32).toString('base64url')}`;
  return { secret, stored: { client_id: clientId, id: randomBytes(8).toString('hex'), created: now.toISOString(), sha256: hashSecret(secret) } };
}

const DUMMY = hashSecret(`lgs_${'A'.repeat(43)}`);

/**
 * Whether `presented` is one of the client's secrets. Constant-time per comparison; the work
 * does not depend on whether the client exists (at least one comparison, against a dummy).
 */
export function secretMatches(stored: readonly StoredSecret[], clientId: number, presented: string): boolean {
  const presentedHash = Buffer.from(hashSecret(presented), 'base64url');
  const own = stored.filter((s) => s.client_id === clientId);
  let match = false;
  for (const s of own.length > 0 ? own : [{ sha256: DUMMY }]) {
    if (timingSafeEqual(presentedHash, Buffer.from(s.sha256, 'base64url'))) match = own.length > 0;
  }
  return match && SECRET_FORMAT.test(presented);
}

/** Parse the store's JSON Lines. Strict and all-or-nothing: a malformed store authenticates nobody. */
export function parseSecrets(text: string): StoredSecret[] {
  const out: StoredSecret[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line);
    } catch {
      throw new CredentialsError(`line ${i + 1}: not JSON`);
    }
    const keys = Object.keys(v ?? {}).sort().join(',');
    if (keys !== 'client_id,created,id,sha256') throw new CredentialsError(`line ${i + 1}: expected exactly client_id, id, created, sha256`);
    if (!Number.isSafeInteger(v.client_id) || (v.client_id as number) < 0) throw new CredentialsError(`line ${i + 1}: bad client_id`);
    if (typeof v.id !== 'string' || !SECRET_ID.test(v.id) || ids.has(v.id)) throw new CredentialsError(`line ${i + 1}: bad or repeated id`);
    if (typeof v.created !== 'string' || Number.isNaN(Date.parse(v.created))) throw new CredentialsError(`line ${i + 1}: bad created`);
    if (typeof v.sha256 !== 'string' || !HASH.test(v.sha256)) throw new CredentialsError(`line ${i + 1}: bad sha256`);
    ids.add(v.id);
    out.push({ client_id: v.client_id as number, id: v.id, created: v.created, sha256: v.sha256 });
  });
  return out;
}

export const serializeSecrets = (secrets: readonly StoredSecret[]) => secrets.map((s) => `${JSON.stringify(s)}\n`).join('');
