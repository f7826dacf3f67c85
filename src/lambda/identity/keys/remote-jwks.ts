/**
 * An existing identity provider's signing keys, fetched from its JWK Set URL (RFC 7517), so the
 * authorizer can verify that provider's tokens (docs/design.md §9, "External identity provider").
 *
 * - Lazy: keys are fetched on a lookup, never by a timer (nothing runs between Lambda invocations).
 * - Fresh for `refreshIntervalMs` after the last successful fetch: lookups cost no I/O.
 * - An unknown `kid` refetches (a provider that just rotated), but every fetch attempt, failed or
 *   not, starts at most once per `refetchCooldownMs`: a flood of forged `kid`s costs one request.
 * - One fetch at a time: concurrent lookups share it.
 * - A failed fetch (timeout, non-200, over 256 KB, not a JWK Set) keeps the last good set until
 *   `maxStaleMs` after its last successful fetch; after that every lookup fails (deny).
 * - A successful fetch replaces the whole set: keys the provider withdrew stop verifying.
 *
 * Only signing keys we can verify safely are kept: EC P-256 (ES256) and RSA of 2048–8192 bits
 * (RS256). The KeyObject is built from the public members alone, so a provider that wrongly
 * publishes a private member never puts a private key in our memory.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { errorFields, log } from '../../log.ts';
import type { VerificationKey } from '../tokens/verify.ts';

export interface RemoteJwksOptions {
  /** `https://…`; plain `http://` only to a loopback host (tests). */
  readonly url: string;
  /** A provider that does not answer (whole body included) within this fails the fetch. */
  readonly fetchTimeoutMs: number;
  /** At most one fetch attempt per this period (unknown `kid`s, refreshes and retries alike). */
  readonly refetchCooldownMs: number;
  /** The set is refetched on the first lookup after it is this old. */
  readonly refreshIntervalMs: number;
  /** While the provider fails, the last good set serves this long after its last successful fetch; then deny. */
  readonly maxStaleMs: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/** Larger answers are refused (real providers publish a few keys in a few KB). */
export const MAX_JWKS_BYTES = 256 * 1024;
export const MAX_KID_LENGTH = 256;
const MIN_RSA_BITS = 2048;
/** RSA verification cost grows with the modulus: bigger keys are a provider error we do not pay for. */
const MAX_RSA_BITS = 8192;

/** A key the set leaves out, and why (logged, never fatal). */
export interface SkippedKey {
  readonly index: number;
  readonly kid?: string;
  readonly reason: string;
}

export interface JwkSet {
  readonly keys: ReadonlyMap<string, VerificationKey>;
  readonly skipped: readonly SkippedKey[];
}

export class JwksUnavailable extends Error {
  override name = 'JwksUnavailable';
}

/**
 * The verification keys of a parsed JWK Set document. Throws JwksUnavailable when the document
 * is not a JWK Set (not an object, no `keys` array); individual unusable keys are skipped.
 * Keys sharing a `kid` are all skipped: which one a token meant is ambiguous.
 */
export function readJwkSet(document: unknown): JwkSet {
  if (!isPlainObject(document) || !Array.isArray(document.keys)) throw new JwksUnavailable('not a JWK Set (no "keys" array)');
  const keys = new Map<string, VerificationKey>();
  const skipped: SkippedKey[] = [];
  const duplicated = new Set<string>();
  document.keys.forEach((jwk: unknown, index) => {
    const read = verificationKeyOfJwk(jwk);
    if ('reason' in read) {
      skipped.push({ index, ...read });
      return;
    }
    if (keys.has(read.kid) || duplicated.has(read.kid)) {
      duplicated.add(read.kid);
      keys.delete(read.kid);
      skipped.push({ index, kid: read.kid, reason: 'kid used by more than one key' });
      return;
    }
    keys.set(read.kid, read);
  });
  return { keys, skipped };
}

/** One JWK → the key that verifies its tokens, or why it is not used. */
export function verificationKeyOfJwk(jwk: unknown): VerificationKey | { kid?: string; reason: string } {
  if (!isPlainObject(jwk)) return { reason: 'not a JSON object' };
  const { kid } = jwk;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return { reason: `kid missing, not a string or over ${MAX_KID_LENGTH} characters` };
  const skip = (reason: string) => ({ kid, reason });
  if (jwk.use !== undefined && jwk.use !== 'sig') return skip(`use ${JSON.stringify(jwk.use)} is not "sig"`);
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return skip('key_ops does not include "verify"');

  let publicMembers: JsonWebKey;
  let algorithm: 'ES256' | 'RS256';
  if (jwk.kty === 'EC') {
    if (jwk.crv !== 'P-256') return skip(`EC curve ${JSON.stringify(jwk.crv)} is not P-256`);
    algorithm = 'ES256';
    publicMembers = { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string };
  } else if (jwk.kty === 'RSA') {
    algorithm = 'RS256';
    publicMembers = { kty: 'RSA', n: jwk.n as string, e: jwk.e as string };
  } else {
    return skip(`kty ${JSON.stringify(jwk.kty)} is not EC or RSA`);
  }
  if (jwk.alg !== undefined && jwk.alg !== algorithm) return skip(`alg ${JSON.stringify(jwk.alg)} does not match a ${jwk.kty} key (${algorithm})`);
  for (const [member, value] of Object.entries(publicMembers)) {
    if (typeof value !== 'string' || value === '') return skip(`${member} missing or not a string`);
  }

  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicMembers, format: 'jwk' });
  } catch (e) {
    return skip(`unparseable: ${(e as Error).message}`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'ES256' && details.namedCurve !== 'prime256v1') return skip('not a P-256 key');
  if (algorithm === 'RS256') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) return skip(`RSA modulus of ${bits} bits is outside ${MIN_RSA_BITS}–${MAX_RSA_BITS}`);
    const e = details.publicExponent ?? 0n;
    // e = 1 makes every signature "verify"; even exponents are not RSA.
    if (e < 3n || e % 2n === 0n) return skip('RSA public exponent is not an odd number ≥ 3');
  }
  return { kid, key, algorithm };
}

