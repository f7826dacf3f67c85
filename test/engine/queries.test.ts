/**
 * Each named query on DuckDB equals the independent TypeScript computation of test/helpers/
 * reference.ts, for several clients and ranges, including the edge cases of a half-open range.
 */
import { expect } from 'chai';
import { catalog } from '../../src/lambda/catalog.ts';
import type { DuckDbEngine } from '../../src/lambda/engine/duckdb/engine.ts';
import type { QueryParams } from '../../src/lambda/engine/types.ts';
import { openDuckDb, runAll } from '../helpers/engine.ts';
import { testLake } from '../helpers/lake.ts';
import { readLake, reference, type LakeRows } from '../helpers/reference.ts';

describe('named queries on DuckDB = independent computation', function () {
  let engine: DuckDbEngine;
  let lake: LakeRows;
  // Clients by volume: the largest, a middle one, the smallest that ships, and one that ships nothing.
  let clients: number[];

  before(async () => {
    const { dir } = await testLake();
    engine = await openDuckDb(dir);
    lake = await readLake(dir);
    const volume = new Map<number, number>();
    for (const t of lake.trackcode) volume.set(t.client_id as number, (volume.get(t.client_id as number) ?? 0) + 1);
    const ranked = [...volume].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    clients = [ranked[0]!, ranked[Math.floor(ranked.length / 2)]!, ranked.at(-1)!, 424242];
  });
  after(() => engine.close());

  /** A trackcode's exact created_at, to put range bounds exactly on a row. */
  const exactTimes = () => {
    const sorted = lake.orders.map((o) => o.created_at as number).sort((a, b) => a - b);
    return { a: sorted[Math.floor(sorted.length * 0.3)]!, b: sorted[Math.floor(sorted.length * 0.31)]! };
  };

  const ranges = (): [string, Date, Date][] => {
    const { a, b } = exactTimes();
    return [
      ['one week in March', new Date('2024-03-04T00:00:00Z'), new Date('2024-03-11T00:00:00Z')],
      ['one day', new Date('2024-07-15T00:00:00Z'), new Date('2024-07-16T00:00:00Z')],
      ['exact row timestamps as bounds ([from, to))', new Date(a), new Date(b)],
      ['mid-day offsets', new Date('2024-05-01T13:30:00Z'), new Date('2024-05-09T08:15:00.500Z')],
      ['crossing the first day of data', new Date('2023-12-20T00:00:00Z'), new Date('2024-01-03T00:00:00Z')],
      ['crossing the last day of data', new Date('2024-12-28T00:00:00Z'), new Date('2025-01-10T00:00:00Z')],
      ['the whole year', new Date('2024-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z')],
      ['empty (from = to)', new Date('2024-06-01T12:00:00Z'), new Date('2024-06-01T12:00:00Z')],
      ['no data (2030)', new Date('2030-01-01T00:00:00Z'), new Date('2030-02-01T00:00:00Z')],
    ];
  };

  it('the exact-boundary range really has rows on both bounds', () => {
    const { a, b } = exactTimes();
    expect(lake.orders.some((o) => o.created_at === a)).to.equal(true);
    expect(lake.orders.some((o) => o.created_at === b)).to.equal(true);
    expect(b).to.be.greaterThan(a);
  });

  for (const query of catalog().values()) {
    describe(query.name, () => {
      it('matches for every client and range, own scope', async function () {
        this.timeout(120_000);
        for (const client_id of clients) {
          for (const [label, from, to] of ranges()) {
            const params: QueryParams = { from, to, client_id, all_clients: false, ...(query.limit ? { limit: 5 } : {}) };
            const got = await runAll(engine, query, params, 700);
            const want = reference[query.name]!(lake, params);
            expect(got, `${label}, client ${client_id}`).to.deep.equal(want);
          }
        }
      });

      it('matches with row scope all (every client)', async () => {
        for (const [label, from, to] of ranges().slice(0, 4)) {
          const params: QueryParams = { from, to, client_id: -1, all_clients: true, ...(query.limit ? { limit: 100 } : {}) };
          expect(await runAll(engine, query, params), label).to.deep.equal(reference[query.name]!(lake, params));
        }
      });
    });
  }

  it('non-empty answers are really exercised (the comparisons are not all empty)', async () => {
    const q = catalog().get('count_orders_by_range')!;
    const [r] = await runAll(engine, q, { from: new Date('2024-03-04Z'), to: new Date('2024-03-11Z'), client_id: clients[0]!, all_clients: false });
    expect(r!.orders).to.be.greaterThan(50);
  });

  it("client scope: one client's answers never include another client's rows", async () => {
    const q = catalog().get('all_orders_by_range')!;
    const clientOf = new Map(lake.orders.map((o) => [o.order_id as number, o.client_id as number]));
    const range = { from: new Date('2024-01-01Z'), to: new Date('2025-01-01Z') };
    for (const client_id of clients.slice(0, 3)) {
      const rows = await runAll(engine, q, { ...range, client_id, all_clients: false });
      expect(rows.length).to.be.greaterThan(0);
      expect(rows.filter((r) => clientOf.get(r.order_id as number) !== client_id)).to.deep.equal([]);
    }
    const all = await runAll(engine, q, { ...range, client_id: clients[0]!, all_clients: true });
    expect(all.length).to.equal(lake.orders.length);
  });

  it('pages of all_orders_by_range cover every row once, in order', async () => {
    const q = catalog().get('all_orders_by_range')!;
    const params = { from: new Date('2024-02-01Z'), to: new Date('2024-03-01Z'), client_id: clients[0]!, all_clients: false };
    const small = await runAll(engine, q, params, 37);
    const big = await runAll(engine, q, params, 1000);
    expect(small).to.deep.equal(big);
    expect(new Set(small.map((r) => r.order_id)).size).to.equal(small.length);
  });

  it('queries run concurrently without mixing answers', async () => {
    const q = catalog().get('count_trackcode_by_range')!;
    const jobs = clients.slice(0, 3).flatMap((client_id) =>
      ranges().slice(0, 4).map(([, from, to]) => ({ from, to, client_id, all_clients: false })),
    );
    const answers = await Promise.all(jobs.map((p) => runAll(engine, q, p)));
    answers.forEach((a, i) => expect(a).to.deep.equal(reference[q.name]!(lake, jobs[i]!)));
  });
});
