/**
 * The Athena rebuild of the rollups (npm run rollup -- --stage S), at the SDK seam: S3 and
 * Athena are fakes (aws-sdk-client-mock) holding a small bucket listing. Checks the statements
 * (UNLOAD per stale day into its dt= folder, the exactness check, partition registration), the
 * objects deleted first, the manifest of ETags, and that a second run does nothing.
 */
import { expect } from 'chai';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { TrinoSQL } from 'dt-sql-parser';
import { rebuildRollupsWithAthena, RecordChanged, unloadStatement, partitionStatement } from '../../src/ops/rollups/athena.ts';
import { rollupTable } from '../../src/ops/rollups/sql.ts';

// Fakes at the AWS SDK seam (labelled): an in-memory bucket and an Athena that succeeds at once.
const s3 = mockClient(S3Client);
const athena = mockClient(AthenaClient);

describe('rollup rebuild on Athena (mocked SDK)', () => {
  let objects: Map<string, { size: number; etag: string }>;
  let statements: string[];

  const body = (text: string) => ({ transformToString: async () => text }) as never;

  beforeEach(() => {
    s3.reset();
    athena.reset();
    statements = [];
    objects = new Map([
      ['orders/dt=2024-03-01/part-0.parquet', { size: 100, etag: '"o1"' }],
      ['orders/dt=2024-03-02/part-0.parquet', { size: 100, etag: '"o2"' }],
      ['trackcode/dt=2024-03-01/part-0.parquet', { size: 100, etag: '"t1"' }],
      ['orders_daily/dt=2024-03-02/old-file', { size: 10, etag: '"stale"' }],
    ]);
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      Contents: [...objects].filter(([k]) => k.startsWith(input.Prefix)).map(([Key, o]) => ({ Key, Size: o.size, ETag: o.etag })),
      IsTruncated: false,
    }));
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const o = objects.get(input.Key) as { text?: string; etag: string } | undefined;
      if (!o?.text) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
      return { Body: body(o.text), ETag: o.etag };
    });
    let writes = 0;
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string; IfMatch?: string; IfNoneMatch?: string }) => {
      // S3's conditional writes (the record is written over the version read): test/aws checks them for real.
      const current = objects.get(input.Key);
      if ((input.IfNoneMatch === '*' && current) || (input.IfMatch !== undefined && current?.etag !== input.IfMatch)) {
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      }
      const etag = `"m${writes++}"`;
      objects.set(input.Key, { size: input.Body.length, etag, text: input.Body } as never);
      return { ETag: etag };
    });
    s3.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => {
      for (const o of input.Delete.Objects) objects.delete(o.Key);
      return {};
    });
    let n = 0;
    athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
      statements.push(input.QueryString);
      // UNLOAD writes the day's files
      const m = /TO 's3:\/\/lake-bucket\/(\w+)\/dt=([\d-]+)\/'/.exec(input.QueryString);
      if (input.QueryString.startsWith('UNLOAD') && m) objects.set(`${m[1]}/dt=${m[2]}/${m[2]}_q${n}`, { size: 50, etag: `"r${n}"` });
      return { QueryExecutionId: `q${n++}` };
    });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'dt' }, { VarCharValue: 'problem' }] }] } });
  });

  const target = () => ({
    s3: new S3Client({}), athena: new AthenaClient({}), bucket: 'lake-bucket', workGroup: 'lakegate-test', database: 'lakegate_test',
    sleep: async () => {}, runId: 'run-1',
  });

  it('rebuilds every unrecorded day: check, delete the day\'s old objects, UNLOAD per day, register partitions', async () => {
    const reports = await rebuildRollupsWithAthena(target());
    expect(reports.map((r) => [r.table, r.built])).to.deep.equal([
      ['trackcode_daily', ['2024-03-01']],
      ['orders_daily', ['2024-03-01', '2024-03-02']],
    ]);
    const trackcodeDaily = rollupTable('trackcode_daily');
    const ordersDaily = rollupTable('orders_daily');
    expect(statements.filter((s) => s.startsWith('UNLOAD'))).to.deep.equal([
      unloadStatement(trackcodeDaily, 'lake-bucket', '2024-03-01'),
      unloadStatement(ordersDaily, 'lake-bucket', '2024-03-01'),
      unloadStatement(ordersDaily, 'lake-bucket', '2024-03-02'),
    ]);
    expect(statements).to.include(partitionStatement(ordersDaily, 'ADD', ['2024-03-01', '2024-03-02']));
    expect(statements.filter((s) => s.includes("problem"))).to.have.length(2); // one exactness check per table
    expect(objects.has('orders_daily/dt=2024-03-02/old-file')).to.equal(false); // UNLOAD needs an empty folder
    for (const c of athena.commandCalls(StartQueryExecutionCommand)) {
      expect(c.args[0].input.WorkGroup).to.equal('lakegate-test');
      expect(c.args[0].input.QueryExecutionContext?.Database).to.equal('lakegate_test');
    }
    const manifest = JSON.parse((objects.get('rollups.json') as unknown as { text: string }).text);
    expect(manifest.tables.orders_daily['2024-03-02'].source.files).to.deep.equal([['part-0.parquet', 100, '"o2"']]);
    expect(manifest.tables.orders_daily['2024-03-02'].rollup).to.have.length(1);
  });

  it('UNLOAD targets exactly one dt= folder and parses as Trino', () => {
    const sql = unloadStatement(rollupTable('orders_daily'), 'lake-bucket', '2024-03-01');
    expect(sql).to.match(/^UNLOAD \(SELECT client_id, route_id, orders, revenue_cents FROM \(SELECT \* FROM \(/);
    expect(sql).to.match(/TO 's3:\/\/lake-bucket\/orders_daily\/dt=2024-03-01\/' WITH \(format = 'PARQUET', compression = 'ZSTD'\)$/);
    expect(sql).to.include("b.dt IN ('2024-03-01')");
    // dt-sql-parser's Trino grammar does not know UNLOAD: check the SELECT inside it
    const select = sql.slice('UNLOAD ('.length, sql.indexOf(') TO '));
    expect(new TrinoSQL().validate(select).map((e) => e.message)).to.deep.equal([]);
  });

  it('is idempotent: a second run with nothing changed issues no statement', async () => {
    await rebuildRollupsWithAthena(target());
    const before = statements.length;
    const reports = await rebuildRollupsWithAthena({ ...target(), runId: 'run-2' });
    expect(statements.length).to.equal(before);
    for (const r of reports) expect(r.built, r.table).to.deep.equal([]);
  });

  it('a changed source object (new ETag) rebuilds only that day', async () => {
    await rebuildRollupsWithAthena(target());
    objects.set('orders/dt=2024-03-02/part-0.parquet', { size: 101, etag: '"o2-v2"' });
    statements = [];
    const reports = await rebuildRollupsWithAthena({ ...target(), runId: 'run-2' });
    expect(reports.map((r) => [r.table, r.built])).to.deep.equal([['trackcode_daily', []], ['orders_daily', ['2024-03-02']]]);
    expect(statements.filter((s) => s.startsWith('UNLOAD'))).to.deep.equal([unloadStatement(rollupTable('orders_daily'), 'lake-bucket', '2024-03-02')]);
    expect([...objects.keys()].filter((k) => k.startsWith('orders_daily/dt=2024-03-02/'))).to.have.length(1);
  });

  it('a failed UNLOAD stops the run and leaves the day unrecorded (read raw)', async () => {
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'boom' } } });
    let error: unknown;
    await rebuildRollupsWithAthena(target()).catch((e) => (error = e));
    expect(String(error)).to.match(/FAILED: boom/);
    const manifest = JSON.parse((objects.get('rollups.json') as unknown as { text: string }).text);
    expect(manifest.tables.trackcode_daily ?? {}).to.deep.equal({});
  });

  it('another rebuild writing the record meanwhile stops this one with RecordChanged, its record kept', async () => {
    athena.on(StartQueryExecutionCommand).callsFake(() => {
      objects.set('rollups.json', { size: 2, etag: '"theirs"', text: '{"version":1,"tables":{}}\n' } as never);
      return { QueryExecutionId: 'q-other' };
    });
    const error = await rebuildRollupsWithAthena(target()).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(RecordChanged);
    expect((objects.get('rollups.json') as unknown as { etag: string }).etag).to.equal('"theirs"');
  });
});
