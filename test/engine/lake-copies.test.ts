/**
 * The embedded engine's in-memory copies of the lake (src/lambda/engine/duckdb/lake-copies.ts): answers
 * from memory are the answers from the files, for every query and range; a partition rewritten
 * after it was copied is read from its files at once and copied again; a table over the budget is
 * never copied; a partition that lost its files still answers 503.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { catalog } from '../../src/lambda/catalog.ts';
import { LakeCopies } from '../../src/lambda/engine/duckdb/lake-copies.ts';
import { DuckDbEngine } from '../../src/lambda/engine/duckdb/engine.ts';
import type { QueryParams } from '../../src/lambda/engine/types.ts';
import { DataUnavailable } from '../../src/lambda/errors.ts';
import { LAKE_TABLES, type LakeTable } from '../../src/lambda/lake/layout.ts';
import { eventually } from '../helpers/eventually.ts';
import { runAll } from '../helpers/engine.ts';
import { rewriteParquet, scratchPath, testLake } from '../helpers/lake.ts';

const RUNS = Number(process.env.LAKEGATE_FUZZ_RUNS ?? 30);
const Z = (s: string) => new Date(s.includes('T') ? `${s}Z` : `${s}T00:00:00Z`);
const table = (name: string) => LAKE_TABLES.find((t) => t.name === name)! as LakeTable;

describe('in-memory copies of the lake (embedded engine)', function () {
  this.timeout(300_000);
  let dir: string;
  let copied: DuckDbEngine;
  let files: DuckDbEngine;

  before(async () => {
    dir = scratchPath('lake-copies');
    cpSync((await testLake()).dir, dir, { recursive: true, preserveTimestamps: true });
    copied = await DuckDbEngine.create({ lakeDir: dir, threads: 2, memoryMb: 512, lakeCopyMb: 256 });
    await copied.copiesReady();
    files = await DuckDbEngine.create({ lakeDir: dir, threads: 2, memoryMb: 512, lakeCopyMb: 0 });
  });
  after(async () => {
    await copied?.close();
    await files?.close();
  });

  it('answers from memory equal the answers from the files, for every query, range and scope (fast-check)', async () => {
    const names = [...catalog().keys()];
    const day = fc.integer({ min: Date.UTC(2023, 11, 25), max: Date.UTC(2025, 0, 5) });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), day, fc.integer({ min: 1, max: 40 * 24 }), fc.boolean(), async (name, from, hours, all) => {
        const query = catalog().get(name)!;
        const params: QueryParams = { from: new Date(from), to: new Date(from + hours * 3_600_000), client_id: 4, all_clients: all, ...(query.limit ? { limit: 10 } : {}) };
        expect(await runAll(copied, query, params, 250), `${name} ${params.from.toISOString()} +${hours} h`).to.deep.equal(await runAll(files, query, params, 250));
      }),
      { numRuns: RUNS },
    );
  });

  it('a fact partition rewritten after it was copied is read from its files at once, then copied again', async () => {
    const query = catalog().get('count_orders_by_range')!;
    const params: QueryParams = { from: Z('2024-03-05T06:00:00'), to: Z('2024-03-05T20:00:00'), client_id: 4, all_clients: true };
    const run = async (e: DuckDbEngine) => (await e.run({ query, params, deadline: Date.now() + 60_000 })).rows;
    const before = await run(copied);
    await rewriteParquet(path.join(dir, 'orders', 'dt=2024-03-05'), 'order_id % 3 <> 0');
    const after = await run(files);
    expect(after[0]!.orders).to.be.lessThan(before[0]!.orders as number);
    expect(await run(copied), 'the first answer after the rewrite').to.deep.equal(after);
    await copied.copiesReady(); // the changed day copied again
    expect(await run(copied), 'from the refreshed copy').to.deep.equal(after);
  });

  it('a dimension table rewritten after it was copied is read from its files at once', async () => {
    const query = catalog().get('most_required_service_by_range')!;
    const params: QueryParams = { from: Z('2024-03-01'), to: Z('2024-03-08'), client_id: 4, all_clients: false };
    const run = async (e: DuckDbEngine) => (await e.run({ query, params, deadline: Date.now() + 60_000 })).rows;
    await rewriteParquet(path.join(dir, 'service'), "name <> 'express'");
    expect(await run(copied)).to.deep.equal(await run(files));
    expect((await run(copied)).map((r) => r.service)).to.not.include('express');
    await copied.copiesReady();
    expect(await run(copied)).to.deep.equal(await run(files));
  });

  it('a partition whose data files are gone answers 503 data_unavailable, as from the files', async () => {
    const folder = path.join(dir, 'orders', 'dt=2024-03-06');
    for (const f of readdirSync(folder)) rmSync(path.join(folder, f));
    const query = catalog().get('all_orders_by_range')!;
    const params: QueryParams = { from: Z('2024-03-06'), to: Z('2024-03-07'), client_id: 4, all_clients: false };
    for (const e of [copied, files]) {
      const error = await e.run({ query, params, page: { size: 10 }, deadline: Date.now() + 60_000 }).then(() => undefined, (x: unknown) => x);
      expect(error).to.be.instanceOf(DataUnavailable);
    }
  });

  describe('LakeCopies', () => {
    let db: DuckDBInstance;
    before(async () => {
      db = await DuckDBInstance.create(':memory:');
    });
    after(() => db?.closeSync());

    it('copies a table that fits the budget, and names it as the relation once every day read is as copied', async () => {
      const copies = new LakeCopies(db, dir, 256 * 2 ** 20);
      const trackcode = table('trackcode');
      expect(await copies.relation(trackcode, ['2024-02-01']), 'while the copy is made').to.equal(undefined);
      await copies.ready();
      expect(await copies.relation(trackcode, ['2024-02-01', '2024-02-02'])).to.equal('SELECT * FROM main.lake_copy_trackcode');
    });

    it('never copies a table over the budget: its files are read', async () => {
      const copies = new LakeCopies(db, dir, 1024);
      copies.prime([table('orders')]);
      await copies.ready();
      expect(await copies.relation(table('orders'), ['2024-02-01'])).to.equal(undefined);
    });

    it('a day that appears after the copy is made is stale until it is copied too', async () => {
      const copies = new LakeCopies(db, dir, 256 * 2 ** 20);
      const trackcode = table('trackcode');
      copies.prime([trackcode]);
      await copies.ready();
      const day = '2024-02-10';
      const moved = path.join(dir, 'trackcode', `dt=${day}`);
      cpSync(moved, `${moved}.away`, { recursive: true });
      rmSync(moved, { recursive: true });
      try {
        expect(await copies.relation(trackcode, [day])).to.equal(undefined); // gone: copied again (as empty)
        await copies.ready();
        expect(await copies.relation(trackcode, [day])).to.not.equal(undefined);
        cpSync(`${moved}.away`, moved, { recursive: true });
        expect(await copies.relation(trackcode, [day])).to.equal(undefined); // back: copied again
        await eventually(async () => expect(await copies.relation(trackcode, [day])).to.not.equal(undefined), { timeoutMs: 10_000 });
      } finally {
        rmSync(`${moved}.away`, { recursive: true, force: true });
      }
    });
  });
});
