/**
 * An operator's life with one running gateway, as the docs tell it: the README's quick start and
 * docs/access.md's "Getting a token" run verbatim (their marked command blocks, through bash),
 * then one client's whole life in order — added, granted, given secrets, calling with OAuth
 * tokens, through a key rotation and retirement, a revoked secret, a tighter plan, the usage
 * report, a late correction of the data with a rollup rebuild, and finally disabled. Everything
 * is real: the gateway, the CLIs (the same scripts `npm run` calls), the files, the signatures.
 * Delays are the documented defaults (access table 10 s, credentials and keys 5 s), polled.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { startGateway, type Gateway } from '../../harness/gateway.ts';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { journeyBlock } from '../helpers/doc-blocks.ts';
import { eventually } from '../helpers/eventually.ts';
import { makeLake, rewriteParquet, scratchPath, TEST_SCALE, TEST_SEED } from '../helpers/lake.ts';
import { readLake, reference } from '../helpers/reference.ts';

const run = promisify(execFile);

/** The documented delays (docs/access.md, docs/configuration.md): how long a change may take to show. */
const ACL_DELAY_MS = 10_000;
const CREDENTIALS_DELAY_MS = 5_000;
const MARGIN_MS = 3_000;

/** A new client: in the lake's data (it ships parcels) but not yet in the access table. */
const CLIENT = 7;
const RANGE = { from: '2024-03-01', to: '2024-04-01' };
const COUNT = `/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`;
const LISTING = `/all_orders_by_range?from=${RANGE.from}&to=${RANGE.to}&limit=5`;

interface Tally { requests: number; status2xx: number; status4xx: number; status5xx: number }

