/**
 * The process's engine, chosen by configuration (LAKEGATE_ENGINE) and created once: it lives
 * across warm Lambda invocations, and under `npm start` one engine (one DuckDB instance, one
 * copy of the rollups) serves every function of the local gateway (src/lambda/process-shared.ts).
 */
import { engineConfig } from '../config.ts';
import { processShared } from '../process-shared.ts';
import type { QueryEngine } from './types.ts';

/** A failed start is retried by the next request, not cached. */
const engine = processShared('engine', createEngine, (e) => e.close());

export function getEngine(): Promise<QueryEngine> {
  return engine.get();
}

async function createEngine(): Promise<QueryEngine> {
  if (engineConfig().engine === 'athena') {
    const { AthenaEngine } = await import('./athena/engine.ts');
    return AthenaEngine.fromConfig();
  }
  // Imported lazily: the native DuckDB module is not in the Lambda bundle (Athena runs there).
  const { DuckDbEngine } = await import('./duckdb/engine.ts');
  return DuckDbEngine.fromConfig();
}

/** For tests: use this engine instead of the configured one. */
export function setEngine(e: QueryEngine | undefined): void {
  engine.set(e);
}
