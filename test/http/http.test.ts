/**
 * Through real HTTP: `serverless offline` started by the suite over its own small lake, with
 * real signed tokens from the token CLI's keys. Answers must equal the engine called directly.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { localToken } from '../../harness/tokens.ts';
import { catalog, type NamedQuery } from '../../src/lambda/catalog.ts';
import type { DuckDbEngine } from '../../src/lambda/engine/duckdb/engine.ts';
import type { QueryParams, Row } from '../../src/lambda/engine/types.ts';
import { csvField } from '../../src/lambda/api/response.ts';
import { ensureLocalKeys } from '../../src/lambda/identity/keys/key-files.ts';
import { openDuckDb, runAll } from '../helpers/engine.ts';
import { localPrivacy } from '../../harness/privacy.ts';
import { makeLake, scratchPath } from '../helpers/lake.ts';
import { startGateway, type Gateway } from '../../harness/gateway.ts';
import { conforms } from '../helpers/openapi.ts';

const run = promisify(execFile);
const ACL_TTL_MS = 1000;

describe('gateway over HTTP (serverless offline)', function () {
  this.timeout(180_000);
  let gateway: Gateway;
  let engine: DuckDbEngine;
  let lakeDir: string;
  let keysDir: string;
  const env = () => ({ LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir });

  /** A token for a client, signed with the test's local key exactly as the token CLI signs. */
  const token = (client: number, ttlSec = 600) =>
    localToken(keysDir, client, ttlSec);
  // Every answer is checked against the OpenAPI document's schema for its path and status.
  const get = (pathAndQuery: string, headers: Record<string, string> = {}) => fetch(`${gateway.url}${pathAndQuery}`, { headers }).then(conforms);
  const getAs = (client: number, pathAndQuery: string, headers: Record<string, string> = {}) =>
    get(pathAndQuery, { Authorization: `Bearer ${token(client)}`, ...headers });

  before(async () => {
    ({ dir: lakeDir } = await makeLake(7, 0.05, 'http-lake'));
    keysDir = ensureLocalKeys(scratchPath('keys'));
    [gateway, engine] = await Promise.all([
      startGateway({ ...env(), LAKEGATE_ACL_TTL_MS: String(ACL_TTL_MS), LAKEGATE_LOG_LEVEL: 'warn' }),
      openDuckDb(lakeDir),
    ]);
  });
  after(async () => {
    await gateway?.stop();
    await engine?.close();
  });

  const RANGE = { from: '2024-03-01', to: '2024-04-01' };
  const params = (q: NamedQuery, client: number, all = false): QueryParams => ({
    from: new Date(`${RANGE.from}T00:00:00Z`), to: new Date(`${RANGE.to}T00:00:00Z`), client_id: client, all_clients: all,
    ...(q.limit ? { limit: q.limit.default } : {}),
  });

  it('the token CLI mints a token the gateway accepts', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', '--client', '4', '--ttl', '10m'], {
      env: { ...process.env, ...env() },
    });
    const r = await get(`/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`, { Authorization: `Bearer ${stdout.trim()}` });
    expect(r.status).to.equal(200);
  });

  for (const query of catalog().values()) {
    it(`${query.name}: 200 with the rows of the engine called directly`, async () => {
      const r = await getAs(4, `/${query.name}?from=${RANGE.from}&to=${RANGE.to}`);
      expect(r.status).to.equal(200);
      expect(r.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      const body = await r.json();
      // Client 4's rule has no pii: its personal columns come out masked, with the gateway's key.
      const want = await runAll(engine, query, params(query, 4), 1000, localPrivacy(keysDir, 'masked'));
      expect(body.query).to.equal(query.name);
      expect(body.columns).to.deep.equal(query.columns);
      expect(body.rows).to.deep.equal(query.page ? want.slice(0, 100) : want);
      expect(body.rows.length).to.be.greaterThan(0);
      expect(body.stats.engine).to.equal('duckdb');
    });

    it(`${query.name}: CSV has the same content as JSON`, async () => {
      const [json, csv] = await Promise.all([
        getAs(4, `/${query.name}?from=${RANGE.from}&to=${RANGE.to}`).then((r) => r.json()),
        getAs(4, `/${query.name}?from=${RANGE.from}&to=${RANGE.to}`, { Accept: 'text/csv' }),
      ]);
      expect(csv.status).to.equal(200);
      expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
      const names = json.columns.map((c: { name: string }) => c.name);
      const expected = [names.join(','), ...json.rows.map((row: Row) => names.map((n: string) => csvField(row[n] ?? null)).join(','))];
      expect((await csv.text()).split('\r\n')).to.deep.equal([...expected, '']);
    });
  }

  it('all_orders_by_range: walking every page loses and repeats no row', async () => {
    const q = catalog().get('all_orders_by_range')!;
    const want = await runAll(engine, q, params(q, 4), 1000, localPrivacy(keysDir, 'masked'));
    const limit = Math.floor(want.length / 4); // ≥ 4 full pages and a partial one
    const rows: Row[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const url: string = `/all_orders_by_range?from=${RANGE.from}&to=${RANGE.to}&limit=${limit}${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`;
      const r = await getAs(4, url);
      expect(r.status).to.equal(200);
      const body = await r.json();
      rows.push(...body.rows);
      next = body.nextToken;
      pages += 1;
    } while (next);
    expect(pages).to.be.within(4, 5);
    expect(rows).to.deep.equal(want);
    expect(new Set(rows.map((r) => r.order_id)).size).to.equal(rows.length);
  });

  it('whoami answers who the token is for: client, row scope, range and privacy mode', async () => {
    const r = await getAs(9000, '/whoami');
    expect(r.status).to.equal(200);
    expect(await r.json()).to.deep.equal({ clientId: 9000, rowScope: 'all', maxRangeDays: 3660, pii: 'pseudonymized' });
    expect((await get('/whoami')).status).to.equal(401);
    expect((await getAs(13, '/whoami')).status).to.equal(403);
  });

  it('tenant isolation: requests of many clients interleaved in parallel each get exactly their answer alone', async () => {
    const clients = [4, 5, 8, 22, 9000];
    const urls = clients.flatMap((c) =>
      [...catalog().keys()].flatMap((q) => [`/${q}?from=2024-02-01&to=2024-02-20`, `/${q}?from=2024-10-01&to=2024-10-09`].map((u) => [c, u] as const)),
    );
    const body = async (c: number, u: string) => {
      const r = await getAs(c, u);
      expect(r.status, `${c} ${u}`).to.equal(200);
      const { rows, columns, params } = await r.json();
      return { rows, columns, params };
    };
    const alone = [];
    for (const [c, u] of urls) alone.push(await body(c, u));
    const order = urls.map((_, i) => i).sort((a, b) => ((a * 31337) % 101) - ((b * 31337) % 101));
    const together = new Array(urls.length);
    for (let i = 0; i < order.length; i += 16) {
      await Promise.all(order.slice(i, i + 16).map(async (k) => (together[k] = await body(urls[k]![0], urls[k]![1]))));
    }
    expect(together).to.deep.equal(alone);
  });

  it('row scope all (analysts) sees every client', async () => {
    const q = catalog().get('count_orders_by_range')!;
    const body = await (await getAs(9000, `/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`)).json();
    expect(body.rows).to.deep.equal(await runAll(engine, q, params(q, 9000, true)));
    const own = await (await getAs(4, `/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`)).json();
    expect(body.rows[0].orders).to.be.greaterThan(own.rows[0].orders);
  });

  describe('refusals', () => {
    const url = `/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`;
    const cases: [string, () => Promise<Response>, number][] = [
      ['no Authorization header', () => get(url), 401],
      ['Basic credentials', () => get(url, { Authorization: 'Basic dXNlcjpwYXNz' }), 401],
      ['a forged token', () => get(url, { Authorization: `Bearer ${token(4).slice(0, -4)}AAAA` }), 401],
      ['an expired token', () => get(url, { Authorization: `Bearer ${token(4, -3600)}` }), 401],
      ['an unknown client', () => getAs(777, url), 403],
      ['a disabled client', () => getAs(13, url), 403],
      ['a query the client is not granted', () => getAs(3, `/most_required_service_by_range?from=${RANGE.from}&to=2024-03-10`), 403],
      ['an impossible date', () => getAs(4, '/count_orders_by_range?from=2024-02-30&to=2024-03-10'), 400],
      ['a repeated parameter', () => getAs(4, `${url}&from=2024-03-02`), 400],
      ['an injection string', () => getAs(4, `/count_orders_by_range?from=${encodeURIComponent("2024-01-01' OR '1'='1")}&to=2024-03-10`), 400],
      ['a span over the client maximum', () => getAs(3, '/count_orders_by_range?from=2024-01-01&to=2024-03-01'), 400],
      ['an unknown query', () => getAs(4, `/drop_table?from=${RANGE.from}&to=${RANGE.to}`), 404],
    ];
    for (const [label, send, status] of cases) {
      it(`${status} for ${label}`, async () => {
        const r = await send();
        expect(r.status, await r.clone().text()).to.equal(status);
        if (status === 400) expect((await r.json()).error).to.have.keys('code', 'message');
      });
    }
  });

  it('after `acl revoke`, the endpoint is refused within the access-table TTL; `acl grant` restores it', async () => {
    const url = `/count_trackcode_by_range?from=${RANGE.from}&to=${RANGE.to}`;
    const acl = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/acl.ts', ...args], { env: { ...process.env, ...env() } });
    const statusWithin = async (want: number, ms: number) => {
      const deadline = Date.now() + ms;
      let status = 0;
      while (Date.now() < deadline && status !== want) {
        status = (await getAs(5, url)).status;
        if (status !== want) await new Promise((r) => setTimeout(r, 100));
      }
      return status;
    };
    expect((await getAs(5, url)).status).to.equal(200);
    await acl('revoke', '5', 'count_trackcode_by_range');
    expect(await statusWithin(403, ACL_TTL_MS + 3000)).to.equal(403);
    expect((await getAs(5, `/count_orders_by_range?from=${RANGE.from}&to=${RANGE.to}`)).status).to.equal(200); // other grants intact
    await acl('grant', '5', 'count_trackcode_by_range');
    expect(await statusWithin(200, ACL_TTL_MS + 3000)).to.equal(200);
  });
});
