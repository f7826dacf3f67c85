/**
 * Daily rollups (docs/design.md §12): the plan (a table of cases), answers through rollups identical to
 * the engine forced to raw for arbitrary ranges and both row scopes (fast-check), freshness
 * (a changed source day is read raw until rebuilt; a missing rollup day is read raw), the
 * exactness check, and the rollup SQL's Trino grammar.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { catalog, type NamedQuery } from '../../src/lambda/catalog.ts';
import type { DuckDbEngine } from '../../src/lambda/engine/duckdb/engine.ts';
import type { QueryParams } from '../../src/lambda/engine/types.ts';
import { ROLLUP_TABLES } from '../../src/lambda/lake/layout.ts';
import { sqlString } from '../../src/shared/sql-literal.ts';
import { buildRollups, staleDays } from '../../src/ops/rollups/build.ts';
import { readLocalManifest } from '../../src/lambda/rollups/manifest.ts';
import { planRollup } from '../../src/lambda/engine/plan.ts';
import { rollupSqlForDays, rollupSqlSource } from '../../src/ops/rollups/sql.ts';
import { compileNamedParams } from '../../src/lambda/named-params.ts';
import { CLEAR, openDuckDb } from '../helpers/engine.ts';
import { rewriteParquet, scratchPath, testLake } from '../helpers/lake.ts';

const RUNS = Number(process.env.LAKEGATE_FUZZ_RUNS ?? 200);
const aggregates = (): NamedQuery[] => [...catalog().values()].filter((q) => q.rollup);
const Z = (s: string) => new Date(s.endsWith('Z') ? s : `${s}Z`);

describe('rollup plan (pure)', () => {
  const all = () => true;
  const cases: [string, string, string, (d: string) => boolean, { source: string; span?: [string, string] }][] = [
    ['whole days only → rollup', '2024-03-01', '2024-03-08', all, { source: 'rollup', span: ['2024-03-01', '2024-03-08'] }],
    ['partial first and last days → mixed', '2024-03-01T10:00', '2024-03-08T05:00', all, { source: 'mixed', span: ['2024-03-02', '2024-03-08'] }],
    ['less than a day → raw', '2024-03-01T10:00', '2024-03-02T05:00', all, { source: 'raw' }],
    ['exactly one whole day → rollup', '2024-03-01', '2024-03-02', all, { source: 'rollup', span: ['2024-03-01', '2024-03-02'] }],
    ['empty range → raw', '2024-03-01', '2024-03-01', all, { source: 'raw' }],
    ['no usable day → raw', '2024-03-01', '2024-03-08', () => false, { source: 'raw' }],
    ['a stale day splits: the longest run is served', '2024-03-01', '2024-03-10', (d) => d !== '2024-03-04', { source: 'mixed', span: ['2024-03-05', '2024-03-10'] }],
    ['equal runs: the earliest', '2024-03-01', '2024-03-05', (d) => d !== '2024-03-03', { source: 'mixed', span: ['2024-03-01', '2024-03-03'] }],
    ['stale last day', '2024-03-01', '2024-03-08', (d) => d !== '2024-03-07', { source: 'mixed', span: ['2024-03-01', '2024-03-07'] }],
  ];
  for (const [label, from, to, usable, want] of cases) {
    it(label, () => {
      const plan = planRollup(Z(from), Z(to), usable);
      expect(plan.source).to.equal(want.source);
      expect(plan.span && [plan.span.from.toISOString().slice(0, 10), plan.span.to.toISOString().slice(0, 10)]).to.deep.equal(want.span);
    });
  }

  it('with rawDaysMustBeUsable, a stale day read raw makes the whole answer raw', () => {
    const usable = (d: string) => d !== '2024-03-08';
    expect(planRollup(Z('2024-03-01'), Z('2024-03-08T12:00'), usable).source).to.equal('mixed');
    expect(planRollup(Z('2024-03-01'), Z('2024-03-08T12:00'), usable, { rawDaysMustBeUsable: true }).source).to.equal('raw');
    expect(planRollup(Z('2024-03-01'), Z('2024-03-08T12:00'), () => true, { rawDaysMustBeUsable: true }).source).to.equal('mixed');
  });

  it('the raw days are the range\'s partitions outside the span', () => {
    const plan = planRollup(Z('2024-03-01T10:00'), Z('2024-03-04T05:00'), () => true);
    expect(plan.spanDays).to.deep.equal(['2024-03-02', '2024-03-03']);
    expect(plan.rawDays).to.deep.equal(['2024-03-01', '2024-03-04']);
  });

  it('stale days: changed, new and vanished source partitions', () => {
    const mark = (v: number) => ({ folder: v, files: [['part-0.parquet', 10, v] as const] });
    const now = new Map([['2024-03-01', mark(1)], ['2024-03-02', mark(5)], ['2024-03-03', mark(3)]]);
    const recorded = {
      '2024-03-01': { source: mark(1), rollup: [], exact: true },
      '2024-03-02': { source: mark(2), rollup: [], exact: true },
      '2024-02-28': { source: mark(9), rollup: [], exact: true },
    };
    expect(staleDays(now, recorded)).to.deep.equal({ build: ['2024-03-02', '2024-03-03'], remove: ['2024-02-28'], upToDate: 1 });
  });
});

describe('rollup SQL', () => {
  const trino = new TrinoSQL();
  const errors = (sql: string) => trino.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);

  for (const q of aggregates()) {
    it(`${q.name}: its rollup path parses as Trino and filters like the raw query`, () => {
      const p = q.rollup!;
      expect(errors(p.positional.text)).to.deep.equal([]);
      const body = p.source.replace(/--.*$/gm, '');
      expect(body).to.match(/\.created_at >= :from/);
      expect(body).to.match(/\.created_at < :to/);
      expect(body).to.match(new RegExp(`FROM ${p.table} \\w+\\s+WHERE \\w+\\.dt >= CAST\\(CAST\\(:rollup_from AS DATE\\) AS VARCHAR\\)`));
      expect(body.match(/\(:all_clients OR \w+\.client_id = :client_id\)/g)).to.have.length(2);
    });
  }

  it('all seven aggregate queries have a rollup path, over two rollup tables', () => {
    expect(aggregates()).to.have.length(7);
    expect(new Set(aggregates().map((q) => q.rollup!.table))).to.deep.equal(new Set(ROLLUP_TABLES.map((t) => t.name)));
    expect(catalog().get('all_orders_by_range')!.rollup).to.equal(undefined);
  });

  for (const t of ROLLUP_TABLES) {
    for (const kind of ['build', 'check'] as const) {
      it(`${kind} ${t.name}: parses as Trino, named and with literals pasted in`, () => {
        expect(errors(compileNamedParams(rollupSqlSource(kind, t.name), 'positional').text)).to.deep.equal([]);
        expect(errors(rollupSqlForDays(kind, t, ['2024-03-01', '2024-03-03']))).to.deep.equal([]);
      });
    }
  }
});

describe('rollup answers = raw answers', function () {
  this.timeout(600_000);
  let withRollups: DuckDbEngine;
  let raw: DuckDbEngine;

  before(async () => {
    const { dir } = await testLake();
    withRollups = await openDuckDb(dir);
    raw = await DuckDbEngine_raw(dir);
  });
  after(async () => {
    await withRollups?.close();
    await raw?.close();
  });

  // Bounds in and around the data: sub-day offsets, day / month / year edges.
  const instant = fc.oneof(
    fc.date({ min: Z('2023-12-25'), max: Z('2025-01-08'), noInvalidDate: true }),
    fc.date({ min: Z('2023-12-25'), max: Z('2025-01-08'), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 86_400_000) * 86_400_000)),
    fc.constantFrom(Z('2024-01-01'), Z('2025-01-01'), Z('2024-03-01'), Z('2024-02-29'), Z('2024-12-31T23:59:59.999'), Z('2024-06-30T23:59:59.999')),
  );
  const range = fc.oneof(
    fc.tuple(instant, instant).filter(([a, b]) => a.getTime() !== b.getTime()).map(([a, b]) => (a < b ? [a, b] : [b, a]) as [Date, Date]),
    // sub-day and about-a-day ranges (raw, or one whole day)
    fc.tuple(instant, fc.integer({ min: 1, max: 2 * 86_400_000 })).map(([a, ms]) => [a, new Date(a.getTime() + ms)] as [Date, Date]),
  );

  it('for arbitrary ranges, every aggregate query, own and all scopes (fast-check)', async () => {
    const sources = new Set<string>();
    await fc.assert(
      fc.asyncProperty(range, fc.constantFrom(...aggregates()), fc.constantFrom(1, 4, 17, 33), fc.boolean(), async ([from, to], query, client, all) => {
        const params: QueryParams = { from, to, client_id: all ? -1 : client, all_clients: all, ...(query.limit ? { limit: 7 } : {}) };
        const deadline = Date.now() + 60_000;
        const got = await withRollups.run({ query, params, deadline });
        const want = await raw.run({ query, params, deadline });
        sources.add(String(got.stats.source));
        expect(got.rows, `${query.name} ${from.toISOString()}..${to.toISOString()} ${all ? 'all' : client}`).to.deep.equal(want.rows);
        expect(want.stats.source).to.equal('raw');
        const plan = planRollup(from, to, () => true);
        expect(got.stats.source).to.equal(plan.source);
      }),
      { numRuns: Math.max(40, Math.round(RUNS / 2)) },
    );
    expect([...sources].sort()).to.deep.equal(['mixed', 'raw', 'rollup']);
  });
});

async function DuckDbEngine_raw(dir: string): Promise<DuckDbEngine> {
  const { DuckDbEngine } = await import('../../src/lambda/engine/duckdb/engine.ts');
  return DuckDbEngine.create({ lakeDir: dir, threads: 2, memoryMb: 512, rollups: false });
}

/** all_orders_by_range as it was before the page was picked in the SQL: every row of the range joined and sorted (no page). */
const OLD_ALL_ORDERS = `-- Every order created in [from, to), oldest first (the pre-keyset SQL).
-- @columns order_id bigint, trackcode_id bigint, trackcode varchar, service varchar, route_code varchar, drop_city varchar, status varchar, created_at timestamp, promise_time timestamp, start_time timestamp, end_time timestamp
SELECT o.order_id, o.trackcode_id, t.code AS trackcode, s.name AS service, r.code AS route_code,
       c.name AS drop_city, o.status, o.created_at, o.promise_time, o.start_time, o.end_time
FROM orders o
JOIN trackcode t ON t.trackcode_id = o.trackcode_id
JOIN service s ON s.service_id = t.service_id
JOIN route r ON r.route_id = o.route_id
JOIN city c ON c.city_id = t.drop_city_id
WHERE o.dt >= CAST(CAST(:from AS DATE) AS VARCHAR)
  AND o.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
  AND o.created_at >= :from
  AND o.created_at < :to
  AND (:all_clients OR o.client_id = :client_id)
  AND t.dt >= CAST(CAST(:from - INTERVAL '7' DAY AS DATE) AS VARCHAR)
  AND t.dt <= CAST(CAST(:to AS DATE) AS VARCHAR)
ORDER BY o.created_at, o.order_id`;

