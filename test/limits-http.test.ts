/**
 * Plans and the access log through real HTTP: `serverless offline` (its worker threads, the
 * authorizer in its own) with the limiter on, state in a SQLite file of the test's own. A noisy
 * client is limited across every worker as one; the others are not slowed; every request leaves
 * exactly one access line in the file `npm run usage` reads, and in the Powertools log stream.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { mintToken } from '../src/auth/mint.ts';
import { ensureLocalKeys, readKeyFile } from '../src/keys.ts';
import { planNamed } from '../src/limits/plans.ts';
import type { AccessRecord } from '../src/usage/record.ts';
import { startGateway, type Gateway } from '../scripts/gateway.ts';
import { makeLake, scratchPath } from './helpers/lake.ts';
import { ecKey, mint } from './helpers/tokens.ts';

const run = promisify(execFile);

describe('limits and access log over HTTP (serverless offline, worker threads)', function () {
  this.timeout(240_000);
  let gateway: Gateway;
  let keysDir: string;
  let lakeDir: string;
  const usageDir = scratchPath('usage');
  const accessLog = `${usageDir}/access.log`;
  const sent: { status: number; client: number | null }[] = [];

  const token = (client: number) => mintToken(readKeyFile(keysDir, 'privateKey'), client, { issuer: 'lakegate-local', audience: 'lakegate-api', ttlSec: 600 });
  async function get(path: string, authorization: string | undefined, client: number | null) {
    const r = await fetch(`${gateway.url}${path}`, { headers: authorization ? { Authorization: authorization } : {} });
    const body = await r.text();
    sent.push({ status: r.status, client });
    return { status: r.status, body, retryAfter: r.headers.get('retry-after') };
  }
  const asClient = (client: number, path: string) => get(path, `Bearer ${token(client)}`, client);
  const WEEK = 'from=2024-03-01&to=2024-03-08';
  const records = (): AccessRecord[] => readFileSync(accessLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  before(async () => {
    ({ dir: lakeDir } = await makeLake(7, 0.05, 'limits-http-lake'));
    keysDir = ensureLocalKeys(scratchPath('keys'));
    gateway = await startGateway({
      LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_LOG_LEVEL: 'info',
      LAKEGATE_LIMITS: 'on', LAKEGATE_LIMITS_DB: `${usageDir}/limits.db`, LAKEGATE_ACCESS_LOG_FILE: accessLog,
    });
    // Warm several workers (client 4's standard plan has room for these), so the burst below is
    // answered by many worker threads at once.
    const warm = await Promise.all(['count_orders_by_range', 'most_required_service_by_range'].flatMap((q) =>
      Array.from({ length: 6 }, () => asClient(4, `/${q}?${WEEK}`))));
    expect(warm.map((r) => r.status)).to.deep.equal(Array(12).fill(200));
  });
  after(async () => {
    await gateway?.stop();
  });

  it('a noisy client on the trial plan gets 429 rate_limited (+ Retry-After) across all workers, while another client is served', async () => {
    const trial = planNamed('trial');
    const started = performance.now();
    const [noisy, other] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => asClient(11, `/most_required_service_by_range?${WEEK}`))),
      Promise.all(Array.from({ length: 6 }, () => asClient(4, `/count_orders_by_range?${WEEK}`))),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const served = noisy.filter((r) => r.status === 200).length;
    // One shared bucket: at most the burst plus what refilled while the requests were in flight
    // (a bucket per worker thread would have served nearly all twelve).
    expect(served, `served in ${seconds.toFixed(2)} s`).to.be.within(1, trial.burst + Math.floor(seconds * trial.ratePerSecond));
    const limited = noisy.filter((r) => r.status === 429);
    expect(limited.length + served).to.equal(12);
    for (const r of limited) {
      expect(JSON.parse(r.body).error.code).to.equal('rate_limited');
      expect(Number(r.retryAfter)).to.be.at.least(1);
    }
    expect(other.map((r) => r.status)).to.deep.equal(Array(6).fill(200));
    // Timing-free evidence of one shared state: the workers' decisions all landed in the one
    // SQLite row of the client (a per-worker counter would leave none), and it counted exactly
    // the requests that were served this UTC day (refused ones use no quota).
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(`${usageDir}/limits.db`);
    try {
      const row = db.prepare('SELECT used FROM client_limit WHERE client_id = ?').get(11) as { used: number } | undefined;
      expect(row?.used).to.equal(served);
    } finally {
      db.close();
    }
  });

  it('after Retry-After, the noisy client is served again', async () => {
    await new Promise((r) => setTimeout(r, 1000 * (planNamed('trial').burst / planNamed('trial').ratePerSecond)));
    expect((await asClient(11, `/most_required_service_by_range?${WEEK}`)).status).to.equal(200);
  });

  it('every request leaves exactly one access line, by the component that decided it; no token in any', async () => {
    const foreign = ecKey();
    const refusals = [
      await get(`/count_orders_by_range?${WEEK}`, `Bearer ${mint(foreign, '4')}`, null), // 401: not our key
      await asClient(13, `/count_orders_by_range?${WEEK}`), // 403: disabled
      await asClient(3, `/all_orders_by_range?${WEEK}`), // 403: not granted
      await asClient(4, '/count_orders_by_range?from=2024-03-08&to=2024-03-01'), // 400
    ];
    expect(refusals.map((r) => r.status)).to.deep.equal([401, 403, 403, 400]);
    const lines = records();
    const count = (xs: { status: number; client: number | null }[]) =>
      xs.map((x) => `${x.client}:${x.status}`).sort();
    expect(count(lines.map((l) => ({ status: l.status, client: l.clientId })))).to.deep.equal(count(sent));
    const byStatus = (s: number) => lines.filter((l) => l.status === s);
    for (const l of byStatus(401)) expect(l).to.deep.include({ decidedBy: 'authorizer', clientId: null, errorCode: 'unauthorized', query: 'count_orders_by_range' });
    for (const l of byStatus(403)) expect(l.decidedBy).to.equal('authorizer');
    for (const l of byStatus(429)) expect(l).to.deep.include({ decidedBy: 'handler', clientId: 11, errorCode: 'rate_limited', engineMs: null });
    for (const l of byStatus(200)) {
      expect(l.rows).to.be.a('number');
      expect(l.engineMs).to.be.a('number');
      expect(l.from).to.equal('2024-03-01T00:00:00.000Z');
    }
    expect(readFileSync(accessLog, 'utf8')).to.not.match(/eyJ[A-Za-z0-9_-]+\./); // no JWT anywhere
    // The same lines went to the log stream through Powertools (what CloudWatch gets on AWS).
    // Counted in the whole output (serverless-offline may print two workers' writes on one line),
    // once the worker threads' stdout, which reaches the process asynchronously, has caught up.
    const streamed = () => (gateway.output().match(/"message":"access"/g) ?? []).length;
    for (let i = 0; i < 50 && streamed() < sent.length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(streamed()).to.equal(sent.length);
    const line = gateway.output().split('\n').find((l) => /^\{"level":"INFO","message":"access".*\}$/.test(l))!;
    expect(JSON.parse(line)).to.include({ level: 'INFO', message: 'access', service: 'lakegate' }).and.to.have.property('requestId');
  });

  it('npm run usage reads that file: per client and query, as JSON', async () => {
    expect(existsSync(accessLog)).to.equal(true);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/usage.ts', '--json', '--since', '1h'], {
      env: { ...process.env, LAKEGATE_ACCESS_LOG_FILE: accessLog },
    });
    const rows = JSON.parse(stdout) as { clientId: number | null; query: string; requests: number; status2xx: number; status4xx: number }[];
    const noisy = rows.find((r) => r.clientId === 11 && r.query === 'most_required_service_by_range')!;
    const sentNoisy = sent.filter((s) => s.client === 11);
    expect(noisy.requests).to.equal(sentNoisy.length);
    expect(noisy.status4xx).to.equal(sentNoisy.filter((s) => s.status === 429).length);
    expect(rows.reduce((n, r) => n + r.requests, 0)).to.equal(sent.length);
    const { stdout: table } = await run(process.execPath, ['--import', 'tsx', 'scripts/usage.ts', '--client', '11'], {
      env: { ...process.env, LAKEGATE_ACCESS_LOG_FILE: accessLog },
    });
    expect(table.split('\n')[1]).to.match(/^\s*11\s+most_required_service_by_range\s+\d+/);
  });
});
