/**
 * One side of the usage bench (bench/usage.ts runs it twice, in fresh processes, because the
 * configuration is read once per process): warm in-process calls of a query handler over an
 * engine that answers at once, and of the token authorizer's Lambda handler. stdout goes to
 * /dev/null (it carries the access lines and EMF documents); the figures go to the file argv[2].
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { AccessTableCache } from '../src/lambda/access/table.ts';
import { serializeAccessTable } from '../src/lambda/access/model.ts';
import { Authorizer, tokenAuthorizerHandler } from '../src/lambda/identity/authorizer.ts';
import { mintToken } from '../src/lambda/identity/tokens/mint.ts';
import { publicVerificationKey } from '../src/lambda/identity/tokens/verify.ts';
import { catalog } from '../src/lambda/catalog.ts';
import { setEngine } from '../src/lambda/engine/index.ts';
import type { QueryEngine, QueryRequest, QueryResult } from '../src/lambda/engine/types.ts';
import { queryHandler } from '../src/lambda/api/query-handler.ts';
import { limitsConfig } from '../src/lambda/config.ts';
import { Limiter, setLimiter } from '../src/lambda/limits/limiter.ts';
import { SqliteLimitStore } from '../src/lambda/limits/store.ts';
import { loadUsageKeys } from '../src/lambda/limits/usage-key.ts';
import { median, percentile } from '../src/shared/stats.ts';

const CALLS = 20_000;

class InstantEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  async run(r: QueryRequest): Promise<QueryResult> {
    return { columns: r.query.columns, rows: [{ orders: 1234 }], cursor: null, stats: { engine: 'duckdb', source: 'raw', elapsedMs: 0.01 } };
  }
  async close() {}
}

async function timed(calls: number, once: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 1000; i++) await once(); // warm
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await once();
    ms.push(performance.now() - t);
  }
  return ms;
}

setEngine(new InstantEngine());
const limits = limitsConfig();
if (limits.enabled) {
  // The configured SQLite store, on a clock that moves 100 ms per request: every request is
  // admitted (the bench measures the limiter's bookkeeping, not refusals).
  let now = Date.UTC(2024, 5, 1);
  setLimiter(new Limiter(await SqliteLimitStore.open(limits.database), () => (now += 100)));
}
const handler = queryHandler('count_orders_by_range');
const event = {
  multiValueQueryStringParameters: { from: ['2024-03-01'], to: ['2024-03-08'] },
  headers: {},
  requestContext: { requestId: 'bench', authorizer: { clientId: '4', rowScope: 'own', maxRangeDays: '366', plan: 'premium' } },
} as unknown as APIGatewayProxyEvent;
const handlerMs = await timed(CALLS, async () => {
  const r = await handler(event);
  if (r.statusCode !== 200) throw new Error(`bench request answered ${r.statusCode}: ${r.body}`);
});

const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const names = [...catalog().keys()];
const rules = [{ client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own' as const, max_range_days: 366 }];
const store = { location: 'memory', read: async () => ({ changed: true as const, version: '1', body: serializeAccessTable(rules) }) };
const policy = { issuer: 'bench', audience: 'bench', clockToleranceSec: 30, maxTokenBytes: 4096, maxAgeSec: 86400 };
const verification = publicVerificationKey(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
const authorizer = new Authorizer(new Map([[verification.kid, verification]]), policy, new AccessTableCache(store, { ttlMs: 3_600_000, maxStaleMs: 3_600_000, readTimeoutMs: 1000 }), names);
const authorize = tokenAuthorizerHandler(async () => authorizer, loadUsageKeys);
const token = mintToken(pair.privateKey, 4, { issuer: 'bench', audience: 'bench', ttlSec: 3600 });
const authEvent = { type: 'TOKEN' as const, authorizationToken: `Bearer ${token}`, methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/count_orders_by_range' };
const authorizerMs = await timed(CALLS, () => authorize(authEvent));

writeFileSync(process.argv[2]!, JSON.stringify({
  handler: { median: median(handlerMs), p99: percentile(handlerMs, 99) },
  authorizer: { median: median(authorizerMs), p99: percentile(authorizerMs, 99) },
}));
