/**
 * Athena pastes `ExecutionParameters` into the SQL as raw text, so each value is rendered here
 * from an already-validated typed value — never from request text — and re-checked against
 * the exact literal grammar before it leaves (a renderer bug must fail, not inject).
 */
import { PARAM_TYPES, type NamedQuery, type ParamType } from '../../catalog.ts';
import { sqlString } from '../../../shared/sql-literal.ts';
import { checkPaging, pageParameters } from '../keyset.ts';
import { DEFAULT_PRIVACY, isKeyParam, requireKey, statementFor, type Privacy } from '../../privacy/statements.ts';
import type { Cell, StatementParams } from '../types.ts';

export const LITERAL_GRAMMAR: Record<ParamType | 'varchar' | 'varbinary', RegExp> = {
  timestamp: /^TIMESTAMP '\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}'$/,
  integer: /^-?(0|[1-9]\d{0,15})$/,
  bigint: /^-?(0|[1-9]\d{0,15})$/,
  boolean: /^(true|false)$/,
  varchar: /^'([^']|'')*'$/,
  // The pseudonym key only (32 bytes): a binary literal of exactly 64 hex digits.
  varbinary: /^X'[0-9a-f]{64}'$/,
};

export class LiteralError extends Error {
  override name = 'LiteralError';
}

/** `TIMESTAMP '2024-03-01 00:00:00.000'` from a Date (UTC, milliseconds). */
export function timestampLiteral(value: Date): string {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) throw new LiteralError('not a valid Date');
  const iso = value.toISOString(); // always YYYY-MM-DDTHH:MM:SS.mmmZ for years 0–9999
  if (!/^\d{4}-/.test(iso)) throw new LiteralError('year out of range');
  return `TIMESTAMP '${iso.slice(0, 10)} ${iso.slice(11, 23)}'`;
}

/** A string literal: quotes doubled; NUL and other control characters refused. */
export function stringLiteral(value: string): string {
  try {
    return sqlString(value);
  } catch (e) {
    throw new LiteralError((e as Error).message);
  }
}

export function renderLiteral(type: ParamType | 'varchar' | 'varbinary', value: unknown): string {
  let text: string;
  switch (type) {
    case 'timestamp':
      text = timestampLiteral(value as Date);
      break;
    case 'integer':
    case 'bigint':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new LiteralError('not a safe integer');
      text = String(value);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw new LiteralError('not a boolean');
      text = String(value);
      break;
    case 'varchar':
      text = stringLiteral(value as string);
      break;
    case 'varbinary':
      if (!Buffer.isBuffer(value)) throw new LiteralError('not bytes');
      text = `X'${value.toString('hex')}'`;
      break;
  }
  if (!LITERAL_GRAMMAR[type].test(text)) throw new LiteralError(`rendered ${type} literal does not match its grammar`);
  return text;
}

/** The page an execution picks, for a query that picks its page in the SQL (`:page_rows`). */
export interface PageSelection {
  readonly size: number;
  /** The keyset of the last row served; absent for the first page. */
  readonly after?: readonly Cell[];
}

/** The SQL text and ExecutionParameters of one execution. */
export interface AthenaStatement {
  readonly sql: string;
  readonly parameters: string[];
}

/**
 * The statement of a query for a caller's privacy mode (privacy/statements.ts) and its
 * ExecutionParameters: one literal per `?`, in order (repeats included). A listing (which picks
 * its page in the SQL) gets that page's keyset and `size + 1` rows; a pseudonymizing statement,
 * the key as a binary literal.
 */
export function athenaStatement(query: NamedQuery, params: StatementParams, page?: PageSelection, privacy: Privacy = DEFAULT_PRIVACY): AthenaStatement {
  checkPaging(query, page, page?.after);
  const all = query.page && page ? pageParameters(query, params, page.size, page.after) : params;
  const statement = statementFor(query, privacy.mode, 'trino');
  const parameters = statement.order.map((name) => {
    if (isKeyParam(name, 'trino')) return renderLiteral('varbinary', requireKey(privacy, query).key);
    const type = PARAM_TYPES[name as keyof typeof PARAM_TYPES];
    const value = (all as unknown as Record<string, unknown>)[name];
    if (type === undefined || value === undefined) throw new LiteralError(`parameter ${name} has no value`);
    return renderLiteral(type, value);
  });
  return { sql: statement.text, parameters };
}
