/**
 * Our verification keys, wherever they come from: a fixed set (an inline PEM, an SSM parameter,
 * KMS public keys read at cold start, tests), or the local ring re-checked every few seconds.
 * The authorizer verifies with them; /.well-known/jwks.json publishes every one of them.
 */
import { authConfig, keysDir } from '../../config.ts';
import { LocalKeyRing } from './local-ring.ts';
import { publicVerificationKey, sharedSecretKey, type VerificationKey } from '../tokens/verify.ts';

/** Where an issuer's verification keys come from: a fixed set, the local ring, KMS, or a provider's JWKS. */
export interface KeySource {
  /** The key for `kid`, or undefined. Throws only when the source itself is unusable (→ deny). */
  key(kid: string): Promise<VerificationKey | undefined>;
}

/** Our own keys: every one of them is also published at /.well-known/jwks.json. */
export interface KeySet extends KeySource {
  all(): Promise<ReadonlyMap<string, VerificationKey>>;
}

/** A fixed set of keys (an inline PEM, KMS public keys read at cold start, tests). */
export const fixedKeys = (keys: ReadonlyMap<string, VerificationKey>): KeySet => ({ key: async (kid) => keys.get(kid), all: async () => keys });

/** The local ring, re-checked every few seconds so rotation and retirement apply without a restart. */
export const ringKeys = (ring: LocalKeyRing): KeySet => ({
  key: async (kid) => (await ring.keys()).get(kid) ?? (await ring.recheck()).get(kid),
  all: () => ring.keys(),
});

/** Keys from configuration: a shared HS256 secret, KMS keys, an inline PEM or SSM parameter, or the local ring. */
export async function ownKeys(): Promise<KeySet> {
  const cfg = authConfig();
  if (cfg.hs256Secret) {
    const shared = sharedSecretKey(cfg.hs256Secret);
    return fixedKeys(new Map([[shared.kid, shared]]));
  }
  const keys: VerificationKey[] = [];
  if (cfg.signingKeyIds.length > 0) {
    const { kmsVerificationKeys } = await import('./kms-keys.ts');
    keys.push(...(await kmsVerificationKeys(cfg.signingKeyIds)));
  }
  let pem = cfg.publicKeyPem;
  if (!pem && cfg.publicKeyParameter) pem = await (await import('../../../shared/ssm.ts')).readParameter(cfg.publicKeyParameter);
  if (pem) keys.push(publicVerificationKey(pem));
  if (keys.length > 0) return fixedKeys(new Map(keys.map((k) => [k.kid, k])));
  return ringKeys(new LocalKeyRing(keysDir(), cfg.keysTtlMs));
}

