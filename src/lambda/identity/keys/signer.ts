/**
 * What signs the tokens /oauth/token issues: the local ring's current key, or a KMS key on AWS
 * (kms-signer.ts). Both put the key's RFC 7638 thumbprint in `kid`, so the authorizer and the
 * JWKS endpoint name keys the same way.
 */
import jwt from 'jsonwebtoken';
import { currentSigningKey, ringPath } from './local-ring.ts';
import { RingView } from './ring-view.ts';

export interface JwtSigner {
  /** A compact JWS of `claims` with `alg`, `typ` and `kid` in its header. */
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** Signs with the ring's current key, re-checking the ring every `ttlMs` (a rotation applies without a restart). */
export class LocalRingSigner implements JwtSigner {
  private readonly view: RingView<ReturnType<typeof currentSigningKey>>;

  constructor(
    dir: string,
    private readonly ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.view = new RingView(ringPath(dir), () => currentSigningKey(dir), now);
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    const { kid, privateKey } = await this.view.get(this.ttlMs);
    return jwt.sign(claims, privateKey, { algorithm: 'ES256', keyid: kid, header: { alg: 'ES256', typ: 'JWT', kid } });
  }
}
