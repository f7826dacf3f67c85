/**
 * Bearer-token verification: a pure function of the header, the key ring and the policy.
 * Any defect answers `Unauthorized` (→ 401), with the reason kept for logs only.
 *
 * jsonwebtoken checks exp/nbf/aud/iss only when present or configured, so this module requires
 * them explicitly and always passes an `algorithms` allow-list derived from the key type.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { CLIENT_ID, PROVIDER_CLIENT_ID, SCOPE_NAME } from '../ids.ts';

export class Unauthorized extends Error {
  override name = 'Unauthorized';
  constructor(readonly reason: string) {
    super('Unauthorized');
  }
}

export interface VerificationKey {
  /** `kid` the token's header must carry. */
  readonly kid: string;
  readonly key: KeyObject | Buffer;
  readonly algorithm: Algorithm;
}

export interface TokenPolicy {
  readonly issuer: string;
  readonly audience: string;
  /** Seconds of clock skew accepted on exp/nbf/iat. */
  readonly clockToleranceSec: number;
  /** Tokens longer than this are refused before any parsing (API Gateway's own cap is 10240). */
  readonly maxTokenBytes: number;
  /** Oldest accepted token (seconds since `iat`). */
  readonly maxAgeSec: number;
  /** An identity provider's claim naming its client (LAKEGATE_CLIENT_CLAIM); absent for our tokens, whose `sub` is a client id. */
  readonly clientClaim?: string;
}

export interface VerifiedToken {
  /** The claim naming the client (`sub` for our tokens; LAKEGATE_CLIENT_CLAIM for a provider's). */
  readonly subject: string;
  /** Our token's `scope` (RFC 6749 §3.3, space-separated), or null when not down-scoped or a provider's token. */
  readonly scope: readonly string[] | null;
}


/** `scope` claim text → names; null when absent. Throws Unauthorized when malformed. */
export function parseScopeClaim(value: unknown): readonly string[] | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length > 4096) throw new Unauthorized('scope is not a string');
  const names = value.split(' ');
  if (!names.every((n) => SCOPE_NAME.test(n))) throw new Unauthorized('scope is not a list of names');
  return [...new Set(names)];
}

/** base64url segments: header.payload.signature, each non-empty. */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The token from an `Authorization` header value: exactly `Bearer <token>`. */
export function bearerToken(header: string | undefined, maxTokenBytes: number): string {
  if (header === undefined || header === '') throw new Unauthorized('no Authorization header');
  if (header.length > maxTokenBytes + 'Bearer '.length) throw new Unauthorized('token too large');
  const m = /^Bearer ([^\s]+)$/.exec(header);
  if (!m) throw new Unauthorized('Authorization is not "Bearer <token>"');
  return m[1]!;
}

export function verifyToken(token: string, keys: ReadonlyMap<string, VerificationKey>, policy: TokenPolicy, nowSec = Date.now() / 1000): VerifiedToken {
  if (Buffer.byteLength(token) > policy.maxTokenBytes) throw new Unauthorized('token too large');
  if (!JWS_COMPACT.test(token)) throw new Unauthorized('not a compact JWS (3 base64url segments)');

  const header = decodeSegment(token.slice(0, token.indexOf('.')));
  if (typeof header.kid !== 'string') throw new Unauthorized('no kid');
  const key = keys.get(header.kid);
  if (!key) throw new Unauthorized('unknown kid');
  if (header.alg !== key.algorithm) throw new Unauthorized(`alg ${String(header.alg)} not allowed`);

  let payload: unknown;
  try {
    payload = jwt.verify(token, key.key, {
      algorithms: [key.algorithm],
      issuer: policy.issuer,
      audience: policy.audience,
      clockTolerance: policy.clockToleranceSec,
      maxAge: policy.maxAgeSec,
      clockTimestamp: Math.floor(nowSec),
    });
  } catch (e) {
    throw new Unauthorized((e as Error).message);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new Unauthorized('payload is not an object');
  const claims = payload as Record<string, unknown>;
  // JSON.parse makes `__proto__` an own property, harmless here, but no genuine token has one.
  for (const k of ['__proto__', 'constructor', 'prototype']) if (Object.hasOwn(claims, k)) throw new Unauthorized(`claim ${k} refused`);
  // jsonwebtoken skips exp when absent: a token without one would never expire.
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new Unauthorized('exp missing or not a number');
  if (typeof claims.iat !== 'number' || claims.iat > nowSec + policy.clockToleranceSec) throw new Unauthorized('iat missing or in the future');
  // Our tokens name a client id in `sub`; a provider's name its own client in `clientClaim`.
  const claim = policy.clientClaim ?? 'sub';
  const subject = claims[claim];
  if (typeof subject !== 'string' || !(policy.clientClaim === undefined ? CLIENT_ID : PROVIDER_CLIENT_ID).test(subject)) {
    throw new Unauthorized(`${claim} is not a client id`);
  }
  // `scope` narrows our own tokens to query names; a provider's scopes are its own vocabulary
  // (Cognito's `lakegate/read`, Auth0's `read:orders`), so for its tokens the access rule alone decides.
  return { subject: subject as string, scope: policy.clientClaim === undefined ? parseScopeClaim(claims.scope) : null };
}

/**
 * The `kid` of the header and the `iss` of the payload, unverified: only to pick whose keys to
 * verify with. Throws Unauthorized for anything that is not a compact JWS of JSON objects.
 */
export function peekToken(token: string): { kid: string; issuer: string | undefined } {
  if (!JWS_COMPACT.test(token)) throw new Unauthorized('not a compact JWS (3 base64url segments)');
  const [h, p] = token.split('.') as [string, string];
  const header = decodeSegment(h);
  if (typeof header.kid !== 'string') throw new Unauthorized('no kid');
  const iss = decodeSegment(p).iss;
  return { kid: header.kid, issuer: typeof iss === 'string' ? iss : undefined };
}

function decodeSegment(segment: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new Unauthorized('a token segment is not a JSON object');
}

/** RFC 7638 thumbprint of a public key: a stable `kid` derived from the key itself. */
export function keyThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const members =
    jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** The verification key of a PEM public key: ES256 for P-256, RS256 for RSA ≥ 2048 bits. */
export function publicVerificationKey(pem: string): VerificationKey {
  const key = createPublicKey(pem);
  const details = key.asymmetricKeyDetails;
  let algorithm: Algorithm;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') algorithm = 'ES256';
  else if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) algorithm = 'RS256';
  else throw new Error('JWT public key must be EC P-256 or RSA ≥ 2048 bits');
  return { kid: keyThumbprint(key), key, algorithm };
}

/** An HS256 verification key, only when a deployment explicitly configures a shared secret. */
export function sharedSecretKey(secret: string): VerificationKey {
  if (Buffer.byteLength(secret) < 32) throw new Error('HS256 secret must be at least 32 bytes');
  return { kid: createHash('sha256').update(secret).digest('base64url').slice(0, 16), key: Buffer.from(secret), algorithm: 'HS256' };
}
