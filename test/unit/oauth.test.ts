/**
 * Clients get their own tokens: client secrets, POST /oauth/token (RFC 6749 §4.4, §5), the JWK
 * Set, key rotation and retirement, and tokens of an existing identity provider, decided
 * in-process (tables of cases). Through the real gateway: test/http/oauth.test.ts.
 */
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import jwt from 'jsonwebtoken';
import { applyCommand, parseCommand } from '../../src/ops/acl-edit.ts';
import { serializeAccessTable, parseAccessTable, type AccessRule } from '../../src/lambda/access/model.ts';
import { Authorizer } from '../../src/lambda/identity/authorizer.ts';
import { ENDPOINT_METHODS } from '../../src/lambda/identity/policy.ts';
import { ringKeys } from '../../src/lambda/identity/keys/sources.ts';
import { LocalKeyRing, readKeyRing, retireKey, rotateKey } from '../../src/lambda/identity/keys/local-ring.ts';
import { RemoteJwks } from '../../src/lambda/identity/keys/remote-jwks.ts';
import { LocalRingSigner } from '../../src/lambda/identity/keys/signer.ts';
import { keyThumbprint, type TokenPolicy } from '../../src/lambda/identity/tokens/verify.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { hashSecret, newSecret, parseSecrets, secretMatches, serializeSecrets, SECRET_FORMAT } from '../../src/lambda/identity/oauth/secrets.ts';
import { credentialsCache } from '../../src/lambda/identity/oauth/credentials-store.ts';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { FailureGuard, MemoryFailureStore, SqliteFailureStore, type FailureStore } from '../../src/lambda/identity/oauth/failures.ts';
import { oauthTokenHandler } from '../../src/lambda/identity/oauth/endpoints.ts';
import { jwksDocument } from '../../src/lambda/identity/oauth/jwks.ts';
import { OAuthError, parseTokenRequest, type RawTokenRequest } from '../../src/lambda/identity/oauth/request.ts';
import { issueToken, type TokenServiceDeps } from '../../src/lambda/identity/oauth/token-service.ts';
import { scratchPath } from '../helpers/lake.ts';
import { fixedAccessTable } from '../helpers/acl.ts';
import { failureRows } from '../helpers/failures.ts';

