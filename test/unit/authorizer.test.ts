/**
 * The token authorizer, in-process: the attack cases of docs/security.md (1–23) as a table, with
 * real keys and signatures. Each bad token must give exactly `Error('Unauthorized')` (401);
 * unknown/disabled clients a Deny (403); granted ones an Allow listing exactly their methods.
 */
import { sign } from 'node:crypto';
import { expect } from 'chai';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { AccessTableCache } from '../../src/lambda/access/table.ts';
import { serializeAccessTable, type AccessRule } from '../../src/lambda/access/model.ts';
import type { VersionedRead, VersionedStore } from '../../src/shared/versioned-store.ts';
import { Authorizer, tokenAuthorizerHandler } from '../../src/lambda/identity/authorizer.ts';
import { DENIALS, ENDPOINT_METHODS } from '../../src/lambda/identity/policy.ts';
import { peekToken, publicVerificationKey, Unauthorized, verifyToken, type TokenPolicy } from '../../src/lambda/identity/tokens/verify.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { AUDIENCE, ecKey, hmacRaw, ISSUER, mint, rsaKey, signRaw, type TestKey } from '../helpers/tokens.ts';

const API = 'arn:aws:execute-api:eu-west-1:123456789012:abc123def4/prod';
const arn = (query: string) => `${API}/GET/${query}`;
/** The method ARNs an Allow lists for one endpoint: every method it answers (GET, and HEAD like GET). */
const arns = (query: string) => ENDPOINT_METHODS.map((m) => `${API}/${m}/${query}`);
const NAMES = [...catalog().keys()];
const POLICY: TokenPolicy = { issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 30, maxTokenBytes: 4096, maxAgeSec: 86400 };

