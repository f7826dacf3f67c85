/**
 * The process's engine, chosen by configuration (LAKEGATE_ENGINE) and created once: module
 * scope keeps it alive across warm Lambda invocations and serverless-offline requests.
 */
import { engineConfig, lakeDir } from '../config.ts';
import { lazy } from '../once.ts';
import type { QueryEngine } from './types.ts';

/** A failed start is retried by the next request, not cached. */
const engine = lazy(createEngine);

export function getEngine(): Promise<QueryEngine> {
  return engine.get();
}

async function createEngine(): Promise<QueryEngine> {
  const cfg = engineConfig();
  if (cfg.engine === 'athena') {
    const { AthenaEngine } = await import('./athena.ts');
    return AthenaEngine.fromConfig();
  }
  // Imported lazily: the native DuckDB module is not in the Lambda bundle (Athena runs there).
  const { DuckDbEngine } = await import('./duckdb.ts');
  return DuckDbEngine.create({ lakeDir: lakeDir(), threads: cfg.duckdbThreads, memoryMb: cfg.duckdbMemoryMb });
}

/** For tests: use this engine instead of the configured one. */
export function setEngine(e: QueryEngine | undefined): void {
  engine.set(e);
}
