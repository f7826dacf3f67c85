/**
 * An identity provider's JWK Set, fetched over real HTTP from a `node:http` server this file
 * starts on loopback, serving keys made here with `generateKeyPairSync`; tokens are real JWTs
 * signed with the matching private keys. The server counts the fetches it receives, so the
 * refetch limits are asserted by counting, and time is the injected clock (no timed assertions).
 */
import { expect } from 'chai';
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { jwksUrl, MAX_JWKS_BYTES, readJwkSet, RemoteJwks, type RemoteJwksOptions } from '../../src/lambda/identity/keys/remote-jwks.ts';
import type { VerificationKey } from '../../src/lambda/identity/tokens/verify.ts';

interface ProviderKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly algorithm: Algorithm;
  /** The public JWK as a provider publishes it. */
  readonly jwk: JsonWebKey & { kid: string; use: string; alg: string };
}

function providerKey(kid: string, type: 'ec' | 'rsa'): ProviderKey {
  const { privateKey, publicKey } =
    type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const algorithm = type === 'ec' ? 'ES256' : 'RS256';
  return { kid, privateKey, algorithm, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: algorithm } };
}

const jwkOf = (pair: { publicKey: KeyObject }, kid: string, extra: Record<string, unknown> = {}) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, ...extra });

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'lakegate-api';

function idpToken(key: ProviderKey, sub = 'client-app'): string {
  return jwt.sign({ client_id: sub }, key.privateKey, { algorithm: key.algorithm, keyid: key.kid, subject: sub, issuer: ISSUER, audience: AUDIENCE, expiresIn: 300 });
}

/** Verifies `token` with `key` the way the authorizer does (algorithm pinned by the key). */
function verifies(token: string, key: VerificationKey | undefined): boolean {
  if (!key) return false;
  try {
    jwt.verify(token, key.key, { algorithms: [key.algorithm], issuer: ISSUER, audience: AUDIENCE });
    return true;
  } catch {
    return false;
  }
}

type Behaviour = 'serve' | 'error500' | 'garbage' | 'not-a-set' | 'too-big' | 'too-big-chunked' | 'hang' | 'redirect';

