/**
 * The SQL a query runs for a caller's privacy mode, compiled for one engine and kept per query:
 * the query itself when it outputs no personal data (or the caller sees it clear), else the query
 * wrapped by masks.ts. Privacy decides only what the wrapper selects; the query's own SQL, its
 * parameters and its plan stay as the catalog loaded them.
 */
import type { NamedQuery } from '../catalog.ts';
import { compileNamedParams, type CompiledSql } from '../named-params.ts';
import { DUCKDB_MASKS, protectedSql, TRINO_MASKS, type MaskDialect } from './masks.ts';
import { DEFAULT_PII_MODE, type PiiMode } from './modes.ts';
import type { PseudonymKey } from './pseudonym-key.ts';

/** A request's privacy: the caller's mode and, where that mode's SQL needs it, the pseudonym key. */
export interface Privacy {
  readonly mode: PiiMode;
  readonly key?: PseudonymKey;
}

/** What an engine runs when it is told nothing: the default mode (which has no key: fails where one is needed). */
export const DEFAULT_PRIVACY: Privacy = { mode: DEFAULT_PII_MODE };

export type Dialect = 'duckdb' | 'trino';
const DIALECTS: Record<Dialect, { masks: MaskDialect; style: 'dollar' | 'positional' }> = {
  duckdb: { masks: DUCKDB_MASKS, style: 'dollar' },
  trino: { masks: TRINO_MASKS, style: 'positional' },
};

const compiled = new WeakMap<NamedQuery, Map<string, CompiledSql>>();

/** The statement `query` runs in `mode` on `dialect`'s engine (placeholders in that engine's style). */
export function statementFor(query: NamedQuery, mode: PiiMode, dialect: Dialect): CompiledSql {
  if (mode === 'clear' || query.personal.length === 0) return dialect === 'duckdb' ? query.dollar : query.positional;
  let forQuery = compiled.get(query);
  if (!forQuery) compiled.set(query, (forQuery = new Map()));
  const id = `${dialect}:${mode}`;
  let sql = forQuery.get(id);
  if (!sql) {
    const { masks, style } = DIALECTS[dialect];
    const shape = { columns: query.columns, personal: query.personal, orderBy: query.page?.keys ?? [] };
    sql = compileNamedParams(protectedSql(query.source, shape, mode, masks), style);
    forQuery.set(id, sql);
  }
  return sql;
}

/** Whether `name` is one of the parameters `dialect`'s statements read the pseudonym key through. */
export const isKeyParam = (name: string, dialect: Dialect): boolean => DIALECTS[dialect].masks.keyParams.includes(name);

/** Whether a statement reads the pseudonym key (masked ones do too: a malformed e-mail's pseudonym). */
export const readsKey = (statement: CompiledSql, dialect: Dialect): boolean => statement.order.some((name) => isKeyParam(name, dialect));

/**
 * Whether a request for `query` in `mode` needs the pseudonym key, so the handler loads it only
 * then: whether its statement reads it (the dialects' masks read it in the same places).
 */
export const keyNeeded = (query: NamedQuery, mode: PiiMode): boolean => readsKey(statementFor(query, mode, 'duckdb'), 'duckdb');

/** The key a statement reads, or a clear failure (an engine told to pseudonymize without a key is a bug). */
export function requireKey(privacy: Privacy, query: NamedQuery): PseudonymKey {
  if (!privacy.key) throw new Error(`${query.name}: the ${privacy.mode} answer needs the pseudonym key`);
  return privacy.key;
}
