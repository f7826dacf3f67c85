/** Each named query's DuckDB latency (median of N runs) and the share of fact bytes it reads. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { catalog } from '../src/lambda/catalog.ts';
import { DuckDbEngine } from '../src/lambda/engine/duckdb/engine.ts';
import type { QueryParams } from '../src/lambda/engine/types.ts';
import { FACT_TABLES } from '../src/lambda/lake/layout.ts';
import { PseudonymKey } from '../src/lambda/privacy/pseudonym-key.ts';
import { randomBytes } from 'node:crypto';
import { engineMedian } from './engine-median.ts';


function factBytes(lake: string): number {
  return FACT_TABLES.flatMap((t) =>
    readdirSync(path.join(lake, t), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(path.join(e.parentPath, e.name)).size),
  ).reduce((a, b) => a + b, 0);
}

export interface QueryFigure {
  query: string;
  week: number;
  year: number;
  weekBytesShare: number;
}

export const WEEK = { from: new Date('2024-06-03T00:00:00Z'), to: new Date('2024-06-10T00:00:00Z') };
export const YEAR = { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-12-31T00:00:00Z') };

export async function measureQueries(lake: string, clientId: number, runs: number): Promise<QueryFigure[]> {
  const engine = await DuckDbEngine.create({ lakeDir: lake, threads: 2, memoryMb: 1024 });
  // Bytes read are measured without caches, so each query's figure is what it reads from storage.
  const cold = await DuckDbEngine.create({ lakeDir: lake, threads: 2, memoryMb: 1024, caches: false });
  const total = factBytes(lake);
  // What a client gets by default: personal columns masked (the key's value does not change the work).
  const privacy = { mode: 'masked' as const, key: new PseudonymKey(randomBytes(32)) };
  const figures: QueryFigure[] = [];
  try {
    for (const query of catalog().values()) {
      const request = (range: typeof WEEK) => ({
        query,
        params: { ...range, client_id: clientId, all_clients: false, ...(query.limit ? { limit: query.limit.default } : {}) } as QueryParams,
        deadline: Date.now() + 60_000,
        privacy,
        ...(query.page ? { page: { size: query.page.default } } : {}),
      });
      const time = async (range: typeof WEEK) => (await engineMedian(engine, () => request(range), runs)).ms;
      const profile = await cold.profile(request(WEEK));
      figures.push({ query: query.name, week: await time(WEEK), year: await time(YEAR), weekBytesShare: profile.bytesRead / total });
    }
  } finally {
    await engine.close();
    await cold.close();
  }
  return figures;
}
