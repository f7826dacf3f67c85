/**
 * The Athena engine's start/poll/read path over the wire, against the emulator's Athena: the
 * statement and its rendered literals as Athena receives them, canned results (the emulator runs
 * no SQL) read back and typed, a listing's masked statement with the key as a binary literal, an
 * execution still running at the deadline answered as a cursor (202) and collected later, and a
 * cancelled one answered 503. The emulator does not model FAILED executions, bytes scanned,
 * result reuse, idempotent ClientRequestTokens or result paging: test/engine/athena*.test.ts
 * (SDK mocks) keep those.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { queryHandler } from '../../src/lambda/api/query-handler.ts';
import { catalog, type NamedQuery } from '../../src/lambda/catalog.ts';
import { AthenaEngine, engineAthenaClient } from '../../src/lambda/engine/athena/engine.ts';
import { realClock } from '../../src/lambda/engine/athena/runner.ts';
import { athenaStatement } from '../../src/lambda/engine/athena/literals.ts';
import { setEngine } from '../../src/lambda/engine/index.ts';
import { QueryStillRunning, type QueryParams, type QueryRequest, type Row } from '../../src/lambda/engine/types.ts';
import { EngineBusy } from '../../src/lambda/errors.ts';
import { PseudonymKey } from '../../src/lambda/privacy/pseudonym-key.ts';
import type { Privacy } from '../../src/lambda/privacy/statements.ts';
import { apiEvent } from '../helpers/api.ts';
import { ACCOUNT, describeWithMoto, REGION, type Moto } from '../helpers/moto.ts';

const WORKGROUP = 'lakegate-emu';
const SETTINGS = { workGroup: WORKGROUP, database: 'lakegate_emu', resultReuseMinutes: 0, maxRows: 1000 };
const PARAMS: QueryParams = { from: new Date('2024-03-01T00:00:00Z'), to: new Date('2024-03-08T00:00:00Z'), client_id: 4, all_clients: false };
const count = catalog().get('count_orders_by_range')!;
const listing = catalog().get('all_orders_by_range')!;

/** Athena's text form of a cell (what GetQueryResults gives as VarCharValue). */
const text = (v: unknown) => (v === null ? {} : { VarCharValue: String(v).replace(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}\.\d{3})Z$/, '$1 $2') });

