/**
 * The AWS engine: Athena runs the query's SQL over the Glue-cataloged lake, one adapter of the
 * engine interface. Which statement a request runs is the one planner's decision (engine/plan.ts:
 * an aggregate query's rollup path over the days fresh in S3, rollups/s3-freshness.ts); each
 * execution goes through the runner (runner.ts: start, poll, read, one retry layer), with its
 * parameters rendered as literals (literals.ts). A listing picks its page in the SQL: one
 * execution per page, with the keyset of the last row served and the page size as parameters
 * (the cursor is that keyset). A query still running at the deadline becomes a cursor the client
 * resumes (202), never API Gateway's 504.
 */
import { createHash } from 'node:crypto';
import type { AthenaClient, Datum, QueryExecution } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import type { NamedQuery } from '../../catalog.ts';
import { athenaConfig } from '../../config.ts';
import { EngineBusy, EngineFailure, RangeTooExpensive } from '../../errors.ts';
import { log } from '../../log.ts';
import { withoutQuotedValues } from '../../privacy/redact.ts';
import { S3RollupFreshness } from '../../rollups/s3-freshness.ts';
import { decodeCursor, encodeCursor, type Running } from '../cursor.ts';
import { checkPaging, nextPageCursor } from '../keyset.ts';
import { planStatement, type Statement } from '../plan.ts';
import { QueryStillRunning, type Cell, type QueryEngine, type QueryRequest, type QueryResult, type Row } from '../types.ts';
import { cellFromText } from '../values.ts';
import { athenaStatement, type PageSelection } from './literals.ts';
import { AthenaRunner, engineAthenaClient, realClock, type AthenaTarget, type Clock } from './runner.ts';

export { engineAthenaClient, POLL, RESULT_MARGIN_MS, RETRY, type Clock } from './runner.ts';

export interface AthenaSettings extends AthenaTarget {
  readonly resultReuseMinutes: number;
  readonly maxRows: number;
}

/** Which rollup days may be read now (absent: freshness cannot be checked, read raw). */
export interface RollupFreshness {
  usableDays(rollupTable: string, sourceTable: string, from: Date, to: Date): Promise<((day: string) => boolean) | undefined>;
}

/**
 * A page from the rows an execution picked with `LIMIT picks` (the page size + 1 when it
 * started): all of them but one when it picked its limit (at least one more row exists), at
 * most `size`; a next page exists exactly when rows are left over.
 */
export function pageOf(rows: readonly Row[], size: number, picks: number): { rows: Row[]; more: boolean } {
  const served = rows.slice(0, Math.min(size, rows.length >= picks ? picks - 1 : rows.length));
  return { rows: served, more: served.length < rows.length };
}

export class AthenaEngine implements QueryEngine {
  readonly name = 'athena' as const;
  private readonly runner: AthenaRunner;

  constructor(
    private readonly client: AthenaClient,
    private readonly settings: AthenaSettings,
    private readonly clock: Clock = realClock,
    private readonly rollups?: RollupFreshness,
  ) {
    this.runner = new AthenaRunner(client, settings, clock);
  }

  static fromConfig(): AthenaEngine {
    const config = athenaConfig();
    const rollups = config.rollupRecordUri === undefined
      ? undefined
      : S3RollupFreshness.fromUri(config.rollupRecordUri, new S3Client({}), { ttlMs: config.rollupFreshnessTtlMs });
    return new AthenaEngine(engineAthenaClient(), config, realClock, rollups);
  }

  async run(req: QueryRequest): Promise<QueryResult> {
    const started = this.clock.now();
    const cursor = req.cursor !== undefined ? decodeCursor(req.cursor) : undefined;
    const resumed = cursor !== undefined && 'running' in cursor ? cursor.running : undefined;
    const page = this.pageSelection(req, cursor !== undefined && 'after' in cursor ? cursor.after : undefined);
    const picks = resumed ? resumed.picks : page && page.size + 1;
    // A running execution's cursor says how many rows it picks exactly when the query is paged.
    if (resumed && (page !== undefined) !== (picks !== undefined)) throw new Error('malformed cursor');
    const statement = resumed ? undefined : await this.plan(req);
    const source = resumed ? (resumed.source ?? 'raw') : statement!.source;
    const running = (id: string): Running => ({ id, ...(picks !== undefined ? { picks } : {}), ...(source !== 'raw' ? { source } : {}) });
    let id = resumed?.id ?? (await this.start(req, statement!, page, 0));
    let execution = await this.wait(running(id), req);
    if (execution.Status?.State === 'FAILED' && this.retryable(execution) && statement) {
      log.warn('athena query failed with a retryable system error: retrying once', this.failureFields(execution));
      id = await this.start(req, statement, page, 1);
      execution = await this.wait(running(id), req);
    }
    this.check(execution);
    const result = await this.runner.rows(id, picks ?? this.settings.maxRows + 1, req.deadline);
    const names = result.columns.map((c) => c.Name);
    if (names.join(',') !== req.query.columns.map((c) => c.name).join(',')) {
      throw new EngineFailure(`${req.query.name}: Athena columns ${names.join(',')} differ from the catalog's`);
    }
    const { rows, cursor: next } = this.answer(req, result.rows.map((r) => this.row(req.query, r)), picks);
    const stats = execution.Statistics;
    return {
      columns: req.query.columns,
      rows,
      cursor: next,
      stats: {
        engine: this.name,
        elapsedMs: this.clock.now() - started,
        source,
        bytesScanned: stats?.DataScannedInBytes ?? 0,
        resultReused: stats?.ResultReuseInformation?.ReusedPreviousResult ?? false,
      },
    };
  }

