/**
 * One Athena execution, in small steps testable at the SDK seam, for the engine and for the
 * rollup builder (`npm run rollup -- --stage S`) alike:
 *
 * - start: StartQueryExecution in the workgroup and Glue database, idempotent by its
 *   ClientRequestToken;
 * - wait: GetQueryExecution with capped backoff until the execution ends, or until the next poll
 *   would pass the deadline (the caller then hands back a cursor: 202);
 * - rows: GetQueryResults through the SDK's paginator, the header row checked and skipped once,
 *   stopping as soon as enough rows are read.
 *
 * Every call goes through the one retry layer (`call`): throttling (TooManyRequestsException:
 * the account's concurrent-query quota, queued queries included; ThrottlingException: the API
 * rate) and transient server errors are retried with full-jitter backoff while the deadline
 * allows, then answered 503 (capacity) or 429 (rate) with Retry-After. The SDK client makes one
 * attempt per call (`engineAthenaClient`): its own retries would multiply these.
 */
import {
  AthenaClient, GetQueryExecutionCommand, paginateGetQueryResults, StartQueryExecutionCommand,
  type AthenaClientConfig, type ColumnInfo, type Datum, type QueryExecution,
} from '@aws-sdk/client-athena';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineBusy, EngineFailure } from '../../errors.ts';
import { log } from '../../log.ts';

/** Where executions run. */
export interface AthenaTarget {
  readonly workGroup: string;
  readonly database: string;
}

/** Time and randomness, injectable so tests run the state machine without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const realClock: Clock = {
  now: Date.now,
  sleep: (ms) => sleep(ms),
  random: Math.random,
};

export const POLL = { firstMs: 150, factor: 1.6, maxMs: 2000 } as const;
export const RETRY = { attempts: 4, baseMs: 200, maxMs: 3000 } as const;
/** Time kept back at the deadline to fetch results and answer. */
export const RESULT_MARGIN_MS = 2000;
/** GetQueryResults' own cap on rows per page. */
const PAGE_MAX = 1000;

/** The engine's Athena client: one attempt per call (the runner retries, within the deadline). */
export function engineAthenaClient(config: AthenaClientConfig = {}): AthenaClient {
  return new AthenaClient({ ...config, maxAttempts: 1 });
}

export interface StartInput {
  readonly sql: string;
  /** One rendered literal per `?` (literals.ts), none for a statement without parameters. */
  readonly parameters?: readonly string[];
  readonly clientRequestToken: string;
  /** Reuse an identical query's result up to this age (0 = never). */
  readonly reuseMinutes?: number;
}

export interface ResultRows {
  readonly columns: readonly ColumnInfo[];
  /** Each row's cells, header excluded. */
  readonly rows: readonly Datum[][];
}

const errorName = (e: unknown): string => (e as { name?: string })?.name ?? '';

export class AthenaRunner {
  constructor(
    private readonly client: AthenaClient,
    private readonly target: AthenaTarget,
    private readonly clock: Clock = realClock,
  ) {}

  async start(input: StartInput, deadline: number): Promise<string> {
    const out = await this.call(deadline, () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: input.sql,
          QueryExecutionContext: { Database: this.target.database, Catalog: 'AwsDataCatalog' },
          WorkGroup: this.target.workGroup,
          ...(input.parameters?.length ? { ExecutionParameters: [...input.parameters] } : {}),
          ClientRequestToken: input.clientRequestToken,
          ...(input.reuseMinutes
            ? { ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: input.reuseMinutes } } }
            : {}),
        }),
      ),
    );
    if (!out.QueryExecutionId) throw new EngineFailure('StartQueryExecution returned no id');
    return out.QueryExecutionId;
  }

  /** The execution once it has ended; undefined when it is still running and the next poll would pass the deadline. */
  async wait(id: string, deadline: number): Promise<QueryExecution | undefined> {
    let delay: number = POLL.firstMs;
    for (;;) {
      const out = await this.call(deadline, () => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      const execution = out.QueryExecution ?? {};
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return execution;
      // QUEUED or RUNNING (a query may also go back from RUNNING to QUEUED): keep waiting.
      if (this.clock.now() + delay > deadline - RESULT_MARGIN_MS) return undefined;
      await this.clock.sleep(delay);
      delay = Math.min(POLL.maxMs, Math.round(delay * POLL.factor));
    }
  }

  /**
   * Up to `want` rows of a result (Athena pages hold at most 1000), through the SDK's paginator.
   * The header row comes first in the result's first page only, and is skipped exactly once.
   */
  async rows(id: string, want: number, deadline: number): Promise<ResultRows> {
    // The paginator's calls go through the retry layer: a client whose `send` is `call` around the real one.
    const retrying = Object.create(this.client) as AthenaClient;
    retrying.send = ((command: never) => this.call(deadline, () => this.client.send(command))) as AthenaClient['send'];
    const pageSize = Math.min(PAGE_MAX, want + 1);
    let columns: readonly ColumnInfo[] | undefined;
    const rows: Datum[][] = [];
    for await (const page of paginateGetQueryResults({ client: retrying, pageSize }, { QueryExecutionId: id })) {
      let data = page.ResultSet?.Rows ?? [];
      if (columns === undefined) {
        columns = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
        data = data.slice(1);
      }
      for (const r of data) rows.push(r.Data ?? []);
      if (rows.length >= want) break;
    }
    return { columns: columns ?? [], rows: rows.slice(0, want) };
  }

  /** One SDK call through the retry layer (see the header). */
  async call<T>(deadline: number, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        const name = errorName(e);
        const transient = name === 'TooManyRequestsException' || name === 'ThrottlingException' || name === 'InternalServerException';
        if (!transient) throw new EngineFailure(`athena call failed: ${name}: ${(e as Error).message}`, { cause: e });
        const delay = Math.round(this.clock.random() * Math.min(RETRY.maxMs, RETRY.baseMs * 2 ** attempt));
        if (attempt + 1 >= RETRY.attempts || this.clock.now() + delay > deadline - RESULT_MARGIN_MS) {
          log.warn('athena still throttled after retries', { error: name, attempts: attempt + 1 });
          if (name === 'ThrottlingException') throw new EngineBusy('too many requests; slow down', 429, 2);
          throw new EngineBusy('the query engine is busy; try again shortly', 503, 5);
        }
        await this.clock.sleep(delay);
      }
    }
  }
}
