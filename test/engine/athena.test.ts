/**
 * The Athena engine against a mocked SDK (aws-sdk-client-mock): no AWS account exists here, so
 * Athena's behaviour is reproduced at the client seam from its documented responses. The
 * engine's state machine, retries, deadlines and result paging are real; only the service is fake.
 */
import { expect } from 'chai';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { catalog, type NamedQuery, type OutputType } from '../../src/lambda/catalog.ts';
import { S3Object } from '../../src/shared/s3-object.ts';
import { AthenaEngine, RETRY, type Clock } from '../../src/lambda/engine/athena/engine.ts';
import { athenaStatement, LITERAL_GRAMMAR, renderLiteral, stringLiteral, timestampLiteral } from '../../src/lambda/engine/athena/literals.ts';
import { setEngine } from '../../src/lambda/engine/index.ts';
import type { QueryParams, QueryRequest, Row } from '../../src/lambda/engine/types.ts';
import { QueryStillRunning } from '../../src/lambda/engine/types.ts';
import { EngineBusy, EngineFailure, RangeTooExpensive } from '../../src/lambda/errors.ts';
import { queryHandler } from '../../src/lambda/api/query-handler.ts';
import { CLEAR, openDuckDb, runAll } from '../helpers/engine.ts';
import { PseudonymKey } from '../../src/lambda/privacy/pseudonym-key.ts';
import { statementFor } from '../../src/lambda/privacy/statements.ts';
import { testLake } from '../helpers/lake.ts';
import { resultsPage } from '../helpers/athena.ts';
import { apiEvent } from '../helpers/api.ts';

const athena = mockClient(AthenaClient);
const SETTINGS = { workGroup: 'lakegate-test', database: 'lakegate_test', resultReuseMinutes: 0, maxRows: 10_000 };

/** A clock whose sleep only advances time: the whole state machine runs instantly. */
function fakeClock(): Clock & { slept: number[]; start: number } {
  const start = Date.now(); // the handler derives deadlines from the real clock
  let t = start;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; }, random: () => 0.5, slept, start };
}

function engine(clock = fakeClock(), settings = SETTINGS) {
  return new AthenaEngine(new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), settings, clock);
}

const count = catalog().get('count_orders_by_range')!;
const all = catalog().get('all_orders_by_range')!;
const PARAMS: QueryParams = { from: new Date('2024-03-01Z'), to: new Date('2024-03-08Z'), client_id: 4, all_clients: false };
const request = (query: NamedQuery, extra: Partial<QueryRequest> = {}, clock?: Clock): QueryRequest => ({
  query, params: PARAMS, deadline: (clock?.now() ?? Date.now()) + 25_000, requestKey: 'req-1', privacy: CLEAR, ...extra,
});

const state = (State: string, extra: Record<string, unknown> = {}): GetQueryExecutionCommandOutput => ({
  $metadata: {},
  QueryExecution: { QueryExecutionId: 'q-1', Status: { State: State as never, ...extra }, Statistics: { DataScannedInBytes: 1234 } },
});

/** Athena's text form of a cell (GetQueryResults returns every value as VarCharValue). */
function athenaText(type: OutputType, v: unknown): string | undefined {
  if (v === null) return undefined;
  if (type === 'timestamp') return String(v).replace('T', ' ').replace('Z', '');
  if (type === 'double') {
    const n = v as number;
    // Java's Double.toString, as Trino prints doubles: exponent form outside [1e-3, 1e7).
    if (n !== 0 && (Math.abs(n) >= 1e7 || Math.abs(n) < 1e-3)) {
      const [m, e] = n.toExponential().split('e');
      return `${m!.includes('.') ? m : `${m}.0`}E${Number(e)}`;
    }
    return Number.isInteger(n) ? `${n}.0` : String(n);
  }
  return String(v);
}

