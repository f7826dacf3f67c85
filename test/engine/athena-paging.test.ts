/**
 * `all_orders_by_range` on Athena: one execution per page, picked in the SQL by keyset.
 *
 * FAKE at the SDK seam (aws-sdk-client-mock): no AWS account exists here. The fake Athena runs
 * each StartQueryExecution's real statement — the query file's positional SQL with its
 * ExecutionParameters pasted in as the literals they are — in DuckDB over the test lake, and
 * serves the rows as Athena's text cells. So the SQL, the literals, the keyset and the LIMIT the
 * engine sends are what decide the rows; only the service is fake.
 */
import { expect } from 'chai';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { DuckDBInstance, type DuckDBConnection, type DuckDBTimestampValue } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';
import { catalog, type NamedQuery } from '../../src/lambda/catalog.ts';
import { AthenaEngine, pageOf, type Clock } from '../../src/lambda/engine/athena/engine.ts';
import { athenaStatement, timestampLiteral } from '../../src/lambda/engine/athena/literals.ts';
import { createLakeViews } from '../../src/lambda/engine/duckdb/views.ts';
import { setEngine } from '../../src/lambda/engine/index.ts';
import { QueryStillRunning, type QueryParams, type QueryRequest, type Row } from '../../src/lambda/engine/types.ts';
import { queryHandler } from '../../src/lambda/api/query-handler.ts';
import { resultsPage } from '../helpers/athena.ts';
import { apiEvent } from '../helpers/api.ts';
import { CLEAR, openDuckDb, runAll } from '../helpers/engine.ts';
import { testLake } from '../helpers/lake.ts';

const athena = mockClient(AthenaClient);
const SETTINGS = { workGroup: 'lakegate-test', database: 'lakegate_test', resultReuseMinutes: 0, maxRows: 10_000 };
const all = catalog().get('all_orders_by_range')!;

/** A clock whose sleep only advances time. */
function fakeClock(): Clock {
  let t = Date.now();
  return { now: () => t, sleep: async (ms) => void (t += ms), random: () => 0.5 };
}

const engine = (clock: Clock = fakeClock(), settings = SETTINGS) =>
  new AthenaEngine(new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), settings, clock);

/** The statement Athena would run: every `?` of the SQL (comments dropped) replaced by its literal, in order. */
function pasted(sql: string, literals: readonly string[]): string {
  const parts = sql.replace(/--.*$/gm, '').split('?');
  expect(parts.length - 1, 'one literal per ?').to.equal(literals.length);
  return parts.map((p, i) => p + (literals[i] ?? '')).join('');
}

/** Athena's text form of a DuckDB value of the catalog's type (every cell is VarCharValue). */
function athenaCell(type: string, v: unknown): { VarCharValue?: string } {
  if (v === null || v === undefined) return {};
  if (type === 'timestamp') return { VarCharValue: new Date(Number((v as DuckDBTimestampValue).micros / 1000n)).toISOString().replace('T', ' ').replace('Z', '') };
  return { VarCharValue: String(v) };
}

/** FAKE Athena (see the file comment): executions run in DuckDB, results paged as GetQueryResults pages them. */
class DuckBackedAthena {
  readonly results = new Map<string, { VarCharValue?: string }[][]>();
  readonly starts: StartQueryExecutionCommandInput[] = [];
  state = 'SUCCEEDED';

  constructor(private readonly conn: DuckDBConnection, private readonly query: NamedQuery) {}

  install(): void {
    athena.on(StartQueryExecutionCommand).callsFake(async (input: StartQueryExecutionCommandInput) => {
      this.starts.push(input);
      const id = `q-${this.starts.length}`;
      const reader = await this.conn.runAndReadAll(pasted(input.QueryString!, input.ExecutionParameters ?? []));
      const header = this.query.columns.map((c) => ({ VarCharValue: c.name }));
      const rows = reader.getRows().map((r) => this.query.columns.map((c, i) => athenaCell(c.type, r[i])));
      this.results.set(id, [header, ...rows]);
      return { QueryExecutionId: id };
    });
    athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => ({
      QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: this.state }, Statistics: { DataScannedInBytes: 1 } },
    }));
    athena.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId: string; MaxResults?: number; NextToken?: string }) => {
      const text = this.results.get(input.QueryExecutionId);
      if (!text) throw Object.assign(new Error('unknown execution'), { name: 'InvalidRequestException' });
      return resultsPage(this.query.columns, text, input);
    });
  }

  /** The literal a start passed for a parameter (its first occurrence). */
  literal(start: StartQueryExecutionCommandInput, name: string): string {
    const i = this.query.positional.order.indexOf(name);
    expect(i, name).to.be.at.least(0);
    return start.ExecutionParameters![i]!;
  }
}

const request = (params: QueryParams, size: number, cursor?: string, clock?: Clock): QueryRequest => ({
  query: all, params, page: { size }, deadline: (clock?.now() ?? Date.now()) + 25_000, requestKey: 'req-1', privacy: CLEAR,
  ...(cursor ? { cursor } : {}),
});

