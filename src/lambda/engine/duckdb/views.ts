import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_TABLES, tableGlob, type LakeTable } from '../../lake/layout.ts';
import { sqlString } from '../../../shared/sql-literal.ts';

const HIVE = `hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}`;

/** A partition folder without its data files: the lake is damaged there. */
export class BrokenPartition extends Error {
  override name = 'BrokenPartition';
}

/**
 * One view per lake table over its parquet files. Fact tables read Hive partitions with `dt`
 * kept as VARCHAR (like Glue's partition column), so `dt` filters prune files.
 */
export async function createLakeViews(conn: DuckDBConnection, root: string): Promise<void> {
  for (const t of LAKE_TABLES) {
    const options = t.partitionedByDt ? `, ${HIVE}` : '';
    // A lake whose rollups are not built yet still serves every query (raw).
    const relation = (t as LakeTable).rollupOf && !hasPartitions(root, t)
      ? emptyRelation(t)
      : `SELECT * FROM read_parquet(${sqlString(tableGlob(root, t))}${options})`;
    await conn.run(`CREATE OR REPLACE VIEW ${t.name} AS ${relation}`);
  }
}

function hasPartitions(root: string, t: LakeTable): boolean {
  try {
    return readdirSync(path.join(root, t.name)).some((n) => n.startsWith('dt='));
  } catch {
    return false;
  }
}

/** No rows, with the table's columns (and `dt`). */
export function emptyRelation(t: LakeTable): string {
  return `SELECT ${[...t.columns.map(([n, type]) => `CAST(NULL AS ${type}) AS ${n}`), 'CAST(NULL AS VARCHAR) AS dt'].join(', ')} WHERE false`;
}

/** `read_parquet` of exactly these files of a table (with its `dt` column when partitioned). */
export function readParquet(t: LakeTable, files: readonly string[]): string {
  return `read_parquet([${files.map(sqlString).join(', ')}]${t.partitionedByDt ? `, ${HIVE}` : ''})`;
}

/** Exactly these parquet files of a partitioned table (the rollup days a request reads). */
export function filesRelation(t: LakeTable, files: readonly string[]): string {
  return files.length ? `SELECT * FROM ${readParquet(t, files)}` : emptyRelation(t);
}

/**
 * The relation of a fact table narrowed to some days' partitions. DuckDB lists a `dt=*` glob on
 * every query (≈ 10 ms for a year of daily folders); listing only the folders a query can
 * touch costs a few readdirs. The query's own `dt` filters still apply, so answers are
 * unchanged; a day without a folder has no data.
 */
export async function narrowedFactRelation(root: string, t: LakeTable, days: readonly string[]): Promise<string> {
  const lists = await Promise.all(
    days.map((d) =>
      readdir(path.join(root, t.name, `dt=${d}`)).then(
        (names) => {
          const files = names.filter((n) => n.endsWith('.parquet')).sort().map((n) => path.join(root, t.name, `dt=${d}`, n));
          // The writer never leaves an empty partition: one without files lost its data.
          if (files.length === 0) throw new BrokenPartition(`${t.name}/dt=${d} has no data files`);
          return files;
        },
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return [];
          throw e;
        },
      ),
    ),
  );
  return filesRelation(t, lists.flat());
}
