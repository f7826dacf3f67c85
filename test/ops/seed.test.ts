/**
 * Seeding at the SDK seam (aws-sdk-client-mock for S3 and Glue: no AWS account here). The lake,
 * its files, their hashes and the multipart logic of @aws-sdk/lib-storage are real.
 */
import { expect } from 'chai';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { GetCrawlerCommand, GetPartitionsCommand, GetTablesCommand, GlueClient, StartCrawlerCommand } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { describeCatalog, lakeFiles, planSeed, runCrawlers, uploadFiles } from '../../src/ops/aws/seed.ts';
import { LAKE_TABLES } from '../../src/lambda/lake/layout.ts';
import { makeLake, scratchPath } from '../helpers/lake.ts';

const s3mock = mockClient(S3Client);
const gluemock = mockClient(GlueClient);
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const s3 = () => new S3Client({ region: 'eu-west-1', credentials });
const glue = () => new GlueClient({ region: 'eu-west-1', credentials });
const notFound = () => Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });

describe('seeding the data bucket (aws-sdk-client-mock)', function () {
  this.timeout(60_000);
  let lake: string;
  before(async () => ({ dir: lake } = await makeLake(3, 0.002, 'seed-lake')));
  beforeEach(() => {
    s3mock.reset();
    gluemock.reset();
  });

  it('lists every source table file (not the rollups: Athena builds those) and the access table, keyed with the lake layout', async () => {
    const files = await lakeFiles(lake);
    const keys = files.map((f) => f.key);
    expect(keys).to.include('access_control/access_control.json');
    expect(keys).to.include('country/data.parquet');
    expect(keys.some((k) => /^orders\/dt=2024-01-01\/part-\d+\.parquet$/.test(k))).to.equal(true);
    expect(keys).to.not.include('lake.json');
    for (const t of LAKE_TABLES) expect(keys.some((k) => k.startsWith(`${t.name}/`)), t.name).to.equal(t.rollupOf === undefined);
    expect(keys.some((k) => k.startsWith('orders_daily/') || k.startsWith('trackcode_daily/') || k === 'rollups.json')).to.equal(false); // built by Athena on AWS
    for (const f of files) expect(f.sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it('skips objects whose sha256 metadata matches; uploads the rest (dry run: nothing sent)', async () => {
    const files = await lakeFiles(lake);
    const same = new Set(files.slice(0, 10).map((f) => f.key));
    s3mock.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
      const f = files.find((x) => x.key === input.Key)!;
      if (same.has(input.Key)) return { Metadata: { sha256: f.sha256 } };
      if (input.Key.startsWith('country/')) return { Metadata: { sha256: 'stale' } };
      throw notFound();
    });
    const plan = await planSeed(s3(), 'data-bucket', files);
    expect(plan.unchanged.map((f) => f.key).sort()).to.deep.equal([...same].sort());
    expect(plan.upload).to.have.length(files.length - 10);
    expect(s3mock.commandCalls(PutObjectCommand)).to.have.length(0);
  });

  it('uploads with the sha256 in metadata, reporting every byte', async () => {
    const files = (await lakeFiles(lake)).slice(0, 12);
    s3mock.on(PutObjectCommand).resolves({ ETag: '"x"' });
    let bytes = 0;
    await uploadFiles(s3(), 'data-bucket', files, (n) => (bytes += n));
    const puts = s3mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key).sort()).to.deep.equal(files.map((f) => f.key).sort());
    for (const p of puts) expect(p.Metadata!.sha256).to.equal(files.find((f) => f.key === p.Key)!.sha256);
    expect(bytes).to.equal(files.reduce((n, f) => n + f.size, 0));
  });

  it('uploads large files in parts (multipart)', async () => {
    const dir = scratchPath('big');
    mkdirSync(path.join(dir, 'orders', 'dt=2024-01-01'), { recursive: true });
    const file = path.join(dir, 'orders', 'dt=2024-01-01', 'part-0.parquet');
    writeFileSync(file, Buffer.alloc(12 * 1024 * 1024, 7));
    s3mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"done"' });
    await uploadFiles(s3(), 'data-bucket', [{ key: 'orders/dt=2024-01-01/part-0.parquet', file, size: 12 * 1024 * 1024, sha256: 'a'.repeat(64) }], () => {}, { partSize: 5 * 1024 * 1024 });
    expect(s3mock.commandCalls(UploadPartCommand)).to.have.length(3);
    expect(s3mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input.Metadata).to.deep.equal({ sha256: 'a'.repeat(64) });
  });

  it('starts the crawlers (joining one already running), waits for READY, and reports tables and partitions', async () => {
    gluemock.on(StartCrawlerCommand, { Name: 'lake' }).resolves({});
    gluemock.on(StartCrawlerCommand, { Name: 'acl' }).rejects(Object.assign(new Error('running'), { name: 'CrawlerRunningException' }));
    gluemock.on(GetCrawlerCommand, { Name: 'lake' })
      .resolvesOnce({ Crawler: { State: 'RUNNING' } })
      .resolvesOnce({ Crawler: { State: 'STOPPING' } })
      .resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED' } } });
    gluemock.on(GetCrawlerCommand, { Name: 'acl' }).resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED' } } });
    const reports = await runCrawlers(glue(), ['lake', 'acl'], { sleep: async () => {} });
    expect(reports).to.deep.equal([{ crawler: 'lake', status: 'SUCCEEDED' }, { crawler: 'acl', status: 'SUCCEEDED' }]);

    gluemock.on(GetTablesCommand).resolves({ TableList: [{ Name: 'orders', PartitionKeys: [{ Name: 'dt' }] }, { Name: 'city' }] });
    gluemock.on(GetPartitionsCommand).resolvesOnce({ Partitions: new Array(300).fill({}), NextToken: 'n' }).resolves({ Partitions: new Array(66).fill({}) });
    expect(await describeCatalog(glue(), 'lakegate_prod')).to.deep.equal({ tables: [{ name: 'city', partitions: 0 }, { name: 'orders', partitions: 366 }] });
  });

  it('a failed crawl is an error, not a silent success', async () => {
    gluemock.on(StartCrawlerCommand).resolves({});
    gluemock.on(GetCrawlerCommand).resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'FAILED', ErrorMessage: 'access denied' } } });
    expect(await runCrawlers(glue(), ['lake'], { sleep: async () => {} }).catch((e) => e.message)).to.match(/FAILED: access denied/);
  });
});
