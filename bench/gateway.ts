/**
 * End to end through serverless-offline with autocannon: a named query, beside the bare engine
 * time of the same SQL and the emulator's floor (GET /whoami: same authorizer, no engine).
 */
import autocannon from 'autocannon';
import { catalog } from '../src/catalog.ts';
import { DuckDbEngine } from '../src/engine/duckdb.ts';
import { startGateway } from '../scripts/gateway.ts';
import { localToken } from './authorizer.ts';
import { median, WEEK } from './queries.ts';

export interface LoadFigure {
  path: string;
  medianMs: number;
  p99Ms: number;
  reqPerSec: number;
  requests: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, token: string, seconds: number, connections: number): Promise<LoadFigure> {
  const r = await autocannon({ url, connections, duration: seconds, headers: { Authorization: `Bearer ${token}` } });
  return {
    path: new URL(url).pathname,
    medianMs: r.latency.p50,
    p99Ms: r.latency.p99,
    reqPerSec: r.requests.average,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

export async function measureGateway(lakeDir: string, keysDir: string, seconds: number, connections: number) {
  const query = 'count_orders_by_range';
  const range = `from=${WEEK.from.toISOString()}&to=${WEEK.to.toISOString()}`;
  const token = localToken(keysDir, 4);

  const engine = await DuckDbEngine.create({ lakeDir, threads: 2, memoryMb: 1024 });
  const q = catalog().get(query)!;
  const ms: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await engine.run({ query: q, params: { ...WEEK, client_id: 4, all_clients: false }, deadline: Date.now() + 30_000 });
    ms.push(performance.now() - t);
  }
  await engine.close();

  const gateway = await startGateway({ LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_LOG_LEVEL: 'warn' });
  try {
    // Warm-up: serverless-offline starts a worker (and, for queries, a DuckDB instance) per
    // concurrent invocation; measure only once they exist.
    await load(`${gateway.url}/${query}?${range}`, token, 3, connections);
    await load(`${gateway.url}/whoami`, token, 3, connections);
    const endToEnd = await load(`${gateway.url}/${query}?${range}`, token, seconds, connections);
    const floor = await load(`${gateway.url}/whoami`, token, seconds, connections);
    return { engineMedianMs: median(ms), endToEnd, floor };
  } finally {
    await gateway.stop();
  }
}
