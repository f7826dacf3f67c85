/** The median of in-process engine runs of one request, after warm-up runs (caches, in-memory copies). */
import type { DuckDbEngine } from '../src/lambda/engine/duckdb/engine.ts';
import type { QueryRequest } from '../src/lambda/engine/types.ts';
import { median } from '../src/shared/stats.ts';

export async function engineMedian(engine: DuckDbEngine, request: () => QueryRequest, runs: number, warmups = 1): Promise<{ ms: number; source: string }> {
  let source = '';
  for (let i = 0; i < warmups; i++) source = String((await engine.run(request())).stats.source);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await engine.run(request());
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), source };
}
