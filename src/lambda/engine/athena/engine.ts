/**
 * The AWS engine: Athena runs the query's SQL over the Glue-cataloged lake.
 *
 * The flow is small steps, each testable at the SDK seam: start (idempotent by
 * ClientRequestToken, parameters rendered as literals) → wait (capped backoff, inside the
 * request's deadline) → read (GetQueryResults pages, header row skipped once, values typed by
 * the catalog's columns, so both engines give the same JSON). A paginated query picks its page
 * in the SQL: one execution per page, with the keyset of the last row served and the page size
 * as parameters, like DuckDB's (the cursor is that keyset). An aggregate query reads the daily
 * rollups for the whole days found fresh in S3 (src/lambda/rollups/s3-freshness.ts), planned like
 * DuckDB's (src/lambda/engine/rollup-plan.ts). Throttling is retried with
 * jittered backoff, then answered 429/503 with Retry-After; a query still running at the
 * deadline becomes a cursor the client resumes (202), never API Gateway's 504.
 */
import { createHash } from 'node:crypto';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand,
  type AthenaClientConfig, type GetQueryResultsCommandOutput, type QueryExecution,
} from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import type { NamedQuery } from '../../catalog.ts';
import { athenaConfig } from '../../config.ts';
import { EngineBusy, EngineFailure, RangeTooExpensive } from '../../errors.ts';
import { log } from '../../log.ts';
import { planRollup, type AnswerSource } from '../rollup-plan.ts';
import { S3RollupFreshness } from '../../rollups/s3-freshness.ts';
import { executionParameters, type PageSelection, type StatementParams } from './literals.ts';
import { keysetOf } from '../keyset.ts';
import { QueryStillRunning, type Cell, type QueryEngine, type QueryRequest, type QueryResult, type Row } from '../types.ts';
import { cellFromText } from '../values.ts';

export interface AthenaSettings {
  readonly workGroup: string;
  readonly database: string;
  readonly resultReuseMinutes: number;
  readonly maxRows: number;
}

/** Time and randomness, injectable so tests run the state machine without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

const realClock: Clock = {
  now: Date.now,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: Math.random,
};

export const POLL = { firstMs: 150, factor: 1.6, maxMs: 2000 } as const;
export const RETRY = { attempts: 4, baseMs: 200, maxMs: 3000 } as const;
/** Time kept back at the deadline to fetch results and answer. */
export const RESULT_MARGIN_MS = 2000;
const PAGE_MAX = 1000; // GetQueryResults' own cap

/** Which rollup days may be read now (absent: freshness cannot be checked, read raw). */
export interface RollupFreshness {
  usableDays(rollupTable: string, sourceTable: string, from: Date, to: Date): Promise<((day: string) => boolean) | undefined>;
}

/** What one execution runs: the query's SQL or its rollup path, with its parameters. */
interface Statement {
  readonly query: NamedQuery;
  readonly params: StatementParams;
  readonly page?: PageSelection;
  readonly source: AnswerSource;
}

/**
 * Where a request stands between answers: an execution still running at the deadline (202),
 * with the number of rows it picks when it is a page and where its answer comes from; or the
 * keyset after the last row served.
 */
