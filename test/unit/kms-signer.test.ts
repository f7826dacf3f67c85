/**
 * KMS token signing against a mocked SDK (aws-sdk-client-mock): no KMS exists here, so KMS is
 * reproduced at the client seam. The fake is not a stub that returns canned bytes: it holds a real
 * local P-256 private key and signs exactly the bytes it is sent, as KMS does — with
 * `MessageType: DIGEST` the message IS the SHA-256 digest, signed without hashing again (Node's
 * `crypto.sign` always hashes, so the fake does that one ECDSA step itself, in BigInt arithmetic,
 * and a test checks Node verifies what it signs). The JWTs it produces are checked by
 * jsonwebtoken and by the authorizer's own `verifyToken`, so a wrong digest, header or signature
 * encoding fails here.
 */
import { expect } from 'chai';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import {
  GetPublicKeyCommand, KMSClient, KMSInvalidStateException, NotFoundException, SignCommand,
  type GetPublicKeyCommandOutput, type SignCommandInput, type SignCommandOutput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { derToJose, KmsJwtSigner, KmsKeyRefused, kmsPublicKey } from '../../src/lambda/identity/keys/kms-signer.ts';
import { publicVerificationKey, Unauthorized, verifyToken, type TokenPolicy } from '../../src/lambda/identity/tokens/verify.ts';

// ---------------------------------------------------------------------------------------------
// P-256 arithmetic (SEC 2 §2.4.2 / FIPS 186-4 D.1.2.3), only for the fake KMS's DIGEST signing.
// Not constant time: test code, never used with a real key.
// ---------------------------------------------------------------------------------------------
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
interface Point { x: bigint; y: bigint }

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, t0, t1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, t0, t1] = [r1, r0 - q * r1, t1, t0 - q * t1];
  }
  return mod(t0, m);
}
function add(a: Point | null, b: Point | null): Point | null {
  if (a === null) return b;
  if (b === null) return a;
  let slope: bigint;
  if (a.x === b.x) {
    if (mod(a.y + b.y, P) === 0n) return null;
    slope = mod((3n * a.x * a.x - 3n) * inverse(2n * a.y, P), P); // a = -3
  } else {
    slope = mod((b.y - a.y) * inverse(b.x - a.x, P), P);
  }
  const x = mod(slope * slope - a.x - b.x, P);
  return { x, y: mod(slope * (a.x - x) - a.y, P) };
}
function multiply(k: bigint, point: Point): Point | null {
  let result: Point | null = null;
  let addend: Point | null = point;
  for (; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

const toBigInt = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
const toBytes = (n: bigint, size: number) => Buffer.from(n.toString(16).padStart(2 * size, '0'), 'hex');

/** ECDSA over a 32-byte digest as given (what KMS does with MessageType DIGEST), DER-encoded. */
function signDigest(digest: Uint8Array, d: bigint): Buffer {
  if (digest.length !== 32) throw new Error('digest must be 32 bytes');
  const e = toBigInt(digest);
  for (;;) {
    const k = mod(toBigInt(randomBytes(40)), N - 1n) + 1n;
    const r = mod(multiply(k, G)!.x, N);
    const s = mod(inverse(k, N) * (e + r * d), N);
    if (r !== 0n && s !== 0n) return derSignature(toBytes(r, 32), toBytes(s, 32));
  }
}

/** A DER ECDSA signature from big-endian r and s (minimal INTEGERs: leading zeros dropped, sign byte added). */
function derSignature(r: Uint8Array, s: Uint8Array): Buffer {
  const integer = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    const magnitude = Buffer.from(v.subarray(i));
    const body = magnitude[0]! & 0x80 ? Buffer.concat([Buffer.of(0), magnitude]) : magnitude;
    return Buffer.concat([Buffer.of(0x02, body.length), body]);
  };
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([body.length < 0x80 ? Buffer.of(0x30, body.length) : Buffer.of(0x30, 0x81, body.length), body]);
}

// ---------------------------------------------------------------------------------------------
// The fake KMS key: a local P-256 key behind the mocked KMSClient.
// ---------------------------------------------------------------------------------------------
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

interface FakeKmsKey {
  arn: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  d: bigint;
}

function fakeKmsKey(arn = KEY_ARN): FakeKmsKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const d = toBigInt(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'));
  return { arn, privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), d };
}

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