const OLD_COLUMNS = ['order_id', 'trackcode_id', 'trackcode', 'service', 'route_code', 'drop_city', 'status', 'created_at', 'promise_time', 'start_time', 'end_time'];

describe('all_orders_by_range: the page picked first (keyset, LIMIT), then joined', function () {
  this.timeout(300_000);
  let engine: DuckDbEngine;
  before(async () => {
    engine = await openDuckDb((await testLake()).dir);
  });
  after(() => engine?.close());

  const pages = async (query: NamedQuery, params: QueryParams, size: number) => {
    const out: { rows: unknown[]; cursor: boolean }[] = [];
    let cursor: string | undefined;
    do {
      const r = await engine.run({ query, params, page: { size }, deadline: Date.now() + 60_000, privacy: CLEAR, ...(cursor ? { cursor } : {}) });
      // The old SQL's columns: which orders a page holds, in which order (the recipients are the reference's to check).
      out.push({ rows: r.rows.map((row) => Object.fromEntries(OLD_COLUMNS.map((c) => [c, row[c]]))), cursor: r.cursor !== null });
      cursor = r.cursor ?? undefined;
    } while (cursor && out.length < 500);
    return out;
  };

  it('the SQL file picks its page: keyset and LIMIT before the joins', () => {
    const sql = catalog().get('all_orders_by_range')!.source.replace(/--.*$/gm, '');
    expect(sql).to.match(/WITH page AS \(\s*SELECT[^()]*FROM orders o[\s\S]*:after_created_at[\s\S]*ORDER BY o\.created_at, o\.order_id\s+LIMIT :page_rows\s*\)/);
    expect(sql).to.match(/FROM page p\s+JOIN trackcode t/);
  });

  const cases: [string, QueryParams, number][] = [
    ['a week, own scope, 97-row pages', { from: Z('2024-03-04'), to: Z('2024-03-11'), client_id: 4, all_clients: false }, 97],
    ['mid-day bounds, all scope, 500-row pages', { from: Z('2024-05-01T13:30:00'), to: Z('2024-05-03T08:15:00.5'), client_id: -1, all_clients: true }, 500],
    ['across the year start, own scope, 1-row pages', { from: Z('2023-12-20'), to: Z('2024-01-01T03:00:00'), client_id: 4, all_clients: false }, 1],
    ['a quarter, all scope, 1000-row pages', { from: Z('2024-01-01'), to: Z('2024-04-01'), client_id: -1, all_clients: true }, 1000],
    ['the whole year, all scope, 1000-row pages (windows of 1, 4, 16… days)', { from: Z('2024-01-01'), to: Z('2025-01-01'), client_id: -1, all_clients: true }, 1000],
    ['the whole year, a small client, 50-row pages', { from: Z('2024-01-01'), to: Z('2025-01-01'), client_id: 33, all_clients: false }, 50],
    ['no data', { from: Z('2030-01-01'), to: Z('2030-02-01'), client_id: 4, all_clients: false }, 10],
  ];
  for (const [label, params, size] of cases) {
    it(`identical pages to the old SQL: ${label}`, async () => {
      const { parseQuery } = await import('../../src/lambda/catalog.ts');
      const old = parseQuery('all_orders_by_range_unpaged', OLD_ALL_ORDERS);
      const got = await pages(catalog().get('all_orders_by_range')!, params, size);
      // The old SQL's whole answer, cut into pages of `size` (the last page has no next page).
      const all = [...(await engine.run({ query: old, params, deadline: Date.now() + 60_000 })).rows];
      const want = Array.from({ length: Math.max(1, Math.ceil(all.length / size)) }, (_, i) => ({ rows: all.slice(i * size, (i + 1) * size), cursor: (i + 1) * size < all.length }));
      expect(got.length).to.equal(want.length);
      expect(got).to.deep.equal(want);
      if (label.startsWith('the whole year')) expect(got.length, 'several pages').to.be.greaterThan(3);
    });
  }
});