  /**
   * The rows served: a page (its cursor the keyset of its last row when more rows follow), or the
   * whole result, refused over the row cap rather than truncated.
   */
  private answer(req: QueryRequest, rows: Row[], picks: number | undefined): { rows: Row[]; cursor: string | null } {
    if (picks === undefined) {
      if (rows.length > this.settings.maxRows) throw new EngineFailure(`${req.query.name} returned more than ${this.settings.maxRows} rows`);
      return { rows, cursor: null };
    }
    const page = pageOf(rows, req.page!.size, picks);
    const last = page.rows[page.rows.length - 1];
    return { rows: page.rows, cursor: page.more && last ? nextPageCursor(req.query, last) : null };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** The page an execution picks (a listing picks it in the SQL): the request's size, after the cursor's keyset. */
  private pageSelection(req: QueryRequest, after: readonly Cell[] | undefined): PageSelection | undefined {
    const { query, page } = req;
    checkPaging(query, page, after);
    return query.page && page ? { size: page.size, ...(after ? { after } : {}) } : undefined;
  }

  /** The statement of a request (engine/plan.ts), with the days whose rollups are fresh in S3 now. */
  private async plan(req: QueryRequest): Promise<Statement> {
    const path = req.query.rollup;
    const usable = path && this.rollups && !req.page
      ? await this.rollups.usableDays(path.table, path.factTables[0]!, req.params.from, req.params.to)
      : undefined;
    return planStatement(req, usable);
  }

  /**
   * StartQueryExecution. The ClientRequestToken derives from the request, the statement and its
   * literals (a page's keyset and size included), so a retried start (throttling, network
   * error) returns the same execution.
   */
  private start(req: QueryRequest, statement: Statement, page: PageSelection | undefined, attempt: number): Promise<string> {
    const { sql, parameters } = athenaStatement(statement.query, statement.params, page, req.privacy);
    const token = createHash('sha256').update(JSON.stringify([req.requestKey ?? '', req.query.name, sql, parameters, attempt])).digest('hex');
    return this.runner.start({ sql, parameters, clientRequestToken: token, reuseMinutes: this.settings.resultReuseMinutes }, req.deadline);
  }

  /** Poll until the execution ends, or give it back as a cursor when the deadline nears. */
  private async wait(running: Running, req: QueryRequest): Promise<QueryExecution> {
    const execution = await this.runner.wait(running.id, req.deadline);
    if (!execution) throw new QueryStillRunning(encodeCursor({ running }));
    return execution;
  }

  private retryable(execution: QueryExecution): boolean {
    const error = execution.Status?.AthenaError;
    return error?.ErrorCategory === 1 && error.Retryable === true; // 1 = SYSTEM
  }

  private failureFields(execution: QueryExecution): Record<string, unknown> {
    const s = execution.Status;
    return {
      queryExecutionId: execution.QueryExecutionId,
      state: s?.State,
      reason: s?.StateChangeReason === undefined ? undefined : withoutQuotedValues(s.StateChangeReason),
      category: s?.AthenaError?.ErrorCategory,
      errorType: s?.AthenaError?.ErrorType,
      retryable: s?.AthenaError?.Retryable,
    };
  }

  /** FAILED / CANCELLED → clean errors; the reasons go to the log only. */
  private check(execution: QueryExecution): void {
    const state = execution.Status?.State;
    if (state === 'SUCCEEDED') return;
    const fields = this.failureFields(execution);
    const reason = withoutQuotedValues(String(execution.Status?.StateChangeReason ?? ''));
    if (state === 'CANCELLED') {
      if (/bytes scanned|scan(ned)? limit|BytesScannedCutoff/i.test(reason)) {
        log.warn('athena query cancelled by the bytes-scanned cutoff', fields);
        throw new RangeTooExpensive('this range would scan more data than allowed; ask for a shorter range');
      }
      log.error('athena query cancelled', fields);
      throw new EngineBusy('the query was cancelled; try again', 503, 5);
    }
    if (this.retryable(execution) || /SlowDown|reduce your request rate|Throttl/i.test(reason)) {
      log.error('athena query failed (transient)', fields);
      throw new EngineBusy('the query engine is temporarily unavailable; try again', 503, 5);
    }
    log.error('athena query failed', fields);
    throw new EngineFailure(`athena ${execution.QueryExecutionId} failed: ${reason}`);
  }

  private row(query: NamedQuery, data: readonly Datum[]): Row {
    if (data.length !== query.columns.length) throw new EngineFailure(`${query.name}: row of ${data.length} cells`);
    const row: Row = {};
    query.columns.forEach((c, i) => (row[c.name] = cellFromText(c.type, data[i]!.VarCharValue)));
    return row;
  }
}