describe('journeys: an operator runs the documented procedures one after another on one gateway', function () {
  this.timeout(300_000);
  let gateway: Gateway;
  let lakeDir: string;
  let keysDir: string;
  let accessLog: string;
  const env = () => ({ ...process.env, LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_ACCESS_LOG_FILE: accessLog });
  /** An operator command, as `npm run <script> -- args` runs it. */
  const cli = async (script: string, ...args: string[]) =>
    (await run(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { env: env() })).stdout;
  /** A documented command block, pasted into bash in the repository with the gateway's address. */
  const paste = async (block: string) =>
    (await run('bash', ['-euo', 'pipefail', '-c', block], { env: { ...env(), API: gateway.url }, maxBuffer: 16 << 20 })).stdout;

  before(async () => {
    ({ dir: lakeDir } = await makeLake(TEST_SEED, TEST_SCALE, 'journey-lake')); // its own: the journey changes it
    const table = path.join(lakeDir, 'access_control', 'access_control.json');
    const rules = readFileSync(table, 'utf8').split('\n').filter((l) => l && JSON.parse(l).client_id !== CLIENT);
    writeFileSync(table, `${rules.join('\n')}\n`);
    keysDir = ensureLocalKeys(scratchPath('journey-keys'));
    accessLog = `${scratchPath('journey-usage')}/access.log`;
    // As npm start serves: the plans enforced, every request in the access log, default delays.
    gateway = await startGateway({
      LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_ACCESS_LOG_FILE: accessLog,
      LAKEGATE_LIMITS: 'on', LAKEGATE_LIMITS_DB: `${scratchPath('journey-limits')}.db`,
    });
  });
  after(async () => gateway?.stop());

  it("README's quick start, pasted as written: client 4's token, a count, a listing page, CSV and /whoami", async () => {
    const out = await paste(journeyBlock('README.md', 'quick-start'));
    expect(out).to.include('"query":"count_orders_by_range"');
    expect(out).to.include('"query":"all_orders_by_range"');
    expect(out).to.include('route_id,route_code,city,orders,revenue\r\n');
    expect(out).to.match(/"clientId":"?4"?[,}]/);
  });

  it("docs/access.md's getting a token, pasted as written: a secret, an OAuth token, the call", async () => {
    const out = await paste(journeyBlock('docs/access.md', 'getting-a-token'));
    expect(out).to.include('"query":"count_orders_by_range"');
    expect(out).to.not.match(/"error"/);
  });

  it("README's personal data, pasted as written: client 5's recipients masked, then clear, then masked again", async () => {
    const out = await paste(journeyBlock('README.md', 'privacy'));
    const [masked, clear] = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { rows: { recipient_email: string | null }[] });
    const emails = (a: { rows: { recipient_email: string | null }[] } | undefined) => a!.rows.map((r) => r.recipient_email).filter((e) => e !== null);
    expect(emails(masked).length).to.be.greaterThan(0);
    for (const e of emails(masked)) expect(e).to.match(/^(XXXXX@|lgp_)/);
    expect(emails(clear).some((e) => /^[^X][^@]*@/.test(e!))).to.equal(true);
    const rule = readFileSync(path.join(lakeDir, 'access_control', 'access_control.json'), 'utf8').split('\n').find((l) => l.includes('"client_id":5,'));
    expect(JSON.parse(rule!).pii, 'put back').to.equal('masked');
  });

  it(`client ${CLIENT}'s life: add → grant two queries → two secrets → OAuth → call → rotate → retire → revoke a secret → trial plan → 429 → usage exact → late data + rollup exact → disabled 403`, async () => {
    // Every request this test sends with client 7's credentials, by what the access log calls it.
    const sent = new Map<string, Tally>();
    const count = (name: string, status: number) => {
      const t = sent.get(name) ?? { requests: 0, status2xx: 0, status4xx: 0, status5xx: 0 };
      t.requests += 1;
      if (status >= 200 && status < 300) t.status2xx += 1;
      else if (status >= 400 && status < 500) t.status4xx += 1;
      else if (status >= 500) t.status5xx += 1;
      sent.set(name, t);
    };
    const call = async (pathAndQuery: string, token: string, as: number = CLIENT) => {
      const r = await fetch(`${gateway.url}${pathAndQuery}`, { headers: { Authorization: `Bearer ${token}` } });
      if (as === CLIENT) count(new URL(pathAndQuery, gateway.url).pathname.slice(1), r.status);
      return r;
    };
    const oauth = async (secret: string) => {
      const r = await fetch(`${gateway.url}/oauth/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${CLIENT}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      count('oauth_token', r.status);
      return r;
    };
    const oauthToken = async (secret: string) => {
      const r = await oauth(secret);
      expect(r.status, 'POST /oauth/token').to.equal(200);
      return ((await r.json()) as { access_token: string }).access_token;
    };
    const cliToken = async (client = CLIENT) => (await cli('token', '--client', String(client))).trim();
    const kidOf = (token: string) => jwt.decode(token, { complete: true })!.header.kid;
    const scopeOf = (client: number) => ({ from: new Date(`${RANGE.from}T00:00:00Z`), to: new Date(`${RANGE.to}T00:00:00Z`), client_id: client, all_clients: false });
    const within = (ms: number) => ({ timeoutMs: ms + MARGIN_MS, intervalMs: 250 });
    const expectOrders = async (r: Response, client: number, lake: Awaited<ReturnType<typeof readLake>>) => {
      expect(r.status, 'count_orders_by_range').to.equal(200);
      const body = (await r.json()) as { rows: unknown[]; stats: { source: string } };
      const want = reference.count_orders_by_range!(lake, scopeOf(client));
      expect(body.rows).to.deep.equal(want);
      return body;
    };
    let lake = await readLake(lakeDir);

    // 1. Add the client: a token alone opens nothing.
    await cli('acl', 'add', String(CLIENT));
    const before = await cliToken();
    await eventually(async () => expect((await call('/whoami', before)).status, 'added, no grant').to.equal(403), within(ACL_DELAY_MS));

    // 2. Grant two queries: those answer (the right rows), the others stay closed.
    await cli('acl', 'grant', String(CLIENT), 'count_orders_by_range', 'all_orders_by_range');
    await eventually(async () => expect((await call(COUNT, before)).status, 'granted').to.equal(200), within(ACL_DELAY_MS));
    expect((await call('/count_trackcode_by_range?from=2024-03-01&to=2024-04-01', before)).status, 'not granted').to.equal(403);

    // 3. Two secrets; 4. an OAuth token from the first (no wait: the token endpoint re-reads its store before refusing).
    const [secretA, secretB] = [(await cli('acl', 'secret', String(CLIENT))).trim().split('\n').at(-1)!, (await cli('acl', 'secret', String(CLIENT))).trim().split('\n').at(-1)!];
    const firstToken = await oauthToken(secretA);
    await expectOrders(await call(COUNT, firstToken), CLIENT, lake);
    const page = await call(LISTING, firstToken);
    expect(page.status, 'all_orders_by_range').to.equal(200);
    const listed5 = reference.all_orders_by_range!(lake, { ...scopeOf(CLIENT), limit: 5 }).slice(0, 5).map((o) => o.order_id);
    expect(((await page.json()) as { rows: { order_id: number }[] }).rows.map((o) => o.order_id)).to.deep.equal(listed5).and.to.have.length(5);

    // 5. Rotate the signing key: new CLI and OAuth tokens carry the new kid and work; the old token still works.
    const [oldKid] = [kidOf(firstToken)];
    const rotated = (await cli('keys', 'rotate')).match(/new current key (\S+):/)![1]!;
    expect(rotated).to.not.equal(oldKid);
    const rotatedCli = await cliToken();
    expect(kidOf(rotatedCli), 'npm run token after rotate').to.equal(rotated);
    await eventually(async () => expect((await call(COUNT, rotatedCli)).status, 'CLI token, new key').to.equal(200), within(CREDENTIALS_DELAY_MS));
    const rotatedOauth = await eventually(async () => {
      const t = await oauthToken(secretB);
      expect(kidOf(t), 'OAuth token after rotate').to.equal(rotated);
      return t;
    }, within(CREDENTIALS_DELAY_MS));
    expect((await call(COUNT, rotatedOauth)).status, 'OAuth token, new key').to.equal(200);
    expect((await call(COUNT, firstToken)).status, 'token of the old key, before retirement').to.equal(200);

    // 6. Retire the old key: its token is refused; a freshly minted CLI token works.
    await cli('keys', 'retire', oldKid!);
    await eventually(async () => expect((await call(COUNT, firstToken)).status, 'retired key').to.equal(401), within(CREDENTIALS_DELAY_MS));
    const afterRetire = await cliToken();
    expect(kidOf(afterRetire)).to.equal(rotated);
    expect((await call(COUNT, afterRetire)).status, 'CLI token after retire').to.equal(200);

    // 7. Revoke secret A: it stops authenticating; secret B keeps working.
    const listed = JSON.parse(await cli('acl', 'secrets', String(CLIENT), '--json')) as { id: string }[];
    expect(listed).to.have.length(2);
    await cli('acl', 'revoke-secret', String(CLIENT), listed[0]!.id);
    await eventually(async () => expect((await oauth(secretA)).status, 'revoked secret').to.equal(401), within(CREDENTIALS_DELAY_MS));
    const fromB = await oauthToken(secretB);
    expect((await call(COUNT, fromB)).status, 'the other secret').to.equal(200);

    // 8. The trial plan (1 request/s, burst 2): a quick burst is answered 429 with Retry-After.
    await cli('acl', 'plan', String(CLIENT), 'trial');
    const limited = await eventually(async () => {
      const burst = await Promise.all([1, 2, 3, 4].map(() => call(COUNT, fromB)));
      const refused = burst.find((r) => r.status === 429);
      expect(refused, 'a 429 in a burst of 4 on the trial plan').to.not.equal(undefined);
      return refused!;
    }, { timeoutMs: ACL_DELAY_MS + MARGIN_MS, intervalMs: 1000 });
    expect(Number(limited.headers.get('retry-after'))).to.be.at.least(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).to.equal('rate_limited');

    // 9. The usage report counts exactly what was sent, by endpoint and status class.
    const usage = JSON.parse(await cli('usage', '--json', '--client', String(CLIENT))) as (Tally & { query: string; clientId: number })[];
    const reported = Object.fromEntries(usage.map((u) => [u.query, { requests: u.requests, status2xx: u.status2xx, status4xx: u.status4xx, status5xx: u.status5xx }]));
    expect(reported).to.deep.equal(Object.fromEntries(sent));
    expect(usage.every((u) => u.clientId === CLIENT)).to.equal(true);

    // 10. A late correction of one day's orders: answered exactly at once (that day is read raw),
    //     and from the rollups again once `npm run rollup` rebuilt that day.
    const analyst = await cliToken(4);
    await rewriteParquet(path.join(lakeDir, 'orders', 'dt=2024-03-05'), 'order_id % 3 <> 0');
    lake = await readLake(lakeDir);
    const corrected = await expectOrders(await call(COUNT, analyst, 4), 4, lake);
    expect(corrected.stats.source, 'a stale day is read raw').to.not.equal('rollup');
    const rebuilt = await cli('rollup');
    expect(rebuilt).to.match(/^orders_daily: 1 days built/m);
    const fresh = await expectOrders(await call(COUNT, analyst, 4), 4, lake);
    expect(fresh.stats.source, 'rebuilt: from the rollups').to.equal('rollup');

    // 11. Disable the client: within the documented delay, 403 saying so.
    await cli('acl', 'disable', String(CLIENT));
    const disabledAt = Date.now();
    const refusal = await eventually(async () => {
      const r = await call('/whoami', afterRetire);
      expect(r.status, 'disabled').to.equal(403);
      return (await r.json()) as { error: { code: string } };
    }, within(ACL_DELAY_MS));
    expect(Date.now() - disabledAt).to.be.at.most(ACL_DELAY_MS + MARGIN_MS);
    expect(refusal.error.code).to.equal('client_disabled');
    expect((await oauth(secretB)).status, 'a disabled client gets no token').to.equal(400);
  });
});
