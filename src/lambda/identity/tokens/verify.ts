/**
 * Bearer-token verification: a pure function of the header, the key ring and the policy.
 * Any defect answers `Unauthorized` (→ 401), with the reason kept for logs only.
 *
 * jsonwebtoken checks exp/nbf/aud/iss only when present or configured, so this module requires
 * them explicitly and always passes an `algorithms` allow-list derived from the key type. The
 * token's age is checked here too, not by jsonwebtoken's `maxAge`: that reads a falsy `iat` (0)
 * as "now", so `iat: 0` with a distant `exp` would never grow old.
 *
 * Before any signature is checked, both JSON segments are read strictly (strict-json.ts): a
 * segment naming one member twice is refused, since JSON.parse keeps the last while another
 * reader may keep the first. A header with `crit` is refused (RFC 7515 §4.1.11: we implement no
 * extension, so we cannot honour any it names).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { CLIENT_ID, PROVIDER_CLIENT_ID, SCOPE_NAME } from '../../ids.ts';
import { parseStrictJson, StrictJsonError } from './strict-json.ts';

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
  /** Seconds of clock skew accepted on exp/nbf/iat (and on the maximum age). */
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

/**
 * `iat` as the maximum age needs it: present, a finite number (JSON's `1e400` parses to
 * Infinity), not ahead of our clock beyond the tolerance, and not older than `maxAgeSec` (plus
 * the tolerance). Throws Unauthorized otherwise.
 */
export function checkIssuedAt(iat: unknown, nowSec: number, policy: Pick<TokenPolicy, 'clockToleranceSec' | 'maxAgeSec'>): void {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new Unauthorized('iat missing or not a number');
  if (iat > nowSec + policy.clockToleranceSec) throw new Unauthorized('iat in the future');
  if (nowSec - iat > policy.maxAgeSec + policy.clockToleranceSec) throw new Unauthorized('older than the maximum token age');
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
  checkSize(token, policy);
  const peeked = peekToken(token);
  return verifyPeeked(token, peeked, keys.get(peeked.kid), policy, nowSec);
}

const checkSize = (token: string, policy: Pick<TokenPolicy, 'maxTokenBytes'>) => {
  if (Buffer.byteLength(token) > policy.maxTokenBytes) throw new Unauthorized('token too large');
};

/**
 * verifyToken for a token already peeked with its key looked up (the authorizer peeks once, to
 * pick whose keys to verify with, and does not decode the token again).
 */
export function verifyPeeked(token: string, peeked: PeekedToken, key: VerificationKey | undefined, policy: TokenPolicy, nowSec = Date.now() / 1000): VerifiedToken {
  checkSize(token, policy);
  if (!key) throw new Unauthorized('unknown kid');
  if (peeked.alg !== key.algorithm) throw new Unauthorized(`alg ${String(peeked.alg)} not allowed`);

  let payload: unknown;
  try {
    payload = jwt.verify(token, key.key, {
      algorithms: [key.algorithm],
      issuer: policy.issuer,
      audience: policy.audience,
      clockTolerance: policy.clockToleranceSec,
      clockTimestamp: Math.floor(nowSec), // no maxAge: checkIssuedAt below
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
  checkIssuedAt(claims.iat, nowSec, policy);
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

/** What a token says before it is verified: the header's `kid` and `alg`, the payload's `iss` and `sub`. */
export interface PeekedToken {
  readonly kid: string;
  readonly alg: unknown;
  readonly issuer: string | undefined;
  readonly subject: string | undefined;
}

/**
 * A token's header and payload, decoded strictly but unverified: only to pick whose keys to
 * verify with (and, for a refusal, whom it named). Throws Unauthorized for anything that is not a
 * compact JWS of strict JSON objects with a `kid`; both segments are read strictly before
 * jsonwebtoken's JSON.parse reads them (with `iss` twice, the last would pick whose keys to try).
 */
export function peekToken(token: string): PeekedToken {
  if (!JWS_COMPACT.test(token)) throw new Unauthorized('not a compact JWS (3 base64url segments)');
  const [h, p] = token.split('.') as [string, string];
  const header = decodeHeader(h);
  const { iss, sub } = decodeSegment(p);
  if (typeof header.kid !== 'string') throw new Unauthorized('no kid');
  return { kid: header.kid, alg: header.alg, issuer: typeof iss === 'string' ? iss : undefined, subject: typeof sub === 'string' ? sub : undefined };
}

/**
 * A segment's bytes as UTF-8 text, refusing invalid UTF-8 (RFC 7515 §5.2) rather than reading it
 * as U+FFFD. The BOM is kept, so the strict reader refuses it as JSON.parse would.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A segment as a JSON object, read strictly: one strict JSON text, no member named twice at any depth. */
function decodeSegment(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseStrictJson(UTF8.decode(Buffer.from(segment, 'base64url')));
  } catch (e) {
    if (e instanceof StrictJsonError) throw new Unauthorized(`a token segment is not strict JSON: ${e.message}`);
    throw new Unauthorized('a token segment is not UTF-8 JSON');
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new Unauthorized('a token segment is not a JSON object');
}

/** The JOSE header: a strict JSON object without `crit` (any critical extension is one we do not implement). */
function decodeHeader(segment: string): Record<string, unknown> {
  const header = decodeSegment(segment);
  if (Object.hasOwn(header, 'crit')) throw new Unauthorized('crit names an extension we do not implement');
  return header;
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
