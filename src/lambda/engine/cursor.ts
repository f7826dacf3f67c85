/**
 * The engines' continuation between answers, one codec for both (sealed into the API's nextToken
 * by api/page-tokens.ts, so clients never see or alter it): the keyset after the last row
 * served (a listing's next page), or an Athena execution still running at the deadline (202).
 */
import type { AnswerSource, Cell } from './types.ts';

/** An execution still running, with the rows it picks when it is a page and where its answer comes from. */
export interface Running {
  readonly id: string;
  readonly picks?: number;
  readonly source?: AnswerSource;
}

export type Cursor = { readonly after: readonly Cell[] } | { readonly running: Running };

const SOURCES: readonly unknown[] = ['rollup', 'raw', 'mixed'] satisfies AnswerSource[];

export const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** The cursor in `text`, checked member by member; anything else is a malformed cursor (an engine bug, never client input). */
export function decodeCursor(text: string): Cursor {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error('malformed cursor');
  }
  const after = c?.after;
  if (Array.isArray(after) && after.every((v) => typeof v === 'string' || typeof v === 'number')) return { after: after as Cell[] };
  const r = c?.running as Record<string, unknown> | undefined;
  const picksOk = r?.picks === undefined || (Number.isSafeInteger(r.picks) && (r.picks as number) > 1);
  if (typeof r?.id === 'string' && r.id !== '' && picksOk && (r.source === undefined || SOURCES.includes(r.source))) return { running: r as unknown as Running };
  throw new Error('malformed cursor');
}

/** The keyset of a cursor that must be one (a DuckDB listing's next page). */
export function keysetOfCursor(text: string, keys: number): readonly Cell[] {
  const c = decodeCursor(text);
  if (!('after' in c) || c.after.length !== keys) throw new Error('malformed cursor');
  return c.after;
}
