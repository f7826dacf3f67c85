/**
 * The one engine interface. The HTTP handler only knows this: a named query, typed parameters,
 * an optional page → typed columns and JSON-ready rows. DuckDB (local) and Athena (AWS) are
 * adapters behind it and must give the same rows, converted by the same rules (values.ts).
 */
import type { EngineName } from '../config.ts';
import type { NamedQuery, OutputColumn } from '../catalog.ts';
import type { Privacy } from '../privacy/statements.ts';

/** Where an answer came from (docs/design.md §12): the daily rollups, the raw partitions, or both (engine/plan.ts). */
export type AnswerSource = 'rollup' | 'raw' | 'mixed';

/** A cell as it goes into the JSON body: counts are numbers, timestamps ISO-8601 UTC strings. */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/** Validated, typed parameter values. Never raw request text. */
export interface QueryParams {
  readonly from: Date;
  readonly to: Date;
  /** The caller's client id (from the authorizer). */
  readonly client_id: number;
  /** Row scope `all` (internal analysts): every client's rows. */
  readonly all_clients: boolean;
  /** Top-N size, for queries that declare `@limit`. */
  readonly limit?: number;
}

/** A statement's typed values: the request's, and a rollup path's span of days. */
export interface StatementParams extends QueryParams {
  readonly rollup_from?: Date;
  readonly rollup_to?: Date;
}

export interface PageRequest {
  readonly size: number;
}

export interface QueryRequest {
  readonly query: NamedQuery;
  readonly params: QueryParams;
  /** Required for paginated queries, refused for the others. */
  readonly page?: PageRequest;
  /**
   * The engine's own continuation from an earlier answer (opaque to callers): the next page,
   * or a query execution still running when that answer was given.
   */
  readonly cursor?: string;
  /** Epoch ms by which the engine must have answered or given up. */
  readonly deadline: number;
  /** Idempotency key for this request (Athena's ClientRequestToken); same request → same key. */
  readonly requestKey?: string;
  /**
   * How the caller sees the query's personal columns (docs/privacy.md), applied in the SQL the
   * engine runs. Absent: masked (privacy by default).
   */
  readonly privacy?: Privacy;
}

export interface QueryStats {
  readonly engine: EngineName;
  readonly elapsedMs: number;
  /** Where the answer came from (docs/design.md §12): daily rollups, raw partitions, or both. */
  readonly source: AnswerSource;
  readonly [extra: string]: string | number | boolean;
}

export interface QueryResult {
  readonly columns: readonly OutputColumn[];
  readonly rows: readonly Row[];
  /** Cursor of the next page, or null on the last page / for unpaginated queries. */
  readonly cursor: string | null;
  readonly stats: QueryStats;
}

/**
 * The query is still running at the request's deadline (Athena): the caller answers 202 and
 * the client repeats its request with this cursor (sealed) to get the result when ready.
 */
export class QueryStillRunning extends Error {
  override name = 'QueryStillRunning';
  constructor(readonly cursor: string) {
    super('the query is still running');
  }
}

export interface QueryEngine {
  readonly name: EngineName;
  run(request: QueryRequest): Promise<QueryResult>;
  close(): Promise<void>;
}