/** Every page through the engine, oldest first. */
async function pages(e: AthenaEngine, params: QueryParams, size: number): Promise<Row[][]> {
  const out: Row[][] = [];
  let cursor: string | undefined;
  do {
    const r = await e.run(request(params, size, cursor));
    out.push([...r.rows]);
    cursor = r.cursor ?? undefined;
  } while (cursor && out.length < 5000);
  return out;
}

describe('Athena pages of all_orders_by_range: one execution per page (fake Athena running the SQL in DuckDB)', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let fake: DuckBackedAthena;

  before(async () => {
    const { dir } = await testLake();
    instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    conn = await instance.connect();
    await createLakeViews(conn, dir);
  });
  after(() => {
    conn.closeSync();
    instance.closeSync();
  });
  beforeEach(() => {
    athena.reset();
    fake = new DuckBackedAthena(conn, all);
    fake.install();
  });

  /** The rows of the range in one execution: the first keyset and a limit no range reaches. */
  async function singleRun(params: QueryParams): Promise<Row[]> {
    const { parameters: literals } = athenaStatement(all, params, { size: 1e15 - 1 }, CLEAR);
    const reader = await conn.runAndReadAll(pasted(all.positional.text, literals));
    const rows = reader.getRows().map((r) => {
      const row: Row = {};
      all.columns.forEach((c, i) => (row[c.name] = r[i] === null ? null : c.type === 'timestamp'
        ? new Date(Number((r[i] as DuckDBTimestampValue).micros / 1000n)).toISOString()
        : c.type === 'varchar' ? String(r[i]) : Number(r[i])));
      return row;
    });
    return rows;
  }

  const cases: [string, QueryParams, number][] = [
    ['all clients, a day from mid-day, pages of 1', { from: new Date('2024-03-04T15:30:00Z'), to: new Date('2024-03-05T00:00:00Z'), client_id: 4, all_clients: true }, 1],
    ['one client, a month, pages of 7', { from: new Date('2024-03-01T00:00:00Z'), to: new Date('2024-04-01T00:00:00Z'), client_id: 4, all_clients: false }, 7],
    ['all clients, a month from mid-day, pages of 100', { from: new Date('2024-03-01T13:17:00Z'), to: new Date('2024-04-01T00:00:00Z'), client_id: 4, all_clients: true }, 100],
    ['all clients, a quarter, pages of 1000', { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-04-01T00:00:00Z'), client_id: 4, all_clients: true }, 1000],
  ];
  for (const [label, params, size] of cases) {
    it(`${label}: pages concatenated = the single run's rows; each page is one execution with its keyset and LIMIT`, async () => {
      const expected = await singleRun(params);
      expect(expected.length, 'rows in the range').to.be.greaterThan(size);
      const got = await pages(engine(), params, size);
      expect(got.flat()).to.deep.equal(expected);
      for (const p of got.slice(0, -1)) expect(p).to.have.length(size);
      expect(got.at(-1)!.length).to.be.within(1, size);
      // One execution per page, each picking size + 1 rows after the previous page's last row.
      expect(fake.starts).to.have.length(got.length);
      fake.starts.forEach((start, i) => {
        expect(fake.literal(start, 'page_rows')).to.equal(String(size + 1));
        const previous = got[i - 1]?.at(-1);
        const afterTime = previous ? new Date(String(previous.created_at)) : new Date(params.from.getTime() - 1);
        expect(fake.literal(start, 'after_created_at')).to.equal(timestampLiteral(afterTime));
        expect(fake.literal(start, 'after_order_id')).to.equal(String(previous?.order_id ?? 0));
        // later pages prune the partitions already served: `from` moves up to the keyset
        expect(fake.literal(start, 'from')).to.equal(timestampLiteral(previous ? afterTime : params.from));
        expect(fake.literal(start, 'to')).to.equal(timestampLiteral(params.to));
        expect(start.QueryString).to.equal(all.positional.text);
      });
      expect(new Set(fake.starts.map((s) => s.ClientRequestToken)).size, 'a token per page').to.equal(got.length);
    });
  }

  it('the same rows as the DuckDB engine, page for page', async () => {
    const { dir } = await testLake();
    const duck = await openDuckDb(dir);
    try {
      const params = cases[2]![1];
      expect((await pages(engine(), params, 250)).flat()).to.deep.equal(await runAll(duck, all, params, 250));
    } finally {
      await duck.close();
    }
  });

  it('an empty range: one execution, no rows, no cursor', async () => {
    const params = { from: new Date('2023-01-01T00:00:00Z'), to: new Date('2023-01-02T00:00:00Z'), client_id: 4, all_clients: true };
    const r = await engine().run(request(params, 100));
    expect(r.rows).to.deep.equal([]);
    expect(r.cursor).to.equal(null);
    expect(fake.starts).to.have.length(1);
  });

  it('a page still running at the deadline → 202 cursor; the follow-up reads that execution, then the next page starts after its last row', async () => {
    const params = cases[1]![1];
    const expected = await singleRun(params);
    const clock = fakeClock();
    fake.state = 'RUNNING';
    const e = await engine(clock).run(request(params, 7, undefined, clock)).catch((x) => x);
    expect(e).to.be.instanceOf(QueryStillRunning);
    fake.state = 'SUCCEEDED';
    const first = await engine(clock).run(request(params, 7, e.cursor, clock));
    expect(first.rows).to.deep.equal(expected.slice(0, 7));
    expect(fake.starts).to.have.length(1); // the resume never starts a second execution
    // The next page, itself still running once: resumed the same way.
    fake.state = 'RUNNING';
    const e2 = await engine(clock).run(request(params, 7, first.cursor!, clock)).catch((x) => x);
    expect(e2).to.be.instanceOf(QueryStillRunning);
    fake.state = 'SUCCEEDED';
    const second = await engine(clock).run(request(params, 7, e2.cursor, clock));
    expect(second.rows).to.deep.equal(expected.slice(7, 14));
    expect(fake.starts).to.have.length(2);
    expect(fake.literal(fake.starts[1]!, 'after_order_id')).to.equal(String(expected[6]!.order_id));
  });

  it('through the handler: nextTokens page the whole range; a 202 token collects its page', async () => {
    process.env.LAKEGATE_PAGE_TOKEN_SECRET = Buffer.alloc(32, 5).toString('base64');
    const params = cases[1]![1];
    const expected = await singleRun(params);
    setEngine(engine());
    try {
      const handler = queryHandler('all_orders_by_range');
      const base = { from: ['2024-03-01'], to: ['2024-04-01'], limit: ['50'] };
      // A clear client: the fake Athena runs the SQL in DuckDB, which has not Trino's masking functions.
      const clearClient = { clientId: '4', rowScope: 'own', maxRangeDays: '366', pii: 'clear' };
      fake.state = 'RUNNING';
      const running = await handler(apiEvent(base, clearClient));
      expect(running.statusCode).to.equal(202);
      fake.state = 'SUCCEEDED';
      const got: Row[] = [];
      let token: string | null = JSON.parse(running.body).nextToken;
      while (token) {
        const r = await handler(apiEvent({ ...base, nextToken: [token] }, clearClient));
        expect(r.statusCode, r.body).to.equal(200);
        const body = JSON.parse(r.body);
        got.push(...body.rows);
        token = body.nextToken;
      }
      expect(got).to.deep.equal(expected);
      expect(fake.starts).to.have.length(Math.ceil(expected.length / 50)); // no empty last page
    } finally {
      setEngine(undefined);
    }
  });

  it('the same page asks Athena the same statement (result reuse applies), with reuse configured', async () => {
    const params = cases[0]![1];
    const e = engine(fakeClock(), { ...SETTINGS, resultReuseMinutes: 15 });
    await e.run({ ...request(params, 1), requestKey: 'a' });
    await e.run({ ...request(params, 1), requestKey: 'b' });
    const [a, b] = fake.starts;
    expect(a!.QueryString).to.equal(b!.QueryString);
    expect(a!.ExecutionParameters).to.deep.equal(b!.ExecutionParameters);
    expect(a!.ClientRequestToken).to.not.equal(b!.ClientRequestToken);
    expect(a!.ResultReuseConfiguration).to.deep.equal({ ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 15 } });
  });
});