/** GetQueryResults pages for some rows, as Athena pages them: header first, ≤ MaxResults rows a page. */
function serveResults(query: NamedQuery, rows: Row[]) {
  const text = [
    query.columns.map((c) => ({ VarCharValue: c.name })),
    ...rows.map((r) => query.columns.map((c) => {
      const t = athenaText(c.type, r[c.name]);
      return t === undefined ? {} : { VarCharValue: t };
    })),
  ];
  athena.on(GetQueryResultsCommand).callsFake((input: { MaxResults?: number; NextToken?: string }) => resultsPage(query.columns, text, input));
}

function awsError(name: string) {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode: 400 } });
}

const orderRows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    order_id: i + 1, trackcode_id: 1000 + i, trackcode: `LG${i}`, service: 'standard', route_code: 'CL-SCL-001',
    drop_city: i % 2 ? 'Bogotá' : "O'Higgins, \"Sur\"", status: 'delivered',
    created_at: new Date(Date.UTC(2024, 2, 1) + i * 1000).toISOString(), promise_time: '2024-03-03T00:00:00.000Z',
    start_time: i % 3 ? '2024-03-02T00:00:00.000Z' : null, end_time: null,
    recipient_name: i % 2 ? 'M. Q.' : null, recipient_email: 'XXXXX@gmail.com', recipient_phone: 'XXXXX4321', drop_address: "Av. O'Higgins, \"Sur\"",
    drop_latitude: -12.04, drop_longitude: i % 2 ? -77.03 : null,
  }));

