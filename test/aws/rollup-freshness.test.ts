/**
 * The rollups' freshness over S3 (the Athena engine's check, the rebuild's listing), against the
 * emulator: a month's objects listed across ListObjectsV2 pages, and a rollup day usable exactly
 * while its source objects' ETags are the recorded ones.
 */
import { expect } from 'chai';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { listPartitions } from '../../src/lambda/rollups/s3-listing.ts';
import { S3RollupFreshness } from '../../src/lambda/rollups/s3-freshness.ts';
import { writeRecord } from '../../src/ops/rollups/athena.ts';
import { describeWithMoto } from '../helpers/moto.ts';

const BUCKET = 'lakegate-test-data';

describeWithMoto('rollup freshness over the wire', () => {
  let s3: S3Client;
  const put = (Key: string, Body = 'x') => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Buffer.from(Body) }));
  beforeEach(async () => {
    s3 = new S3Client({});
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  it("a month of more than 1000 objects is listed across pages: every day, every file, each with its ETag; other months and tables left out", async () => {
    const keys = Array.from({ length: 31 }, (_, d) => Array.from({ length: 36 }, (_, f) => `orders/dt=2024-03-${String(d + 1).padStart(2, '0')}/part-${f}.parquet`)).flat();
    for (let i = 0; i < keys.length; i += 24) await Promise.all(keys.slice(i, i + 24).map((k) => put(k, k)));
    await put('orders/dt=2024-04-01/part-0.parquet');
    await put('orders_daily/dt=2024-03-01/part-0.parquet');
    await put('orders/dt=2024-03-01/_SUCCESS');
    const days = await listPartitions(s3, BUCKET, 'orders', '2024-03');
    const onePage = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'orders/dt=2024-03' }));
    expect([onePage.IsTruncated, onePage.KeyCount], 'S3 answers 1000 keys a page').to.deep.equal([true, 1000]);
    expect([...days.keys()]).to.have.length(31);
    expect([...days.values()].reduce((n, d) => n + d.files.length, 0)).to.equal(keys.length);
    const first = days.get('2024-03-01')!.files;
    expect(first.map(([name]) => name)).to.deep.equal(Array.from({ length: 36 }, (_, f) => `part-${f}.parquet`).sort());
    for (const [name, size, etag] of first) {
      expect(size, name).to.equal(`orders/dt=2024-03-01/${name}`.length); // each object's body is its key
      expect(etag).to.match(/^"[0-9a-f]{32}"$/);
    }
  });

  it('a rollup day is usable while its source objects are the recorded ones; a rewritten source object makes it raw (after the TTL)', async () => {
    await put('orders/dt=2024-03-05/part-0.parquet', 'facts v1');
    await put('orders_daily/dt=2024-03-05/r-0.parquet', 'rollup');
    const source = (await listPartitions(s3, BUCKET, 'orders', '2024-03-05')).get('2024-03-05')!;
    const rollup = (await listPartitions(s3, BUCKET, 'orders_daily', '2024-03-05')).get('2024-03-05')!;
    await writeRecord(s3, BUCKET, { version: 1, tables: { orders_daily: { '2024-03-05': { source, rollup: rollup.files, exact: true } } } }, undefined);
    let now = 0;
    const freshness = new S3RollupFreshness(s3, BUCKET, { ttlMs: 1000, now: () => now });
    const usable = await freshness.usableDays('orders_daily', 'orders', new Date('2024-03-05T00:00:00Z'), new Date('2024-03-06T00:00:00Z'));
    expect(usable!('2024-03-05')).to.equal(true);
    expect(usable!('2024-03-06'), 'a day with neither facts nor rollup').to.equal(true);
    await put('orders/dt=2024-03-05/part-0.parquet', 'facts v2 (a late correction)');
    now = 1001;
    const after = await freshness.usableDays('orders_daily', 'orders', new Date('2024-03-05T00:00:00Z'), new Date('2024-03-06T00:00:00Z'));
    expect(after!('2024-03-05')).to.equal(false);
  });

  it('no record in the bucket yet: every day with facts is read raw', async () => {
    await put('orders/dt=2024-03-05/part-0.parquet');
    const freshness = new S3RollupFreshness(s3, BUCKET, { ttlMs: 1000 });
    const usable = await freshness.usableDays('orders_daily', 'orders', new Date('2024-03-05T00:00:00Z'), new Date('2024-03-06T00:00:00Z'));
    expect(usable!('2024-03-05')).to.equal(false);
  });
});
