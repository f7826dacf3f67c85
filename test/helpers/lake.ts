/**
 * A small lake generated once per test run (same generator as `npm run fake-data`), in a
 * temporary folder removed when the process exits.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateLake, type LakeManifest } from '../../fake-data/generate.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { sqlString } from '../../src/shared/sql-literal.ts';

export const TEST_SEED = 7;
export const TEST_SCALE = 0.05; // ≈ 25k trackcodes, 29k orders over 2024

const root = mkdtempSync(path.join(os.tmpdir(), 'lakegate-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

/** A fresh, empty folder path under the run's temporary root. */
export function scratchPath(name: string): string {
  return path.join(root, `${name}-${Math.random().toString(36).slice(2, 8)}`);
}

export async function makeLake(seed: number, scale: number, name = `lake-${seed}-${scale}`): Promise<{ dir: string; manifest: LakeManifest }> {
  const dir = scratchPath(name);
  const manifest = await generateLake({ seed, scale, out: dir, queryNames: [...catalog().keys()], progress: false, memoryLimitMb: 1024 });
  return { dir, manifest };
}

let shared: Promise<{ dir: string; manifest: LakeManifest }> | undefined;

/** The run's shared test lake. */
export function testLake(): Promise<{ dir: string; manifest: LakeManifest }> {
  shared ??= makeLake(TEST_SEED, TEST_SCALE, 'shared-lake');
  return shared;
}

/** Rewrite a partition's (or a dimension folder's) one parquet file keeping only the rows matching `keep`: a late correction of the data. */
export async function rewriteParquet(folder: string, keep: string): Promise<void> {
  const file = path.join(folder, readdirSync(folder).find((n) => n.endsWith('.parquet'))!);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)}) WHERE ${keep}) TO ${sqlString(`${file}.new`)} (FORMAT parquet)`);
  db.closeSync();
  rmSync(file);
  renameSync(`${file}.new`, file);
}
