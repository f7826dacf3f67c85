/**
 * Rollups (docs/design.md §12): each aggregate query's 7-day and 365-day medians through the rollups, the
 * 365-day median forced raw, the first 100-row page of all_orders_by_range over 7 and 365 days,
 * bytes read from storage for a 365-day answer (rollup path vs raw, caches off), and the time to
 * build every rollup day of the lake from scratch (into a scratch folder beside the lake's facts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catalog, type NamedQuery } from '../src/lambda/catalog.ts';
import { DuckDbEngine } from '../src/lambda/engine/duckdb/engine.ts';
import type { QueryParams, QueryRequest } from '../src/lambda/engine/types.ts';
import { FACT_TABLES } from '../src/lambda/lake/layout.ts';
import { buildRollups } from '../src/ops/rollups/build.ts';
import { PseudonymKey } from '../src/lambda/privacy/pseudonym-key.ts';
import { engineMedian } from './engine-median.ts';

export const WEEK = { from: new Date('2024-06-03T00:00:00Z'), to: new Date('2024-06-10T00:00:00Z') };
export const YEAR = { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2025-01-01T00:00:00Z') };

export interface RollupFigure {
  query: string;
  week: number;
  year: number;
  yearRaw: number;
  yearSource: string;
  /** Read from storage with caches off: the span's rollup files themselves. */
  bytesRollup: number;
  /** Read from storage by the serving engine (rollup in memory): the raw days only. */
  bytesWarm: number;
  bytesRaw: number;
}

/** What a client gets by default: personal columns masked (the key's value does not change the work). */
const PRIVACY = { mode: 'masked' as const, key: new PseudonymKey(randomBytes(32)) };

const request = (query: NamedQuery, range: typeof WEEK, clientId: number): QueryRequest => ({
  query,
  params: { ...range, client_id: clientId, all_clients: false, ...(query.limit ? { limit: query.limit.default } : {}) } as QueryParams,
  deadline: Date.now() + 120_000,
  privacy: PRIVACY,
  ...(query.page ? { page: { size: query.page.default } } : {}),
});

export async function measureRollups(lake: string, clientId: number, runs: number): Promise<{ queries: RollupFigure[]; page: { week: number; year: number } }> {
  const opts = { lakeDir: lake, threads: 1, memoryMb: 1024 };
  const rollups = await DuckDbEngine.create(opts);
  const raw = await DuckDbEngine.create({ ...opts, rollups: false });
  const coldRollups = await DuckDbEngine.create({ ...opts, caches: false });
  const coldRaw = await DuckDbEngine.create({ ...opts, caches: false, rollups: false });
  const queries: RollupFigure[] = [];
  try {
    for (const query of [...catalog().values()].filter((q) => q.rollup)) {
      const week = await engineMedian(rollups, () => request(query, WEEK, clientId), runs);
      const year = await engineMedian(rollups, () => request(query, YEAR, clientId), runs);
      const yearRaw = await engineMedian(raw, () => request(query, YEAR, clientId), Math.min(runs, 7));
      const bytesRollup = (await coldRollups.profile(request(query, YEAR, clientId), { rollups: true })).bytesRead;
      const bytesWarm = (await rollups.profile(request(query, YEAR, clientId), { rollups: true })).bytesRead;
      const bytesRaw = (await coldRaw.profile(request(query, YEAR, clientId))).bytesRead;
      queries.push({ query: query.name, week: week.ms, year: year.ms, yearRaw: yearRaw.ms, yearSource: year.source, bytesRollup, bytesWarm, bytesRaw });
    }
    const pageQuery = catalog().get('all_orders_by_range')!;
    const page = {
      week: (await engineMedian(raw, () => request(pageQuery, WEEK, clientId), runs)).ms,
      year: (await engineMedian(raw, () => request(pageQuery, YEAR, clientId), Math.min(runs, 7))).ms,
    };
    return { queries, page };
  } finally {
    for (const e of [rollups, raw, coldRollups, coldRaw]) await e.close();
  }
}

/** Seconds to build every rollup day of the lake's facts, in a scratch folder (the lake is not touched). */
export async function measureRollupBuild(lake: string): Promise<{ seconds: number; rows: number; days: number }> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'lakegate-rollup-bench-'));
  try {
    for (const t of FACT_TABLES) symlinkSync(path.join(path.resolve(lake), t), path.join(scratch, t));
    const started = performance.now();
    const reports = await buildRollups({ lakeDir: scratch, progress: false, memoryLimitMb: 2560 });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, rows: reports.reduce((n, r) => n + r.rows, 0), days: reports.reduce((n, r) => n + r.built.length, 0) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
