/**
 * The versioned S3 objects the functions read (the access table, the credentials store) and the
 * rollups' record the operators' rebuild writes, against the emulator's S3: conditional GETs
 * (first read, 304, a change), a missing object, a malformed one (fail closed), and the
 * conditional writes the record relies on (If-None-Match: *, If-Match on the ETag read).
 */
import { expect } from 'chai';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AccessTableCache, AccessTableUnavailable } from '../../src/lambda/access/table.ts';
import { credentialsCache } from '../../src/lambda/identity/oauth/credentials-store.ts';
import { newSecret, serializeSecrets } from '../../src/lambda/identity/oauth/secrets.ts';
import { emptyManifest, MANIFEST_FILE } from '../../src/lambda/rollups/manifest.ts';
import { S3Object } from '../../src/shared/s3-object.ts';
import { readRecord, RecordChanged, writeRecord } from '../../src/ops/rollups/athena.ts';
import { describeWithMoto } from '../helpers/moto.ts';

const BUCKET = 'lakegate-test-data';
const KEY = 'access_control/access_control.json';
const rule = (client: number, enabled = true) => `${JSON.stringify({ client_id: client, enabled, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366 })}\n`;

describeWithMoto('S3 stores over the wire', () => {
  let s3: S3Client;
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Buffer.from(Body) }));
  beforeEach(async () => {
    s3 = new S3Client({});
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  it('first read gives the body and its ETag; the same read again is a 304: unchanged, no body', async () => {
    const { ETag } = await put(KEY, rule(4));
    const store = new S3Object(s3, BUCKET, KEY);
    const first = await store.read();
    expect(first).to.deep.equal({ changed: true, version: ETag, body: rule(4) });
    expect(await store.read(ETag)).to.deep.equal({ changed: false });
  });

  it('a changed object is read again with its new ETag', async () => {
    const { ETag: before } = await put(KEY, rule(4));
    const { ETag: after } = await put(KEY, rule(4) + rule(5));
    expect(after).to.not.equal(before);
    expect(await new S3Object(s3, BUCKET, KEY).read(before)).to.deep.equal({ changed: true, version: after, body: rule(4) + rule(5) });
  });

  it("the authorizer's access table from its s3:// URI (the SDK's default client): read, revalidated after its TTL, a revocation seen", async () => {
    await put(KEY, rule(4));
    let now = 0;
    const cache = new AccessTableCache(S3Object.fromUri(`s3://${BUCKET}/${KEY}`), { ttlMs: 1000, maxStaleMs: 0, readTimeoutMs: 5000, now: () => now });
    expect((await cache.table()).get(4)?.enabled).to.equal(true);
    await put(KEY, rule(4, false));
    expect((await cache.table()).get(4)?.enabled, 'within the TTL: the copy').to.equal(true);
    now = 1001;
    expect((await cache.table()).get(4)?.enabled, 'after the TTL: re-read').to.equal(false);
  });

  it('a missing access table fails closed: every lookup throws, none is an empty table', async () => {
    const cache = new AccessTableCache(new S3Object(s3, BUCKET, KEY), { ttlMs: 1000, maxStaleMs: 60_000, readTimeoutMs: 5000 });
    const error = await cache.table().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(AccessTableUnavailable);
    expect((error as Error).message).to.match(/unreadable/);
  });

  it('a malformed access table fails closed at once, even with a good copy in memory', async () => {
    await put(KEY, rule(4));
    let now = 0;
    const cache = new AccessTableCache(new S3Object(s3, BUCKET, KEY), { ttlMs: 1000, maxStaleMs: 60_000, readTimeoutMs: 5000, now: () => now });
    await cache.table();
    await put(KEY, `${rule(4)}{"client_id": 5,`);
    now = 1001;
    const error = await cache.table().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(AccessTableUnavailable);
    expect((error as Error).message).to.match(/malformed/);
  });

  it('the credentials store: none yet is nobody; a secret written is read; a revoked one is gone after the TTL', async () => {
    let now = 0;
    const cache = credentialsCache(new S3Object(s3, BUCKET, 'client_secrets.jsonl'), 1000, () => now);
    expect(await cache.get(), 'no object: no secrets').to.deep.equal([]);
    const { stored } = newSecret(4);
    await put('client_secrets.jsonl', serializeSecrets([stored]));
    now = 1001;
    expect((await cache.get()).map((s) => s.id)).to.deep.equal([stored.id]);
    await put('client_secrets.jsonl', serializeSecrets([]));
    now = 2002;
    expect(await cache.get()).to.deep.equal([]);
  });

  it("the rollups' record: created only where there is none (If-None-Match: *), replaced only over the version read (If-Match)", async () => {
    const first = await readRecord(s3, BUCKET);
    expect(first).to.deep.equal({ manifest: emptyManifest(), etag: undefined });
    const created = await writeRecord(s3, BUCKET, { version: 1, tables: { orders_daily: {} } }, undefined);
    const replaced = await writeRecord(s3, BUCKET, { version: 1, tables: {} }, created);
    expect((await readRecord(s3, BUCKET)).etag).to.equal(replaced);
    const stale = await writeRecord(s3, BUCKET, { version: 1, tables: { orders_daily: {} } }, created).then(() => undefined, (e: unknown) => e);
    expect(stale, 'over a version no longer there').to.be.instanceOf(RecordChanged);
    const again = await writeRecord(s3, BUCKET, emptyManifest(), undefined).then(() => undefined, (e: unknown) => e);
    expect(again, 'creating over an existing record').to.be.instanceOf(RecordChanged);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: MANIFEST_FILE }))).Body!.transformToString();
    expect(JSON.parse(body)).to.deep.equal({ version: 1, tables: {} });
  });
});