const RULES: AccessRule[] = [
  { client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
  { client_id: 3, enabled: true, allowed_queries: ['count_orders_by_range', 'count_trackcode_by_range'], row_scope: 'own', max_range_days: 31 },
  { client_id: 13, enabled: false, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
  { client_id: 20, enabled: true, allowed_queries: [], row_scope: 'own', max_range_days: 366 },
  { client_id: 9000, enabled: true, allowed_queries: ['*'], row_scope: 'all', max_range_days: 3660 },
];

/** An in-memory store (our own interface, not an AWS service): versioned text, or a failure. */
class MemoryStore implements VersionedStore {
  location = 'memory';
  version = 1;
  reads = 0;
  constructor(public body: string | Error | 'hang') {}
  async read(known?: string): Promise<VersionedRead> {
    this.reads += 1;
    if (this.body === 'hang') return new Promise(() => undefined);
    if (this.body instanceof Error) throw this.body;
    if (known === String(this.version)) return { changed: false };
    return { changed: true, version: String(this.version), body: this.body };
  }
  set(body: string | Error | 'hang') {
    this.body = body;
    this.version += 1;
  }
}

const key = ecKey();
const stranger = ecKey();
const rsa = rsaKey();
const now = () => Math.floor(Date.now() / 1000);

const ring = new Map([[key.kid, publicVerificationKey(key.publicPem)]]);

function setup(store: VersionedStore = new MemoryStore(serializeAccessTable(RULES)), clock?: { t: number }, policy = POLICY) {
  const acl = new AccessTableCache(store, { ttlMs: 10_000, maxStaleMs: 60_000, readTimeoutMs: 200, ...(clock ? { now: () => clock.t } : {}) });
  const authorizer = new Authorizer(ring, policy, acl, NAMES);
  const handler = tokenAuthorizerHandler(async () => authorizer);
  const call = (authorizationToken: string | undefined, query = 'count_orders_by_range') =>
    handler({ type: 'TOKEN', authorizationToken: authorizationToken as string, methodArn: arn(query) });
  return { call, authorizer };
}

/** 401: the handler throws exactly Error('Unauthorized'). */
async function expect401(p: Promise<APIGatewayAuthorizerResult>, label: string) {
  const outcome = await p.then(
    (r) => ({ result: r }),
    (e: Error) => ({ error: e }),
  );
  expect('error' in outcome, `${label}: expected 401, got ${JSON.stringify(outcome)}`).to.equal(true);
  const error = (outcome as { error: Error }).error;
  expect(error.message, label).to.equal('Unauthorized');
  expect(error.constructor, label).to.equal(Error);
}

const claims = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ sub: '4', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600, ...extra });
const header = (extra: Record<string, unknown> = {}) => ({ alg: 'ES256', typ: 'JWT', kid: key.kid, ...extra });
/** ES256 over header text as written (signRaw serializes an object, which cannot name a member twice). */
const signRawHeader = (headerText: string, payloadText: string) => {
  const input = `${Buffer.from(headerText).toString('base64url')}.${Buffer.from(payloadText).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};
/** Why verifyToken refuses `token` (the reason that goes to the log), or 'accepted'. */
const refusal = (token: string, policy = POLICY) => {
  try {
    verifyToken(token, ring, policy);
    return 'accepted';
  } catch (e) {
    expect(e).to.be.instanceOf(Unauthorized);
    return (e as Unauthorized).reason;
  }
};

describe('token authorizer', () => {
  const { call } = setup();
  const good = mint(key, '4');

  describe('401 for every bad token', () => {
    const flipBit = (t: string) => {
      const sig = Buffer.from(t.split('.')[2]!, 'base64url');
      sig[5]! ^= 0x01;
      return `${t.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`;
    };
    const cases: [string, () => string | undefined][] = [
      ['no Authorization header', () => undefined],
      ['empty header', () => ''],
      ['Basic credentials', () => 'Basic dXNlcjpwYXNz'],
      ['"Bearer" with nothing after it', () => 'Bearer'],
      ['"Bearer " with an empty token', () => 'Bearer '],
      ['two tokens', () => `Bearer ${good} ${good}`],
      ['lower-case scheme', () => `bearer ${good}`],
      ['alg none, empty signature', () => `${signRaw(header({ alg: 'none' }), claims(), key).split('.').slice(0, 2).join('.')}.`],
      ['alg none with a signature', () => signRaw(header({ alg: 'none' }), claims(), key)],
      ['HS256 signed with the public key PEM and our kid', () => hmacRaw(header({ alg: 'HS256' }), claims(), key.publicPem)],
      ['HS384 signed with the public key PEM', () => hmacRaw(header({ alg: 'HS384' }), claims(), key.publicPem, 'sha384')],
      ['RS256 from another key with our kid', () => mint(rsa, '4', { sign: { algorithm: 'RS256', keyid: key.kid } })],
      ['an unknown key with its own kid', () => mint(stranger, '4')],
      ['an unknown key claiming our kid', () => mint(stranger, '4', { sign: { keyid: key.kid } })],
      ['one signature bit flipped', () => flipBit(good)],
      ['truncated signature', () => good.slice(0, -6)],
      // With 30 s of tolerance, SECURITY #7's "exp = now-1 / exp = now" edges move 30 s back.
      ['expired beyond the clock tolerance', () => signRaw(header(), claims({ exp: now() - 31 }), key)],
      ['exp exactly at the tolerance edge', () => signRaw(header(), claims({ exp: now() - 30 }), key)],
      ['no exp', () => signRaw(header(), JSON.stringify({ sub: '4', iss: ISSUER, aud: AUDIENCE, iat: now() }), key)],
      ['exp as a string', () => signRaw(header(), claims({ exp: '9999999999' }), key)],
      ['exp as an array', () => signRaw(header(), claims({ exp: [] }), key)],
      ['exp null', () => signRaw(header(), claims({ exp: null }), key)],
      ['nbf beyond the tolerance', () => mint(key, '4', { sign: { notBefore: 120 } })],
      ['iat in the future', () => signRaw(header(), claims({ iat: now() + 600 }), key)],
      ['older than the maximum token age', () => signRaw(header(), claims({ iat: now() - 2 * 86400 }), key)],
      ['wrong aud', () => mint(key, '4', { sign: { audience: 'someone-else' } })],
      ['missing aud', () => signRaw(header(), claims({ aud: undefined }), key)],
      ['empty aud', () => signRaw(header(), claims({ aud: '' }), key)],
      ['wrong iss', () => mint(key, '4', { sign: { issuer: 'evil' } })],
      ['missing iss', () => signRaw(header(), claims({ iss: undefined }), key)],
      ['sub not a client id', () => mint(key, 'admin')],
      ['sub with a leading zero', () => mint(key, '04')],
      ['sub missing', () => signRaw(header(), claims({ sub: undefined }), key)],
      ['sub as a number', () => signRaw(header(), claims({ sub: 4 }), key)],
      ['2 segments', () => good.split('.').slice(0, 2).join('.')],
      ['4 segments', () => `${good}.${good.split('.')[2]}`],
      ['= padding', () => `${good}=`],
      ['+ and / (base64, not base64url)', () => good.replace(/-/g, '+').replace(/_/g, '/') + '+/'],
      ['non-ASCII', () => `${good.slice(0, 20)}é${good.slice(21)}`],
      ['invalid UTF-8 in the payload', () => signRaw(header(), '\udc80', key)],
      ['payload 123', () => signRaw(header(), '123', key)],
      ['payload "s"', () => signRaw(header(), '"s"', key)],
      ['payload null', () => signRaw(header(), 'null', key)],
      ['payload []', () => signRaw(header(), '[]', key)],
      ['__proto__ claim', () => signRaw(header(), claims().replace('{', '{"__proto__":{"admin":true},'), key)],
      ['constructor claim', () => signRaw(header(), claims({ constructor: { prototype: { admin: true } } }), key)],
      ['kid 0', () => signRaw(header({ kid: 0 }), claims(), key)],
      ['kid {}', () => signRaw(header({ kid: {} }), claims(), key)],
      ['kid "../x"', () => signRaw(header({ kid: '../x' }), claims(), key)],
      ['no kid', () => signRaw(header({ kid: undefined }), claims(), key)],
      ['8 KB token', () => signRaw(header(), claims({ pad: 'x'.repeat(6000) }), key)],
      ['10 KB token', () => signRaw(header(), claims({ pad: 'x'.repeat(7600) }), key)],
      ['16 KB token', () => signRaw(header(), claims({ pad: 'x'.repeat(12000) }), key)],
      ['header that is not JSON', () => `bm90LWpzb24.${good.split('.')[1]}.${good.split('.')[2]}`],
    ];
    for (const [label, token] of cases) {
      it(label, async () => {
        const t = token();
        await expect401(call(t === undefined || t.startsWith('Basic') || t.startsWith('Bearer') || t.startsWith('bearer') || t === '' ? t : `Bearer ${t}`), label);
      });
    }

    it('refuses oversize tokens before parsing them', async () => {
      const huge = `Bearer ${'a'.repeat(1_000_000)}.${'b'.repeat(10)}.c`;
      const started = performance.now();
      await expect401(call(huge), 'huge');
      expect(performance.now() - started).to.be.below(1000); // generous: a sanity bound, not a benchmark
    });

    it('__proto__ in a token pollutes nothing', async () => {
      await call(`Bearer ${signRaw(header(), claims().replace('{', '{"__proto__":{"polluted":true},'), key)}`).catch(() => undefined);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  });

  describe('attack-probe findings: each refused 401, for the reason it names', () => {
    const DAY = 86400;

    it('iat is checked by our code, not jsonwebtoken\'s maxAge (which reads iat 0 as "now"): iat 0 with exp ten years out, iat 1, 31 days old, a string, Infinity, absent, or ahead beyond the tolerance is refused; a fresh iat, and one at the maximum age or ahead but inside the tolerance, are accepted', async () => {
      // As deployed: authConfig's default maximum age (30 days) and clock tolerance (30 s).
      const deployed: TokenPolicy = { ...POLICY, maxAgeSec: 30 * DAY };
      const { call: callDeployed } = setup(undefined, undefined, deployed);
      const refused: [string, () => string, RegExp][] = [
        ['iat 0, exp ten years out', () => claims({ iat: 0, exp: now() + 10 * 365 * DAY }), /older than the maximum token age/],
        ['iat 1', () => claims({ iat: 1 }), /older than the maximum token age/],
        ['iat 31 days old', () => claims({ iat: now() - 31 * DAY }), /older than the maximum token age/],
        ['iat 30 days and 40 s old (past the 30 s tolerance)', () => claims({ iat: now() - 30 * DAY - 40 }), /older than the maximum token age/],
        ['iat as a string', () => claims({ iat: String(now()) }), /iat missing or not a number/],
        ['iat 1e400 (JSON.parse: Infinity)', () => claims().replace(/"iat":\d+/, '"iat":1e400'), /iat missing or not a number/],
        ['no iat', () => claims({ iat: undefined }), /iat missing or not a number/],
        ['iat 40 s ahead (tolerance 30 s)', () => claims({ iat: now() + 40 }), /iat in the future/],
      ];
      for (const [label, payload, reason] of refused) {
        const t = signRaw(header(), payload(), key);
        expect(refusal(t, deployed), label).to.match(reason);
        await expect401(callDeployed(`Bearer ${t}`), label);
      }
      const accepted: [string, () => string][] = [
        ['a fresh iat', () => claims()],
        ['iat 30 days and 20 s old (inside the tolerance)', () => claims({ iat: now() - 30 * DAY - 20 })],
        ['iat 20 s ahead (inside the tolerance)', () => claims({ iat: now() + 20 })],
      ];
      for (const [label, payload] of accepted) {
        const r = await callDeployed(`Bearer ${signRaw(header(), payload(), key)}`);
        expect(r.policyDocument.Statement[0], label).to.include({ Effect: 'Allow' });
      }
    });

    it('a header with crit is refused whatever it names (RFC 7515 §4.1.11: we implement no extension)', async () => {
      const headers: [string, Record<string, unknown>][] = [
        ['crit ["exp2"] with exp2 present', header({ crit: ['exp2'], exp2: now() + 600 })],
        ['crit ["exp2"] without exp2', header({ crit: ['exp2'] })],
        ['crit ["b64"] with b64 true', header({ crit: ['b64'], b64: true })],
        ['crit [] (RFC 7515: must not be empty)', header({ crit: [] })],
        ['crit as a string', header({ crit: 'exp2' })],
        ['crit null', header({ crit: null })],
      ];
      for (const [label, h] of headers) {
        const t = signRaw(h, claims(), key);
        expect(refusal(t), label).to.match(/^crit names an extension we do not implement$/);
        expect(() => peekToken(t), label).to.throw(Unauthorized);
        await expect401(call(`Bearer ${t}`), label);
      }
    });

    it('a member named twice is refused at any depth, in the header or the payload, and already by peekToken (before it picks a key)', async () => {
      const body = claims().slice(1, -1); // the claims' members, to put around the duplicates
      const h = JSON.stringify(header());
      const tokens: [string, string][] = [
        ['sub twice ("3" then "4")', signRawHeader(h, `{"sub":"3",${body},"sub":"4"}`)],
        ['sub twice, the second spelled with an escape', signRawHeader(h, `{${body},"s\\u0075b":"9000"}`)],
        ['iss twice (the last would pick whose keys to try)', signRawHeader(h, `{"iss":"https://idp.example.test/pool",${body}}`)],
        ['a claim object with a member twice', signRawHeader(h, `{${body},"ctx":{"role":"reader","role":"admin"}}`)],
        ['a member twice inside an array of objects', signRawHeader(h, `{${body},"grants":[{"q":"a"},{"q":"b","q":"c"}]}`)],
        ['alg twice in the header', signRawHeader(`{"alg":"none","typ":"JWT","kid":"${key.kid}","alg":"ES256"}`, claims())],
        ['kid twice in the header', signRawHeader(`{"alg":"ES256","kid":"${stranger.kid}","typ":"JWT","kid":"${key.kid}"}`, claims())],
        ['a header member twice inside a nested object', signRawHeader(`{"alg":"ES256","typ":"JWT","kid":"${key.kid}","x5":{"a":1,"a":2}}`, claims())],
      ];
      for (const [label, t] of tokens) {
        expect(refusal(t), label).to.match(/^a token segment is not strict JSON: duplicate member name /);
        let peeked: unknown;
        try {
          peeked = peekToken(t);
        } catch (e) {
          peeked = e;
        }
        expect(peeked, label).to.be.instanceOf(Unauthorized);
        expect((peeked as Unauthorized).reason, label).to.match(/duplicate member name/);
        await expect401(call(`Bearer ${t}`), label);
      }
      // The same name in two different objects is no duplicate: such a token is accepted.
      const r = await call(`Bearer ${signRawHeader(h, `{${body},"a":{"x":1},"b":{"x":2,"y":[{"x":3}]}}`)}`);
      expect(r.policyDocument.Statement[0]).to.include({ Effect: 'Allow' });
    });

    it('a segment the strict reader cannot read is refused (fails closed): nesting past 32 levels, invalid UTF-8, a BOM', async () => {
      const h = JSON.stringify(header());
      const tokens: [string, string, RegExp][] = [
        ['33 levels (32 nested arrays in the claims)', signRawHeader(h, claims({ deep: JSON.parse(`${'['.repeat(32)}${']'.repeat(32)}`) })), /nested too deeply/],
        ['a BOM before the payload', signRawHeader(h, `\ufeff${claims()}`), /not strict JSON/],
      ];
      const invalidUtf8 = (() => {
        const input = `${Buffer.from(h).toString('base64url')}.${Buffer.concat([Buffer.from(claims().slice(0, -1) + ',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]).toString('base64url')}`;
        return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      })();
      tokens.push(['invalid UTF-8 (0xC3 0x28) in a claim', invalidUtf8, /not UTF-8 JSON/]);
      for (const [label, t, reason] of tokens) {
        expect(refusal(t), label).to.match(reason);
        await expect401(call(`Bearer ${t}`), label);
      }
      // 32 levels (31 nested arrays in the claims) still read.
      const r = await call(`Bearer ${signRawHeader(h, claims({ deep: JSON.parse(`${'['.repeat(31)}${']'.repeat(31)}`) }))}`);
      expect(r.policyDocument.Statement[0]).to.include({ Effect: 'Allow' });
    });
  });

  describe('allow inside the tolerances', () => {
    const cases: [string, () => string][] = [
      ['a fresh token', () => good],
      ['exp just inside the clock tolerance', () => signRaw(header(), claims({ exp: now() - 28 }), key)],
      ['nbf just inside the clock tolerance', () => mint(key, '4', { sign: { notBefore: 20 } })],
      ['aud as an array containing ours', () => mint(key, '4', { sign: { audience: ['other', AUDIENCE] } })],
      ['iat at the maximum age, inside the clock tolerance', () => signRaw(header(), claims({ iat: now() - 86400 - 20 }), key)],
    ];
    for (const [label, token] of cases) {
      it(label, async () => {
        const r = await call(`Bearer ${token()}`);
        expect(r.policyDocument.Statement[0]).to.include({ Effect: 'Allow' });
      });
    }
  });

  describe('decisions from the access table', () => {
    const statement = (r: APIGatewayAuthorizerResult) => r.policyDocument.Statement[0] as { Effect: string; Resource: string[] };

    it('Allow lists exactly the method ARNs of every granted query, whichever method is called', async () => {
      for (const q of ['count_orders_by_range', 'all_orders_by_range']) {
        const r = await call(`Bearer ${good}`, q);
        expect(statement(r).Effect).to.equal('Allow');
        expect(statement(r).Resource).to.deep.equal([...NAMES, 'whoami'].flatMap(arns));
        expect(r.principalId).to.equal('4');
        // With what to answer for a method the policy does not list (API Gateway's ACCESS_DENIED renders it).
        expect(r.context).to.deep.equal({ clientId: '4', rowScope: 'own', maxRangeDays: 366, plan: 'standard', pii: 'masked', ...DENIALS.notGranted });
      }
    });

    it('a restricted client: Allow lists only its grants, so another query is refused (403) even from a cached policy', async () => {
      const r = await call(`Bearer ${mint(key, '3')}`, 'most_required_service_by_range');
      expect(statement(r).Effect).to.equal('Allow');
      expect(statement(r).Resource).to.deep.equal(['count_orders_by_range', 'count_trackcode_by_range', 'whoami'].flatMap(arns));
      for (const a of arns('most_required_service_by_range')) expect(statement(r).Resource).to.not.include(a);
      expect(statement(r).Resource.some((x) => x.includes('*'))).to.equal(false);
    });

    it('row scope all for the analysts, as a plain string in the context', async () => {
      const r = await call(`Bearer ${mint(key, '9000')}`);
      expect(r.context).to.deep.equal({ clientId: '9000', rowScope: 'all', maxRangeDays: 3660, plan: 'standard', pii: 'masked', ...DENIALS.notGranted });
      for (const v of Object.values(r.context!)) expect(['string', 'number', 'boolean']).to.include(typeof v);
    });

    for (const [label, sub] of [['unknown client', '777'], ['disabled client', '13'], ['client with no grants', '20']] as const) {
      it(`Deny (403) for a valid token of an ${label}`, async () => {
        const r = await call(`Bearer ${mint(key, sub)}`);
        expect(statement(r).Effect).to.equal('Deny');
      });
    }
  });

  describe('fails closed', () => {
    const denies = async (store: VersionedStore, label: string) => {
      const r = await setup(store).call(`Bearer ${good}`);
      expect(r.policyDocument.Statement[0], label).to.include({ Effect: 'Deny' });
    };

    it('denies when the access table cannot be read', () => denies(new MemoryStore(new Error('ENOENT')), 'missing'));
    it('denies when the access table is malformed', () => denies(new MemoryStore('{"client_id": 4, "enabled": true\n'), 'malformed'));
    it('denies when the access table is truncated', () => denies(new MemoryStore(serializeAccessTable(RULES).slice(0, -20)), 'truncated'));
    it('denies when a rule has an unknown field', () =>
      denies(new MemoryStore(`${JSON.stringify({ ...RULES[0], admin: true })}\n`), 'unknown field'));
    it('denies when the store hangs (read timeout)', () => denies(new MemoryStore('hang'), 'hang'));

    it('denies on an unexpected methodArn', async () => {
      const { authorizer } = setup();
      const handler = tokenAuthorizerHandler(async () => authorizer);
      const r = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${good}`, methodArn: 'garbage' });
      expect(r.policyDocument.Statement[0]).to.include({ Effect: 'Deny' });
    });

    it('denies when the authorizer cannot start (keys unavailable), and retries on the next call', async () => {
      let attempts = 0;
      const handler = tokenAuthorizerHandler(async () => {
        attempts += 1;
        throw new Error('SSM unavailable');
      });
      for (let i = 0; i < 2; i++) {
        const r = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${good}`, methodArn: arn('count_orders_by_range') });
        expect(r.policyDocument.Statement[0]).to.include({ Effect: 'Deny' });
      }
      expect(attempts).to.equal(2);
    });
  });

  describe('access-table cache', () => {
    it('a revocation takes effect once the TTL has passed, with one cheap re-validation', async () => {
      const clock = { t: 1_000_000 };
      const store = new MemoryStore(serializeAccessTable(RULES));
      const { call: callAt } = setup(store, clock);
      expect(statement(await callAt(`Bearer ${good}`)).Effect).to.equal('Allow');
      store.set(serializeAccessTable(RULES.map((r) => (r.client_id === 4 ? { ...r, enabled: false } : r))));
      clock.t += 9_000; // inside the TTL: the cached table answers, no read
      const readsBefore = store.reads;
      expect(statement(await callAt(`Bearer ${good}`)).Effect).to.equal('Allow');
      expect(store.reads).to.equal(readsBefore);
      clock.t += 1_001; // past the TTL: re-validated, revoked
      expect(statement(await callAt(`Bearer ${good}`)).Effect).to.equal('Deny');
    });

    it('an unchanged table is re-validated without re-reading it', async () => {
      const clock = { t: 0 };
      const store = new MemoryStore(serializeAccessTable(RULES));
      const cache = new AccessTableCache(store, { ttlMs: 10, maxStaleMs: 100, readTimeoutMs: 100, now: () => clock.t });
      const first = await cache.table();
      clock.t += 20;
      expect(await cache.table()).to.equal(first); // same object: the store said "not modified"
    });

    it('a failed read uses the last good copy only while it is fresh enough, then denies', async () => {
      const clock = { t: 0 };
      const store = new MemoryStore(serializeAccessTable(RULES));
      const cache = new AccessTableCache(store, { ttlMs: 10, maxStaleMs: 100, readTimeoutMs: 100, now: () => clock.t });
      await cache.table();
      store.set(new Error('EIO'));
      clock.t = 50;
      expect((await cache.table()).size).to.equal(RULES.length);
      clock.t = 150;
      let failed = false;
      await cache.table().catch(() => (failed = true));
      expect(failed).to.equal(true);
      store.set(serializeAccessTable(RULES)); // fixed → recovers
      expect((await cache.table()).size).to.equal(RULES.length);
    });

    it('a malformed table is never papered over by the previous copy', async () => {
      const clock = { t: 0 };
      const store = new MemoryStore(serializeAccessTable(RULES));
      const cache = new AccessTableCache(store, { ttlMs: 10, maxStaleMs: 1_000_000, readTimeoutMs: 100, now: () => clock.t });
      await cache.table();
      store.set('not json\n');
      clock.t = 20;
      let failed = false;
      await cache.table().catch(() => (failed = true));
      expect(failed).to.equal(true);
    });

    it('concurrent decisions share one re-validation', async () => {
      const store = new MemoryStore(serializeAccessTable(RULES));
      const cache = new AccessTableCache(store, { ttlMs: 0, maxStaleMs: 0, readTimeoutMs: 100 });
      await Promise.all(Array.from({ length: 20 }, () => cache.table()));
      expect(store.reads).to.equal(1);
    });
  });
});

function statement(r: APIGatewayAuthorizerResult) {
  return r.policyDocument.Statement[0] as { Effect: string; Resource: string[] };
}

export type { TestKey };
