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
   * DuckDB threads and memory cap of the engine instance. The local gateway runs every function in
   * one process sharing one instance (src/lambda/process-shared.ts); on AWS each function
   * instance has its own. One thread and a modest cap keep a busy gateway's footprint bounded.
   */
  duckdbThreads: intVar('LAKEGATE_DUCKDB_THREADS', 1, 1, 64),
  duckdbMemoryMb: intVar('LAKEGATE_DUCKDB_MEMORY_MB', 512, 64, 1 << 20),
  /**
   * Memory for in-memory copies of the lake's tables (MiB; 0 = off): a table that fits is read
   * from memory, exactly as its files are now (src/lambda/engine/duckdb/lake-copies.ts).
   */
  duckdbLakeCopyMb: intVar('LAKEGATE_DUCKDB_LAKE_COPY_MB', 256, 0, 1 << 20),
  /**
   * Time a request may spend in the engine before it is cut off (ms). Kept under API Gateway's
   * 29 s integration timeout so the client always gets our answer, not the gateway's 504.
   */
  queryDeadlineMs: intVar('LAKEGATE_QUERY_DEADLINE_MS', 25_000, 100, 28_000),
}));

/** The token authorizer's settings (docs/design.md §5). */
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
  /** How long the local key ring is trusted before one stat re-checks it (rotation/retirement delay). */
  keysTtlMs: intVar('LAKEGATE_KEYS_TTL_MS', 5_000, 0, 60_000),
  /**
   * KMS signing keys (ids or ARNs, comma-separated, the current one first) on AWS: the token
   * function signs with the first; the authorizer and the JWKS accept them all.
   */
  signingKeyIds: (env('LAKEGATE_SIGNING_KEY_IDS') ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''),
}));

/**
 * The OAuth 2.0 token endpoint (docs/design.md §9): where client secrets are kept (a store of its own,
 * never the access table), token lifetime, and the brute-force guard.
 */
export const oauthConfig = memo(() => ({
  /** Local credentials store: JSON Lines of hashed secrets, under the git-ignored keys folder. */
  credentialsFile: path.resolve(keysDir(), env('LAKEGATE_CREDENTIALS_FILE') ?? 'client_secrets.jsonl'),
  /** `s3://bucket/key` of the credentials store on AWS (its own bucket; only the token function reads it). */
  credentialsS3Uri: env('LAKEGATE_CREDENTIALS_S3_URI'),
  credentialsTtlMs: intVar('LAKEGATE_CREDENTIALS_TTL_MS', 5_000, 0, 600_000),
  /** Default access-token lifetime (an access rule may set its own `token_ttl_seconds`). */
  tokenTtlSec: intVar('LAKEGATE_TOKEN_TTL_SECONDS', 3600, 60, 86400),
  /** Failed authentications of one client id allowed per window before 429. */
  maxFailures: intVar('LAKEGATE_OAUTH_MAX_FAILURES', 5, 1, 1000),
  failureWindowSec: intVar('LAKEGATE_OAUTH_FAILURE_WINDOW_SECONDS', 60, 1, 3600),
  /**
   * Failure windows kept for ids that name no client (made up, or malformed), oldest evicted
   * first; known clients' windows are never evicted (src/lambda/identity/oauth/failures.ts).
   */
  maxUnknownWindows: intVar('LAKEGATE_OAUTH_MAX_UNKNOWN_WINDOWS', 10_000, 1, 1_000_000),
}));

/**
 * An existing identity provider whose tokens the authorizer also accepts (docs/design.md §9): its JWKS
 * URL, issuer, audience and the claim naming its client. Unset URL = none.
 */
