/**
 * Plans and the access log through real HTTP: `serverless offline` with the limiter on, state in
 * a SQLite file of the test's own. A noisy client is limited while the others are served; what
 * counts against a plan is what API Gateway counts (every request its authorizer allowed, a 400
 * included; never a 401/403 the authorizer refused); every request leaves exactly one access line
 * in the file `npm run usage` reads, and in the Powertools log stream. Each case sets up the
 * state it asserts on (its own client, or the records since it started).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { localToken } from '../../harness/tokens.ts';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { planNamed } from '../../src/lambda/limits/plans.ts';
import type { AccessRecord } from '../../src/lambda/usage/record.ts';
import { startGateway, type Gateway } from '../../harness/gateway.ts';
import { eventually } from '../helpers/eventually.ts';
import { makeLake, scratchPath } from '../helpers/lake.ts';
import { ecKey, mint } from '../helpers/tokens.ts';

const run = promisify(execFile);
const WEEK = 'from=2024-03-01&to=2024-03-08';

describe('limits and access log over HTTP (serverless offline)', function () {
  this.timeout(240_000);
  let gateway: Gateway;
  let keysDir: string;
  let lakeDir: string;
  const usageDir = scratchPath('usage');
  const accessLog = `${usageDir}/access.log`;

  const token = (client: number) => localToken(keysDir, client, 600);
  async function get(path: string, authorization: string | undefined) {
    const r = await fetch(`${gateway.url}${path}`, { headers: authorization ? { Authorization: authorization } : {} });
    return { status: r.status, body: await r.text(), retryAfter: r.headers.get('retry-after') };
  }
  const asClient = (client: number, path: string) => get(path, `Bearer ${token(client)}`);
  const records = (since: number): AccessRecord[] =>
    readFileSync(accessLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AccessRecord).filter((r) => Date.parse(r.time) >= since);
  const acl = (...words: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/acl.ts', ...words], { env: { ...process.env, LAKEGATE_LAKE_DIR: lakeDir } });
  /** Requests of `client` until one is refused with 429 (a bounded number: its plan's burst and a little). */
  async function exhaust(client: number, path: string, limit: number) {
    for (let i = 0; i < limit; i++) {
      const r = await asClient(client, path);
      if (r.status === 429) return r;
      expect(r.status).to.equal(200);
    }
    return expect.fail(`client ${client} was never refused in ${limit} requests`);
  }

  before(async () => {
    ({ dir: lakeDir } = await makeLake(7, 0.05, 'limits-http-lake'));
    keysDir = ensureLocalKeys(scratchPath('keys'));
    gateway = await startGateway({
      LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_LOG_LEVEL: 'info', LAKEGATE_ACL_TTL_MS: '200',
      LAKEGATE_LIMITS: 'on', LAKEGATE_LIMITS_DB: `${usageDir}/limits.db`, LAKEGATE_ACCESS_LOG_FILE: accessLog,
    });
  });
  after(async () => {
    await gateway?.stop();
  });

  it('a noisy client on the trial plan gets 429 rate_limited with Retry-After, while another client is served', async () => {
    const trial = planNamed('trial');
    const [noisy, other] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => asClient(11, `/most_required_service_by_range?${WEEK}`))),
      Promise.all(Array.from({ length: 6 }, () => asClient(4, `/count_orders_by_range?${WEEK}`))),
    ]);
    const limited = noisy.filter((r) => r.status === 429);
    const served = noisy.filter((r) => r.status === 200);
    expect(limited.length, 'refused').to.be.at.least(1);
    expect(limited.length + served.length).to.equal(12);
    expect(served.length).to.be.at.least(1).and.at.most(12 - 1);
    for (const r of limited) {
      expect(JSON.parse(r.body).error.code).to.equal('rate_limited');
      expect(Number(r.retryAfter)).to.be.within(1, Math.ceil(1 / trial.ratePerSecond));
    }
    expect(other.map((r) => r.status)).to.deep.equal(Array(6).fill(200));
    // One shared state: the client's one SQLite row counted exactly the requests served this
    // UTC day (refused ones use no quota).
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(`${usageDir}/limits.db`);
    try {
      const row = db.prepare('SELECT used FROM client_limit WHERE client_id = ?').get(11) as { used: number } | undefined;
      expect(row?.used).to.equal(served.length);
    } finally {
      db.close();
    }
  });

  it('a client refused with 429 is served again once its Retry-After has passed', async () => {
    await acl('plan', '22', 'trial');
    // The authorizer sees the new plan within its table TTL (200 ms here).
    await eventually(async () => expect((await exhaust(22, `/count_orders_by_range?${WEEK}`, 10)).status).to.equal(429), { timeoutMs: 10_000 });
    const refused = await exhaust(22, `/count_orders_by_range?${WEEK}`, 10);
    const wait = Number(refused.retryAfter);
    expect(wait).to.be.at.least(1);
    await new Promise((r) => setTimeout(r, wait * 1000));
    expect((await asClient(22, `/count_orders_by_range?${WEEK}`)).status).to.equal(200);
  });

  it('a 400 for bad parameters uses the plan (as API Gateway counts it); a 403 from the authorizer does not', async () => {
    const trial = planNamed('trial');
    // Client 8 on the trial plan, granted only count_orders_by_range: a call of another query is
    // refused by the authorizer (403) before the handler and its limiter run.
    await acl('plan', '8', 'trial');
    await acl('revoke', '8', '*');
    await acl('grant', '8', 'count_orders_by_range');
    await eventually(async () => expect((await asClient(8, `/most_required_service_by_range?${WEEK}`)).status).to.equal(403), { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1000 * (trial.burst / trial.ratePerSecond))); // a full bucket
    const denied = await Promise.all(Array.from({ length: trial.burst * 3 }, () => asClient(8, `/most_required_service_by_range?${WEEK}`)));
    expect(denied.map((r) => r.status)).to.deep.equal(Array(trial.burst * 3).fill(403));
    expect((await asClient(8, `/count_orders_by_range?${WEEK}`)).status, 'after 403s the bucket is full').to.equal(200);

    await new Promise((r) => setTimeout(r, 1000 * (trial.burst / trial.ratePerSecond)));
    const bad = await Promise.all(Array.from({ length: trial.burst }, () => asClient(8, '/count_orders_by_range?from=2024-03-08&to=2024-03-01')));
    expect(bad.map((r) => r.status)).to.deep.equal(Array(trial.burst).fill(400));
    const next = await asClient(8, `/count_orders_by_range?${WEEK}`);
    expect(next.status, 'after a burst of 400s the bucket is empty').to.equal(429);
    expect(JSON.parse(next.body).error.code).to.equal('rate_limited');
  });

  it('every request leaves exactly one access line, by the component that decided it; no token in any', async () => {
    const since = Date.now();
    const foreign = ecKey();
    const sent = [
      { client: null, ...(await get(`/count_orders_by_range?${WEEK}`, `Bearer ${mint(foreign, '4')}`)) }, // 401: not our key
      { client: 13, ...(await asClient(13, `/count_orders_by_range?${WEEK}`)) }, // 403: disabled
      { client: 3, ...(await asClient(3, `/all_orders_by_range?${WEEK}`)) }, // 403: not granted
      { client: 4, ...(await asClient(4, '/count_orders_by_range?from=2024-03-08&to=2024-03-01')) }, // 400
      { client: 4, ...(await asClient(4, `/count_orders_by_range?${WEEK}`)) }, // 200
      { client: 4, ...(await asClient(4, '/whoami')) }, // 200
    ];
    expect(sent.map((r) => r.status)).to.deep.equal([401, 403, 403, 400, 200, 200]);
    const lines = records(since);
    const key = (xs: { status: number; client: number | null }[]) => xs.map((x) => `${x.client}:${x.status}`).sort();
    expect(key(lines.map((l) => ({ status: l.status, client: l.clientId })))).to.deep.equal(key(sent));
    expect(lines.find((l) => l.status === 401)).to.deep.include({ decidedBy: 'authorizer', clientId: null, errorCode: 'unauthorized', query: 'count_orders_by_range' });
    for (const l of lines.filter((x) => x.status === 403)) expect(l.decidedBy).to.equal('authorizer');
    expect(lines.find((l) => l.status === 400)).to.deep.include({ decidedBy: 'handler', clientId: 4, errorCode: 'bad_request', engineMs: null });
    const answered = lines.find((l) => l.status === 200 && l.query === 'count_orders_by_range')!;
    expect(answered.rows).to.be.a('number');
    expect(answered.engineMs).to.be.a('number');
    expect(answered.from).to.equal('2024-03-01T00:00:00.000Z');
    expect(readFileSync(accessLog, 'utf8')).to.not.match(/eyJ[A-Za-z0-9_-]+\./); // no JWT anywhere
    // The same lines went to the log stream through Powertools (what CloudWatch gets on AWS).
    const streamed = () => gateway.output().split('\n').filter((l) => /^\{"level":"INFO","message":"access".*\}$/.test(l)).map((l) => JSON.parse(l) as AccessRecord);
    await eventually(() => expect(streamed().filter((r) => Date.parse(r.time) >= since).length).to.equal(sent.length), { timeoutMs: 5000 });
    expect(streamed()[0]).to.include({ level: 'INFO', message: 'access', service: 'lakegate' }).and.to.have.property('requestId');
  });

  it('npm run usage reads that file: per client and query, as JSON and as a table', async () => {
    const before = records(0);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/usage.ts', '--json', '--since', '1h'], {
      env: { ...process.env, LAKEGATE_ACCESS_LOG_FILE: accessLog },
    });
    const rows = JSON.parse(stdout) as { clientId: number | null; query: string; requests: number; status2xx: number; status4xx: number }[];
    const noisy = rows.find((r) => r.clientId === 11 && r.query === 'most_required_service_by_range')!;
    const logged = before.filter((r) => r.clientId === 11 && r.query === 'most_required_service_by_range');
    expect(noisy.requests).to.equal(logged.length);
    expect(noisy.status4xx).to.equal(logged.filter((r) => r.status === 429).length);
    expect(rows.reduce((n, r) => n + r.requests, 0)).to.equal(before.length);
    const { stdout: table } = await run(process.execPath, ['--import', 'tsx', 'scripts/usage.ts', '--client', '11'], {
      env: { ...process.env, LAKEGATE_ACCESS_LOG_FILE: accessLog },
    });
    expect(table.split('\n')[1]).to.match(/^\s*11\s+most_required_service_by_range\s+\d+/);
  });
});
