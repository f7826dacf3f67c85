/** The fake-data generator: determinism, the model's invariants, refusals, and partition pruning. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { catalog } from '../../src/lambda/catalog.ts';
import { LAKE_TABLES, tableGlob } from '../../src/lambda/lake/layout.ts';
import { parseAccessTable } from '../../src/lambda/access/model.ts';
import { makeLake, scratchPath, testLake } from '../helpers/lake.ts';
import { openDuckDb } from '../helpers/engine.ts';
import { createLakeViews } from '../../src/lambda/engine/duckdb/views.ts';

const run = promisify(execFile);

/** Per table: row count and an order-independent checksum of every row. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const out: Record<string, string> = {};
  for (const t of LAKE_TABLES) {
    const r = await conn.runAndReadAll(`SELECT count(*) || ':' || sum(hash(t)) FROM read_parquet('${tableGlob(dir, t)}') t`);
    out[t.name] = String(r.getRows()[0]![0]);
  }
  out.access_control = readFileSync(path.join(dir, 'access_control', 'access_control.json'), 'utf8');
  db.closeSync();
  return out;
}

async function sql(dir: string, text: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await createLakeViews(conn, dir);
  const rows = (await conn.runAndReadAll(text)).getRowObjectsJson();
  db.closeSync();
  return rows as Record<string, unknown>[];
}

describe('fake-data lake', function () {
  this.timeout(120_000);

  it('is deterministic: same seed and scale → identical rows; another seed → different data', async () => {
    const [a, b, c] = await Promise.all([makeLake(11, 0.01), makeLake(11, 0.01), makeLake(12, 0.01)]);
    const [fa, fb, fc] = await Promise.all([fingerprint(a.dir), fingerprint(b.dir), fingerprint(c.dir)]);
    expect(fa).to.deep.equal(fb);
    for (const table of ['client', 'route', 'trackcode', 'orders']) expect(fc[table], table).to.not.equal(fa[table]);
  });

  it('has every table of docs/design.md §2 with its exact schema, facts partitioned by dt (VARCHAR)', async () => {
    const { dir } = await testLake();
    for (const t of LAKE_TABLES) {
      const cols = await sql(dir, `DESCRIBE ${t.name}`);
      const expected = t.columns.map(([name, type]) => ({ name, type }));
      if (t.partitionedByDt) expected.push({ name: 'dt', type: 'VARCHAR' });
      expect(cols.map((c) => ({ name: c.column_name, type: c.column_type })), t.name).to.deep.equal(expected);
    }
    const days = readdirSync(path.join(dir, 'orders'));
    expect(days).to.have.length(366);
    expect(days[0]).to.equal('dt=2024-01-01');
  });

  it('follows the model: realistic shares, contracted services only, consistent nulls and partitions', async () => {
    const { dir } = await testLake();
    const [facts] = await sql(dir, `
      SELECT
        (SELECT count(*) FROM trackcode) AS trackcodes,
        (SELECT count(*) FROM orders) AS orders,
        (SELECT avg(CASE WHEN status = 'lost' THEN 1.0 ELSE 0 END) FROM trackcode) AS lost_share,
        (SELECT avg(CASE WHEN delivered_at > promise_time THEN 1.0 ELSE 0 END) FROM trackcode WHERE status = 'delivered') AS late_share,
        (SELECT count(*) FROM trackcode t WHERE NOT EXISTS (
            SELECT 1 FROM client_service cs WHERE cs.client_id = t.client_id AND cs.service_id = t.service_id)) AS uncontracted,
        (SELECT count(*) FROM trackcode WHERE (status = 'delivered') <> (delivered_at IS NOT NULL)) AS bad_delivered_at,
        (SELECT count(*) FROM orders WHERE (status = 'pending') <> (start_time IS NULL)) AS bad_start_time,
        (SELECT count(*) FROM orders WHERE status IN ('delivered', 'failed', 'cancelled') AND end_time IS NULL) AS bad_end_time,
        (SELECT count(*) FROM trackcode WHERE dt <> strftime(created_at, '%Y-%m-%d')) AS bad_tc_dt,
        (SELECT count(*) FROM orders WHERE dt <> strftime(created_at, '%Y-%m-%d')) AS bad_order_dt,
        (SELECT count(*) FROM orders o JOIN trackcode t USING (trackcode_id)
          WHERE o.created_at < t.created_at OR o.created_at >= t.created_at + INTERVAL 7 DAY OR o.client_id <> t.client_id) AS bad_order_link,
        (SELECT count(*) FROM (SELECT trackcode_id FROM orders GROUP BY 1 HAVING count(*) > 1)) AS multi_attempt,
        (SELECT count(*) FROM orders WHERE price <= 0) AS bad_price,
        (SELECT avg(CASE WHEN dayofweek(created_at) = 0 THEN 1.0 ELSE 0 END) FROM trackcode) AS sunday_share,
        (SELECT count(*) FROM trackcode WHERE month(created_at) = 12) / (SELECT count(*) FROM trackcode WHERE month(created_at) = 2) AS dec_vs_feb`);
    const f = facts!;
    expect(Number(f.lost_share)).to.be.within(0.01, 0.03);
    expect(Number(f.late_share)).to.be.within(0.03, 0.3);
    expect(Number(f.orders) / Number(f.trackcodes)).to.be.within(1.05, 1.3);
    expect(Number(f.multi_attempt)).to.be.greaterThan(0);
    expect(Number(f.sunday_share)).to.be.below(1 / 7); // quiet Sundays
    expect(Number(f.dec_vs_feb)).to.be.greaterThan(1.2); // year-end peak
    for (const k of ['uncontracted', 'bad_delivered_at', 'bad_start_time', 'bad_end_time', 'bad_tc_dt', 'bad_order_dt', 'bad_order_link', 'bad_price']) {
      expect(Number(f[k]), k).to.equal(0);
    }
  });

  it('writes a default access-control table: own scope, a few restricted, one disabled, one analyst', async () => {
    const { dir } = await testLake();
    const table = parseAccessTable(readFileSync(path.join(dir, 'access_control', 'access_control.json'), 'utf8'));
    const rules = [...table.values()];
    expect(rules.filter((r) => r.client_id < 1000)).to.have.length(50);
    expect(rules.filter((r) => !r.enabled)).to.have.length(1);
    expect(rules.filter((r) => r.row_scope === 'all')).to.have.length(1);
    const restricted = rules.filter((r) => !r.allowed_queries.includes('*'));
    expect(restricted.length).to.be.within(2, 5);
    for (const r of restricted) for (const q of r.allowed_queries) expect(catalog().has(q), q).to.equal(true);
  });

  describe('npm run fake-data refuses bad input, leaving nothing behind', () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'fake-data/cli.ts', ...args]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );

    const cases: [string, string[], RegExp][] = [
      ['a non-integer seed', ['--seed', '4x'], /--seed must be an integer/],
      ['a negative scale', ['--scale', '-1'], /--scale/],
      ['a zero scale', ['--scale', '0'], /--scale must be a number/],
      ['a huge scale', ['--scale', '1e9'], /--scale must be a number/],
      ['an unknown flag', ['--sed', '1'], /Unknown option '--sed'/],
      ['a positional argument', ['lake'], /Unexpected argument 'lake'/],
    ];
    for (const [label, args, message] of cases) {
      it(`refuses ${label}`, async () => {
        const out = scratchPath('refused');
        const r = await cli(...args, ...(args.includes('--out') ? [] : ['--out', out]));
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(message);
        expect(existsSync(out)).to.equal(false);
      });
    }

    it('refuses a non-empty --out and keeps its content', async () => {
      const out = scratchPath('full');
      mkdirSync(out);
      writeFileSync(path.join(out, 'keep.txt'), 'precious');
      const r = await cli('--out', out, '--scale', '0.001');
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/is not empty/);
      expect(readdirSync(out)).to.deep.equal(['keep.txt']);
      expect(readFileSync(path.join(out, 'keep.txt'), 'utf8')).to.equal('precious');
    });

    it('refuses an --out that cannot be written', async () => {
      const file = scratchPath('a-file');
      writeFileSync(file, '');
      const r = await cli('--out', path.join(file, 'lake'), '--scale', '0.001');
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/is not an existing folder/);
      expect(statSync(file).size).to.equal(0);
    });
  });

  it('prunes partitions: a 7-day range over the year reads only that week', async () => {
    const { dir } = await testLake();
    const engine = await openDuckDb(dir, false); // no caches: count what is really read
    const files = (table: string, days?: string[]) =>
      readdirSync(path.join(dir, table))
        .filter((d) => !days || days.includes(d.slice('dt='.length)))
        .flatMap((d) => readdirSync(path.join(dir, table, d)).map((f) => path.join(dir, table, d, f)));
    const dayRange = (first: string, n: number) =>
      Array.from({ length: n }, (_, i) => new Date(Date.parse(`${first}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));
    const factBytes = [...files('trackcode'), ...files('orders')].reduce((n, f) => n + statSync(f).size, 0);
    // [2024-06-03, 2024-06-10): from's day to to's day (to is exclusive, its day is read
    // conservatively) = 8 days of 366; all_orders_by_range also reads its trackcodes' 7-day lookback.
    const params = { from: new Date('2024-06-03Z'), to: new Date('2024-06-10Z'), client_id: 1, all_clients: false };
    const week = dayRange('2024-06-03', 8);
    try {
      for (const query of catalog().values()) {
        const p = await engine.profile({
          query, params: { ...params, ...(query.limit ? { limit: 10 } : {}) }, deadline: Date.now() + 30_000,
          ...(query.page ? { page: { size: 100 } } : {}),
        });
        // Each fact table read over the week's 8 days, or from its lookback when the query has one.
        const expected = query.factTables.map((t) =>
          files(t, t === 'trackcode' && query.lookbackDays ? dayRange('2024-05-27', 8 + query.lookbackDays) : week).length);
        const factScans = p.scans.filter((s) => s.filesRead > 1); // dimension tables are one file each
        expect(factScans.map((s) => s.filesRead).sort(), query.name).to.deep.equal(expected.sort());
        expect(p.bytesRead / factBytes, query.name).to.be.below(0.05);
      }
    } finally {
      await engine.close();
    }
  });
});