describeWithMoto('the Athena engine over the wire', (moto) => {
  let athena: AthenaClient;
  const engine = () => new AthenaEngine(engineAthenaClient(), SETTINGS, realClock);
  const request = (query: NamedQuery, extra: Partial<QueryRequest> = {}): QueryRequest => ({
    query, params: PARAMS, deadline: Date.now() + 20_000, requestKey: `req-${randomBytes(4).toString('hex')}`, privacy: { mode: 'clear' }, ...extra,
  });
  /** Queue the rows the next started execution will give (header row first, as Athena does). */
  const serve = (query: NamedQuery, rows: readonly Row[]) => moto().control('/moto-api/static/athena/query-results', {
    account_id: ACCOUNT, region: REGION,
    results: [{
      rows: [{ Data: query.columns.map((c) => ({ VarCharValue: c.name })) }, ...rows.map((r) => ({ Data: query.columns.map((c) => text(r[c.name] ?? null)) }))],
      column_info: query.columns.map((c) => ({ Name: c.name, Label: c.name, Type: c.type, CatalogName: 'hive', SchemaName: '', TableName: '', Precision: 0, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: false })),
    }],
  });
  /** The executions the engine started, oldest first, as Athena recorded them. */
  const started = async () => {
    const { QueryExecutionIds = [] } = await athena.send(new ListQueryExecutionsCommand({ WorkGroup: WORKGROUP }));
    return Promise.all(QueryExecutionIds.map(async (id) => (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!));
  };
  /** Executions stay QUEUED, then RUNNING, for `polls` status reads each. */
  const slowExecutions = (polls: number) => moto().control('/moto-api/state-manager/set-transition', { model_name: 'athena::execution', transition: { progression: 'manual', times: polls } });

  beforeEach(async () => {
    athena = new AthenaClient({});
    await new S3Client({}).send(new CreateBucketCommand({ Bucket: 'lakegate-emu-results' }));
    await athena.send(new CreateWorkGroupCommand({ Name: WORKGROUP, Configuration: { ResultConfiguration: { OutputLocation: 's3://lakegate-emu-results/athena/' } } }));
  });
  afterEach(async () => moto().control('/moto-api/state-manager/unset-transition', { model_name: 'athena::execution' }));

  it('count_orders_by_range: one execution in the workgroup and database, the SQL and its literals as rendered, the canned row typed', async () => {
    await serve(count, [{ orders: 42 }]);
    const r = await engine().run(request(count));
    expect(r.rows).to.deep.equal([{ orders: 42 }]);
    expect(r.stats).to.deep.include({ engine: 'athena', source: 'raw', bytesScanned: 0, resultReused: false });
    const [execution, ...more] = await started();
    expect(more).to.deep.equal([]);
    const want = athenaStatement(count, PARAMS, undefined, { mode: 'clear' });
    expect(execution!.Query).to.equal(want.sql);
    expect(execution!.ExecutionParameters).to.deep.equal(want.parameters);
    expect(execution!.ExecutionParameters).to.include("TIMESTAMP '2024-03-01 00:00:00.000'");
    expect(execution!.QueryExecutionContext?.Database).to.equal(SETTINGS.database);
  });

  it('a listing page for a masked client: the masks in the statement, the key only as a binary literal parameter; one more row than the page gives a cursor', async () => {
    const privacy: Privacy = { mode: 'masked', key: new PseudonymKey(randomBytes(32)) };
    const rows: Row[] = [1, 2, 3].map((i) => ({
      order_id: i, trackcode_id: 100 + i, trackcode: `LG${i}`, service: 'standard', route_code: 'PE-LIM-001', drop_city: 'Lima', status: 'delivered',
      created_at: `2024-03-0${i}T10:00:00.000Z`, promise_time: '2024-03-09T00:00:00.000Z', start_time: null, end_time: null,
      recipient_name: 'M. Q.', recipient_email: 'XXXXX@gmail.com', recipient_phone: 'XXXXX4321', drop_address: 'Av. Larco', drop_latitude: -12.05, drop_longitude: -77.04,
    }));
    await serve(listing, rows);
    const r = await engine().run(request(listing, { page: { size: 2 }, privacy }));
    expect(r.rows).to.deep.equal(rows.slice(0, 2));
    expect(r.cursor).to.be.a('string');
    const [execution] = await started();
    expect(execution!.Query).to.include('regexp_like(personal.recipient_email').and.include('hmac_sha256(to_utf8(');
    expect(execution!.Query).to.not.include(privacy.key!.key.toString('hex'));
    expect(execution!.ExecutionParameters).to.include(`X'${privacy.key!.key.toString('hex')}'`);
    expect(execution!.ExecutionParameters).to.include('3'); // the page's rows picked: size + 1
  });

  it('an execution still running at the deadline is handed back as a cursor (202); collected with it once it has finished', async () => {
    await slowExecutions(4);
    await serve(count, [{ orders: 7 }]);
    const e = await engine().run(request(count, { deadline: Date.now() + 2300 })).then(() => undefined, (x: unknown) => x);
    expect(e).to.be.instanceOf(QueryStillRunning);
    const [running] = await started();
    expect(['QUEUED', 'RUNNING'], 'not finished yet').to.include(running!.Status?.State);
    const r = await engine().run(request(count, { cursor: (e as QueryStillRunning).cursor }));
    expect(r.rows).to.deep.equal([{ orders: 7 }]);
    expect(await started(), 'no second execution').to.have.length(1);
  });

  it('an execution cancelled while its client waits is answered 503 when collected', async () => {
    await slowExecutions(50);
    const e = (await engine().run(request(count, { deadline: Date.now() + 2300 })).then(() => undefined, (x: unknown) => x)) as QueryStillRunning;
    expect(e).to.be.instanceOf(QueryStillRunning);
    const [execution] = await started();
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: execution!.QueryExecutionId }));
    const refused = await engine().run(request(count, { cursor: e.cursor })).then(() => undefined, (x: unknown) => x);
    expect(refused).to.be.instanceOf(EngineBusy);
    expect((refused as EngineBusy).status).to.equal(503);
  });

  it('through the query handler: a 200 whose body holds the canned rows, from the Athena engine', async () => {
    await serve(count, [{ orders: 11 }]);
    setEngine(engine());
    try {
      const r = await queryHandler('count_orders_by_range')(apiEvent({ from: ['2024-03-01'], to: ['2024-03-08'] }));
      expect(r.statusCode, r.body).to.equal(200);
      const body = JSON.parse(r.body);
      expect(body.rows).to.deep.equal([{ orders: 11 }]);
      expect(body.stats.engine).to.equal('athena');
    } finally {
      setEngine(undefined);
    }
  });
});
