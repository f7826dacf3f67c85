/**
 * What signs the tokens /oauth/token issues: the local ring's current key, or a KMS key on AWS
 * (kms-signer.ts). Both put the key's RFC 7638 thumbprint in `kid`, so the authorizer and the
 * JWKS endpoint name keys the same way.
 */
import jwt from 'jsonwebtoken';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileVersion } from '../acl/store.ts';
import { KEYRING_FILE, currentSigningKey, readKeyRing } from './keyring.ts';

export interface JwtSigner {
  /** A compact JWS of `claims` with `alg`, `typ` and `kid` in its header. */
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** Signs with the ring's current key, re-checking the ring every `ttlMs` (a rotation applies without a restart). */
export class LocalRingSigner implements JwtSigner {
  private cached: { version: string; key: ReturnType<typeof currentSigningKey>; checkedAt: number } | undefined;

  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private async key() {
    if (this.cached && this.now() - this.cached.checkedAt < this.ttlMs) return this.cached.key;
    readKeyRing(this.dir);
    const version = fileVersion(await stat(path.join(this.dir, KEYRING_FILE)));
    if (this.cached?.version !== version) this.cached = { version, key: currentSigningKey(this.dir), checkedAt: this.now() };
    else this.cached.checkedAt = this.now();
    return this.cached.key;
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    const { kid, privateKey } = await this.key();
    return jwt.sign(claims, privateKey, { algorithm: 'ES256', keyid: kid, header: { alg: 'ES256', typ: 'JWT', kid } });
  }
}
