/**
 * Keyset pages picked in the SQL (`all_orders_by_range`): the query selects the page's rows
 * after `(:after_created_at, :after_order_id)`, oldest first, `LIMIT :page_rows`, and joins only
 * those. These are the parameter values of a page.
 */
import type { NamedQuery } from '../catalog.ts';
import { encodeCursor } from './cursor.ts';
import type { Cell, QueryParams, Row } from './types.ts';

/**
 * The first page: a keyset just before `from` (1 ms; created_at ≥ from excludes anything at or
 * before it, whatever the second key), and `rows` rows.
 */
export function firstPage(query: NamedQuery, params: QueryParams, rows: number): Record<string, Date | number> {
  const keys = query.page?.keys ?? [];
  if (keys[0] !== 'created_at') throw new Error(`${query.name} has no keyset page`);
  const values: Record<string, Date | number> = { page_rows: rows, after_created_at: new Date(params.from.getTime() - 1) };
  for (const k of keys.slice(1)) values[`after_${k}`] = 0;
  return values;
}

/** A later page: the keyset of the last row served. */
export function nextPage(query: NamedQuery, after: readonly Cell[], rows: number): Record<string, Date | number> {
  const keys = query.page!.keys;
  const values: Record<string, Date | number> = { page_rows: rows };
  keys.forEach((k, i) => {
    const v = after[i];
    const type = query.columns.find((c) => c.name === k)!.type;
    if (type === 'timestamp') {
      const ms = Date.parse(String(v));
      if (!Number.isFinite(ms)) throw new Error('malformed cursor');
      values[`after_${k}`] = new Date(ms);
    } else {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error('malformed cursor');
      values[`after_${k}`] = v;
    }
  });
  return values;
}

/** The parameters of one page picked in the SQL. */
export interface PageParameters extends QueryParams {
  readonly page_rows: number;
  readonly [keyset: `after_${string}`]: Date | number;
}

/**
 * One page's parameters, the same on both engines: the keyset after `after` (the last row
 * served; the first page without it), `size + 1` rows (one more than served tells whether a
 * next page exists), and `from` moved up to the keyset's time: rows before it cannot qualify,
 * so the partitions already served are pruned.
 */
export function pageParameters(query: NamedQuery, params: QueryParams, size: number, after?: readonly Cell[]): PageParameters {
  const rows = size + 1;
  if (after === undefined) return { ...params, ...firstPage(query, params, rows) } as PageParameters;
  const keyset = nextPage(query, after, rows);
  const resume = keyset.after_created_at as Date;
  const from = resume.getTime() > params.from.getTime() ? resume : params.from;
  return { ...params, ...keyset, from } as PageParameters;
}

/** The keyset of a row: its values of the query's `@page` keys, the next page's `after`. */
export function keysetOf(query: NamedQuery, row: Row): Cell[] {
  return query.page!.keys.map((k) => row[k] ?? null);
}

/** The cursor of the page after `last` (the last row served). */
export const nextPageCursor = (query: NamedQuery, last: Row): string => encodeCursor({ after: keysetOf(query, last) });

/** A page for a listing only, and a listing only by pages (either way round is an engine bug, never client input). */
export function checkPaging(query: NamedQuery, page: unknown, after?: readonly Cell[]): void {
  if (!query.page && (page || after)) throw new Error(`${query.name} is not paginated`);
  if (query.page && !page) throw new Error(`${query.name} needs a page`);
}