describe('Athena engine (aws-sdk-client-mock at the SDK seam)', () => {
  beforeEach(() => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  });

  describe('states', () => {
    it('QUEUED → RUNNING → SUCCEEDED: starts once with the rendered literals, polls with capped backoff', async () => {
      athena.on(GetQueryExecutionCommand).resolvesOnce(state('QUEUED')).resolvesOnce(state('RUNNING')).resolves(state('SUCCEEDED'));
      serveResults(count, [{ orders: 377 }]);
      const clock = fakeClock();
      const r = await engine(clock).run(request(count, {}, clock));
      expect(r.rows).to.deep.equal([{ orders: 377 }]);
      expect(r.cursor).to.equal(null);
      expect(r.stats).to.include({ engine: 'athena', bytesScanned: 1234 });
      const starts = athena.commandCalls(StartQueryExecutionCommand);
      expect(starts).to.have.length(1);
      const input = starts[0]!.args[0].input;
      expect(input.QueryString).to.equal(count.positional.text);
      expect(input.WorkGroup).to.equal('lakegate-test');
      expect(input.QueryExecutionContext).to.deep.equal({ Database: 'lakegate_test', Catalog: 'AwsDataCatalog' });
      expect(input.ExecutionParameters).to.deep.equal([
        "TIMESTAMP '2024-03-01 00:00:00.000'", "TIMESTAMP '2024-03-08 00:00:00.000'",
        "TIMESTAMP '2024-03-01 00:00:00.000'", "TIMESTAMP '2024-03-08 00:00:00.000'", 'false', '4',
      ]);
      expect(input.ClientRequestToken).to.match(/^[0-9a-f]{64}$/);
      expect(clock.slept).to.deep.equal([150, 240]);
    });

    it('RUNNING → QUEUED → SUCCEEDED is handled', async () => {
      athena.on(GetQueryExecutionCommand).resolvesOnce(state('RUNNING')).resolvesOnce(state('QUEUED')).resolves(state('SUCCEEDED'));
      serveResults(count, [{ orders: 1 }]);
      expect((await engine().run(request(count))).rows).to.deep.equal([{ orders: 1 }]);
    });

    it('the poll interval is capped', async () => {
      const clock = fakeClock();
      let n = 0;
      athena.on(GetQueryExecutionCommand).callsFake(() => (++n < 12 ? state('RUNNING') : state('SUCCEEDED')));
      serveResults(count, [{ orders: 1 }]);
      await engine(clock).run(request(count, {}, clock));
      expect(Math.max(...clock.slept)).to.equal(2000);
    });

    const failures: [string, Record<string, unknown>, new (...a: never[]) => Error, number][] = [
      ['FAILED, category USER (e.g. a schema mismatch)', { StateChangeReason: 'HIVE_BAD_DATA: field x', AthenaError: { ErrorCategory: 2, ErrorType: 1004, Retryable: false } }, EngineFailure, 1],
      ['FAILED, category OTHER', { StateChangeReason: 'something', AthenaError: { ErrorCategory: 3, Retryable: false } }, EngineFailure, 1],
      ['FAILED, SYSTEM and retryable, twice (one retry, then 503)', { StateChangeReason: 'internal', AthenaError: { ErrorCategory: 1, Retryable: true } }, EngineBusy, 2],
      ['FAILED on S3 SlowDown', { StateChangeReason: 'S3 SlowDown: Please reduce your request rate', AthenaError: { ErrorCategory: 2, Retryable: false } }, EngineBusy, 1],
    ];
    for (const [label, status, type, starts] of failures) {
      it(label, async () => {
        athena.on(GetQueryExecutionCommand).resolves(state('FAILED', status));
        const e = await engine().run(request(count)).catch((x) => x);
        expect(e).to.be.instanceOf(type);
        expect(athena.commandCalls(StartQueryExecutionCommand)).to.have.length(starts);
      });
    }

    it('FAILED SYSTEM retryable once, then SUCCEEDED: one retry with a new token', async () => {
      athena.on(StartQueryExecutionCommand).resolvesOnce({ QueryExecutionId: 'q-1' }).resolves({ QueryExecutionId: 'q-2' });
      athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'q-1' }).resolves(state('FAILED', { AthenaError: { ErrorCategory: 1, Retryable: true } }));
      athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'q-2' }).resolves(state('SUCCEEDED'));
      serveResults(count, [{ orders: 2 }]);
      expect((await engine().run(request(count))).rows).to.deep.equal([{ orders: 2 }]);
      const tokens = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.ClientRequestToken);
      expect(tokens).to.have.length(2);
      expect(tokens[0]).to.not.equal(tokens[1]);
    });

    it('CANCELLED by the bytes-scanned cutoff → 422 range too expensive', async () => {
      athena.on(GetQueryExecutionCommand).resolves(state('CANCELLED', { StateChangeReason: 'Query cancelled! : Bytes scanned limit was exceeded' }));
      const e = await engine().run(request(count)).catch((x) => x);
      expect(e).to.be.instanceOf(RangeTooExpensive);
      expect(e.status).to.equal(422);
      expect(athena.commandCalls(GetQueryResultsCommand)).to.have.length(0); // partial data never served
    });

    it('CANCELLED otherwise → 503', async () => {
      athena.on(GetQueryExecutionCommand).resolves(state('CANCELLED', { StateChangeReason: 'cancelled by user' }));
      expect(await engine().run(request(count)).catch((x) => x)).to.be.instanceOf(EngineBusy);
    });
  });

  describe('throttling and transient errors', () => {
    it('throttled start, then success: retried with jitter, the same ClientRequestToken each time', async () => {
      athena.on(StartQueryExecutionCommand).rejectsOnce(awsError('ThrottlingException')).rejectsOnce(awsError('TooManyRequestsException')).resolves({ QueryExecutionId: 'q-1' });
      athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
      serveResults(count, [{ orders: 3 }]);
      const clock = fakeClock();
      expect((await engine(clock).run(request(count, {}, clock))).rows).to.deep.equal([{ orders: 3 }]);
      const tokens = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.ClientRequestToken);
      expect(tokens).to.have.length(3);
      expect(new Set(tokens).size).to.equal(1);
      expect(clock.slept).to.deep.equal([100, 200]); // random 0.5 × 200·2^attempt
    });

    const exhausted: [string, number, string][] = [
      ['TooManyRequestsException (concurrent-query quota) → 503', 503, 'TooManyRequestsException'],
      ['ThrottlingException (API rate) → 429', 429, 'ThrottlingException'],
      ['InternalServerException → 503', 503, 'InternalServerException'],
    ];
    for (const [label, status, name] of exhausted) {
      it(`${label} with Retry-After, after a bounded number of calls`, async () => {
        athena.on(StartQueryExecutionCommand).rejects(awsError(name));
        const e = await engine().run(request(count)).catch((x) => x);
        expect(e).to.be.instanceOf(EngineBusy);
        expect(e.status).to.equal(status);
        expect(Number(e.headers['Retry-After'])).to.be.greaterThan(0);
        expect(athena.commandCalls(StartQueryExecutionCommand)).to.have.length(RETRY.attempts);
      });
    }

    it('a throttled GetQueryExecution backs off and keeps polling', async () => {
      athena.on(GetQueryExecutionCommand).rejectsOnce(awsError('ThrottlingException')).resolves(state('SUCCEEDED'));
      serveResults(count, [{ orders: 4 }]);
      expect((await engine().run(request(count))).rows).to.deep.equal([{ orders: 4 }]);
      expect(athena.commandCalls(GetQueryExecutionCommand)).to.have.length(2);
    });

    it('an unexpected SDK error is a generic failure, not retried', async () => {
      athena.on(StartQueryExecutionCommand).rejects(awsError('AccessDeniedException'));
      expect(await engine().run(request(count)).catch((x) => x)).to.be.instanceOf(EngineFailure);
      expect(athena.commandCalls(StartQueryExecutionCommand)).to.have.length(1);
    });
  });

  describe('deadline', () => {
    it('still running near the deadline → a cursor (202); the follow-up resumes the same execution', async () => {
      athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
      const clock = fakeClock();
      const e = await engine(clock).run(request(count, {}, clock)).catch((x) => x);
      expect(e).to.be.instanceOf(QueryStillRunning);
      expect(clock.now() - clock.start).to.be.below(25_000 - 2000 + 1); // answered inside the deadline, with margin
      athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
      serveResults(count, [{ orders: 5 }]);
      const r = await engine(clock).run(request(count, { cursor: e.cursor }, clock));
      expect(r.rows).to.deep.equal([{ orders: 5 }]);
      expect(athena.commandCalls(StartQueryExecutionCommand)).to.have.length(1); // never a second query
    });

    it('through the handler: 202 with Retry-After and a sealed nextToken, then 200 with the result', async () => {
      process.env.LAKEGATE_PAGE_TOKEN_SECRET = Buffer.alloc(32, 9).toString('base64');
      athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
      setEngine(engine());
      try {
        const handler = queryHandler('count_orders_by_range');
        const ev = (q: Record<string, string[]>) => apiEvent(q);
        const first = await handler(ev({ from: ['2024-03-01'], to: ['2024-03-08'] }));
        expect(first.statusCode).to.equal(202);
        expect(first.headers!['Retry-After']).to.equal('2');
        const body = JSON.parse(first.body);
        expect(body).to.include({ query: 'count_orders_by_range', status: 'running' });
        athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
        serveResults(count, [{ orders: 6 }]);
        const second = await handler(ev({ from: ['2024-03-01'], to: ['2024-03-08'], nextToken: [body.nextToken] }));
        expect(second.statusCode).to.equal(200);
        expect(JSON.parse(second.body).rows).to.deep.equal([{ orders: 6 }]);
        // the token is bound to the range: another range cannot collect this result
        const other = await handler(ev({ from: ['2024-03-01'], to: ['2024-03-09'], nextToken: [body.nextToken] }));
        expect(other.statusCode).to.equal(400);
      } finally {
        setEngine(undefined);
      }
    });
  });

  describe('results', () => {
    beforeEach(() => athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED')));

    for (const n of [0, 1, 999, 1000, 1001, 5000]) {
      it(`${n} rows of an unpaginated query: every row, header skipped exactly once, NextToken followed`, async () => {
        const rows = Array.from({ length: n }, (_, i) => ({ day: `2024-01-${String((i % 28) + 1).padStart(2, '0')}`, trackcodes: i }));
        const q = catalog().get('count_trackcode_by_range')!;
        serveResults(q, rows);
        const r = await engine().run(request(q));
        expect(r.rows).to.deep.equal(rows);
        expect(athena.commandCalls(GetQueryResultsCommand)).to.have.length(Math.max(1, Math.ceil((n + 1) / 1000)));
      });
    }

    it('refuses a result over the row cap rather than truncating it', async () => {
      const q = catalog().get('count_trackcode_by_range')!;
      serveResults(q, Array.from({ length: 30 }, (_, i) => ({ day: '2024-01-01', trackcodes: i })));
      expect(await engine(fakeClock(), { ...SETTINGS, maxRows: 25 }).run(request(q)).catch((x) => x)).to.be.instanceOf(EngineFailure);
    });

    // all_orders_by_range pages (one execution per page, keyset and LIMIT in the statement):
    // test/engine/athena-paging.test.ts.

    it('NULL cells (no VarCharValue) are JSON null; timestamps ISO-8601 UTC; doubles in exponent form parsed', async () => {
      const q = catalog().get('get_money_from_routes_by_range')!;
      const rows = [{ route_id: 1, route_code: 'A', city: 'Lima', orders: 2, revenue: 12345678.5 }, { route_id: 2, route_code: 'B', city: 'Cali', orders: 1, revenue: 0.0001 }];
      serveResults(q, rows);
      expect((await engine().run(request(q))).rows).to.deep.equal(rows);
      serveResults(all, orderRows(3));
      const r = await engine().run(request(all, { page: { size: 10 } }));
      expect(r.rows[0]!.start_time).to.equal(null);
      expect(r.rows[0]!.created_at).to.equal('2024-03-01T00:00:00.000Z');
    });

    it('refuses a result whose columns differ from the catalog', async () => {
      athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'x', Type: 'bigint' }] }, Rows: [{ Data: [{ VarCharValue: 'x' }] }] } });
      expect(await engine().run(request(count)).catch((x) => x)).to.be.instanceOf(EngineFailure);
    });
  });

  describe('literals (Athena pastes ExecutionParameters into the SQL as text)', () => {
    const hostile = [
      "'", "''", "O'Brien", "x' OR '1'='1", "'; DROP TABLE orders; --", "\\'", '\\', "‘smart’ “quotes”", '$1', ':from', '?',
      "a'b'c'", "' UNION SELECT * FROM access_control --", '🙂', 'é', '%_', '*/ /*',
    ];
    for (const s of hostile) {
      it(`string ${JSON.stringify(s)} renders as one literal with quotes doubled`, () => {
        const lit = stringLiteral(s);
        expect(lit).to.match(LITERAL_GRAMMAR.varchar);
        expect(lit.slice(1, -1).replaceAll("''", "'")).to.equal(s); // round-trips: nothing escapes the quotes
      });
    }
    for (const s of ['a\u0000b', 'line\nbreak', 'tab\there', '\u007f']) {
      it(`string ${JSON.stringify(s)} with a control character is refused`, () => expect(() => stringLiteral(s)).to.throw());
    }
    it('timestamps: exact grammar, UTC, milliseconds', () => {
      expect(timestampLiteral(new Date('2024-03-01T10:20:30.456+02:00'))).to.equal("TIMESTAMP '2024-03-01 08:20:30.456'");
      expect(() => timestampLiteral(new Date('nope'))).to.throw();
    });
    it('integers and booleans: typed values only', () => {
      expect(renderLiteral('integer', 42)).to.equal('42');
      expect(renderLiteral('integer', -7)).to.equal('-7');
      for (const bad of [1.5, Number.NaN, Infinity, 2 ** 60, '4', '4 OR 1=1']) expect(() => renderLiteral('integer', bad)).to.throw();
      expect(renderLiteral('boolean', true)).to.equal('true');
      for (const bad of ['true', 1, null]) expect(() => renderLiteral('boolean', bad)).to.throw();
    });
    it("every query's parameters render to literals of the exact grammar, one per ?", () => {
      for (const q of catalog().values()) {
        const page = q.page ? { size: q.page.default } : undefined;
        const { parameters: literals } = athenaStatement(q, { ...PARAMS, ...(q.limit ? { limit: 10 } : {}) }, page, { mode: 'masked', key: new PseudonymKey(Buffer.alloc(32, 1)) });
        expect(literals).to.have.length(statementFor(q, 'masked', 'trino').text.split('?').length - 1);
        for (const l of literals) expect(Object.values(LITERAL_GRAMMAR).some((g) => g.test(l)), l).to.equal(true);
      }
    });
  });

  describe('parity: the same rows give the same HTTP body on both engines', () => {
    for (const query of catalog().values()) {
      it(query.name, async () => {
        const { dir } = await testLake();
        const duck = await openDuckDb(dir);
        process.env.LAKEGATE_PAGE_TOKEN_SECRET = Buffer.alloc(32, 3).toString('base64');
        const params: QueryParams = { from: new Date('2024-03-01Z'), to: new Date('2024-04-01Z'), client_id: 4, all_clients: false, ...(query.limit ? { limit: 10 } : {}) };
        const rows = await runAll(duck, query, params);
        expect(rows.length).to.be.greaterThan(0);
        athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
        serveResults(query, rows);
        // A clear client: the rows the DuckDB engine answers are served as Athena's results.
        const ev = apiEvent({ from: ['2024-03-01'], to: ['2024-04-01'] }, { clientId: '4', rowScope: 'own', maxRangeDays: '366', pii: 'clear' });
        const bodies: string[] = [];
        for (const e of [duck, engine()]) {
          setEngine(e);
          const r = await queryHandler(query.name)(ev);
          expect(r.statusCode).to.equal(200);
          // Everything but `stats` (engine name, timing) is byte-identical; nextToken differs
          // by design (each seals its own engine's cursor), so paged bodies compare rows.
          bodies.push(r.body.replace(/,"nextToken":(null|"[^"]*"),"stats":\{[^}]*\}\}$/, '}'));
        }
        setEngine(undefined);
        await duck.close();
        expect(bodies[1]).to.equal(bodies[0]);
      });
    }
  });
});

