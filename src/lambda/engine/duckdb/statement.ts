/**
 * A statement's SQL text and typed values for DuckDB (`$name` placeholders, values bound, never
 * spliced into SQL), and its rows converted by the one set of JSON rules (engine/values.ts).
 */
import {
  BIGINT, BLOB, BOOLEAN, DOUBLE, DuckDBBlobValue, DuckDBTimestampValue, INTEGER, TIMESTAMP, VARCHAR, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { PARAM_TYPES, type NamedQuery, type OutputType, type ParamName, type ParamType } from '../../catalog.ts';
import { checkPaging, pageParameters } from '../keyset.ts';
import { DEFAULT_PRIVACY, readsKey, requireKey, statementFor, type Privacy } from '../../privacy/statements.ts';
import type { Cell, PageRequest, Row, StatementParams } from '../types.ts';
import { integerCell, timestampCell } from '../values.ts';

const DUCK_TYPE: Record<ParamType | OutputType, DuckDBType> = {
  timestamp: TIMESTAMP, integer: INTEGER, boolean: BOOLEAN, bigint: BIGINT, double: DOUBLE, varchar: VARCHAR,
};

export interface Bound {
  readonly sql: string;
  readonly values: Record<string, DuckDBValue>;
  readonly types: Record<string, DuckDBType>;
}

function duckValue(type: ParamType, value: Date | number | boolean): DuckDBValue {
  if (type === 'timestamp') {
    const ms = value instanceof Date ? value.getTime() : Number.NaN;
    if (!Number.isFinite(ms)) throw new Error('invalid timestamp parameter');
    return new DuckDBTimestampValue(BigInt(ms) * 1000n);
  }
  if (type === 'bigint') return BigInt(value as number);
  return value as DuckDBValue;
}

/**
 * The SQL and typed values of one execution. A listing picks its page in the SQL (the catalog
 * refuses any other kind): its keyset after `after` and one more row than the page. Its personal
 * columns come out in the caller's privacy mode (privacy/statements.ts), the pseudonym key's
 * HMAC blocks bound as values.
 */
export function bindStatement(query: NamedQuery, params: StatementParams, page?: PageRequest, after?: readonly Cell[], privacy: Privacy = DEFAULT_PRIVACY): Bound {
  checkPaging(query, page, after);
  const all: Partial<Record<ParamName, Date | number | boolean>> = page ? pageParameters(query, params, page.size, after) : params;
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const name of query.params) {
    const v = all[name];
    if (v === undefined) throw new Error(`parameter ${name} missing`);
    values[name] = duckValue(PARAM_TYPES[name], v);
    types[name] = DUCK_TYPE[PARAM_TYPES[name]];
  }
  const statement = statementFor(query, privacy.mode, 'duckdb');
  if (readsKey(statement, 'duckdb')) {
    const { inner, outer } = requireKey(privacy, query).blocks();
    Object.assign(values, { pseudonym_inner: new DuckDBBlobValue(inner), pseudonym_outer: new DuckDBBlobValue(outer) });
    Object.assign(types, { pseudonym_inner: BLOB, pseudonym_outer: BLOB });
  }
  return { sql: statement.text, values, types };
}

function toCell(type: OutputType, value: unknown): Cell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamp':
      return timestampCell(Number((value as DuckDBTimestampValue).micros / 1000n));
    case 'bigint':
    case 'integer':
      return integerCell(value as bigint | number);
    case 'double':
      return value as number;
    case 'boolean':
      return value as boolean;
    case 'varchar':
      return String(value);
  }
}

/** The rows of a result, typed by the catalog's columns (which the result's must be, in order). */
export function rowsOf(query: NamedQuery, names: readonly string[], raw: readonly (readonly unknown[])[]): Row[] {
  const expected = query.columns.map((c) => c.name);
  if (names.join(',') !== expected.join(',')) {
    throw new Error(`${query.name}: columns ${names.join(',')} differ from the catalog's ${expected.join(',')}`);
  }
  return raw.map((r) => {
    const row: Row = {};
    query.columns.forEach((c, i) => (row[c.name] = toCell(c.type, r[i])));
    return row;
  });
}