describe('rollup freshness', function () {
  this.timeout(300_000);
  let dir: string;
  let engine: DuckDbEngine;
  let raw: DuckDbEngine;
  const day = '2024-03-05';
  const params: QueryParams = { from: Z('2024-03-01'), to: Z('2024-03-11'), client_id: -1, all_clients: true };
  const run = async (e: DuckDbEngine, name: string) => e.run({ query: catalog().get(name)!, params: { ...params, ...(catalog().get(name)!.limit ? { limit: 10 } : {}) }, deadline: Date.now() + 60_000 });

  /** Rewrite one day's source partition without some of its rows (a late correction). */
  const rewritePartition = (table: string, keep: string) => rewriteParquet(path.join(dir, table, `dt=${day}`), keep);

  before(async () => {
    const shared = await testLake();
    dir = scratchPath('rollup-fresh');
    cpSync(shared.dir, dir, { recursive: true, preserveTimestamps: true });
    engine = await openDuckDb(dir);
    raw = await DuckDbEngine_raw(dir);
  });
  after(async () => {
    await engine?.close();
    await raw?.close();
  });

  it('a copied lake answers right before and after npm run rollup, then from the rollups', async () => {
    for (const name of ['count_orders_by_range', 'most_required_service_by_range']) {
      expect((await run(engine, name)).rows, name).to.deep.equal((await run(raw, name)).rows);
    }
    await buildRollups({ lakeDir: dir, progress: false });
    const r = await run(engine, 'count_orders_by_range');
    expect(r.stats.source).to.equal('rollup');
    expect(r.rows).to.deep.equal((await run(raw, 'count_orders_by_range')).rows);
  });

  it('a day whose source partition changed is read raw until npm run rollup, then from the rollup again', async () => {
    const before = await run(engine, 'count_orders_by_range');
    await rewritePartition('orders', 'order_id % 10 <> 0');
    const changed = await run(engine, 'count_orders_by_range');
    expect(changed.stats.source).to.equal('mixed');
    expect(changed.rows).to.deep.equal((await run(raw, 'count_orders_by_range')).rows);
    expect(changed.rows[0]!.orders).to.be.lessThan(before.rows[0]!.orders as number);
    // revenue reads its raw days as cents: a stale day inside the range makes it mixed or raw, never wrong
    const money = await run(engine, 'get_money_from_routes_by_range');
    expect(money.rows).to.deep.equal((await run(raw, 'get_money_from_routes_by_range')).rows);

    const reports = await buildRollups({ lakeDir: dir, progress: false });
    expect(reports.find((r) => r.table === 'orders_daily')!.built).to.deep.equal([day]);
    expect(reports.find((r) => r.table === 'trackcode_daily')!.built).to.deep.equal([]);
    const rebuilt = await run(engine, 'count_orders_by_range');
    expect(rebuilt.stats.source).to.equal('rollup');
    expect(rebuilt.rows).to.deep.equal(changed.rows);
    expect((await run(engine, 'get_money_from_routes_by_range')).rows).to.deep.equal((await run(raw, 'get_money_from_routes_by_range')).rows);
  });

  it('a second build with nothing changed builds nothing', async () => {
    const reports = await buildRollups({ lakeDir: dir, progress: false });
    for (const r of reports) expect(r.built, r.table).to.deep.equal([]);
  });

  it('a missing rollup day is read raw for that day', async () => {
    const part = path.join(dir, 'trackcode_daily', `dt=${day}`);
    rmSync(part, { recursive: true });
    // Two engines: one that copied the rollup to memory before (its copy of the day was verified
    // and its source is unchanged, so it may still serve it), one starting now (raw for the day).
    const fresh = await openDuckDb(dir);
    const cold = await (await import('../../src/lambda/engine/duckdb/engine.ts')).DuckDbEngine.create({ lakeDir: dir, threads: 1, memoryMb: 256, caches: false });
    try {
      for (const name of ['count_trackcode_by_range', 'most_visited_location_from_trackcode_by_range', 'count_delivered_trackcode_before_promise_time_by_range']) {
        const want = (await run(raw, name)).rows;
        for (const e of [fresh, cold]) {
          const r = await run(e, name);
          expect(r.stats.source, name).to.equal('mixed');
          expect(r.rows, name).to.deep.equal(want);
        }
        expect((await run(engine, name)).rows, name).to.deep.equal(want);
      }
    } finally {
      await fresh.close();
      await cold.close();
    }
    const reports = await buildRollups({ lakeDir: dir, progress: false }); // npm run rollup repairs it
    expect(reports.find((r) => r.table === 'trackcode_daily')!.built).to.deep.equal([day]);
    expect(readLocalManifest(dir).tables.trackcode_daily![day]!.rollup).to.have.length.greaterThan(0);
    expect((await run(engine, 'count_trackcode_by_range')).stats.source).to.equal('rollup');
  });

  it('a malformed or truncated freshness record: answers are raw (and right), never an outage; npm run rollup repairs it', async () => {
    const file = path.join(dir, 'rollups.json');
    const good = readFileSync(file, 'utf8');
    const manifest = JSON.parse(good);
    const day0 = Object.keys(manifest.tables.orders_daily)[0]!;
    delete manifest.tables.orders_daily[day0].source.files;
    for (const bad of [good.slice(0, good.length / 2), JSON.stringify(manifest)]) {
      writeFileSync(file, bad);
      const e = await openDuckDb(dir);
      try {
        const r = await run(e, 'count_orders_by_range');
        expect(r.stats.source).to.equal('raw');
        expect(r.rows).to.deep.equal((await run(raw, 'count_orders_by_range')).rows);
      } finally {
        await e.close();
      }
    }
    writeFileSync(file, good);
  });

  it('a day with a price that is not whole cents is built but never served for revenue', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const part = path.join(dir, 'orders', 'dt=2024-03-07');
    const file = path.join(part, readdirSync(part).find((n) => n.endsWith('.parquet'))!);
    await conn.run(`COPY (SELECT * REPLACE (CASE WHEN order_id = (SELECT min(order_id) FROM read_parquet(${sqlString(file)})) THEN price + 0.001 ELSE price END AS price) FROM read_parquet(${sqlString(file)})) TO ${sqlString(`${file}.new`)} (FORMAT parquet)`);
    db.closeSync();
    rmSync(file);
    cpSync(`${file}.new`, file);
    rmSync(`${file}.new`);
    const reports = await buildRollups({ lakeDir: dir, progress: false });
    expect(reports.find((r) => r.table === 'orders_daily')!.inexact).to.deep.equal(['2024-03-07']);
    const money = await run(engine, 'get_money_from_routes_by_range');
    expect(money.stats.source).to.not.equal('rollup');
    expect(money.rows).to.deep.equal((await run(raw, 'get_money_from_routes_by_range')).rows);
  });
});
