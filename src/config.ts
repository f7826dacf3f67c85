/**
 * The one place that reads the environment. Each section is read and validated once, on first
 * use, so a Lambda with a missing or malformed variable fails at cold start with a message
 * naming the variable, not in the middle of a request.
 *
 * Locally everything has a working default (the embedded DuckDB engine over `.lake/`, keys in
 * `.keys/`); on AWS, serverless.yml sets the variables.
 */
import path from 'node:path';

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
};

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

function intVar(name: string, fallback: number, min: number, max: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return n;
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const raw = env(name) ?? fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}`);
  return raw as T;
}

function memo<T>(read: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: read() }).v;
}

/** Project root: where package.json, queries/ and the default lake live (the Lambda task root on AWS). */
export const projectRoot = memo(() => path.resolve(env('LAKEGATE_ROOT') ?? process.cwd()));

export const queriesDir = memo(() => path.resolve(projectRoot(), env('LAKEGATE_QUERIES_DIR') ?? 'queries'));

/** Where the local lake is (fake-data output, DuckDB input, local access-control table). */
export const lakeDir = memo(() => path.resolve(projectRoot(), env('LAKEGATE_LAKE_DIR') ?? '.lake'));

/** Where local keys live (git-ignored): the JWT key pair and the page-token secret. */
export const keysDir = memo(() => path.resolve(projectRoot(), env('LAKEGATE_KEYS_DIR') ?? '.keys'));

export type EngineName = 'duckdb' | 'athena';

export const engineConfig = memo(() => ({
  engine: oneOf<EngineName>('LAKEGATE_ENGINE', ['duckdb', 'athena'], 'duckdb'),
  /** DuckDB: worker threads and memory cap per process (serverless-offline runs one process per worker). */
  duckdbThreads: intVar('LAKEGATE_DUCKDB_THREADS', 2, 1, 64),
  duckdbMemoryMb: intVar('LAKEGATE_DUCKDB_MEMORY_MB', 1024, 64, 1 << 20),
  /**
   * Time a request may spend in the engine before it is cut off (ms). Kept under API Gateway's
   * 29 s integration timeout so the client always gets our answer, not the gateway's 504.
   */
  queryDeadlineMs: intVar('LAKEGATE_QUERY_DEADLINE_MS', 25_000, 100, 28_000),
}));
