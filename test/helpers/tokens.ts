/** Real keys and real signatures for the authorizer tests (nothing is mocked). */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import jwt, { type SignOptions } from 'jsonwebtoken';
import { keyThumbprint } from '../../src/lambda/identity/tokens/verify.ts';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  kid: string;
}

function testKey(pair: { privateKey: KeyObject; publicKey: KeyObject }): TestKey {
  const { privateKey, publicKey } = pair;
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), kid: keyThumbprint(publicKey) };
}

export const ecKey = () => testKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
export const rsaKey = () => testKey(generateKeyPairSync('rsa', { modulusLength: 2048 }));

export const ISSUER = 'lakegate-test';
export const AUDIENCE = 'lakegate-api-test';

/** A token as the token CLI mints it, with overridable claims and options. */
export function mint(key: TestKey, sub: string, opts: { claims?: Record<string, unknown>; sign?: SignOptions } = {}): string {
  return jwt.sign({ ...opts.claims }, key.privateKey, {
    algorithm: 'ES256', keyid: key.kid, subject: sub, issuer: ISSUER, audience: AUDIENCE, expiresIn: 600, ...opts.sign,
  });
}

const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/** ES256-sign arbitrary header/payload text (for tokens jsonwebtoken refuses to produce). */
export function signRaw(header: Record<string, unknown>, payloadText: string, key: TestKey): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payloadText)}`;
  return `${input}.${b64(sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }))}`;
}

/** HMAC-sign arbitrary header/payload text with `secret` (the HS/RS confusion attack). */
export function hmacRaw(header: Record<string, unknown>, payloadText: string, secret: string | Buffer, hash = 'sha256'): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payloadText)}`;
  return `${input}.${b64(createHmac(hash, secret).update(input).digest())}`;
}
