/**
 * Rollups on Athena (docs/design.md §12): the aggregate queries read the daily rollups for the whole days
 * whose S3 objects are the ones `rollups.json` records, and raw for every other day.
 *
 * FAKES at the SDK seam (aws-sdk-client-mock): a fake data bucket (GetObject of rollups.json with
 * ETags and If-None-Match, ListObjectsV2 by prefix) and a fake Athena that records the statements
 * it is asked to run. What is tested is the engine's choice of statement and literals; that the
 * rollup path's SQL answers exactly like the raw SQL is test/engine/rollup.test.ts (same SQL files).
 */
import { expect } from 'chai';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type GetObjectCommandInput, type ListObjectsV2CommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { catalog, type NamedQuery } from '../../src/lambda/catalog.ts';
import { AthenaEngine, type Clock } from '../../src/lambda/engine/athena/engine.ts';
import { LITERAL_GRAMMAR, timestampLiteral } from '../../src/lambda/engine/athena/literals.ts';
import { QueryStillRunning, type QueryParams, type QueryRequest } from '../../src/lambda/engine/types.ts';
import type { FileMark, PartitionMark, RollupDay, RollupManifest } from '../../src/lambda/rollups/manifest.ts';
import { monthsBetween, s3DayUsable, S3RollupFreshness } from '../../src/lambda/rollups/s3-freshness.ts';
import { CLEAR } from '../helpers/engine.ts';

const athena = mockClient(AthenaClient);
const s3 = mockClient(S3Client);
const SETTINGS = { workGroup: 'lakegate-test', database: 'lakegate_test', resultReuseMinutes: 0, maxRows: 10_000 };
const BUCKET = 'lakegate-data-test';
const TTL_MS = 5_000;
const count = catalog().get('count_orders_by_range')!;
const money = catalog().get('get_money_from_routes_by_range')!;

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = Date.parse('2026-11-27T12:00:00Z');
  return { now: () => t, sleep: async (ms) => void (t += ms), random: () => 0.5, advance: (ms) => void (t += ms) };
}

const DAY_MS = 86_400_000;
const days = (from: string, n: number) => Array.from({ length: n }, (_, i) => new Date(Date.parse(`${from}T00:00:00Z`) + i * DAY_MS).toISOString().slice(0, 10));
const LAKE_DAYS = days('2024-02-20', 50); // 2024-02-20 … 2024-04-09

/** FAKE data bucket: objects (key → ETag, size) and the rollups.json body, as the rebuild left them. */
class FakeBucket {
  readonly objects = new Map<string, { etag: string; size: number }>();
  record: RollupManifest = { version: 1, tables: {} };
  recordEtag = '"m-1"';
  recordMissing = false;
  failWith: string | undefined;

  constructor() {
    for (const [source, rollup] of [['orders', 'orders_daily'], ['trackcode', 'trackcode_daily']] as const) {
      const records: Record<string, RollupDay> = {};
      for (const day of LAKE_DAYS) {
        this.objects.set(`${source}/dt=${day}/part-0.parquet`, { etag: `"s-${day}"`, size: 100 });
        this.objects.set(`${rollup}/dt=${day}/r-0.parquet`, { etag: `"r-${day}"`, size: 10 });
        records[day] = { source: { folder: 0, files: [['part-0.parquet', 100, `"s-${day}"`]] }, rollup: [['r-0.parquet', 10, `"r-${day}"`]], exact: true };
      }
      this.record.tables[rollup] = records;
    }
  }

  install(): void {
    s3.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
      if (this.failWith) throw Object.assign(new Error(this.failWith), { name: this.failWith, $metadata: { httpStatusCode: 403 } });
      expect(input).to.include({ Bucket: BUCKET, Key: 'rollups.json' });
      if (this.recordMissing) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
      if (input.IfNoneMatch === this.recordEtag) throw Object.assign(new Error('Not Modified'), { name: '304', $metadata: { httpStatusCode: 304 } });
      const body = JSON.stringify(this.record);
      return { ETag: this.recordEtag, Body: { transformToString: async () => body } as never };
    });
    s3.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
      expect(input.Bucket).to.equal(BUCKET);
      const keys = [...this.objects.keys()].filter((k) => k.startsWith(input.Prefix!)).sort();
      return { Contents: keys.map((Key) => ({ Key, ETag: this.objects.get(Key)!.etag, Size: this.objects.get(Key)!.size })), IsTruncated: false };
    });
  }
}

