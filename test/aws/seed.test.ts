/**
 * `npm run seed` against the emulator: the real command (its bucket from the stack's
 * CloudFormation outputs) uploads the lake and the access table, then a second run uploads
 * nothing; unchanged objects are known by the SHA-256 in their metadata; a large file goes up in
 * multipart parts. Crawlers and Athena are left out (`--no-crawl --no-rollup`): the emulator does
 * not model crawlers (test/ops/seed.test.ts mocks them).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, HeadObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { lakeFiles, planSeed, uploadFiles } from '../../src/ops/aws/seed.ts';
import { scratchPath, testLake } from '../helpers/lake.ts';
import { describeWithMoto } from '../helpers/moto.ts';

const run = promisify(execFile);
const BUCKET = 'lakegate-emu-data';
const MiB = 2 ** 20;

async function keysIn(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) keys.push(...(page.Contents ?? []).map((o) => o.Key!));
  return keys.sort();
}

describeWithMoto('npm run seed against S3', () => {
  let s3: S3Client;
  beforeEach(() => {
    s3 = new S3Client({});
  });

  it('a file over the part size goes up in multipart parts, with its SHA-256 in the metadata; re-planned, it is unchanged', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const lake = scratchPath('seed-big');
    mkdirSync(path.join(lake, 'orders', 'dt=2024-03-01'), { recursive: true });
    mkdirSync(path.join(lake, 'access_control'), { recursive: true });
    writeFileSync(path.join(lake, 'orders', 'dt=2024-03-01', 'part-0.parquet'), randomBytes(12 * MiB));
    writeFileSync(path.join(lake, 'access_control', 'access_control.json'), '{}\n');
    for (const t of ['country', 'city', 'client', 'service', 'client_service', 'product_size', 'route', 'location', 'trackcode']) mkdirSync(path.join(lake, t), { recursive: true });
    const files = await lakeFiles(lake);
    const big = files.find((f) => f.key === 'orders/dt=2024-03-01/part-0.parquet')!;
    let sent = 0;
    await uploadFiles(s3, BUCKET, (await planSeed(s3, BUCKET, files)).upload, (n) => (sent += n), { partSize: 5 * MiB });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: big.key }));
    expect(head.ContentLength).to.equal(12 * MiB);
    expect(head.ETag, 'a multipart ETag names its 3 parts').to.match(/-3"$/);
    expect(head.Metadata).to.deep.equal({ sha256: big.sha256 });
    expect(sent).to.equal(files.reduce((n, f) => n + f.size, 0));
    const again = await planSeed(s3, BUCKET, files);
    expect([again.upload.length, again.unchanged.length]).to.deep.equal([0, files.length]);
  });

  it('the command finds its bucket in the stack outputs, uploads the lake and the access table, and a second run uploads nothing', async () => {
    await new CloudFormationClient({}).send(new CreateStackCommand({
      StackName: 'lakegate-emu',
      TemplateBody: JSON.stringify({
        Resources: { DataBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: BUCKET } } },
        Outputs: { DataBucketName: { Value: { Ref: 'DataBucket' } } },
      }),
    }));
    const { dir } = await testLake();
    const seed = async () => (await run(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', '--stage', 'emu', '--no-crawl', '--no-rollup', '--lake', dir], { env: process.env })).stdout;
    const files = await lakeFiles(dir);
    const first = await seed();
    expect(first).to.include(`${files.length} files in ${dir}: ${files.length} to upload`);
    expect(first).to.include(`uploaded ${files.length} files`);
    const keys = await keysIn(s3, BUCKET);
    expect(keys).to.deep.equal(files.map((f) => f.key).sort());
    expect(keys).to.include('access_control/access_control.json');
    expect(keys.some((k) => k.startsWith('location/')), 'the personal-data dimension is seeded like the others').to.equal(true);
    expect(keys.some((k) => k.startsWith('orders_daily/')), 'rollups are built on AWS, not uploaded').to.equal(false);
    const second = await seed();
    expect(second).to.include(`0 to upload (0.0 MiB), ${files.length} unchanged`);
    expect(second).to.include('uploaded 0 files');
  });
});
