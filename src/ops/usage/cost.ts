/**
 * Athena's price, in one place: US$5 per TB scanned, each query rounded up to the megabyte with
 * a 10 MB minimum (https://aws.amazon.com/athena/pricing/). Estimates, not invoices: a reused
 * result scans nothing; a request that never reached the engine costs nothing; where the engine
 * does not count bytes (DuckDB, locally) the 10 MB minimum is what the same query would at least
 * cost on Athena.
 */
import type { AccessRecord } from '../../lambda/usage/record.ts';

export const ATHENA_USD_PER_TB = 5;
export const BYTES_PER_TB = 1024 ** 4;
export const BYTES_PER_MB = 1024 ** 2;
export const ATHENA_MIN_BYTES_PER_QUERY = 10 * BYTES_PER_MB;

/** Bytes Athena bills for one request. */
export function billedBytes(r: Pick<AccessRecord, 'engineMs' | 'bytesScanned' | 'resultReused'>): number {
  if (r.engineMs === null || r.resultReused === true) return 0;
  return Math.max(ATHENA_MIN_BYTES_PER_QUERY, Math.ceil((r.bytesScanned ?? 0) / BYTES_PER_MB) * BYTES_PER_MB);
}

export function costUsd(billed: number): number {
  return (billed / BYTES_PER_TB) * ATHENA_USD_PER_TB;
}
