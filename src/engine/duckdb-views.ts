import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_TABLES, tableGlob } from '../lake/layout.ts';
import { sqlString } from '../lake/sql-text.ts';

/**
 * One view per lake table over its parquet files. Fact tables read Hive partitions with `dt`
 * kept as VARCHAR (like Glue's partition column), so `dt` filters prune files.
 */
export async function createLakeViews(conn: DuckDBConnection, root: string): Promise<void> {
  for (const t of LAKE_TABLES) {
    const options = t.partitionedByDt ? `, hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}` : '';
    await conn.run(`CREATE OR REPLACE VIEW ${t.name} AS SELECT * FROM read_parquet(${sqlString(tableGlob(root, t))}${options})`);
  }
}
