/**
 * The JWK Set of our verification keys (RFC 7517), published at /.well-known/jwks.json: each
 * key's public members only, its RFC 7638 thumbprint as `kid`, `alg` and `use: "sig"`.
 * Symmetric (HS256) keys are never published.
 */
import { KeyObject } from 'node:crypto';
import type { VerificationKey } from '../tokens/verify.ts';

export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly [member: string]: string;
}

export function publicJwk(k: VerificationKey): PublicJwk | undefined {
  if (!(k.key instanceof KeyObject) || k.key.type !== 'public') return undefined;
  const jwk = k.key.export({ format: 'jwk' });
  const members: Record<string, string> = jwk.kty === 'EC' ? { kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! } : { kty: 'RSA', n: jwk.n!, e: jwk.e! };
  return { ...members, kty: members.kty!, kid: k.kid, alg: k.algorithm, use: 'sig' };
}

export function jwksDocument(keys: Iterable<VerificationKey>): { keys: PublicJwk[] } {
  return { keys: [...keys].map(publicJwk).filter((k): k is PublicJwk => k !== undefined).sort((a, b) => a.kid.localeCompare(b.kid)) };
}
