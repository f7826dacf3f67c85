/**
 * The rollup build SQL (`queries/rollups/build/<table>.sql`) and its exactness check
 * (`queries/rollups/check/<table>.sql`), in Athena SQL with the named parameters `:day_from`,
 * `:day_to` (UTC midnights). Both engines run the same text with literals pasted in: the only
 * values are day boundaries the builder computed itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { queriesDir } from '../../lambda/config.ts';
import { timestampLiteral, stringLiteral } from '../../lambda/engine/athena/literals.ts';
import { ROLLUP_TABLES, type LakeTable } from '../../lambda/lake/layout.ts';
import { compileNamedParams } from '../../lambda/named-params.ts';
import { DAY_MS, DAY_TEXT } from '../../shared/time.ts';

export type RollupSqlKind = 'build' | 'check';

export function rollupSqlFile(kind: RollupSqlKind, table: string): string {
  return path.join(queriesDir(), 'rollups', kind, `${table}.sql`);
}

export function rollupSqlSource(kind: RollupSqlKind, table: string): string {
  return readFileSync(rollupSqlFile(kind, table), 'utf8');
}

/**
 * The SQL of one kind for the days `days` (sorted `YYYY-MM-DD`): `[:day_from, :day_to)` spans
 * them and a `dt IN (…)` keeps exactly those days (stale days need not be contiguous).
 */
export function rollupSqlForDays(kind: RollupSqlKind, table: LakeTable, days: readonly string[]): string {
  if (days.length === 0 || !days.every((d) => DAY_TEXT.test(d))) throw new Error('rollup SQL needs days as YYYY-MM-DD');
  const sorted = [...days].sort();
  const from = new Date(`${sorted[0]}T00:00:00Z`);
  const to = new Date(Date.parse(`${sorted.at(-1)}T00:00:00Z`) + DAY_MS);
  const values: Record<string, string> = { day_from: timestampLiteral(from), day_to: timestampLiteral(to) };
  const compiled = compileNamedParams(rollupSqlSource(kind, table.name), 'positional');
  let i = 0;
  const body = compiled.text.replace(/--.*$/gm, '').replace(/\?/g, () => {
    const name = compiled.order[i++]!;
    const v = values[name];
    if (v === undefined) throw new Error(`rollups/${kind}/${table.name}.sql: unknown parameter :${name}`);
    return v;
  });
  return `SELECT * FROM (${body.trim()}) AS b WHERE b.dt IN (${sorted.map(stringLiteral).join(', ')})`;
}

export const rollupTable = (name: string): LakeTable => {
  const t = ROLLUP_TABLES.find((r) => r.name === name);
  if (!t) throw new Error(`unknown rollup table ${name}`);
  return t;
};