/** The URL, if keys may be fetched from it: https, or http to a loopback host only. */
export function jwksUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('JWKS URL is not a URL');
  }
  if (url.username !== '' || url.password !== '') throw new Error('JWKS URL must not carry credentials');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new Error('JWKS URL must be https:// (plain http:// only to a loopback host)');
}

/** WHATWG URL parsing has already normalised the host (`127.1`, `0x7f.0.0.1` → `127.0.0.1`; IPv6 in brackets). */
function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

interface Fetched {
  readonly keys: ReadonlyMap<string, VerificationKey>;
  /** `now()` when the provider last answered with a valid set. */
  readonly fetchedAt: number;
}

export class RemoteJwks {
  private readonly url: URL;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private set: Fetched | undefined;
  private lastAttemptAt: number | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: RemoteJwksOptions) {
    this.url = jwksUrl(options.url);
    for (const name of ['fetchTimeoutMs', 'refetchCooldownMs', 'refreshIntervalMs', 'maxStaleMs'] as const) {
      const v = options[name];
      if (!Number.isFinite(v) || v <= 0) throw new Error(`RemoteJwks: ${name} must be a positive number of milliseconds`);
    }
    // Otherwise the set would go stale before it is ever refreshed, denying in between.
    if (options.maxStaleMs < options.refreshIntervalMs) throw new Error('RemoteJwks: maxStaleMs must be at least refreshIntervalMs');
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** The verification key for `kid`, or undefined (unknown kid, set too stale, provider never reached). Never throws for provider faults. */
  async key(kid: string): Promise<VerificationKey | undefined> {
    // Garbage (0, {}, "", a 10 KB string) matches nothing and is not worth a fetch.
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return undefined;
    const due = this.set === undefined || this.now() - this.set.fetchedAt >= this.options.refreshIntervalMs;
    if (due || !this.set?.keys.has(kid)) await this.refetch();
    const set = this.set;
    if (set === undefined || this.now() - set.fetchedAt > this.options.maxStaleMs) return undefined;
    return set.keys.get(kid);
  }

  /** Join the fetch in flight, or start one unless the cooldown forbids it. */
  private refetch(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const now = this.now();
    if (this.lastAttemptAt !== undefined && now - this.lastAttemptAt < this.options.refetchCooldownMs) return Promise.resolve();
    this.lastAttemptAt = now;
    this.inFlight = this.download().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async download(): Promise<void> {
    const where = `${this.url.origin}${this.url.pathname}`;
    try {
      const { keys, skipped } = readJwkSet(parseJson(await this.body()));
      this.set = { keys, fetchedAt: this.now() };
      // Not a fault: providers such as Keycloak also publish encryption keys.
      if (skipped.length > 0) log.info('JWKS keys skipped', { url: where, kept: keys.size, skipped });
      else log.debug('JWKS fetched', { url: where, kept: keys.size });
    } catch (e) {
      const set = this.set;
      log.warn('JWKS fetch failed', { url: where, ...errorFields(e), lastGoodAgeMs: set ? this.now() - set.fetchedAt : null });
    }
  }

  /** The response text: 200, at most MAX_JWKS_BYTES, all within fetchTimeoutMs (headers and body). */
  private async body(): Promise<string> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new JwksUnavailable(`no answer within ${this.options.fetchTimeoutMs} ms`)), this.options.fetchTimeoutMs);
    try {
      const response = await this.fetch(this.url, {
        signal: abort.signal,
        // A redirect could lead anywhere, plain http included: the configured URL is the only source.
        redirect: 'error',
        headers: { accept: 'application/jwk-set+json, application/json' },
      });
      if (response.status !== 200) throw new JwksUnavailable(`HTTP ${response.status}`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_JWKS_BYTES) throw new JwksUnavailable(`answer of ${declared} bytes is over ${MAX_JWKS_BYTES}`);
      return await readCapped(response, MAX_JWKS_BYTES, abort.signal);
    } catch (e) {
      throw abort.signal.aborted ? abort.signal.reason : e;
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }
}

/** The body as UTF-8 text, refused as soon as it exceeds `max` bytes (whatever Content-Length said). */
async function readCapped(response: Response, max: number, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    signal.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new JwksUnavailable(`answer is over ${max} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new JwksUnavailable('answer is not JSON');
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