describe('S3 access-table store (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('reads the object, then re-validates with If-None-Match: a 304 means unchanged', async () => {
    const body = '{"client_id":1}\n';
    s3.on(GetObjectCommand, { IfNoneMatch: undefined }).resolves({ ETag: '"e1"', Body: { transformToString: async () => body } as never });
    s3.on(GetObjectCommand, { IfNoneMatch: '"e1"' }).rejects(Object.assign(new Error('Not Modified'), { name: '304', $metadata: { httpStatusCode: 304 } }));
    const store = S3Object.fromUri('s3://lakegate-data-prod/access_control/access_control.json', new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
    expect(await store.read()).to.deep.equal({ changed: true, version: '"e1"', body });
    expect(await store.read('"e1"')).to.deep.equal({ changed: false });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).to.deep.include({ Bucket: 'lakegate-data-prod', Key: 'access_control/access_control.json' });
    expect(store.location).to.not.contain('lakegate-data-prod');
  });

  it('any other failure propagates (the cache then fails closed)', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const store = S3Object.fromUri('s3://b-1/k', new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
    expect(await store.read().catch((e) => e.name)).to.equal('AccessDenied');
  });

  it('refuses a malformed URI', () => expect(() => S3Object.fromUri('https://x/y')).to.throw(/s3:\/\//));
});