export const providerConfig = memo(() => {
  const url = env('LAKEGATE_JWKS_URL');
  if (url === undefined) return undefined;
  const issuer = env('LAKEGATE_JWKS_ISSUER');
  const audience = env('LAKEGATE_JWKS_AUDIENCE');
  if (!issuer) throw new ConfigError('LAKEGATE_JWKS_ISSUER', 'is required with LAKEGATE_JWKS_URL');
  if (!audience) throw new ConfigError('LAKEGATE_JWKS_AUDIENCE', 'is required with LAKEGATE_JWKS_URL');
  const clientClaim = env('LAKEGATE_CLIENT_CLAIM') ?? 'sub';
  if (!/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/.test(clientClaim)) throw new ConfigError('LAKEGATE_CLIENT_CLAIM', 'must be a claim name');
  return {
    url, issuer, audience, clientClaim,
    fetchTimeoutMs: intVar('LAKEGATE_JWKS_FETCH_TIMEOUT_MS', 3_000, 100, 10_000),
    refetchCooldownMs: intVar('LAKEGATE_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
    refreshIntervalMs: intVar('LAKEGATE_JWKS_REFRESH_MS', 600_000, 1_000, 86_400_000),
    /** While the provider is down, its last good key set is used this long, then its tokens are denied. */
    maxStaleMs: intVar('LAKEGATE_JWKS_MAX_STALE_MS', 3_600_000, 0, 86_400_000),
  };
});

/** Page tokens (nextToken) are signed with this secret so clients cannot forge or alter them. */
export const pageTokenConfig = memo(() => ({
  /** base64 secret inline (tests), else the SSM SecureString parameter (AWS), else the local key file. */
  secret: env('LAKEGATE_PAGE_TOKEN_SECRET'),
  secretParameter: env('LAKEGATE_PAGE_TOKEN_SECRET_PARAMETER'),
  ttlSec: intVar('LAKEGATE_PAGE_TOKEN_TTL_SECONDS', 3600, 60, 7 * 86400),
}));

/**
 * The per-deployment secret personal values' pseudonyms are keyed with (docs/privacy.md):
 * base64 inline (tests), else the SSM SecureString parameter (AWS), else the local key file.
 * Re-read after its TTL, so a rotation gives new pseudonyms within it.
 */
export const pseudonymConfig = memo(() => ({
  secret: env('LAKEGATE_PSEUDONYM_SECRET'),
  secretParameter: env('LAKEGATE_PSEUDONYM_SECRET_PARAMETER'),
  ttlMs: intVar('LAKEGATE_PSEUDONYM_SECRET_TTL_MS', 60_000, 0, 3_600_000),
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
    /** `s3://<data bucket>/rollups.json`: the daily rollups' record (unset = aggregates read raw). */
    rollupRecordUri: env('LAKEGATE_ROLLUP_RECORD_S3_URI'),
    /** How long a listing of a month's source and rollup objects decides which days are fresh. */
    rollupFreshnessTtlMs: intVar('LAKEGATE_ROLLUP_FRESHNESS_TTL_MS', 5_000, 0, 60_000),
  };
});

/** Where `npm start` appends the access log (git-ignored, like the limiter's state). */
export const DEFAULT_ACCESS_LOG = '.usage/access.log';

/** Usage metering: the access log's local file, CloudWatch EMF metrics, API keys. */
export const usageConfig = memo(() => {
  const file = env('LAKEGATE_ACCESS_LOG_FILE');
  return {
    /** Also append each access line to this file (`npm start` sets DEFAULT_ACCESS_LOG; unset = stdout only). */
    accessLogFile: file === undefined ? undefined : path.resolve(projectRoot(), file),
    /** The file `npm run usage` reads locally. */
    accessLogToRead: path.resolve(projectRoot(), file ?? DEFAULT_ACCESS_LOG),
    /** The file's rotation (usage/rotating-file.ts): its largest size, and the rotated files kept. */
    accessLogRotation: {
      maxBytes: intVar('LAKEGATE_ACCESS_LOG_MAX_MB', 64, 1, 65_536) * 2 ** 20,
      keep: intVar('LAKEGATE_ACCESS_LOG_KEEP', 4, 1, 1000),
    },
    /** `emf`: one CloudWatch EMF document per request on stdout (set on AWS); `off` locally. */
    metrics: oneOf<'emf' | 'off'>('LAKEGATE_METRICS', ['emf', 'off'], 'off'),
    /** Secret from which each client's API key value is derived (base64 inline: tests). */
    usageKeySecret: env('LAKEGATE_USAGE_KEY_SECRET'),
    /** SSM SecureString holding that secret (AWS). Neither set: the authorizer returns no usage key. */
    usageKeySecretParameter: env('LAKEGATE_USAGE_KEY_SECRET_PARAMETER'),
  };
});

/**
 * The handler's own rate and quota limiter. On AWS, API Gateway's usage plans enforce the plans,
 * so it is `off` there; `npm start` turns it `on`, with its state in a small SQLite file shared
 * by every function of the local gateway (each function is a bundle of its own, with its own
 * copy of this module).
 */
export const limitsConfig = memo(() => ({
  enabled: oneOf<'on' | 'off'>('LAKEGATE_LIMITS', ['on', 'off'], 'off') === 'on',
  /** SQLite file of the buckets and day counters (`:memory:` = this process only). */
  database: ((db) => (db === ':memory:' ? db : path.resolve(projectRoot(), db)))(env('LAKEGATE_LIMITS_DB') ?? '.usage/limits.db'),
}));

/**
 * Parse an allow-list of browser origins (`https://app.example.com,http://localhost:5173`):
 * exact origins only (scheme, host, optional port; no path, no wildcard, no `null`), since an
 * allowed origin may read every answer its page's token can get.
 */
export function parseCorsOrigins(raw: string | undefined, variable = 'LAKEGATE_CORS_ORIGINS'): readonly string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((part) => {
    const origin = part.trim();
    if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
      throw new ConfigError(variable, `must list origins like https://app.example.com, separated by commas (got "${origin}")`);
    }
    return origin;
  });
}

/** CORS: which other origins' pages may call the API from a browser (default none: the playground is same-origin). */
export const corsConfig = memo(() => ({ origins: parseCorsOrigins(env('LAKEGATE_CORS_ORIGINS')) }));

/**
 * Running under serverless-offline (`npm start`, the test gateways): it sets IS_OFFLINE for every
 * handler. There the authorizer's context must carry a seal made with the key the local gateway
 * creates at each start (serverless/offline-gateway.cjs), so nothing but its authorizer can hand
 * a handler a client scope. On AWS, API Gateway is the functions' only invoker.
 */
export const offlineConfig = memo(() => {
  const sealKey = env('LAKEGATE_AUTHORIZER_SEAL_KEY');
  if (sealKey !== undefined && Buffer.from(sealKey, 'base64').length < 32) throw new ConfigError('LAKEGATE_AUTHORIZER_SEAL_KEY', 'must be at least 32 bytes, base64');
  return { offline: env('IS_OFFLINE') === 'true', sealKey: sealKey === undefined ? undefined : Buffer.from(sealKey, 'base64') };
});