const NAMES = [...catalog().keys()];
const ISSUER = 'lakegate-local';
const AUDIENCE = 'lakegate-api';
const POLICY: TokenPolicy = { issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 30, maxTokenBytes: 4096, maxAgeSec: 86400 };
const API = 'arn:aws:execute-api:us-east-1:123456789012:abc123def4/prod';
const RULES: AccessRule[] = [
  { client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
  { client_id: 3, enabled: true, allowed_queries: ['count_orders_by_range'], row_scope: 'own', max_range_days: 31, token_ttl_seconds: 600 },
  { client_id: 13, enabled: false, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 },
  { client_id: 21, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366, idp_client_id: 'cognito-app-7xq' },
];
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const raw = (over: Partial<RawTokenRequest> = {}): RawTokenRequest => ({
  method: 'POST', contentType: FORM, authorization: basic('4', 'x'), body: 'grant_type=client_credentials', queryParameters: [], ...over,
});

describe('OAuth 2.0 client credentials (in-process)', () => {
  describe('client secrets', () => {
    it('256 random bits, shown once, stored as SHA-256 only; constant-time match; unknown clients never match', () => {
      const { secret, stored } = newSecret(4);
      expect(secret).to.match(SECRET_FORMAT);
      expect(Buffer.from(secret.slice(4), 'base64url')).to.have.length(32);
      expect(JSON.stringify(stored)).to.not.include(secret.slice(4));
      expect(stored.sha256).to.equal(hashSecret(secret));
      expect(secretMatches([stored], 4, secret)).to.equal(true);
      expect(secretMatches([stored], 4, `${secret.slice(0, -1)}A`)).to.equal(secret.endsWith('A'));
      expect(secretMatches([stored], 5, secret)).to.equal(false);
      expect(secretMatches([], 4, secret)).to.equal(false);
      expect(newSecret(4).secret).to.not.equal(secret);
    });

    it('the store is strict: one malformed line authenticates nobody', () => {
      const { stored } = newSecret(4);
      const line = JSON.stringify(stored);
      expect(parseSecrets(`${line}\n`)).to.deep.equal([stored]);
      for (const bad of ['{', JSON.stringify({ ...stored, secret: 'x' }), `${line}\n${line}`, JSON.stringify({ ...stored, sha256: 'short' })]) {
        expect(() => parseSecrets(bad), bad).to.throw();
      }
    });
  });

  describe('the credentials store as the token endpoint reads it', () => {
    const store = (read: () => Promise<{ changed: true; version: string; body: string }>) => ({ location: 'memory', read });
    const missing = (e: Error & { code?: string }) => store(async () => { throw e; });
    it('no store yet (a file or an S3 object that does not exist): no secrets, so nobody authenticates', async () => {
      expect(await credentialsCache(missing(Object.assign(new Error('no file'), { code: 'ENOENT' })), 1000).get()).to.deep.equal([]);
      expect(await credentialsCache(missing(Object.assign(new Error('no key'), { name: 'NoSuchKey' })), 1000).get()).to.deep.equal([]);
    });
    it('unreadable or malformed: every lookup fails (503), never a stale copy', async () => {
      const { stored } = newSecret(4);
      let body = serializeSecrets([stored]);
      let version = 1;
      const clock = { t: 0 };
      const cache = credentialsCache(store(async () => ({ changed: true, version: String(version), body })), 1000, () => clock.t);
      expect(await cache.get()).to.deep.equal([stored]);
      body = '{"client_id":4}\n';
      version += 1;
      clock.t += 1000;
      await cache.get().then(() => expect.fail('served'), (e: Error) => expect(e.message).to.match(/credentials store at memory is malformed/));
      await credentialsCache(missing(new Error('AccessDenied')), 1000).get().then(() => expect.fail('served'), (e: Error) => expect(e.message).to.match(/unreadable/));
    });
  });

  describe('parsing the request (§2.3.1, §3.2, §4.4.2)', () => {
    const cases: [string, Partial<RawTokenRequest>, number, string][] = [
      ['GET (405, Allow: POST)', { method: 'GET' }, 405, 'invalid_request'],
      ['credentials in the query string', { queryParameters: ['client_secret'] }, 400, 'invalid_request'],
      ['JSON body', { contentType: 'application/json', body: '{"grant_type":"client_credentials"}' }, 400, 'invalid_request'],
      ['no content type', { contentType: undefined }, 400, 'invalid_request'],
      ['missing grant_type', { body: 'scope=whoami' }, 400, 'invalid_request'],
      ['empty grant_type', { body: 'grant_type=' }, 400, 'invalid_request'],
      ['repeated parameter', { body: 'grant_type=client_credentials&grant_type=client_credentials' }, 400, 'invalid_request'],
      ['malformed percent-encoding', { body: 'grant_type=%ZZ' }, 400, 'invalid_request'],
      ['Basic and body credentials together', { body: 'grant_type=client_credentials&client_id=4&client_secret=x' }, 400, 'invalid_request'],
      ['no credentials', { authorization: undefined }, 401, 'invalid_client'],
      ['Basic without a colon', { authorization: `Basic ${Buffer.from('4x').toString('base64')}` }, 401, 'invalid_client'],
      ['Bearer instead of Basic', { authorization: 'Bearer a.b.c' }, 401, 'invalid_client'],
      ['malformed scope', { body: 'grant_type=client_credentials&scope=DROP%20TABLE' }, 400, 'invalid_scope'],
    ];
    for (const [label, over, status, error] of cases) {
      it(`${label} → ${status} ${error}`, () => {
        try {
          parseTokenRequest(raw(over));
          expect.fail('accepted');
        } catch (e) {
          expect(e).to.be.instanceOf(OAuthError);
          expect([(e as OAuthError).status, (e as OAuthError).error]).to.deep.equal([status, error]);
          if (status === 401) expect((e as OAuthError).headers['WWW-Authenticate']).to.equal('Basic realm="lakegate"');
        }
      });
    }

    it('Basic credentials are form-decoded (§2.3.1); body credentials and scope are accepted', () => {
      expect(parseTokenRequest(raw({ authorization: basic('4', 'a:b+c%') }))).to.deep.include({ clientId: '4', clientSecret: 'a:b+c%' });
      expect(parseTokenRequest(raw({ authorization: undefined, body: 'grant_type=client_credentials&client_id=4&client_secret=s&scope=whoami+count_orders_by_range' })))
        .to.deep.equal({ clientId: '4', clientSecret: 's', grantType: 'client_credentials', scope: ['whoami', 'count_orders_by_range'] });
    });
  });

  describe('issuing (§4.4.3, §5)', () => {
    const keys = ensureLocalKeys(scratchPath('oauth-keys'));
    const secrets = [4, 3, 13].map((c) => newSecret(c));
    const secretOf = (c: number) => secrets.find((s) => s.stored.client_id === c)!.secret;
    const clock = { t: Date.UTC(2026, 10, 27, 12) };
    const deps = (guard = new FailureGuard(5, 60_000, () => clock.t)): TokenServiceDeps => ({
      secrets: async () => secrets.map((s) => s.stored),
      accessTable: async () => parseAccessTable(serializeAccessTable(RULES)),
      signer: new LocalRingSigner(keys, 0),
      guard,
      queryNames: NAMES,
      issuer: ISSUER,
      audience: AUDIENCE,
      defaultTtlSec: 3600,
    });
    const request = (clientId: string, secret: string, extra: Partial<{ grantType: string; scope: string[] | null }> = {}) =>
      ({ clientId, clientSecret: secret, grantType: 'client_credentials', scope: null, ...extra });
    const failure = (p: Promise<unknown>) => p.then(() => expect.fail('issued'), (e: OAuthError) => [e.status, e.error, e.description]);

    it('a token the authorizer accepts: sub, jti, 1 h, every granted endpoint as scope', async () => {
      const answer = await issueToken(request('4', secretOf(4)), deps());
      expect(answer).to.include({ token_type: 'Bearer', expires_in: 3600 });
      expect(answer.scope.split(' ').sort()).to.deep.equal([...NAMES, 'whoami'].sort());
      const claims = jwt.decode(answer.access_token, { complete: true })!;
      expect(claims.header).to.include({ alg: 'ES256', kid: readKeyRing(keys).current });
      expect(claims.payload).to.include({ sub: '4', iss: ISSUER, aud: AUDIENCE });
      const p = claims.payload as jwt.JwtPayload;
      expect(p.exp! - p.iat!).to.equal(3600);
      expect(p.jti).to.match(/^[0-9a-f-]{36}$/);
      expect(p).to.not.have.property('scope');
      const authorizer = new Authorizer(ringKeys(new LocalKeyRing(keys, 0)), POLICY, fixedAccessTable(RULES), NAMES);
      expect((await authorizer.decide(`Bearer ${answer.access_token}`, `${API}/GET/all_orders_by_range`)).effect).to.equal('Allow');
    });

    it('a secret created after the store was cached authenticates once the cache is a second old, without waiting out its TTL', async () => {
      const fresh = newSecret(4);
      let body = serializeSecrets(secrets.map((x) => x.stored));
      let version = 1;
      const t = { now: 0 };
      const cache = credentialsCache({ location: 'memory', read: async (known) => (known === String(version) ? { changed: false } : { changed: true, version: String(version), body }) }, 60_000, () => t.now);
      const withCache = { ...deps(), secrets: (maxAgeMs?: number) => cache.get(maxAgeMs) };
      expect((await issueToken(request('4', secretOf(4)), withCache)).token_type).to.equal('Bearer'); // the store is now cached for 60 s
      body = serializeSecrets([...secrets.map((x) => x.stored), fresh.stored]);
      version += 1;
      t.now += 1001;
      expect((await issueToken(request('4', fresh.secret), withCache)).token_type).to.equal('Bearer');
      // A wrong secret re-reads the store at most once a second, however many arrive.
      let reads = 0;
      const counting = credentialsCache({ location: 'memory', read: async () => ({ changed: true, version: String(++reads), body }) }, 60_000, () => t.now);
      const counted = { ...deps(), secrets: (maxAgeMs?: number) => counting.get(maxAgeMs) };
      for (let i = 0; i < 20; i++) await failure(issueToken(request('4', secretOf(3)), counted));
      expect(reads).to.equal(1);
    });

    it("the rule's own token lifetime", async () => {
      expect((await issueToken(request('3', secretOf(3)), deps())).expires_in).to.equal(600);
    });

    it('a wrong secret and an unknown or malformed client answer exactly alike', async () => {
      const answers = await Promise.all([
        failure(issueToken(request('4', secretOf(3)), deps())),
        failure(issueToken(request('999', secretOf(4)), deps())),
        failure(issueToken(request('not-a-client', secretOf(4)), deps())),
      ]);
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).to.equal(1);
      expect(answers[0]).to.deep.equal([401, 'invalid_client', 'client authentication failed']);
    });

    it('disabled client → unauthorized_client; other grants → unsupported_grant_type; ungranted scope → invalid_scope', async () => {
      expect((await failure(issueToken(request('13', secretOf(13)), deps()))).slice(0, 2)).to.deep.equal([400, 'unauthorized_client']);
      expect((await failure(issueToken(request('4', secretOf(4), { grantType: 'password' }), deps()))).slice(0, 2)).to.deep.equal([400, 'unsupported_grant_type']);
      expect((await failure(issueToken(request('3', secretOf(3), { scope: ['count_orders_by_range', 'all_orders_by_range'] }), deps()))).slice(0, 2))
        .to.deep.equal([400, 'invalid_scope']);
    });

    it('a down-scoped token carries scope, and the authorizer honours it over the access rule', async () => {
      const answer = await issueToken(request('4', secretOf(4), { scope: ['count_orders_by_range'] }), deps());
      expect(answer.scope).to.equal('count_orders_by_range');
      expect((jwt.decode(answer.access_token) as jwt.JwtPayload).scope).to.equal('count_orders_by_range');
      const authorizer = new Authorizer(ringKeys(new LocalKeyRing(keys, 0)), POLICY, fixedAccessTable(RULES), NAMES);
      const decision = await authorizer.decide(`Bearer ${answer.access_token}`, `${API}/GET/all_orders_by_range`);
      expect(decision.effect).to.equal('Allow');
      // GET and HEAD of that query only: API Gateway answers 403 on any other method.
      expect(decision.resources).to.deep.equal(ENDPOINT_METHODS.map((m) => `${API}/${m}/count_orders_by_range`));
    });

    it('brute force: past 5 failures a client id\'s failures get 429 + Retry-After until the window ends; the right secret always works', async () => {
      const d = deps(new FailureGuard(5, 60_000, () => clock.t));
      for (let i = 0; i < 5; i += 1) expect((await failure(issueToken(request('4', 'lgs_wrong'), d)))[1]).to.equal('invalid_client');
      const locked = await issueToken(request('4', 'lgs_wrong'), d).catch((e: OAuthError) => e);
      expect(locked).to.be.instanceOf(OAuthError);
      expect((locked as OAuthError).status).to.equal(429);
      expect(Number((locked as OAuthError).headers['Retry-After'])).to.be.within(1, 60);
      expect((await issueToken(request('4', secretOf(4)), d)).token_type).to.equal('Bearer'); // nobody can lock the owner out
      for (let i = 0; i < 5; i += 1) await failure(issueToken(request('3', 'lgs_wrong'), d));
      expect((await issueToken(request('3', secretOf(3)), d)).token_type).to.equal('Bearer'); // other clients unaffected
      for (let i = 0; i < 6; i += 1) await failure(issueToken(request('4', 'lgs_wrong'), d));
      expect((await failure(issueToken(request('4', 'lgs_wrong'), d)))[0]).to.equal(429);
      clock.t += 60_000;
      expect((await failure(issueToken(request('4', 'lgs_wrong'), d)))[0]).to.equal(401); // the window is over
    });

    it('an unknown id is answered exactly like a known id with a wrong secret: five 401s, then the same 429 with Retry-After (status, headers, body)', async () => {
      const at = { t: Date.UTC(2026, 10, 27, 12) };
      const handler = oauthTokenHandler(async () => deps(new FailureGuard(5, 60_000, () => at.t)));
      const event = (id: string) => ({
        httpMethod: 'POST', headers: { Authorization: basic(id, 'lgs_wrong'), 'Content-Type': FORM }, body: 'grant_type=client_credentials',
        isBase64Encoded: false, queryStringParameters: null, multiValueQueryStringParameters: null,
      }) as unknown as APIGatewayProxyEvent;
      for (let i = 1; i <= 7; i += 1) {
        const known = await handler(event('4'));
        const unknown = await handler(event('999'));
        expect(unknown, `attempt ${i}`).to.deep.equal(known);
        expect(known.statusCode, `attempt ${i}`).to.equal(i <= 5 ? 401 : 429);
        if (i > 5) expect(known.headers).to.include({ 'Retry-After': String(60 - (i - 1)) }); // one attempt of each a second, from the first
        at.t += 1000;
      }
    });

    it('a flood of made-up ids (10 times the bound) leaves a real client locked (429 + Retry-After) and the SQLite table bounded', async () => {
      const file = `${scratchPath('flood')}.db`;
      const at = { t: Date.UTC(2026, 10, 27, 12) };
      const d = deps(new FailureGuard(5, 60_000, () => at.t, await SqliteFailureStore.open(file, 10)));
      for (let i = 0; i < 5; i += 1) expect((await failure(issueToken(request('3', 'lgs_wrong'), d)))[0]).to.equal(401);
      for (let i = 0; i < 100; i += 1) {
        expect((await failure(issueToken(request(String(800_000 + i), secretOf(3)), d)))[0]).to.equal(401);
        at.t += 100;
        expect(failureRows(file).rows).to.be.at.most(10 + 1);
      }
      const locked = await issueToken(request('3', 'lgs_wrong'), d).catch((e: OAuthError) => e);
      expect([(locked as OAuthError).status, (locked as OAuthError).error]).to.deep.equal([429, 'temporarily_unavailable']);
      expect((locked as OAuthError).headers['Retry-After']).to.equal('50'); // 60 s from the first failure, 10 s of flood later
      expect(failureRows(file)).to.deep.equal({ rows: 11, known: 1 }); // client 3, and the 10 newest made-up ids
      // The newest made-up ids are still counted as any id is: within the bound, no oracle.
      for (let i = 0; i < 4; i += 1) await failure(issueToken(request('800099', 'lgs_wrong'), d));
      expect((await failure(issueToken(request('800099', 'lgs_wrong'), d)))[0]).to.equal(429);
      expect((await issueToken(request('3', secretOf(3)), d)).token_type).to.equal('Bearer'); // the owner is never locked out
    });
  });

  describe('failure windows are bounded: expired ones deleted, unknown ids at most the bound, known ids never evicted', () => {
    const WINDOW = 60_000;
    const stores: [string, (maxUnknown: number) => Promise<FailureStore>][] = [
      ['in memory', async (maxUnknown) => new MemoryFailureStore(maxUnknown)],
      ['in SQLite', (maxUnknown) => SqliteFailureStore.open(`${scratchPath('windows')}.db`, maxUnknown)],
    ];
    for (const [where, open] of stores) {
      it(`${where}: a window that is over is deleted by the next failure recorded, known or unknown`, async () => {
        const at = { t: 1_000_000 };
        const store = await open(100);
        const guard = new FailureGuard(5, WINDOW, () => at.t, store);
        guard.failed('4', true);
        guard.failed('777', false);
        at.t += 30_000;
        guard.failed('5', true);
        expect(store.count()).to.deep.equal({ known: 2, unknown: 1 });
        at.t += 30_000; // the windows of 4 and 777 are over, not yet that of 5
        expect(store.count()).to.deep.equal({ known: 2, unknown: 1 }); // deleted on a write, not by a timer
        guard.failed('778', false);
        expect(store.count()).to.deep.equal({ known: 1, unknown: 1 });
        expect([store.get('4'), store.get('777'), store.get('5')?.failures, store.get('778')?.failures]).to.deep.equal([undefined, undefined, 1, 1]);
        at.t += 30_000; // now that of 5 too
        guard.failed('4', true);
        expect(store.count()).to.deep.equal({ known: 1, unknown: 1 });
        expect(store.get('5')).to.equal(undefined);
      });

      it(`${where}: at most the bound of unknown ids' windows; a new one evicts the oldest`, async () => {
        const at = { t: 1_000_000 };
        const store = await open(3);
        const guard = new FailureGuard(5, WINDOW, () => at.t, store);
        for (const id of ['701', '702', '703']) {
          guard.failed(id, false);
          at.t += 1000;
        }
        guard.failed('701', false); // a window already kept: nothing evicted, and it keeps its start
        expect(store.count()).to.deep.equal({ known: 0, unknown: 3 });
        guard.failed('704', false);
        expect(['701', '702', '703', '704'].map((id) => store.get(id)?.failures)).to.deep.equal([undefined, 1, 1, 1]);
        guard.failed('705', false);
        expect(['702', '703', '704', '705'].map((id) => store.get(id)?.failures)).to.deep.equal([undefined, 1, 1, 1]);
        expect(store.count()).to.deep.equal({ known: 0, unknown: 3 });
      });

      it(`${where}: a known id's window (and its lock) survives any number of unknown ids`, async () => {
        const at = { t: 1_000_000 };
        const store = await open(5);
        const guard = new FailureGuard(5, WINDOW, () => at.t, store);
        for (let i = 0; i < 5; i += 1) expect(guard.failed('4', true)).to.equal(0);
        for (let i = 0; i < 500; i += 1) {
          guard.failed(String(900_000 + i), false);
          at.t += 10;
        }
        expect(store.count()).to.deep.equal({ known: 1, unknown: 5 });
        expect(guard.failed('4', true)).to.equal(55); // still locked: 60 s from its first failure, 5 s later
        // An id that becomes known (a secret created for it) is kept from then on.
        guard.failed('900499', true);
        expect(store.count()).to.deep.equal({ known: 2, unknown: 4 });
        for (let i = 0; i < 20; i += 1) guard.failed(String(910_000 + i), false);
        expect(store.get('900499')?.failures).to.equal(2);
      });
    }
  });

  describe('brute-force windows shared through SQLite (as by the local gateway\'s workers)', () => {
    it('two guards on one file (two workers) count failures together; success clears them', async () => {
      const file = `${scratchPath('failures')}.db`;
      const clock = { t: 1_000_000 };
      const [a, b] = [new FailureGuard(3, 60_000, () => clock.t, await SqliteFailureStore.open(file)), new FailureGuard(3, 60_000, () => clock.t, await SqliteFailureStore.open(file))];
      a.failed('7', true);
      b.failed('7', true);
      expect(a.retryAfterSeconds('7')).to.equal(0);
      a.failed('7', true);
      expect([a.retryAfterSeconds('7'), b.retryAfterSeconds('7')]).to.deep.equal([60, 60]);
      expect(b.retryAfterSeconds('8')).to.equal(0);
      clock.t += 60_000;
      expect(b.retryAfterSeconds('7')).to.equal(0);
      b.failed('7', true);
      b.succeeded('7');
      expect(a.retryAfterSeconds('7')).to.equal(0);
    });
  });

  describe('keys: rotation, retirement, JWKS', () => {
    it('rotate makes a new current key; old keys verify until retired; a retired key leaves the JWKS', async () => {
      const dir = ensureLocalKeys(scratchPath('ring'));
      const signer = new LocalRingSigner(dir, 0);
      const ring = new LocalKeyRing(dir, 0);
      const authorizer = new Authorizer(ringKeys(ring), POLICY, fixedAccessTable(RULES), NAMES);
      const claims = () => ({ sub: '4', iss: ISSUER, aud: AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });
      const first = readKeyRing(dir).current;
      const before = await signer.sign(claims());
      const next = rotateKey(dir);
      const after = await signer.sign(claims());
      expect(jwt.decode(after, { complete: true })!.header.kid).to.equal(next.kid);
      expect(next.kid).to.not.equal(first);
      for (const t of [before, after]) expect((await authorizer.decide(`Bearer ${t}`, `${API}/GET/whoami`)).effect).to.equal('Allow');
      expect(jwksDocument((await ring.keys()).values()).keys.map((k) => k.kid).sort()).to.deep.equal([first, next.kid].sort());
      expect(() => retireKey(dir, next.kid)).to.throw(/rotate first/);
      retireKey(dir, first);
      await authorizer.decide(`Bearer ${before}`, `${API}/GET/whoami`).then(() => expect.fail('accepted'), (e: Error) => expect(e.message).to.equal('Unauthorized'));
      expect((await authorizer.decide(`Bearer ${after}`, `${API}/GET/whoami`)).effect).to.equal('Allow');
      const jwks = jwksDocument((await ring.keys()).values());
      expect(jwks.keys.map((k) => k.kid)).to.deep.equal([next.kid]);
      expect(Object.keys(jwks.keys[0]!).sort()).to.deep.equal(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(jwks.keys[0]).to.include({ alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' });
    });
  });

  describe('acl commands for token lifetime and identity-provider mapping', () => {
    const table = parseAccessTable(serializeAccessTable(RULES));
    const rule = (rules: AccessRule[], id: number) => rules.find((r) => r.client_id === id)!;
    it('token-ttl sets or clears a rule\'s token lifetime, within 60–86400 s', () => {
      expect(rule(applyCommand(table, parseCommand(['token-ttl', '4', '900']), NAMES), 4).token_ttl_seconds).to.equal(900);
      expect(rule(applyCommand(table, parseCommand(['token-ttl', '3', 'default']), NAMES), 3)).to.not.have.property('token_ttl_seconds');
      expect(() => applyCommand(table, parseCommand(['token-ttl', '4', '30']), NAMES)).to.throw(/60 to 86400/);
      expect(() => parseCommand(['token-ttl', '4', '1h'])).to.throw(/seconds/);
    });
    it('idp maps a provider-side client id to one rule only; none removes it', () => {
      expect(rule(applyCommand(table, parseCommand(['idp', '4', 'auth0|m2m-4']), NAMES), 4).idp_client_id).to.equal('auth0|m2m-4');
      expect(() => applyCommand(table, parseCommand(['idp', '4', 'cognito-app-7xq']), NAMES)).to.throw(/already mapped to client 21/);
      expect(rule(applyCommand(table, parseCommand(['idp', '21', 'none']), NAMES), 21)).to.not.have.property('idp_client_id');
      expect(() => applyCommand(table, parseCommand(['idp', '4', 'has space']), NAMES)).to.throw(/idp_client_id must be an identifier/);
    });
  });

  describe('a rotation seen by a warm authorizer', () => {
    it("a token signed right after a rotation verifies before the authorizer's ring TTL runs out (unknown kid → one re-check, at most one a second)", async () => {
      const dir = ensureLocalKeys(scratchPath('ring-warm'));
      const clock = { t: 1_000_000 };
      const authorizer = new Authorizer(ringKeys(new LocalKeyRing(dir, 60_000, () => clock.t)), POLICY, fixedAccessTable(RULES), NAMES);
      const signer = new LocalRingSigner(dir, 0);
      const claims = () => ({ sub: '4', iss: ISSUER, aud: AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });
      const effect = async (t: string) => authorizer.decide(`Bearer ${t}`, `${API}/GET/whoami`).then((d) => d.effect, (e: Error) => e.message);
      expect(await effect(await signer.sign(claims()))).to.equal('Allow'); // the ring is now cached for 60 s
      rotateKey(dir);
      const fresh = await signer.sign(claims());
      clock.t += 500;
      expect(await effect(fresh)).to.equal('Unauthorized'); // re-checked less than a second ago: not again
      clock.t += 600;
      expect(await effect(fresh)).to.equal('Allow');
    });
  });

  describe('an existing identity provider (JWKS served on loopback)', () => {
    const provider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const providerKid = keyThumbprint(provider.publicKey);
    const ours = ensureLocalKeys(scratchPath('idp-ours'));
    let server: Server;
    let url: string;
    const IDP = { issuer: 'https://idp.example.test/pool', audience: 'lakegate-resource' };
    before(async () => {
      const jwk = { ...provider.publicKey.export({ format: 'jwk' }), kid: providerKid, alg: 'ES256', use: 'sig' };
      server = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    });
    after(() => server.close());

    const authorizer = () =>
      new Authorizer(ringKeys(new LocalKeyRing(ours, 0)), POLICY, fixedAccessTable(RULES), NAMES, {
        keys: new RemoteJwks({ url, fetchTimeoutMs: 2000, refetchCooldownMs: 30_000, refreshIntervalMs: 600_000, maxStaleMs: 3_600_000 }),
        policy: { ...POLICY, ...IDP, clientClaim: 'client_id' },
      });
    const idpToken = (claims: Record<string, unknown>, key = provider.privateKey, kid = providerKid) =>
      jwt.sign({ client_id: 'cognito-app-7xq', token_use: 'access', ...claims }, key, { algorithm: 'ES256', keyid: kid, issuer: IDP.issuer, audience: IDP.audience, expiresIn: 600 });
    const outcome = (a: Authorizer, token: string, query = 'count_orders_by_range') =>
      a.decide(`Bearer ${token}`, `${API}/GET/${query}`).then((d) => `${d.effect}:${d.clientId}`, (e: Error) => e.message);

    it("the provider's token is accepted, and the mapped client's access rule decides (its own scopes do not narrow it)", async () => {
      expect(await outcome(authorizer(), idpToken({}))).to.equal('Allow:21');
      const scoped = await authorizer().decide(`Bearer ${idpToken({ scope: 'lakegate/read read:orders' })}`, `${API}/GET/count_orders_by_range`);
      expect(scoped.effect).to.equal('Allow');
      expect(scoped.resources).to.have.length((NAMES.length + 1) * ENDPOINT_METHODS.length); // client 21's rule: every query and whoami
      expect(await outcome(authorizer(), idpToken({ client_id: 'unmapped-app' }))).to.equal('Deny:null');
      // A provider principal whose id looks like one of ours is not our client of that number.
      for (const id of ['3', '4', '9000']) expect(await outcome(authorizer(), idpToken({ client_id: id })), id).to.equal('Deny:null');
    });

    it('one provider client maps to one rule: a repeated idp_client_id makes the table invalid (denied)', () => {
      expect(() => parseAccessTable(serializeAccessTable([...RULES, { client_id: 22, enabled: true, allowed_queries: ['*'], row_scope: 'all', max_range_days: 366, idp_client_id: 'cognito-app-7xq' }])))
        .to.throw(/mapped to two clients/);
    });

    it('wrong audience, wrong issuer, a foreign key under its kid → 401; our keys never verify its tokens', async () => {
      const a = authorizer();
      const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect(await outcome(a, jwt.sign({ client_id: 'cognito-app-7xq' }, provider.privateKey, { algorithm: 'ES256', keyid: providerKid, issuer: IDP.issuer, audience: 'other', expiresIn: 600 }))).to.equal('Unauthorized');
      expect(await outcome(a, idpToken({}, foreign.privateKey))).to.equal('Unauthorized');
      // A provider-issuer token signed with OUR current key: our keys are not the provider's.
      const ourKey = readFileSync(`${ours}/jwt-private.pem`, 'utf8');
      expect(await outcome(a, jwt.sign({ client_id: 'cognito-app-7xq' }, ourKey, { algorithm: 'ES256', keyid: readKeyRing(ours).current, issuer: IDP.issuer, audience: IDP.audience, expiresIn: 600 }))).to.equal('Unauthorized');
      // An our-issuer token signed with the provider's key under the provider's kid.
      expect(await outcome(a, jwt.sign({ sub: '4' }, provider.privateKey, { algorithm: 'ES256', keyid: providerKid, issuer: ISSUER, audience: AUDIENCE, expiresIn: 600 }))).to.equal('Unauthorized');
    });
  });
});
