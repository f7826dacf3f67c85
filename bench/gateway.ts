/**
 * End to end through serverless-offline with autocannon: a 7-day count and the first page of a
 * 7-day listing, each beside the bare engine time of the same request (in-process, the engine
 * configured as the gateway's), and the gateway's floor (GET /whoami: the same authorizer, no
 * engine), with the gateway process's memory.
 */
import autocannon from 'autocannon';
import { localPrivacy } from '../harness/privacy.ts';
import { catalog } from '../src/lambda/catalog.ts';
import { DuckDbEngine } from '../src/lambda/engine/duckdb/engine.ts';
import { rssMiB, startGateway } from '../harness/gateway.ts';
import { localToken } from '../harness/tokens.ts';
import { WEEK } from './queries.ts';
import { engineMedian } from './engine-median.ts';

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

/** Median of `runs` in-process runs of a request, on an engine configured as the gateway's. */
export async function measureGateway(lakeDir: string, keysDir: string, seconds: number, connections: number) {
  const range = `from=${WEEK.from.toISOString()}&to=${WEEK.to.toISOString()}`;
  const token = localToken(keysDir, 4);
  const params = { ...WEEK, client_id: 4, all_clients: false };
  const count = catalog().get('count_orders_by_range')!;
  const listing = catalog().get('all_orders_by_range')!;

  const engine = await DuckDbEngine.fromConfig(lakeDir);
  let countEngineMs: number;
  let listingEngineMs: number;
  try {
    await engine.copiesReady();
    countEngineMs = (await engineMedian(engine, () => ({ query: count, params, deadline: Date.now() + 30_000 }), 30, 5)).ms;
    // Client 4 is masked (no pii in its rule): the engine does what the gateway's handler asks of it.
    const privacy = localPrivacy(keysDir, 'masked');
    listingEngineMs = (await engineMedian(engine, () => ({ query: listing, params, page: { size: listing.page!.default }, deadline: Date.now() + 30_000, privacy }), 30, 5)).ms;
  } finally {
    await engine.close();
  }

  const gateway = await startGateway({ LAKEGATE_LAKE_DIR: lakeDir, LAKEGATE_KEYS_DIR: keysDir, LAKEGATE_LOG_LEVEL: 'warn' });
  try {
    const idleMiB = rssMiB(gateway.pid);
    const urls = { count: `${gateway.url}/${count.name}?${range}`, listing: `${gateway.url}/${listing.name}?${range}`, floor: `${gateway.url}/whoami` };
    // Warm-up: the engine and its in-memory copies of the lake are made on the first requests.
    for (const url of Object.values(urls)) await load(url, token, 3, connections);
    const floor = await load(urls.floor, token, seconds, connections);
    const endToEnd = await load(urls.count, token, seconds, connections);
    const page = await load(urls.listing, token, seconds, connections);
    return { countEngineMs, listingEngineMs, endToEnd, floor, page, idleMiB, loadedMiB: rssMiB(gateway.pid) };
  } finally {
    await gateway.stop();
  }
}