describe('Athena pages: the page served from the rows an execution picked (pageOf)', () => {
  const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ order_id: i + 1 }));
  const table: [string, number, number, number, number, boolean][] = [
    // label, rows picked, size, picks (LIMIT), served, next page
    ['a full page and one more', 101, 100, 101, 100, true],
    ['the last page, short', 40, 100, 101, 40, false],
    ['exactly a page: nothing after it', 100, 100, 101, 100, false],
    ['no rows', 0, 100, 101, 0, false],
    ['resumed with a smaller size than the execution picked', 101, 10, 101, 10, true],
    ['resumed with a larger size: never past the limit less one', 101, 500, 101, 100, true],
    ['resumed with a larger size, short result: every row, the end', 60, 500, 101, 60, false],
  ];
  for (const [label, n, size, picks, served, more] of table) {
    it(label, () => {
      const page = pageOf(rows(n), size, picks);
      expect(page.rows).to.deep.equal(rows(served));
      expect(page.more).to.equal(more);
    });
  }
});

describe('Athena pages every paginated query in the SQL', () => {
  it('every @page query of the catalog picks its page (:page_rows and the keyset), so Athena never pages a whole range', () => {
    const paged = [...catalog().values()].filter((q) => q.page);
    expect(paged.length).to.be.greaterThan(0);
    for (const q of paged) expect(q.params, q.name).to.include.members(['page_rows', ...q.page!.keys.map((k) => `after_${k}`)]);
  });
});
