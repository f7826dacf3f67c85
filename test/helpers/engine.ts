import { DuckDbEngine } from '../../src/lambda/engine/duckdb/engine.ts';
import type { NamedQuery } from '../../src/lambda/catalog.ts';
import type { QueryEngine, QueryParams, Row } from '../../src/lambda/engine/types.ts';
import type { Privacy } from '../../src/lambda/privacy/statements.ts';

/** The stored values: what the engine tests compare with the reference (masking is test/engine/privacy.test.ts's and the journeys'). */
export const CLEAR: Privacy = { mode: 'clear' };

/** The embedded engine over a lake; with caches, its in-memory copies of the lake are made before it is returned. */
export async function openDuckDb(lakeDir: string, caches = true): Promise<DuckDbEngine> {
  const engine = await DuckDbEngine.create({ lakeDir, threads: 2, memoryMb: 512, caches, lakeCopyMb: caches ? 256 : 0 });
  await engine.copiesReady();
  return engine;
}

/** Every row of a query: all pages followed for paginated queries; personal columns clear unless `privacy` says otherwise. */
export async function runAll(engine: QueryEngine, query: NamedQuery, params: QueryParams, pageSize = 1000, privacy: Privacy = CLEAR): Promise<Row[]> {
  const deadline = Date.now() + 30_000;
  if (!query.page) return [...(await engine.run({ query, params, deadline, privacy })).rows];
  const rows: Row[] = [];
  let cursor: string | undefined;
  do {
    const r = await engine.run({ query, params, deadline, privacy, page: { size: pageSize }, ...(cursor ? { cursor } : {}) });
    rows.push(...r.rows);
    cursor = r.cursor ?? undefined;
  } while (cursor);
  return rows;
}
