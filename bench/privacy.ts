/**
 * What protecting personal data costs (docs/privacy.md): the first page of a 7-day
 * all_orders_by_range for one client, in-process on DuckDB with the in-memory lake copies (as the
 * gateway runs it), masked, pseudonymized and clear. The runs are interleaved and the extra cost is
 * the median of each round's paired difference (mode − clear), so the machine's drift cancels.
 */
import { randomBytes } from 'node:crypto';
import { catalog } from '../src/lambda/catalog.ts';
import { DuckDbEngine } from '../src/lambda/engine/duckdb/engine.ts';
import { PII_MODES, type PiiMode } from '../src/lambda/privacy/modes.ts';
import { PseudonymKey } from '../src/lambda/privacy/pseudonym-key.ts';
import { median } from '../src/shared/stats.ts';
import { WEEK } from './queries.ts';

export interface PrivacyFigures {
  /** Median time of each mode. */
  readonly median: Record<PiiMode, number>;
  /** Median of the rounds' paired differences from clear. */
  readonly extra: Record<PiiMode, number>;
}

export async function measurePrivacy(lakeDir: string, clientId: number, runs: number): Promise<PrivacyFigures> {
  const engine = await DuckDbEngine.fromConfig(lakeDir);
  const listing = catalog().get('all_orders_by_range')!;
  const key = new PseudonymKey(randomBytes(32));
  const request = (mode: PiiMode) => ({
    query: listing, params: { ...WEEK, client_id: clientId, all_clients: false }, page: { size: listing.page!.default },
    deadline: Date.now() + 30_000, privacy: { mode, key },
  });
  const times: Record<PiiMode, number[]> = { masked: [], pseudonymized: [], clear: [] };
  try {
    await engine.copiesReady();
    for (const mode of PII_MODES) for (let i = 0; i < 5; i++) await engine.run(request(mode)); // warm-up: statements prepared
    for (let i = 0; i < runs; i++) {
      for (const mode of PII_MODES) {
        const t = performance.now();
        await engine.run(request(mode));
        times[mode].push(performance.now() - t);
      }
    }
  } finally {
    await engine.close();
  }
  const extra = (mode: PiiMode) => median(times[mode].map((t, i) => t - times.clear[i]!));
  return {
    median: { masked: median(times.masked), pseudonymized: median(times.pseudonymized), clear: median(times.clear) },
    extra: { masked: extra('masked'), pseudonymized: extra('pseudonymized'), clear: 0 },
  };
}