type Cursor = Running | { readonly after: readonly Cell[] };
interface Running {
  readonly id: string;
  readonly picks?: number;
  readonly source?: AnswerSource;
}
const SOURCES: readonly unknown[] = ['rollup', 'raw', 'mixed'] satisfies AnswerSource[];

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(text: string): Cursor {
  const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (typeof c?.id === 'string' && (c.picks === undefined || (Number.isSafeInteger(c.picks) && (c.picks as number) > 1)) && (c.source === undefined || SOURCES.includes(c.source))) {
    return c as unknown as Running;
  }
  if (Array.isArray(c?.after) && c.after.every((v) => typeof v === 'string' || typeof v === 'number')) return { after: c.after as Cell[] };
  throw new Error('malformed Athena cursor');
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

/**
 * The engine's Athena client: one attempt per call. The engine retries throttling and transient
 * errors itself (`call`), within the request's deadline; the SDK's own retries (three attempts
 * by default, with waits that know no deadline) would multiply them: one throttled call could
 * become twelve and outlast API Gateway's 29 s.
 */
export function engineAthenaClient(config: AthenaClientConfig = {}): AthenaClient {
  return new AthenaClient({ ...config, maxAttempts: 1 });
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? '';
}

export class AthenaEngine implements QueryEngine {
  readonly name = 'athena' as const;

  constructor(
    private readonly client: AthenaClient,
    private readonly settings: AthenaSettings,
    private readonly clock: Clock = realClock,
    private readonly rollups?: RollupFreshness,
  ) {}

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
    const resumed = cursor !== undefined && 'id' in cursor ? cursor : undefined;
    const page = this.pageSelection(req, cursor !== undefined && 'after' in cursor ? cursor.after : undefined);
    const picks = resumed ? resumed.picks : page && page.size + 1;
    // A running execution's cursor says how many rows it picks exactly when the query is paged.
    if (resumed && (page !== undefined) !== (picks !== undefined)) throw new Error('malformed Athena cursor');
    const statement = resumed ? undefined : await this.statement(req, page);
    const source = resumed ? (resumed.source ?? 'raw') : statement!.source;
    const running = (id: string): Running => ({ id, ...(picks !== undefined ? { picks } : {}), ...(source !== 'raw' ? { source } : {}) });
    let id = resumed?.id ?? (await this.start(req, statement!, 0));
    let execution = await this.wait(running(id), req);
    if (execution.Status?.State === 'FAILED' && this.retryable(execution) && statement) {
      log.warn('athena query failed with a retryable system error: retrying once', this.failureFields(execution));
      id = await this.start(req, statement, 1);
      execution = await this.wait(running(id), req);
    }
    this.check(execution);
    const { rows, cursor: next } = this.answer(req, await this.read(req, id, picks ?? this.settings.maxRows + 1), picks);
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
    return { rows: page.rows, cursor: page.more && last ? encodeCursor({ after: keysetOf(req.query, last) }) : null };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * The page an execution picks (paginated queries): the request's size, after the keyset of
   * the cursor. Athena runs only queries that pick their page in the SQL, so no page sorts or
   * joins the whole range; a query paged another way is refused, not run for the range.
   */
  private pageSelection(req: QueryRequest, after: readonly Cell[] | undefined): PageSelection | undefined {
    const { query, page } = req;
    if (!query.page) {
      if (page || after) throw new Error(`${query.name} is not paginated`);
      return undefined;
    }
    if (!page) throw new Error(`${query.name} needs a page`);
    if (!query.params.includes('page_rows')) throw new EngineFailure(`${query.name} does not pick its page in the SQL (:page_rows): Athena cannot page it`);
    return { size: page.size, ...(after ? { after } : {}) };
  }

  /**
   * The statement of a request: an aggregate query's rollup path when its plan reads some whole
   * days from the rollup (the days fresh in S3 now), else the query itself. Pages, and ranges
   * whose freshness cannot be checked, are raw.
   */
  private async statement(req: QueryRequest, page: PageSelection | undefined): Promise<Statement> {
    const raw: Statement = { query: req.query, params: req.params, ...(page ? { page } : {}), source: 'raw' };
    const path = req.query.rollup;
    if (!path || page || !this.rollups) return raw;
    const { from, to } = req.params;
    const usable = await this.rollups.usableDays(path.table, path.factTables[0]!, from, to);
    if (!usable) return raw;
    const plan = planRollup(from, to, usable, { rawDaysMustBeUsable: path.rawDaysExact });
    if (!plan.span) return raw;
    return { query: path, params: { ...req.params, rollup_from: plan.span.from, rollup_to: plan.span.to }, source: plan.source };
  }

  /**
   * StartQueryExecution. The ClientRequestToken derives from the request, the statement and its
   * literals (a page's keyset and size included), so a retried start (throttling, network
   * error) returns the same execution.
   */
  private async start(req: QueryRequest, statement: Statement, attempt: number): Promise<string> {
    const parameters = executionParameters(statement.query, statement.params, statement.page);
    const sql = statement.query.positional.text;
    const token = createHash('sha256')
      .update(JSON.stringify([req.requestKey ?? '', req.query.name, sql, parameters, attempt]))
      .digest('hex');
    const out = await this.call(req, () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          QueryExecutionContext: { Database: this.settings.database, Catalog: 'AwsDataCatalog' },
          WorkGroup: this.settings.workGroup,
          ExecutionParameters: parameters,
          ClientRequestToken: token,
          ...(this.settings.resultReuseMinutes > 0
            ? { ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: this.settings.resultReuseMinutes } } }
            : {}),
        }),
      ),
    );
    if (!out.QueryExecutionId) throw new EngineFailure('StartQueryExecution returned no id');
    return out.QueryExecutionId;
  }

  /** Poll until the execution ends, or give it back as a cursor when the deadline nears. */
  private async wait(running: Running, req: QueryRequest): Promise<QueryExecution> {
    let delay: number = POLL.firstMs;
    for (;;) {
      const out = await this.call(req, () => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: running.id })));
      const execution = out.QueryExecution ?? {};
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return execution;
      // QUEUED or RUNNING (a query may also go back from RUNNING to QUEUED): keep waiting.
      const wake = this.clock.now() + delay;
      if (wake > req.deadline - RESULT_MARGIN_MS) throw new QueryStillRunning(encodeCursor(running));
      await this.clock.sleep(delay);
      delay = Math.min(POLL.maxMs, Math.round(delay * POLL.factor));
    }
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
      reason: s?.StateChangeReason,
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
    const reason = String(execution.Status?.StateChangeReason ?? '');
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

  /**
   * The execution's rows, up to `want` (a page's rows, or the row cap + 1), from
   * GetQueryResults pages. The header row comes first in the result's first page only, and is
   * skipped exactly once.
   */
  private async read(req: QueryRequest, id: string, want: number): Promise<Row[]> {
    const rows: Row[] = [];
    let next: string | undefined;
    let headerPending = true;
    do {
      const max = Math.min(PAGE_MAX, want - rows.length + (headerPending ? 1 : 0));
      const out: GetQueryResultsCommandOutput = await this.call(req, () =>
        this.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: max, ...(next ? { NextToken: next } : {}) })),
      );
      let data = out.ResultSet?.Rows ?? [];
      if (headerPending) {
        this.checkColumns(req.query, out);
        data = data.slice(1);
        headerPending = false;
      }
      for (const r of data) rows.push(this.row(req.query, r.Data ?? []));
      next = out.NextToken ?? undefined;
    } while (next !== undefined && rows.length < want);
    return rows;
  }

  private checkColumns(query: NamedQuery, out: GetQueryResultsCommandOutput): void {
    const names = (out.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name);
    const expected = query.columns.map((c) => c.name);
    if (names.join(',') !== expected.join(',')) {
      throw new EngineFailure(`${query.name}: Athena columns ${names.join(',')} differ from the catalog's ${expected.join(',')}`);
    }
  }

  private row(query: NamedQuery, data: { VarCharValue?: string }[]): Row {
    if (data.length !== query.columns.length) throw new EngineFailure(`${query.name}: row of ${data.length} cells`);
    const row: Row = {};
    query.columns.forEach((c, i) => (row[c.name] = cellFromText(c.type, data[i]!.VarCharValue)));
    return row;
  }

  /**
   * One SDK call with retries: throttling (TooManyRequestsException: the account's concurrent
   * query quota, queued queries included; ThrottlingException: the API rate) and transient
   * server errors are retried with full-jitter backoff while the deadline allows, then
   * answered 503 (capacity) or 429 (rate) with Retry-After.
   */
  private async call<T>(req: QueryRequest, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        const name = errorName(e);
        const transient = name === 'TooManyRequestsException' || name === 'ThrottlingException' || name === 'InternalServerException';
        if (!transient) throw new EngineFailure(`athena call failed: ${name}: ${(e as Error).message}`, { cause: e });
        const delay = Math.round(this.clock.random() * Math.min(RETRY.maxMs, RETRY.baseMs * 2 ** attempt));
        if (attempt + 1 >= RETRY.attempts || this.clock.now() + delay > req.deadline - RESULT_MARGIN_MS) {
          log.warn('athena still throttled after retries', { error: name, attempts: attempt + 1 });
          if (name === 'ThrottlingException') throw new EngineBusy('too many requests; slow down', 429, 2);
          throw new EngineBusy('the query engine is busy; try again shortly', 503, 5);
        }
        await this.clock.sleep(delay);
      }
    }
  }
}
