/**
 * Token signing with an AWS KMS asymmetric key (`ECC_NIST_P256`, `SIGN_VERIFY`): the private key
 * never exists outside KMS. The signer hashes the JWS signing input itself and sends KMS only the
 * 32-byte SHA-256 digest (`MessageType: DIGEST`), so no claim ever reaches KMS or CloudTrail and
 * KMS's 4 KB message limit does not apply. KMS answers ECDSA signatures in DER; JWS wants the
 * fixed-size `R‖S` form (RFC 7518 §3.4), which `derToJose` produces and checks strictly.
 *
 * Needs `kms:Sign` (token function only) and `kms:GetPublicKey` on the key's ARN.
 * KMS errors (throttling, disabled key, access denied) propagate unchanged: the caller decides
 * the HTTP answer.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { keyThumbprint } from '../tokens/verify.ts';

/** Bytes of each of R and S for P-256 (ES256). */
const P256_SCALAR_BYTES = 32;
const KEY_SPEC = 'ECC_NIST_P256';
const KEY_USAGE = 'SIGN_VERIFY';
const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;

/** A KMS key that is not an ES256 signing key, or a KMS answer without the expected member. */
export class KmsKeyRefused extends Error {
  override name = 'KmsKeyRefused';
}

/**
 * ECDSA DER signature (SEQUENCE{INTEGER r, INTEGER s}) → JOSE R‖S (RFC 7518 §3.4), each
 * left-padded to `size` bytes (32 for P-256). Throws on anything that is not exactly that DER:
 * wrong tags, non-minimal or inconsistent lengths, trailing bytes, negative, zero or
 * non-minimally encoded integers, integers longer than `size` after removing the sign byte.
 */
export function derToJose(der: Uint8Array, size = P256_SCALAR_BYTES): Buffer {
  if (!Number.isInteger(size) || size < 1 || size > 66) throw new RangeError(`signature scalar size ${size} out of range`);
  const reader = new DerReader(der);
  const body = reader.element(TAG_SEQUENCE);
  if (!reader.done()) throw new SyntaxError('DER signature: trailing bytes after the SEQUENCE');
  const fields = new DerReader(body);
  const r = positiveInteger(fields.element(TAG_INTEGER), size, 'r');
  const s = positiveInteger(fields.element(TAG_INTEGER), size, 's');
  if (!fields.done()) throw new SyntaxError('DER signature: trailing bytes inside the SEQUENCE');
  const jose = Buffer.alloc(2 * size);
  jose.set(r, size - r.length);
  jose.set(s, 2 * size - s.length);
  return jose;
}

/** Reads tag-length-value elements with definite, minimally encoded lengths (DER, X.690 §10.1). */
class DerReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  done(): boolean {
    return this.offset === this.bytes.length;
  }

  /** The value of the next element, which must carry `tag`. */
  element(tag: number): Uint8Array {
    const found = this.byte();
    if (found !== tag) throw new SyntaxError(`DER signature: tag 0x${found.toString(16)} where 0x${tag.toString(16)} was expected`);
    const length = this.length();
    if (length > this.bytes.length - this.offset) throw new SyntaxError('DER signature: length runs past the end');
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  private byte(): number {
    const b = this.bytes[this.offset];
    if (b === undefined) throw new SyntaxError('DER signature: truncated');
    this.offset += 1;
    return b;
  }

  /** Short form (< 128), or long form with one length byte (128…255): enough for P-521. */
  private length(): number {
    const first = this.byte();
    if (first < 0x80) return first;
    if (first !== 0x81) throw new SyntaxError('DER signature: unsupported or indefinite length');
    const length = this.byte();
    if (length < 0x80) throw new SyntaxError('DER signature: non-minimal length');
    return length;
  }
}

/** The magnitude bytes of a DER INTEGER that must be positive and fit in `size` bytes. */
function positiveInteger(value: Uint8Array, size: number, name: string): Uint8Array {
  if (value.length === 0) throw new SyntaxError(`DER signature: empty INTEGER ${name}`);
  if (value[0]! & 0x80) throw new SyntaxError(`DER signature: negative INTEGER ${name}`);
  let magnitude = value;
  if (value[0] === 0x00) {
    // A leading zero is only the sign byte of a value whose top bit is set; anything else is not DER.
    if (value.length === 1) throw new SyntaxError(`DER signature: ${name} is zero`);
    if (!(value[1]! & 0x80)) throw new SyntaxError(`DER signature: non-minimal INTEGER ${name}`);
    magnitude = value.subarray(1);
  }
  if (magnitude.length > size) throw new SyntaxError(`DER signature: ${name} longer than ${size} bytes`);
  return magnitude;
}

/**
 * The public key of a KMS asymmetric key (GetPublicKey → SubjectPublicKeyInfo DER → KeyObject).
 * Refuses any key that is not an `ECC_NIST_P256` / `SIGN_VERIFY` key offering `ECDSA_SHA_256`,
 * and checks the returned key itself is P-256, whatever the metadata says.
 */
export async function kmsPublicKey(kms: KMSClient, keyId: string): Promise<KeyObject> {
  const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (out.KeySpec !== KEY_SPEC) throw new KmsKeyRefused(`KMS key spec ${String(out.KeySpec)} is not ${KEY_SPEC}`);
  if (out.KeyUsage !== KEY_USAGE) throw new KmsKeyRefused(`KMS key usage ${String(out.KeyUsage)} is not ${KEY_USAGE}`);
  if (!out.SigningAlgorithms?.includes(SIGNING_ALGORITHM)) throw new KmsKeyRefused(`KMS key does not offer ${SIGNING_ALGORITHM}`);
  if (!out.PublicKey?.length) throw new KmsKeyRefused('KMS GetPublicKey returned no public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
  } catch (e) {
    throw new KmsKeyRefused('KMS public key is not a SubjectPublicKeyInfo', { cause: e });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new KmsKeyRefused('KMS public key is not on P-256');
  }
  return key;
}

/**
 * Signs JWTs with a KMS key: header `{alg: 'ES256', typ: 'JWT', kid}`, then `kms:Sign` with
 * `ECDSA_SHA_256` over the SHA-256 digest of `header.payload`, converted from DER to JOSE.
 * The claims are signed as given: the caller sets `iss`, `aud`, `sub`, `iat`, `exp`, `jti`.
 */
export class KmsJwtSigner {
  private readonly encodedHeader: string;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    readonly kid: string,
  ) {
    this.encodedHeader = base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }));
  }

  /** A signer whose `kid` is the RFC 7638 thumbprint of the key's public half (as the JWKS publishes it). */
  static async create(kms: KMSClient, keyId: string): Promise<KmsJwtSigner> {
    return new KmsJwtSigner(kms, keyId, keyThumbprint(await kmsPublicKey(kms, keyId)));
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    const signingInput = `${this.encodedHeader}.${base64url(JSON.stringify(claims))}`;
    const digest = createHash('sha256').update(signingInput).digest();
    const out = await this.kms.send(
      new SignCommand({ KeyId: this.keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: SIGNING_ALGORITHM }),
    );
    if (!out.Signature?.length) throw new KmsKeyRefused('KMS Sign returned no signature');
    return `${signingInput}.${derToJose(out.Signature).toString('base64url')}`;
  }
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
