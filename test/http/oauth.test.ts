/**
 * Clients get their own tokens, through the real serverless-offline gateway: a secret, POST
 * /oauth/token, the call; the brute-force guard shared by the gateway's functions; key rotation
 * and retirement on a running gateway. Real keys, real signatures, real files. The decisions
 * themselves, in-process: test/unit/oauth.test.ts.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { readKeyRing } from '../../src/lambda/identity/keys/local-ring.ts';
import { hashSecret, SECRET_FORMAT } from '../../src/lambda/identity/oauth/secrets.ts';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { startGateway, type Gateway } from '../../harness/gateway.ts';
import { testLake, scratchPath } from '../helpers/lake.ts';
import { eventually } from '../helpers/eventually.ts';
import { failureTable } from '../helpers/failures.ts';

const run = promisify(execFile);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

describe('OAuth 2.0 client credentials over HTTP (serverless offline)', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let keysDir: string;
  let lakeDir: string;
  const limitsDb = `${scratchPath('oauth-limits')}.db`;
  const WINDOW_SECONDS = 3;
  const MAX_UNKNOWN_WINDOWS = 8;
  const env = () => ({ ...process.env, LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir });
  const cli = async (script: string, ...args: string[]) => (await run(process.execPath, ['--import', 'tsx', script, ...args], { env: env() })).stdout;
  const token = (auth: string, body = 'grant_type=client_credentials') =>
    fetch(`${gateway.url}/oauth/token`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': FORM }, body });
  /** `acl secret <client>`'s secret (alone on its last line of output). */
  const createSecret = async (client: string) => (await cli('scripts/acl.ts', 'secret', client)).trim().split('\n').at(-1)!;
  /**
   * A token answer for a secret just created, once the token endpoint sees it: each worker keeps
   * the credentials store for its TTL (300 ms here), and the CLI can finish within that TTL of the
   * previous request. Waiting is a 401 (counted as a failure) until then; the 200 clears them.
   */
  const firstToken = (client: string, secret: string) =>
    eventually(async () => {
      const r = await token(basic(client, secret));
      expect(r.status, `first token of client ${client}`).to.equal(200);
      return r;
    });
  const secretFor = async (client: string) => {
    const secret = await createSecret(client);
    await firstToken(client, secret);
    return secret;
  };

  before(async () => {
    ({ dir: lakeDir } = await testLake());
    keysDir = ensureLocalKeys(scratchPath('oauth-http-keys'));
    gateway = await startGateway({
      LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_KEYS_TTL_MS: '300', LAKEGATE_CREDENTIALS_TTL_MS: '300', LAKEGATE_LOG_LEVEL: 'info',
      // As under npm start: limits on, their state (and the token endpoint's failure windows) shared by every worker.
      LAKEGATE_LIMITS: 'on', LAKEGATE_LIMITS_DB: limitsDb,
      LAKEGATE_OAUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS), LAKEGATE_OAUTH_MAX_UNKNOWN_WINDOWS: String(MAX_UNKNOWN_WINDOWS),
    });
  });
  after(async () => gateway?.stop());

  it('secret → token with Basic auth → count_orders_by_range; the store holds hashes only; no secret or token in the logs', async () => {
    const secret = await createSecret('4');
    expect(secret).to.match(SECRET_FORMAT);
    const listed = JSON.parse(await cli('scripts/acl.ts', 'secrets', '4', '--json'));
    expect(listed).to.have.length(1);
    expect(JSON.stringify(listed)).to.not.include(secret);
    const store = readFileSync(`${keysDir}/client_secrets.jsonl`, 'utf8');
    expect(store).to.not.include(secret);
    expect(store).to.include(hashSecret(secret));

    const r = await firstToken('4', secret);
    expect(r.headers.get('cache-control')).to.equal('no-store');
    const body = (await r.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).to.include({ token_type: 'Bearer', expires_in: 3600 });
    const q = await fetch(`${gateway.url}/count_orders_by_range?from=2024-03-01&to=2024-04-01`, { headers: { Authorization: `Bearer ${body.access_token}` } });
    expect(q.status).to.equal(200);

    const scoped = (await (await token(basic('4', secret), 'grant_type=client_credentials&scope=count_orders_by_range')).json()) as { access_token: string };
    expect((await fetch(`${gateway.url}/count_orders_by_range?from=2024-03-01&to=2024-04-01`, { headers: { Authorization: `Bearer ${scoped.access_token}` } })).status).to.equal(200);
    expect((await fetch(`${gateway.url}/count_trackcode_by_range?from=2024-03-01&to=2024-04-01`, { headers: { Authorization: `Bearer ${scoped.access_token}` } })).status).to.equal(403);

    const wrong = await token(basic('4', `${secret.slice(0, -2)}xx`));
    const unknown = await token(basic('987654', secret));
    expect([wrong.status, unknown.status]).to.deep.equal([401, 401]);
    expect(wrong.headers.get('www-authenticate')).to.equal('Basic realm="lakegate"');
    expect(await wrong.text()).to.equal(await unknown.text());
    expect((await (await token(basic('4', secret), 'grant_type=password')).json())).to.include({ error: 'unsupported_grant_type' });
    expect((await fetch(`${gateway.url}/oauth/token?client_secret=${secret}`, { method: 'POST', headers: { 'Content-Type': FORM }, body: 'grant_type=client_credentials' })).status).to.equal(400);

    const logs = gateway.output();
    expect(logs).to.include('token issued');
    for (const s of [secret, secret.slice(4), body.access_token, scoped.access_token]) expect(logs).to.not.include(s);

    // Revoked: the secret no longer authenticates (the store is re-read within its TTL).
    const [{ id }] = listed;
    await cli('scripts/acl.ts', 'revoke-secret', '4', id);
    await eventually(async () => expect((await token(basic('4', secret))).status).to.equal(401)); // a 200 until then, never a failure counted
  });

  it('brute force: concurrent failures (spread over workers) are counted together → 429 + Retry-After until the window ends; the owner is never locked out, and its success clears the window', async () => {
    const secret = await secretFor('5');
    const guess = (i: number) => token(basic('5', `lgs_${'x'.repeat(42)}${i}`));
    const wrong = await Promise.all(Array.from({ length: 5 }, (_, i) => guess(i)));
    expect(wrong.map((r) => r.status)).to.deep.equal([401, 401, 401, 401, 401]);
    const locked = await guess(5);
    expect(locked.status).to.equal(429);
    expect(Number(locked.headers.get('retry-after'))).to.be.within(1, WINDOW_SECONDS);
    expect(await locked.json()).to.include({ error: 'temporarily_unavailable' });
    expect(gateway.output()).to.include('client authentication failed');
    // Failures during the lock do not extend it: once the window is over, a failure is a 401 again.
    await eventually(async () => expect((await guess(6)).status).to.equal(401), { timeoutMs: WINDOW_SECONDS * 1000 + 5000, intervalMs: 250 });
    // Locked again (that 401 opened a new window): the right secret still gets a token, and clears the window.
    for (let i = 0; i < 4; i += 1) expect((await guess(7)).status).to.equal(401);
    expect((await guess(8)).status).to.equal(429);
    expect((await token(basic('5', secret))).status).to.equal(200);
    expect((await guess(9)).status).to.equal(401);
    expect(gateway.output()).to.not.include(secret.slice(4));
  });

  it('a flood of made-up ids (3 times the bound) evicts no real client\'s lock (still 429 + Retry-After); the SQLite table keeps only the newest unknown ids', async () => {
    const secret = await secretFor('6');
    const guess = () => token(basic('6', `lgs_${'y'.repeat(43)}`));
    const madeUp = Array.from({ length: 3 * MAX_UNKNOWN_WINDOWS }, (_, i) => String(700_000 + i));
    const started = Date.now();
    for (let i = 0; i < 5; i += 1) expect((await guess()).status).to.equal(401);
    for (const id of madeUp) expect((await token(basic(id, secret))).status).to.equal(401);
    const locked = await guess();
    // Evidence only while client 6's window lasts: the flood must not have outlived it.
    expect(Date.now() - started, 'flood slower than the failure window').to.be.below(WINDOW_SECONDS * 1000);
    expect(locked.status).to.equal(429);
    expect(Number(locked.headers.get('retry-after'))).to.be.within(1, WINDOW_SECONDS);
    const rows = failureTable(limitsDb);
    expect(rows.filter((r) => !r.known).map((r) => r.client)).to.deep.equal(madeUp.slice(-MAX_UNKNOWN_WINDOWS));
    expect(rows.find((r) => r.client === '6')).to.deep.equal({ client: '6', failures: 6, known: true });
    expect((await token(basic('6', secret))).status).to.equal(200); // the owner is never locked out
  });

  it('JWKS: public keys only, cacheable; rotation and retirement apply to the running gateway', async () => {
    const jwksOf = async () => {
      const r = await fetch(`${gateway.url}/.well-known/jwks.json`);
      expect(r.status).to.equal(200);
      expect(r.headers.get('cache-control')).to.equal('public, max-age=300');
      return ((await r.json()) as { keys: Record<string, string>[] }).keys;
    };
    const first = readKeyRing(keysDir).current;
    const initial = await jwksOf();
    expect(initial.map((k) => k.kid)).to.deep.equal([first]);
    for (const k of initial) expect(k).to.not.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');

    // Client 8: a standard plan, so the polling below stays far from its rate limit.
    const secret = await secretFor('8');
    const get = async () => {
      const r = await token(basic('8', secret));
      // A refused token request must fail here, not pass `Bearer undefined` on as "the old token".
      expect(r.status, `token request: ${r.status}`).to.equal(200);
      return ((await r.json()) as { access_token: string }).access_token;
    };
    const kidOf = (t: string) => jwt.decode(t, { complete: true })!.header.kid;
    const call = (t: string) => fetch(`${gateway.url}/count_orders_by_range?from=2024-03-01&to=2024-03-08`, { headers: { Authorization: `Bearer ${t}` } });
    const old = await get();
    expect(kidOf(old)).to.equal(first);
    expect((await call(old)).status).to.equal(200);
    const rotated = (await cli('scripts/keys.ts', 'rotate')).match(/new current key (\S+):/)![1]!;
    // The token endpoint, the JWKS and the authorizer each follow the ring within their TTL (300 ms
    // here); the authorizer re-checks for a kid it does not know at most once a second, so the new
    // key's first token may be refused for that long.
    const fresh = await eventually(async () => {
      const t = await get();
      expect(kidOf(t)).to.equal(rotated);
      return t;
    });
    await eventually(async () => expect((await jwksOf()).map((k) => k.kid).sort()).to.deep.equal([first, rotated].sort()));
    await eventually(async () => expect((await call(fresh)).status).to.equal(200), { intervalMs: 200 });
    expect((await call(old)).status).to.equal(200); // rotated, not retired: the old key still verifies
    await cli('scripts/keys.ts', 'retire', first);
    await eventually(async () => expect((await jwksOf()).map((k) => k.kid)).to.deep.equal([rotated]));
    await eventually(async () => expect((await call(old)).status).to.equal(401), { intervalMs: 200 });
    expect((await call(fresh)).status).to.equal(200);
    expect(JSON.parse(await cli('scripts/keys.ts', 'list', '--json')).map((k: { status: string }) => k.status).sort()).to.deep.equal(['current', 'retired']);
  });
});