/** FAKE Athena: records each start; every execution succeeds (or stays RUNNING) with one row. */
function installAthena(query: NamedQuery, state: { value: string } = { value: 'SUCCEEDED' }): StartQueryExecutionCommandInput[] {
  const starts: StartQueryExecutionCommandInput[] = [];
  athena.on(StartQueryExecutionCommand).callsFake(async (input: StartQueryExecutionCommandInput) => {
    starts.push(input);
    return { QueryExecutionId: `q-${starts.length}` };
  });
  athena.on(GetQueryExecutionCommand).callsFake(() => ({ QueryExecution: { Status: { State: state.value }, Statistics: { DataScannedInBytes: 7 } } }));
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: { ResultSetMetadata: { ColumnInfo: query.columns.map((c) => ({ Name: c.name, Type: c.type })) }, Rows: [{ Data: query.columns.map((c) => ({ VarCharValue: c.name })) }] },
  });
  return starts;
}

const literal = (start: StartQueryExecutionCommandInput, query: NamedQuery, name: string) => start.ExecutionParameters![query.positional.order.indexOf(name)];

describe('Athena engine: aggregate queries read the daily rollups for the days fresh in S3 (fakes at the SDK seam)', () => {
  let bucket: FakeBucket;
  let clock: ReturnType<typeof fakeClock>;
  let engine: AthenaEngine;

  beforeEach(() => {
    athena.reset();
    s3.reset();
    bucket = new FakeBucket();
    bucket.install();
    clock = fakeClock();
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const freshness = S3RollupFreshness.fromUri(`s3://${BUCKET}/rollups.json`, client, { ttlMs: TTL_MS, now: clock.now });
    engine = new AthenaEngine(new AthenaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), SETTINGS, clock, freshness);
  });

  const request = (query: NamedQuery, from: string, to: string, extra: Partial<QueryRequest> = {}): QueryRequest => {
    const params: QueryParams = { from: new Date(from), to: new Date(to), client_id: 4, all_clients: false };
    return { query, params, deadline: clock.now() + 25_000, requestKey: 'req-1', privacy: CLEAR, ...extra };
  };

  /** Runs a request and gives the one statement started and the answer's source. */
  async function statementOf(query: NamedQuery, from: string, to: string) {
    const starts = installAthena(query);
    const r = await engine.run(request(query, from, to));
    expect(starts).to.have.length(1);
    const start = starts[0]!;
    const rollup = start.QueryString === query.rollup!.positional.text;
    if (!rollup) expect(start.QueryString).to.equal(query.positional.text);
    // one literal of the exact grammar per `?` of the statement sent
    expect(start.ExecutionParameters).to.have.length(start.QueryString!.replace(/--.*$/gm, '').split('?').length - 1);
    for (const l of start.ExecutionParameters!) expect(Object.values(LITERAL_GRAMMAR).some((g) => g.test(l)), l).to.equal(true);
    return {
      source: r.stats.source,
      rollup,
      span: rollup ? [literal(start, query.rollup!, 'rollup_from'), literal(start, query.rollup!, 'rollup_to')] : undefined,
    };
  }
  const span = (from: string, to: string) => [timestampLiteral(new Date(`${from}T00:00:00Z`)), timestampLiteral(new Date(`${to}T00:00:00Z`))];

  it('every day fresh → the rollup path, the whole range as the span, source rollup', async () => {
    expect(await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).to.deep.equal({ source: 'rollup', rollup: true, span: span('2024-03-01', '2024-03-08') });
  });

  for (const query of [...catalog().values()].filter((q) => q.rollup)) {
    it(`${query.name}: fresh days → its rollup path (${query.rollup!.table})`, async () => {
      const starts = installAthena(query);
      const req = request(query, '2024-03-01T00:00:00Z', '2024-03-31T00:00:00Z');
      const r = await engine.run({ ...req, params: { ...req.params, ...(query.limit ? { limit: 5 } : {}) } });
      expect(r.stats.source).to.equal('rollup');
      expect(starts[0]!.QueryString).to.equal(query.rollup!.positional.text);
      expect(literal(starts[0]!, query.rollup!, 'rollup_to')).to.equal(timestampLiteral(new Date('2024-03-31T00:00:00Z')));
      const prefixes = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix).sort();
      expect(prefixes).to.deep.equal([`${query.rollup!.factTables[0]}/dt=2024-03`, `${query.rollup!.table}/dt=2024-03`].sort());
    });
  }

  it('partial first and last days → raw edges, the whole days from the rollup (mixed)', async () => {
    expect(await statementOf(count, '2024-03-01T12:00:00Z', '2024-03-08T06:30:00Z')).to.deep.equal({ source: 'mixed', rollup: true, span: span('2024-03-02', '2024-03-08') });
  });

  it('a range across months lists each month once per table', async () => {
    expect(await statementOf(count, '2024-02-27T00:00:00Z', '2024-03-03T00:00:00Z')).to.deep.equal({ source: 'rollup', rollup: true, span: span('2024-02-27', '2024-03-03') });
    const prefixes = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix).sort();
    expect(prefixes).to.deep.equal(['orders/dt=2024-02', 'orders/dt=2024-03', 'orders_daily/dt=2024-02', 'orders_daily/dt=2024-03']);
  });

  const staleness: [string, (b: FakeBucket) => void][] = [
    ['a source object rewritten after the build (new ETag)', (b) => b.objects.set('orders/dt=2024-03-03/part-0.parquet', { etag: '"s-new"', size: 100 })],
    ['a source object added to the day', (b) => b.objects.set('orders/dt=2024-03-03/part-1.parquet', { etag: '"s-extra"', size: 50 })],
    ['a source object deleted from the day', (b) => b.objects.delete('orders/dt=2024-03-03/part-0.parquet')],
    ['a rollup object not the one written', (b) => b.objects.set('orders_daily/dt=2024-03-03/r-0.parquet', { etag: '"r-other"', size: 10 })],
    ['the rollup objects gone (a rebuild in progress)', (b) => b.objects.delete('orders_daily/dt=2024-03-03/r-0.parquet')],
    ['the day recorded inexact', (b) => void ((b.record.tables.orders_daily!['2024-03-03'] as { exact: boolean }).exact = false)],
    ['the day missing from the record', (b) => void delete b.record.tables.orders_daily!['2024-03-03']],
  ];
  for (const [label, change] of staleness) {
    it(`${label} → that day is read raw (the longest fresh run from the rollup)`, async () => {
      change(bucket);
      // 03-01, 03-02 | 03-03 stale | 03-04 … 03-07: the four days after it are the span.
      expect(await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).to.deep.equal({ source: 'mixed', rollup: true, span: span('2024-03-04', '2024-03-08') });
    });
  }

  it('a day with neither source nor rollup objects nor a record is empty both ways: usable', async () => {
    for (const k of [...bucket.objects.keys()]) if (k.includes('dt=2024-03-03/')) bucket.objects.delete(k);
    delete bucket.record.tables.orders_daily!['2024-03-03'];
    expect(await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).to.deep.equal({ source: 'rollup', rollup: true, span: span('2024-03-01', '2024-03-08') });
  });

  it('a revenue query (raw days must be exact): an inexact edge day → the whole answer raw', async () => {
    (bucket.record.tables.orders_daily!['2024-03-01'] as { exact: boolean }).exact = false;
    expect(await statementOf(money, '2024-03-01T12:00:00Z', '2024-03-08T00:00:00Z')).to.deep.equal({ source: 'raw', rollup: false, span: undefined });
    expect(await statementOf(money, '2024-03-02T12:00:00Z', '2024-03-08T00:00:00Z')).to.deep.equal({ source: 'mixed', rollup: true, span: span('2024-03-03', '2024-03-08') });
  });

  const unavailable: [string, (b: FakeBucket) => void][] = [
    ['no rollups.json yet (NoSuchKey)', (b) => void (b.recordMissing = true)],
    ['rollups.json unreadable (AccessDenied)', (b) => void (b.failWith = 'AccessDenied')],
    ['rollups.json malformed', (b) => void (b.record = { version: 2 } as never)],
  ];
  for (const [label, change] of unavailable) {
    it(`${label} → the raw query, answered`, async () => {
      change(bucket);
      expect(await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).to.deep.equal({ source: 'raw', rollup: false, span: undefined });
    });
  }

  it('a listing that fails → the raw query, answered', async () => {
    s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
    expect(await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).to.deep.equal({ source: 'raw', rollup: false, span: undefined });
  });

  it('sub-day ranges and queries without a rollup path are raw; freshness is not even read', async () => {
    expect(await statementOf(count, '2024-03-01T01:00:00Z', '2024-03-01T23:00:00Z')).to.deep.equal({ source: 'raw', rollup: false, span: undefined });
    athena.reset();
    const all = catalog().get('all_orders_by_range')!;
    const starts = installAthena(all);
    await engine.run(request(all, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z', { page: { size: 10 } }));
    expect(starts[0]!.QueryString).to.equal(all.positional.text);
  });

  it('the record and listings are kept for the TTL, then re-validated (If-None-Match → 304) and re-listed; a change then applies', async () => {
    await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z');
    athena.reset();
    await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z');
    expect(s3.commandCalls(GetObjectCommand)).to.have.length(1);
    expect(s3.commandCalls(ListObjectsV2Command)).to.have.length(2);
    // A source day changes: the next listing after the TTL sees it.
    bucket.objects.set('orders/dt=2024-03-03/part-0.parquet', { etag: '"s-new"', size: 100 });
    clock.advance(TTL_MS);
    athena.reset();
    expect(await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).to.deep.include({ span: span('2024-03-04', '2024-03-08') });
    const gets = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.IfNoneMatch);
    expect(gets).to.deep.equal([undefined, '"m-1"']); // the second read is a conditional GET (304)
    expect(s3.commandCalls(ListObjectsV2Command)).to.have.length(4);
    // The rebuild records the new ETag: a new record (new ETag) is read in full after the TTL.
    bucket.record.tables.orders_daily!['2024-03-03'] = { source: { folder: 0, files: [['part-0.parquet', 100, '"s-new"']] }, rollup: [['r-0.parquet', 10, '"r-2024-03-03"']], exact: true };
    bucket.recordEtag = '"m-2"';
    clock.advance(TTL_MS);
    athena.reset();
    expect(await statementOf(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).to.deep.include({ source: 'rollup', span: span('2024-03-01', '2024-03-08') });
  });

  it('a rollup-path execution still running at the deadline → 202; the follow-up reads it, still reporting its source', async () => {
    const state = { value: 'RUNNING' };
    const starts = installAthena(count, state);
    const e = await engine.run(request(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z')).catch((x) => x);
    expect(e).to.be.instanceOf(QueryStillRunning);
    state.value = 'SUCCEEDED';
    const r = await engine.run(request(count, '2024-03-01T00:00:00Z', '2024-03-08T00:00:00Z', { cursor: e.cursor }));
    expect(r.stats.source).to.equal('rollup');
    expect(starts).to.have.length(1);
    expect(starts[0]!.QueryString).to.equal(count.rollup!.positional.text);
  });
});

describe('S3 rollup freshness: one day (s3DayUsable)', () => {
  const record = (over: Partial<RollupDay> = {}): RollupDay => ({ source: { folder: 0, files: [['a.parquet', 1, '"e"']] }, rollup: [['r.parquet', 2, '"f"']], exact: true, ...over });
  const source: PartitionMark = { folder: 0, files: [['a.parquet', 1, '"e"']] };
  const table: [string, RollupDay | undefined, PartitionMark | undefined, readonly FileMark[], boolean][] = [
    ['recorded, source and rollup as recorded', record(), source, [['r.parquet', 2, '"f"']], true],
    ['source ETag differs', record(), { folder: 0, files: [['a.parquet', 1, '"x"']] }, [['r.parquet', 2, '"f"']], false],
    ['source gone', record(), undefined, [['r.parquet', 2, '"f"']], false],
    ['rollup objects differ', record(), source, [['r.parquet', 2, '"g"']], false],
    ['rollup objects gone', record(), source, [], false],
    ['inexact', record({ exact: false }), source, [['r.parquet', 2, '"f"']], false],
    ['a day with no rows: recorded with no rollup objects', record({ rollup: [] }), source, [], true],
    ['no record, nothing in S3', undefined, undefined, [], true],
    ['no record, source objects', undefined, source, [], false],
    ['no record, stray rollup objects', undefined, undefined, [['r.parquet', 2, '"f"']], false],
  ];
  for (const [label, rec, src, rollup, usable] of table) {
    it(`${label} → ${usable ? 'usable' : 'raw'}`, () => expect(s3DayUsable(rec, src, rollup)).to.equal(usable));
  }

  it('months of a range, inclusive of the end', () => {
    expect(monthsBetween(new Date('2024-01-31T10:00:00Z'), new Date('2024-03-01T00:00:00Z'))).to.deep.equal(['2024-01', '2024-02', '2024-03']);
    expect(monthsBetween(new Date('2024-12-31T00:00:00Z'), new Date('2025-01-01T00:00:00Z'))).to.deep.equal(['2024-12', '2025-01']);
  });

  it('refuses a record URI that is not the bucket-root rollups.json', () => {
    expect(() => S3RollupFreshness.fromUri('s3://b-1/x/rollups.json', new S3Client({}), { ttlMs: 1 })).to.throw();
  });
});