/** The identity provider: serves `document` at /jwks.json, or misbehaves as told (/moved.json always serves it, as a redirect target). */
class Provider {
  document: unknown = { keys: [] };
  behaviour: Behaviour = 'serve';
  hits = 0;
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((req, res) => {
      if (req.url === '/moved.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.document));
        return;
      }
      if (req.url !== '/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      this.hits += 1;
      const json = { 'content-type': 'application/json' };
      switch (this.behaviour) {
        case 'serve':
          res.writeHead(200, json).end(JSON.stringify(this.document));
          return;
        case 'error500':
          res.writeHead(500, json).end('{"error":"internal"}');
          return;
        case 'garbage':
          res.writeHead(200, json).end('<html>gateway error</html>');
          return;
        case 'not-a-set':
          res.writeHead(200, json).end(JSON.stringify([this.document]));
          return;
        case 'too-big':
          res.writeHead(200, json).end(JSON.stringify({ ...(this.document as object), padding: 'x'.repeat(MAX_JWKS_BYTES) }));
          return;
        case 'too-big-chunked': {
          // No Content-Length: the cap must hold while reading the stream.
          res.writeHead(200, json);
          const body = JSON.stringify({ ...(this.document as object), padding: 'x'.repeat(MAX_JWKS_BYTES) });
          for (let i = 0; i < body.length; i += 16_384) res.write(body.slice(i, i + 16_384));
          res.end();
          return;
        }
        case 'hang':
          this.hanging.add(res);
          return;
        case 'redirect':
          res.writeHead(302, { location: '/moved.json' }).end();
          return;
      }
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  publish(...keys: ProviderKey[]) {
    this.document = { keys: keys.map((k) => k.jwk) };
  }

  async stop() {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const COOLDOWN = 30_000;
const REFRESH = 600_000;
const MAX_STALE = 3_600_000;

describe('remote JWKS (existing identity provider)', () => {
  const provider = new Provider();
  let url: string;
  const clock = { t: 1_000_000 };
  const ec = providerKey('idp-ec-1', 'ec');
  const rsa = providerKey('idp-rsa-1', 'rsa');

  const jwks = (extra: Partial<RemoteJwksOptions> = {}) =>
    new RemoteJwks({ url, fetchTimeoutMs: 300, refetchCooldownMs: COOLDOWN, refreshIntervalMs: REFRESH, maxStaleMs: MAX_STALE, now: () => clock.t, ...extra });

  before(async () => {
    url = await provider.start();
  });
  after(() => provider.stop());
  beforeEach(() => {
    provider.publish(ec, rsa);
    provider.behaviour = 'serve';
    provider.hits = 0;
  });

  describe('serving keys', () => {
    it('a known EC kid gives an ES256 key that verifies a real token signed with the matching private key', async () => {
      const key = await jwks().key(ec.kid);
      expect(key?.algorithm).to.equal('ES256');
      expect(verifies(idpToken(ec), key)).to.equal(true);
      expect(provider.hits).to.equal(1);
    });

    it('a known RSA kid gives an RS256 key that verifies a real token', async () => {
      const key = await jwks().key(rsa.kid);
      expect(key?.algorithm).to.equal('RS256');
      expect(verifies(idpToken(rsa), key)).to.equal(true);
    });

    it("a key does not verify another key's token (no key mixing under one kid)", async () => {
      const set = jwks();
      expect(verifies(idpToken(rsa), await set.key(ec.kid))).to.equal(false);
      expect(verifies(idpToken(providerKey(ec.kid, 'ec')), await set.key(ec.kid))).to.equal(false);
    });

    it('warm lookups cost no fetch until the refresh interval, then one', async () => {
      const set = jwks();
      for (let i = 0; i < 20; i++) await set.key(i % 2 ? ec.kid : rsa.kid);
      expect(provider.hits).to.equal(1);
      clock.t += REFRESH;
      expect(await set.key(ec.kid)).to.not.equal(undefined);
      expect(provider.hits).to.equal(2);
    });

    it('concurrent lookups on a cold cache share one fetch', async () => {
      const set = jwks();
      const keys = await Promise.all(Array.from({ length: 25 }, (_, i) => set.key(i % 2 ? ec.kid : 'forged-' + i)));
      expect(provider.hits).to.equal(1);
      expect(keys.filter((k) => k !== undefined)).to.have.length(12);
    });

    it('a JWK with private members gives a public KeyObject built from the public members only', async () => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const rsaPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      provider.document = {
        keys: [
          { ...pair.privateKey.export({ format: 'jwk' }), kid: 'leaky-ec', use: 'sig', alg: 'ES256' },
          { ...rsaPair.privateKey.export({ format: 'jwk' }), kid: 'leaky-rsa', use: 'sig', alg: 'RS256' },
        ],
      };
      const set = jwks();
      for (const [kid, privateKey, algorithm] of [['leaky-ec', pair.privateKey, 'ES256'], ['leaky-rsa', rsaPair.privateKey, 'RS256']] as const) {
        const key = await set.key(kid);
        const keyObject = key?.key as KeyObject;
        expect(keyObject.type, kid).to.equal('public');
        expect(Object.keys(keyObject.export({ format: 'jwk' })).sort(), kid).to.deep.equal(algorithm === 'ES256' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n']);
        const token = jwt.sign({}, privateKey, { algorithm, keyid: kid, issuer: ISSUER, audience: AUDIENCE, expiresIn: 60 });
        expect(verifies(token, key), kid).to.equal(true);
      }
    });

    it('kid values that are not plain strings, or name object internals, match nothing', async () => {
      const set = jwks();
      await set.key(ec.kid);
      for (const kid of [0, {}, [], null, '', '../x', '__proto__', 'constructor', 'toString', 'x'.repeat(257)]) {
        expect(await set.key(kid as string), JSON.stringify(kid)).to.equal(undefined);
      }
    });
  });

  describe('unknown kid refetch (no fetch storm from forged kids)', () => {
    it('one refetch, then none within the cooldown however many lookups, then one more after it', async () => {
      const set = jwks();
      await set.key(ec.kid);
      expect(provider.hits).to.equal(1);

      clock.t += COOLDOWN;
      expect(await set.key('forged-0')).to.equal(undefined);
      expect(provider.hits).to.equal(2);

      for (let i = 1; i <= 200; i++) expect(await set.key(`forged-${i}`)).to.equal(undefined);
      await Promise.all(Array.from({ length: 100 }, (_, i) => set.key(`forged-parallel-${i}`)));
      clock.t += COOLDOWN - 1;
      expect(await set.key('forged-late')).to.equal(undefined);
      expect(provider.hits).to.equal(2);
      expect(await set.key(ec.kid)).to.not.equal(undefined);

      clock.t += 1;
      expect(await set.key('forged-after-cooldown')).to.equal(undefined);
      expect(provider.hits).to.equal(3);
    });

    it('a key the provider just added is found by the refetch', async () => {
      const set = jwks();
      await set.key(ec.kid);
      const added = providerKey('idp-ec-2', 'ec');
      provider.publish(ec, rsa, added);
      clock.t += COOLDOWN;
      expect(verifies(idpToken(added), await set.key(added.kid))).to.equal(true);
    });

    it('forged kids against a provider that is never reached cost one fetch per cooldown', async () => {
      provider.behaviour = 'error500';
      const set = jwks();
      for (let i = 0; i < 100; i++) expect(await set.key(`forged-${i}`)).to.equal(undefined);
      expect(provider.hits).to.equal(1);
      clock.t += COOLDOWN;
      expect(await set.key(ec.kid)).to.equal(undefined);
      expect(provider.hits).to.equal(2);
    });
  });

  describe('provider faults', () => {
    const faults: { behaviour: Behaviour; why: string }[] = [
      { behaviour: 'error500', why: 'non-200 answer' },
      { behaviour: 'garbage', why: 'not JSON' },
      { behaviour: 'not-a-set', why: 'JSON without a "keys" array' },
      { behaviour: 'too-big', why: `over ${MAX_JWKS_BYTES} bytes, Content-Length declared` },
      { behaviour: 'too-big-chunked', why: `over ${MAX_JWKS_BYTES} bytes, streamed without Content-Length` },
      { behaviour: 'redirect', why: 'a redirect (the configured URL is the only source)' },
      { behaviour: 'hang', why: 'never answers: the fetch times out' },
    ];

    for (const { behaviour, why } of faults) {
      it(`${behaviour} (${why}): the last good set is still used`, async () => {
        const set = jwks();
        expect(await set.key(ec.kid)).to.not.equal(undefined);
        provider.behaviour = behaviour;
        clock.t += REFRESH;
        const key = await set.key(ec.kid);
        expect(provider.hits, 'the refresh was attempted').to.equal(2);
        expect(verifies(idpToken(ec), key)).to.equal(true);
      });

      it(`${behaviour} (${why}) before any good fetch: undefined, never a throw`, async () => {
        provider.behaviour = behaviour;
        expect(await jwks().key(ec.kid)).to.equal(undefined);
        expect(provider.hits).to.equal(1);
      });
    }

    it('while the provider is down the last good set serves until maxStale after its last good fetch, then every lookup denies; it recovers when the provider is back', async () => {
      const set = jwks();
      await set.key(ec.kid);
      provider.behaviour = 'error500';

      clock.t += MAX_STALE;
      expect(await set.key(ec.kid), 'at maxStale').to.not.equal(undefined);
      clock.t += 1;
      expect(await set.key(ec.kid), 'past maxStale').to.equal(undefined);
      expect(await set.key(rsa.kid)).to.equal(undefined);
      clock.t += COOLDOWN;
      expect(await set.key(ec.kid), 'still down').to.equal(undefined);
      const failedAttempts = provider.hits;

      provider.behaviour = 'serve';
      expect(await set.key(ec.kid), 'within the cooldown of the last attempt').to.equal(undefined);
      expect(provider.hits).to.equal(failedAttempts);
      clock.t += COOLDOWN;
      expect(verifies(idpToken(ec), await set.key(ec.kid)), 'recovered').to.equal(true);
      expect(provider.hits).to.equal(failedAttempts + 1);
    });
  });

  describe('rotation', () => {
    it('a rotated set (old kid removed) leaves the old kid undefined after the refresh', async () => {
      const set = jwks();
      expect(await set.key(ec.kid)).to.not.equal(undefined);
      const next = providerKey('idp-ec-next', 'ec');
      provider.publish(next);

      clock.t += REFRESH;
      expect(await set.key(ec.kid)).to.equal(undefined);
      expect(await set.key(rsa.kid)).to.equal(undefined);
      expect(verifies(idpToken(next), await set.key(next.kid))).to.equal(true);
      expect(provider.hits).to.equal(2);
    });
  });

  describe('which published keys are kept', () => {
    const ecPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsaPair = (modulusLength = 2048) => generateKeyPairSync('rsa', { modulusLength });
    const good = jwkOf(ecPair(), 'good', { use: 'sig', alg: 'ES256' });
    const ecJwk = jwkOf(ecPair(), 'x');
    const rsaJwk = jwkOf(rsaPair(), 'x');

    const skipped: { why: string; jwk: unknown }[] = [
      { why: 'EC on P-384', jwk: jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'p384') },
      { why: 'EC on secp256k1', jwk: jwkOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }), 'k1') },
      { why: 'a secp256k1 point labelled P-256 (not on the curve)', jwk: { ...jwkOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }), 'k1-as-p256'), crv: 'P-256' } },
      { why: 'RSA of 1024 bits', jwk: jwkOf(rsaPair(1024), 'rsa1024') },
      { why: 'RSA of 2047 bits', jwk: jwkOf(rsaPair(2047), 'rsa2047') },
      { why: 'RSA with public exponent 1 (every signature would verify)', jwk: { ...rsaJwk, kid: 'e1', e: 'AQ' } },
      { why: 'use: enc', jwk: { ...ecJwk, kid: 'enc', use: 'enc' } },
      { why: 'key_ops without verify', jwk: { ...ecJwk, kid: 'ops', key_ops: ['encrypt'] } },
      { why: 'EC key with alg RS256', jwk: { ...ecJwk, kid: 'ec-rs256', alg: 'RS256' } },
      { why: 'EC key with alg ES384', jwk: { ...ecJwk, kid: 'ec-es384', alg: 'ES384' } },
      { why: 'RSA key with alg ES256', jwk: { ...rsaJwk, kid: 'rsa-es256', alg: 'ES256' } },
      { why: 'RSA key with alg PS256', jwk: { ...rsaJwk, kid: 'rsa-ps256', alg: 'PS256' } },
      { why: 'RSA key with alg none', jwk: { ...rsaJwk, kid: 'rsa-none', alg: 'none' } },
      { why: 'symmetric (oct) key', jwk: { kty: 'oct', kid: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', alg: 'HS256' } },
      { why: 'Ed25519 (OKP) key', jwk: jwkOf(generateKeyPairSync('ed25519'), 'okp') },
      { why: 'no kid', jwk: { ...ecJwk, kid: undefined } },
      { why: 'numeric kid', jwk: { ...ecJwk, kid: 7 } },
      { why: 'empty kid', jwk: { ...ecJwk, kid: '' } },
      { why: 'kid over 256 characters', jwk: { ...ecJwk, kid: 'k'.repeat(257) } },
      { why: 'EC key without y', jwk: { ...ecJwk, kid: 'no-y', y: undefined } },
      { why: 'EC key with a numeric x', jwk: { ...ecJwk, kid: 'num-x', x: 5 } },
      { why: 'RSA modulus that is not base64url of a key', jwk: { ...rsaJwk, kid: 'bad-n', n: '!!!' } },
      { why: 'not an object', jwk: 'idp-ec-1' },
      { why: 'an array', jwk: [ecJwk] },
    ];

    for (const { why, jwk } of skipped) {
      it(`skipped: ${why}`, () => {
        const set = readJwkSet({ keys: [good, jwk] });
        expect([...set.keys.keys()]).to.deep.equal(['good']);
        expect(set.skipped).to.have.length(1);
      });
    }

    it('kept: EC P-256 and RSA ≥ 2048 bits, with or without use/alg, and a 256-character kid', () => {
      const kid256 = 'k'.repeat(256);
      const set = readJwkSet({
        keys: [
          jwkOf(ecPair(), 'ec-bare'),
          jwkOf(rsaPair(3072), 'rsa-3072', { use: 'sig', alg: 'RS256', key_ops: ['verify'] }),
          jwkOf(ecPair(), kid256, { use: 'sig' }),
        ],
      });
      expect([...set.keys.values()].map((k) => [k.kid, k.algorithm])).to.deep.equal([['ec-bare', 'ES256'], ['rsa-3072', 'RS256'], [kid256, 'ES256']]);
      expect(set.skipped).to.deep.equal([]);
    });

    it('two keys under one kid are both skipped (which one a token meant is ambiguous)', () => {
      const set = readJwkSet({ keys: [good, jwkOf(ecPair(), 'twin'), jwkOf(ecPair(), 'twin'), jwkOf(ecPair(), 'twin')] });
      expect([...set.keys.keys()]).to.deep.equal(['good']);
    });

    for (const document of [null, [], 'keys', { keys: {} }, { keys: 'x' }, {}]) {
      it(`not a JWK Set: ${JSON.stringify(document)}`, () => {
        expect(() => readJwkSet(document)).to.throw(/JWK Set/);
      });
    }

    it('through the provider: only the usable key of a mixed set is served', async () => {
      provider.document = { keys: skipped.map((s) => s.jwk).concat(ec.jwk) };
      const set = jwks();
      expect(verifies(idpToken(ec), await set.key(ec.kid))).to.equal(true);
      for (const kid of ['p384', 'rsa1024', 'enc', 'ec-rs256', 'rsa-es256', 'oct', 'okp', 'e1']) expect(await set.key(kid), kid).to.equal(undefined);
    });
  });

  describe('configuration', () => {
    const refused = [
      'http://idp.example.test/jwks.json',
      'http://10.0.0.1/jwks.json',
      'http://169.254.169.254/latest/meta-data',
      'http://[::2]/jwks.json',
      'http://[::ffff:7f00:1]/jwks.json',
      'http://127.0.0.1.nip.io/jwks.json',
      'http://localhost.example.test/jwks.json',
      'https://user:secret@idp.example.test/jwks.json',
      'ftp://idp.example.test/jwks.json',
      'file:///etc/passwd',
      'idp.example.test/jwks.json',
      '',
    ];
    for (const raw of refused) {
      it(`refused at construction: ${JSON.stringify(raw)}`, () => {
        expect(() => jwksUrl(raw)).to.throw(/JWKS URL/);
        expect(() => jwks({ url: raw })).to.throw(/JWKS URL/);
      });
    }

    const accepted = [
      'https://idp.example.test/.well-known/jwks.json',
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json',
      'http://127.0.0.1:8080/jwks.json',
      'http://127.1/jwks.json',
      'http://127.255.0.9/jwks.json',
      'http://localhost:3000/jwks.json',
      'http://LOCALHOST/jwks.json',
      'http://[::1]:9000/jwks.json',
    ];
    for (const raw of accepted) {
      it(`accepted: ${raw}`, () => {
        expect(() => jwks({ url: raw })).to.not.throw();
      });
    }

    it('refuses non-positive durations and a maxStale shorter than the refresh interval', () => {
      expect(() => jwks({ fetchTimeoutMs: 0 })).to.throw(/fetchTimeoutMs/);
      expect(() => jwks({ refetchCooldownMs: Number.NaN })).to.throw(/refetchCooldownMs/);
      expect(() => jwks({ maxStaleMs: REFRESH - 1 })).to.throw(/maxStaleMs/);
    });
  });
});
