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
  /**
   * DuckDB threads and memory cap per engine instance. serverless-offline runs one instance per
   * concurrent invocation (each worker its own DuckDB), so parallelism comes from instances:
   * one thread and a modest cap each keep a busy gateway's footprint bounded.
   */
  duckdbThreads: intVar('LAKEGATE_DUCKDB_THREADS', 1, 1, 64),
  duckdbMemoryMb: intVar('LAKEGATE_DUCKDB_MEMORY_MB', 512, 64, 1 << 20),
  /**
   * Time a request may spend in the engine before it is cut off (ms). Kept under API Gateway's
   * 29 s integration timeout so the client always gets our answer, not the gateway's 504.
   */
  queryDeadlineMs: intVar('LAKEGATE_QUERY_DEADLINE_MS', 25_000, 100, 28_000),
}));

/** The token authorizer's settings (DESIGN §5). */
export const authConfig = memo(() => ({
  issuer: env('LAKEGATE_JWT_ISSUER') ?? 'lakegate-local',
  audience: env('LAKEGATE_JWT_AUDIENCE') ?? 'lakegate-api',
  clockToleranceSec: intVar('LAKEGATE_JWT_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
  maxTokenBytes: intVar('LAKEGATE_JWT_MAX_BYTES', 4096, 256, 10240),
  maxAgeSec: intVar('LAKEGATE_JWT_MAX_AGE_SECONDS', 30 * 86400, 60, 366 * 86400),
  /** PEM of the public key, inline (wins over the file and the parameter). */
  publicKeyPem: env('LAKEGATE_JWT_PUBLIC_KEY'),
  /** SSM parameter holding the PEM (AWS), read once per cold start. */
  publicKeyParameter: env('LAKEGATE_JWT_PUBLIC_KEY_PARAMETER'),
  /** HS256 only when a deployment explicitly sets a shared secret. */
  hs256Secret: env('LAKEGATE_JWT_HS256_SECRET'),
  /** `s3://bucket/key` of the access table on AWS; locally the lake's file. */
  aclS3Uri: env('LAKEGATE_ACL_S3_URI'),
  aclTtlMs: intVar('LAKEGATE_ACL_TTL_MS', 10_000, 0, 3_600_000),
  aclMaxStaleMs: intVar('LAKEGATE_ACL_MAX_STALE_MS', 60_000, 0, 3_600_000),
  aclReadTimeoutMs: intVar('LAKEGATE_ACL_READ_TIMEOUT_MS', 2_000, 50, 10_000),
}));

/** Page tokens (nextToken) are signed with this secret so clients cannot forge or alter them. */
export const pageTokenConfig = memo(() => ({
  /** base64 secret inline (tests), else the SSM SecureString parameter (AWS), else the local key file. */
  secret: env('LAKEGATE_PAGE_TOKEN_SECRET'),
  secretParameter: env('LAKEGATE_PAGE_TOKEN_SECRET_PARAMETER'),
  ttlSec: intVar('LAKEGATE_PAGE_TOKEN_TTL_SECONDS', 3600, 60, 7 * 86400),
}));

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const logLevel = memo(() => oneOf<LogLevel>('LAKEGATE_LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'], 'info'));

/** The Athena engine (AWS). Required only when LAKEGATE_ENGINE=athena. */
export const athenaConfig = memo(() => {
  const required = (name: string): string => {
    const v = env(name);
    if (!v) throw new ConfigError(name, 'is required when LAKEGATE_ENGINE=athena');
    return v;
  };
  return {
    workGroup: required('LAKEGATE_ATHENA_WORKGROUP'),
    database: required('LAKEGATE_GLUE_DATABASE'),
    /** Reuse a result of the same query text and parameters up to this age (0 = never). */
    resultReuseMinutes: intVar('LAKEGATE_ATHENA_RESULT_REUSE_MINUTES', 0, 0, 10080),
    /** Most rows an unpaginated query may return (a guard; the eight queries return far fewer). */
    maxRows: intVar('LAKEGATE_ATHENA_MAX_ROWS', 10_000, 1, 1_000_000),
  };
});