function getPublicKeyAnswer(key: FakeKmsKey, extra: Partial<GetPublicKeyCommandOutput> = {}): GetPublicKeyCommandOutput {
  return {
    $metadata: {},
    KeyId: key.arn,
    PublicKey: new Uint8Array(key.publicKey.export({ type: 'spki', format: 'der' })),
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['ECDSA_SHA_256'],
    ...extra,
  };
}

/** kms:Sign as documented: RAW hashes a message of at most 4096 bytes, DIGEST signs a 32-byte digest as is. */
function kmsSign(key: FakeKmsKey) {
  return (input: SignCommandInput): SignCommandOutput => {
    if (input.KeyId !== key.arn) throw awsError('NotFoundException', `Key '${String(input.KeyId)}' does not exist`);
    if (input.SigningAlgorithm !== 'ECDSA_SHA_256') throw awsError('InvalidKeyUsageException');
    const message = input.Message ?? new Uint8Array();
    let digest: Uint8Array;
    if (input.MessageType === 'DIGEST') {
      if (message.length !== 32) throw awsError('ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
      digest = message;
    } else {
      if (message.length > 4096) throw awsError('ValidationException', 'Message must be at most 4096 bytes');
      digest = createHash('sha256').update(message).digest();
    }
    return { $metadata: {}, KeyId: key.arn, Signature: signDigest(digest, key.d), SigningAlgorithm: 'ECDSA_SHA_256' };
  };
}

const kmsMock = mockClient(KMSClient);
const kms = new KMSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

function useKey(key: FakeKmsKey) {
  kmsMock.on(GetPublicKeyCommand, { KeyId: key.arn }).resolves(getPublicKeyAnswer(key));
  kmsMock.on(SignCommand).callsFake(kmsSign(key));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection, got a result');
}

const POLICY: TokenPolicy = { issuer: 'lakegate-test', audience: 'lakegate-api-test', clockToleranceSec: 30, maxTokenBytes: 8192, maxAgeSec: 86_400 };
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: '42', iss: POLICY.issuer, aud: POLICY.audience, iat: now, exp: now + 3600, jti: 'c0ffee', ...extra };
}
const segment = (token: string, i: number) => JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('KMS signing (mocked KMS SDK holding a real local P-256 key)', () => {
  beforeEach(() => kmsMock.reset());

  it('the fake KMS signs a digest as KMS does: Node verifies it over the original message', () => {
    const key = fakeKmsKey();
    expect(multiply(key.d, G)!.x).to.equal(toBigInt(Buffer.from(key.publicKey.export({ format: 'jwk' }).x!, 'base64url')));
    for (const message of [Buffer.alloc(0), Buffer.from('header.payload'), randomBytes(5000)]) {
      const digest = createHash('sha256').update(message).digest();
      expect(verify('sha256', message, key.publicKey, signDigest(digest, key.d))).to.equal(true);
      expect(verify('sha256', Buffer.concat([message, Buffer.of(0)]), key.publicKey, signDigest(digest, key.d))).to.equal(false);
    }
  });

  describe('derToJose', () => {
    it('property: a converted Node DER signature is the R‖S that ieee-p1363 verification accepts', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: N - 1n }), fc.uint8Array({ maxLength: 512 }), (d, message) => {
          const pub = multiply(d, G)!;
          const jwk = { kty: 'EC', crv: 'P-256', d: toBytes(d, 32).toString('base64url'), x: toBytes(pub.x, 32).toString('base64url'), y: toBytes(pub.y, 32).toString('base64url') };
          const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
          const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
          const jose = derToJose(der);
          expect(jose).to.have.length(64);
          expect(verify('sha256', message, { key: createPublicKey(privateKey), dsaEncoding: 'ieee-p1363' }, jose)).to.equal(true);
          expect(derSignature(jose.subarray(0, 32), jose.subarray(32))).to.deep.equal(der); // exact inverse
        }),
        { numRuns: 100 },
      );
    });

    it('a real signature whose r or s is shorter than 32 bytes is left-padded and still verifies', () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      for (let tries = 0; tries < 20_000; tries++) {
        const message = Buffer.from(`short ${tries}`);
        const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
        const [rLength, sLength] = [der[3]!, der[5 + der[3]!]!];
        if (rLength >= 32 && sLength >= 32) continue;
        const jose = derToJose(der);
        expect(jose).to.have.length(64);
        expect(jose[rLength < 32 ? 0 : 32]).to.equal(0);
        expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).to.equal(true);
        return;
      }
      expect.fail('no short r or s in 20 000 signatures (probability about 2^-225)');
    });

    it('property: hand-built DER with any r, s of 1…32 bytes (sign byte or not) → both left-padded to 32 bytes', () => {
      const scalar = fc.uint8Array({ minLength: 1, maxLength: 32 }).filter((v) => v.some((b) => b !== 0));
      fc.assert(
        fc.property(scalar, scalar, (r, s) => {
          const jose = derToJose(derSignature(r, s));
          expect(toBigInt(jose.subarray(0, 32))).to.equal(toBigInt(r));
          expect(toBigInt(jose.subarray(32))).to.equal(toBigInt(s));
        }),
      );
    });

    const table: Array<[string, string, string]> = [
      ['r with its 0x00 sign byte, s of 31 bytes', `3044022100${'80'.repeat(32)}021f${'11'.repeat(31)}`, `${'80'.repeat(32)}00${'11'.repeat(31)}`],
      ['r of 1 byte, s with its sign byte', `3026020107022100${'ff'.repeat(32)}`, `${'00'.repeat(31)}07${'ff'.repeat(32)}`],
      ['both of 1 byte', '3006020101020102', `${'00'.repeat(31)}01${'00'.repeat(31)}02`],
    ];
    for (const [label, der, jose] of table) {
      it(`converts ${label}`, () => expect(derToJose(Buffer.from(der, 'hex')).toString('hex')).to.equal(jose));
    }

    it('size 48: a P-384 DER signature becomes a 96-byte R‖S that verifies', () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const der = sign('sha384', Buffer.from('x'), { key: privateKey, dsaEncoding: 'der' });
      const jose = derToJose(der, 48);
      expect(jose).to.have.length(96);
      expect(verify('sha384', Buffer.from('x'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).to.equal(true);
    });

    const r32 = `0220${'11'.repeat(32)}`;
    const malformed: Array<[string, string]> = [
      ['empty input', ''],
      ['a SET instead of a SEQUENCE', `3144${r32}${r32}`],
      ['a BIT STRING instead of INTEGER r', `304403${r32.slice(2)}${r32}`],
      ['SEQUENCE length past the end (truncated)', `3045${r32}${r32}`],
      ['SEQUENCE length short of the content', `3043${r32}${r32}`],
      ['a trailing byte after the SEQUENCE', `3044${r32}${r32}00`],
      ['a third INTEGER inside the SEQUENCE', `3047${r32}${r32}020101`],
      ['only r', `3022${r32}`],
      ['INTEGER length past the SEQUENCE', `3044${r32}0221${'11'.repeat(32)}`],
      ['r of 33 bytes after its sign byte', `3046022200${'81'.repeat(33)}${r32}`],
      ['r of 33 bytes without a sign byte', `30450221${'11'.repeat(33)}${r32}`],
      ['negative r', `30440220${'81'.repeat(32)}${r32}`],
      ['r zero', `3025020100${r32}`],
      ['empty INTEGER r', `30240200${r32}`],
      ['non-minimal r (superfluous leading zero)', `3045022100${'11'.repeat(32)}${r32}`],
      ['long-form length for a short SEQUENCE', `308144${r32}${r32}`],
      ['indefinite length', `3080${r32}${r32}0000`],
      ['two-byte length form', `30820044${r32}${r32}`],
    ];
    for (const [label, hex] of malformed) {
      it(`refuses malformed DER: ${label}`, () => {
        expect(() => derToJose(Buffer.from(hex, 'hex'))).to.throw(SyntaxError, /^DER signature/);
      });
    }
  });

  describe('kmsPublicKey', () => {
    it('reads the SubjectPublicKeyInfo of an ECC_NIST_P256 / SIGN_VERIFY key', async () => {
      const key = fakeKmsKey();
      useKey(key);
      const publicKey = await kmsPublicKey(kms, key.arn);
      expect(publicKey.equals(key.publicKey)).to.equal(true);
      expect(kmsMock.commandCalls(GetPublicKeyCommand).map((c) => c.args[0].input)).to.deep.equal([{ KeyId: key.arn }]);
    });

    const p384 = () => new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }));
    const refused: Array<[string, () => Partial<GetPublicKeyCommandOutput>, RegExp]> = [
      ['KeySpec ECC_NIST_P384', () => ({ KeySpec: 'ECC_NIST_P384', PublicKey: p384(), SigningAlgorithms: ['ECDSA_SHA_384'] }), /key spec ECC_NIST_P384/],
      ['KeySpec ECC_SECG_P256K1', () => ({ KeySpec: 'ECC_SECG_P256K1' }), /key spec/],
      ['KeySpec RSA_2048', () => ({ KeySpec: 'RSA_2048', SigningAlgorithms: ['RSASSA_PSS_SHA_256'] }), /key spec/],
      ['KeyUsage ENCRYPT_DECRYPT', () => ({ KeyUsage: 'ENCRYPT_DECRYPT' }), /key usage/],
      ['KeyUsage KEY_AGREEMENT', () => ({ KeyUsage: 'KEY_AGREEMENT', SigningAlgorithms: undefined }), /key usage/],
      ['no ECDSA_SHA_256 among the signing algorithms', () => ({ SigningAlgorithms: ['ECDSA_SHA_384'] }), /ECDSA_SHA_256/],
      ['no KeySpec at all', () => ({ KeySpec: undefined }), /key spec/],
      ['no public key', () => ({ PublicKey: undefined }), /no public key/],
      ['bytes that are not an SPKI', () => ({ PublicKey: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) }), /SubjectPublicKeyInfo/],
      ['metadata saying P-256 over a P-384 key', () => ({ PublicKey: p384() }), /not on P-256/],
    ];
    for (const [label, answer, message] of refused) {
      it(`refuses ${label}`, async () => {
        const key = fakeKmsKey();
        kmsMock.on(GetPublicKeyCommand).resolves(getPublicKeyAnswer(key, answer()));
        const e = await rejection(kmsPublicKey(kms, key.arn));
        expect(e).to.be.instanceOf(KmsKeyRefused);
        expect(e.message).to.match(message);
        expect(await rejection(KmsJwtSigner.create(kms, key.arn))).to.be.instanceOf(KmsKeyRefused);
      });
    }

    it('a KMS error (unknown key) propagates unchanged', async () => {
      const notFound = new NotFoundException({ message: 'Key does not exist', $metadata: { httpStatusCode: 400 } });
      kmsMock.on(GetPublicKeyCommand).rejects(notFound);
      expect(await rejection(KmsJwtSigner.create(kms, KEY_ARN))).to.equal(notFound);
    });
  });

  describe('KmsJwtSigner', () => {
    it('signs a JWT that jsonwebtoken and verifyToken accept; kid is the RFC 7638 thumbprint of the KMS key', async () => {
      const key = fakeKmsKey();
      useKey(key);
      const signer = await KmsJwtSigner.create(kms, key.arn);
      const verification = publicVerificationKey(key.publicPem);
      expect(signer.kid).to.equal(verification.kid);

      const token = await signer.sign(claims({ scope: 'count_orders_by_range whoami' }));
      expect(segment(token, 0)).to.deep.equal({ alg: 'ES256', typ: 'JWT', kid: signer.kid });
      expect(Buffer.from(token.split('.')[2]!, 'base64url')).to.have.length(64);
      expect(jwt.verify(token, key.publicKey, { algorithms: ['ES256'] })).to.deep.include({ sub: '42', jti: 'c0ffee' });
      expect(verifyToken(token, new Map([[verification.kid, verification]]), POLICY)).to.deep.include({ subject: '42' });
    });

    it('sends exactly one SignCommand: KeyId, ECDSA_SHA_256, DIGEST, Message = SHA-256(header.payload)', async () => {
      const key = fakeKmsKey();
      useKey(key);
      const token = await new KmsJwtSigner(kms, key.arn, 'kid-1').sign(claims());
      const calls = kmsMock.commandCalls(SignCommand);
      expect(calls).to.have.length(1);
      const input = calls[0]!.args[0].input;
      expect(Object.keys(input).sort()).to.deep.equal(['KeyId', 'Message', 'MessageType', 'SigningAlgorithm']);
      expect(input).to.deep.include({ KeyId: key.arn, SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'DIGEST' });
      const signingInput = token.split('.').slice(0, 2).join('.');
      expect(Buffer.from(input.Message!)).to.deep.equal(createHash('sha256').update(signingInput).digest());
      expect(kmsMock.commandCalls(GetPublicKeyCommand)).to.have.length(0); // the constructor makes no call
    });

    it('claims larger than KMS\'s 4096-byte message limit sign and verify (only the digest is sent)', async () => {
      const key = fakeKmsKey();
      useKey(key);
      const signer = await KmsJwtSigner.create(kms, key.arn);
      const token = await signer.sign(claims({ scope: 'q '.repeat(3000) }));
      expect(token.length).to.be.greaterThan(4096);
      expect(kmsMock.commandCalls(SignCommand)[0]!.args[0].input.Message).to.have.length(32);
      expect(jwt.verify(token, key.publicKey, { algorithms: ['ES256'] })).to.have.property('sub', '42');
    });

    it('every token verifies: 30 signatures, each with a fresh KMS nonce', async () => {
      const key = fakeKmsKey();
      useKey(key);
      const signer = await KmsJwtSigner.create(kms, key.arn);
      for (let i = 0; i < 30; i++) {
        const token = await signer.sign(claims({ jti: `t${i}` }));
        expect(jwt.verify(token, key.publicKey, { algorithms: ['ES256'] })).to.have.property('jti', `t${i}`);
      }
    });

    it('negative control: a token KMS signed with another key is refused by verifyToken under the published kid', async () => {
      const published = fakeKmsKey();
      const other = fakeKmsKey();
      useKey(published);
      const signer = await KmsJwtSigner.create(kms, published.arn);
      kmsMock.on(SignCommand).callsFake((input: SignCommandInput) => kmsSign(other)({ ...input, KeyId: other.arn }));
      const token = await signer.sign(claims());
      const verification = publicVerificationKey(published.publicPem);
      expect(() => verifyToken(token, new Map([[verification.kid, verification]]), POLICY)).to.throw(Unauthorized);
    });

    const kmsFailures: Array<[string, () => Error]> = [
      ['KMSInvalidStateException (key disabled or pending deletion)', () => new KMSInvalidStateException({ message: 'key is disabled', $metadata: { httpStatusCode: 400 } })],
      ['ThrottlingException', () => awsError('ThrottlingException', 'Rate exceeded')],
      ['AccessDeniedException', () => awsError('AccessDeniedException', 'not authorized to perform: kms:Sign')],
    ];
    for (const [label, failure] of kmsFailures) {
      it(`a KMS ${label} propagates unchanged, no token`, async () => {
        const error = failure();
        kmsMock.on(SignCommand).rejects(error);
        expect(await rejection(new KmsJwtSigner(kms, KEY_ARN, 'kid-1').sign(claims()))).to.equal(error);
      });
    }

    it('fails closed on a Sign answer without a signature or with one that is not DER', async () => {
      kmsMock.on(SignCommand).resolves({ $metadata: {}, KeyId: KEY_ARN, SigningAlgorithm: 'ECDSA_SHA_256' });
      expect(await rejection(new KmsJwtSigner(kms, KEY_ARN, 'kid-1').sign(claims()))).to.be.instanceOf(KmsKeyRefused);
      kmsMock.on(SignCommand).resolves({ $metadata: {}, KeyId: KEY_ARN, Signature: randomBytes(64), SigningAlgorithm: 'ECDSA_SHA_256' });
      expect(await rejection(new KmsJwtSigner(kms, KEY_ARN, 'kid-1').sign(claims()))).to.be.instanceOf(SyntaxError);
    });
  });
});
