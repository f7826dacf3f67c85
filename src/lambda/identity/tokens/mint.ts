/**
 * Minting a client token the way the authorizer verifies it: signed with the private key
 * (ES256 for P-256, RS256 for RSA), `kid` = the public key's thumbprint, `sub` = client id,
 * issuer/audience from configuration, explicit `iat` and `exp`.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { currentSigningKey } from '../keys/local-ring.ts';
import { keyThumbprint, publicVerificationKey } from './verify.ts';

export interface MintOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in seconds; negative gives an already expired token (for tests and load checks). */
  readonly ttlSec: number;
}

export function mintToken(privateKey: KeyObject | string, clientId: number, opts: MintOptions): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const publicKey = createPublicKey(key);
  const { algorithm } = publicVerificationKey(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ iat: Math.min(now, now + opts.ttlSec - 60), exp: now + opts.ttlSec }, key, {
    algorithm,
    keyid: keyThumbprint(publicKey),
    subject: String(clientId),
    issuer: opts.issuer,
    audience: opts.audience,
  });
}

/**
 * A token signed with the local key ring's current key, carrying its kid: the one way everything
 * local mints (`npm run token`, `npm run load`, the bench, the tests), like POST /oauth/token. After
 * `keys rotate` new tokens carry the new kid; a retired key never signs again.
 */
export function mintLocalToken(keysDir: string, clientId: number, opts: MintOptions): string {
  return mintToken(currentSigningKey(keysDir).privateKey, clientId, opts);
}
