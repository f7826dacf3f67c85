/**
 * Local key material, created on first use under the git-ignored keys folder:
 * - `jwt-private.pem` / `jwt-public.pem`: the ES256 (P-256) pair; the CLI signs with the
 *   private key, the authorizer holds only the public one;
 * - `page-token.key`: the secret that signs pagination tokens;
 * - `pseudonym.key`: the secret personal values' pseudonyms are keyed with (docs/privacy.md).
 * On AWS the public key and both secrets come from SSM parameters instead.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../../shared/atomic-file.ts';
import path from 'node:path';

export const KEY_FILES = {
  privateKey: 'jwt-private.pem', publicKey: 'jwt-public.pem', pageSecret: 'page-token.key', pseudonymSecret: 'pseudonym.key',
} as const;

/** Write a key file atomically with owner-only permissions. */
const createSecretFile = (file: string, content: string) => writeFileAtomicSync(file, content, 0o600);

/** A new random 256-bit secret (base64) in `name`, replacing any there (`npm run keys -- rotate-pseudonyms`). */
export function writeNewSecret(dir: string, name: 'pageSecret' | 'pseudonymSecret'): void {
  createSecretFile(path.join(dir, KEY_FILES[name]), `${randomBytes(32).toString('base64')}\n`);
}

/** Make sure the local keys exist; returns their folder. Safe to call concurrently-ish (first writer wins). */
export function ensureLocalKeys(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const priv = path.join(dir, KEY_FILES.privateKey);
  const pub = path.join(dir, KEY_FILES.publicKey);
  if (!existsSync(priv) || !existsSync(pub)) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    createSecretFile(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    createSecretFile(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  for (const name of ['pageSecret', 'pseudonymSecret'] as const) if (!existsSync(path.join(dir, KEY_FILES[name]))) writeNewSecret(dir, name);
  return dir;
}

export function readKeyFile(dir: string, name: keyof typeof KEY_FILES): string {
  const file = path.join(dir, KEY_FILES[name]);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`missing ${file}: run \`npm run --silent token -- --client 1\` or \`npm start\` once to create local keys`);
  }
}
