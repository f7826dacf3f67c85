/**
 * The AWS engine: Athena runs the query's SQL over the Glue-cataloged lake.
 *
 * The flow is small steps, each testable at the SDK seam: start (idempotent by
 * ClientRequestToken, parameters rendered as literals) → wait (capped backoff, inside the
 * request's deadline) → read (GetQueryResults pages, header row skipped once, values typed by
 * the catalog's columns, so both engines give the same JSON). Throttling is retried with
 * jittered backoff, then answered 429/503 with Retry-After; a query still running at the
 * deadline becomes a cursor the client resumes (202), never API Gateway's 504.
 */
import { createHash } from 'node:crypto';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand,
  type GetQueryResultsCommandOutput, type QueryExecution,
} from '@aws-sdk/client-athena';
import type { NamedQuery } from '../catalog.ts';
import { athenaConfig } from '../config.ts';
import { EngineBusy, EngineFailure, RangeTooExpensive } from '../errors.ts';
import { log } from '../log.ts';
import { executionParameters } from './athena-literals.ts';
import { QueryStillRunning, type QueryEngine, type QueryRequest, type QueryResult, type Row } from './types.ts';
import { cellFromText } from './values.ts';

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

/** Where an execution stands between requests: its id, and the Athena page token to resume at. */
interface Cursor {
  readonly id: string;
  readonly next?: string;
}

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(text: string): Cursor {
  const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  if (typeof c?.id !== 'string' || (c.next !== undefined && typeof c.next !== 'string')) throw new Error('malformed Athena cursor');
  return c;
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
  ) {}

  static fromConfig(): AthenaEngine {
    return new AthenaEngine(new AthenaClient({}), athenaConfig());
  }

  async run(req: QueryRequest): Promise<QueryResult> {
    const started = this.clock.now();
    const resumed = req.cursor !== undefined ? decodeCursor(req.cursor) : undefined;
    let id = resumed?.id ?? (await this.start(req, 0));
    let execution = await this.wait(id, req);
    if (execution.Status?.State === 'FAILED' && this.retryable(execution) && !resumed) {
      log.warn('athena query failed with a retryable system error: retrying once', this.failureFields(execution));
      id = await this.start(req, 1);
      execution = await this.wait(id, req);
    }
    this.check(execution);
    const { rows, next } = await this.read(req, id, resumed?.next);
    const stats = execution.Statistics;
    return {
      columns: req.query.columns,
      rows,
      cursor: next === undefined ? null : encodeCursor({ id, next }),
      stats: {
        engine: this.name,
        elapsedMs: this.clock.now() - started,
        // Athena runs the raw SQL: rollups there are built (npm run rollup -- --stage) for the
        // console and a later engine step, not read per request yet.
        source: 'raw',
        bytesScanned: stats?.DataScannedInBytes ?? 0,
        resultReused: stats?.ResultReuseInformation?.ReusedPreviousResult ?? false,
      },
    };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * StartQueryExecution. The ClientRequestToken derives from the request, the query and its
   * literals, so a retried start (throttling, network error) returns the same execution.
   */
  private async start(req: QueryRequest, attempt: number): Promise<string> {
    const parameters = executionParameters(req.query, req.params);
    const token = createHash('sha256')
      .update(JSON.stringify([req.requestKey ?? '', req.query.name, parameters, attempt]))
      .digest('hex');
    const out = await this.call(req, () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: req.query.positional.text,
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
  private async wait(id: string, req: QueryRequest): Promise<QueryExecution> {
    let delay: number = POLL.firstMs;
    for (;;) {
      const out = await this.call(req, () => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      const execution = out.QueryExecution ?? {};
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return execution;
      // QUEUED or RUNNING (a query may also go back from RUNNING to QUEUED): keep waiting.
      const wake = this.clock.now() + delay;
      if (wake > req.deadline - RESULT_MARGIN_MS) throw new QueryStillRunning(encodeCursor({ id }));
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
   * Rows of one page (paginated queries, exactly `page.size` rows unless the result ends) or of
   * the whole result (up to maxRows). The header row comes first in the result's first page
   * only, and is skipped exactly once.
   */
  private async read(req: QueryRequest, id: string, resumeAt: string | undefined): Promise<{ rows: Row[]; next?: string }> {
    const want = req.page?.size ?? this.settings.maxRows + 1;
    const rows: Row[] = [];
    let next = resumeAt;
    let headerPending = resumeAt === undefined;
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
    if (!req.page && rows.length > this.settings.maxRows) {
      throw new EngineFailure(`${req.query.name} returned more than ${this.settings.maxRows} rows`);
    }
    return { rows, ...(req.page && next !== undefined ? { next } : {}) };
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
