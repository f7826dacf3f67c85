/**
 * Rebuild the stale days of the daily rollups in a stage's data bucket with Athena (`npm run
 * rollup -- --stage S`). Freshness is by S3 ETags: a rollup day records the keys and ETags of
 * its source partition's objects; it is stale when they differ (or its own objects changed).
 *
 * Per stale day: delete the day's rollup objects, `UNLOAD (build SQL for that day) TO
 * 's3://<bucket>/<rollup>/dt=<day>/' WITH (format = 'PARQUET', compression = 'ZSTD')` in the
 * stage's workgroup (UNLOAD needs an empty target), then register the partitions, then record
 * the written objects' ETags in `s3://<bucket>/rollups.json`. Running it again with nothing
 * changed issues no statement: idempotent. The record is written only over the version this run
 * read (S3 conditional writes), so two rebuilds at once cannot lose each other's days: the later
 * one stops with an error saying so, and running it again finishes the work.
 */
import { randomUUID } from 'node:crypto';
import type { AthenaClient } from '@aws-sdk/client-athena';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { lakeTable, ROLLUP_TABLES, type LakeTable } from '../../lambda/lake/layout.ts';
import { staleDays, type RollupBuildReport } from './build.ts';
import { emptyManifest, MANIFEST_FILE, parseManifest, type FileMark, type RollupDay, type RollupManifest } from '../../lambda/rollups/manifest.ts';
import { listPartitions } from '../../lambda/rollups/s3-listing.ts';
import { rollupSqlForDays } from './sql.ts';
import { stringLiteral } from '../../lambda/engine/athena/literals.ts';
import { AthenaRunner, engineAthenaClient, realClock } from '../../lambda/engine/athena/runner.ts';

export interface AthenaRollupTarget {
  readonly s3: S3Client;
  readonly athena: AthenaClient;
  readonly bucket: string;
  readonly workGroup: string;
  readonly database: string;
  /** Waits between status polls (injectable so tests do not wait). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Distinguishes this run's ClientRequestTokens from an earlier run's. */
  readonly runId?: string;
}

/** The rollups' record in the bucket and the ETag it was read at (none: no record yet). */
export interface RecordRead {
  readonly manifest: RollupManifest;
  readonly etag: string | undefined;
}

export async function readRecord(s3: S3Client, bucket: string): Promise<RecordRead> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: MANIFEST_FILE }));
    return { manifest: parseManifest(await out.Body!.transformToString()), etag: out.ETag };
  } catch (e) {
    if ((e as Error).name === 'NoSuchKey') return { manifest: emptyManifest(), etag: undefined };
    throw e;
  }
}

export class RecordChanged extends Error {
  override name = 'RecordChanged';
}

/**
 * Write the record over exactly the version read (`If-Match` its ETag; `If-None-Match: *` when
 * there was none); the new ETag. Anything else there now (another rebuild wrote it) is a
 * RecordChanged, and nothing is overwritten.
 */
export async function writeRecord(s3: S3Client, bucket: string, manifest: RollupManifest, etag: string | undefined): Promise<string> {
  try {
    const out = await s3.send(new PutObjectCommand({
      Bucket: bucket, Key: MANIFEST_FILE, Body: `${JSON.stringify(manifest)}\n`, ContentType: 'application/json',
      ...(etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag }),
    }));
    if (!out.ETag) throw new Error('S3 answered PutObject without an ETag');
    return out.ETag;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // 412: the object is not the version read; 409: another conditional write to it is in flight.
    if (status === 412 || status === 409) {
      throw new RecordChanged(`${MANIFEST_FILE} changed while this rebuild ran (another npm run rollup -- --stage at the same time?); run it again`);
    }
    throw e;
  }
}

/** The UNLOAD of one rollup day: the build SQL for that day, without `dt` (the folder is the partition). */
export function unloadStatement(t: LakeTable, bucket: string, day: string): string {
  const columns = t.columns.map(([n]) => n).join(', ');
  const target = stringLiteral(`s3://${bucket}/${t.name}/dt=${day}/`);
  return `UNLOAD (SELECT ${columns} FROM (${rollupSqlForDays('build', t, [day])})) TO ${target} WITH (format = 'PARQUET', compression = 'ZSTD')`;
}

/** Register (or drop) partitions of a rollup table in the Glue catalog. */
export function partitionStatement(t: LakeTable, action: 'ADD' | 'DROP', days: readonly string[]): string {
  const parts = days.map((d) => `PARTITION (dt = ${stringLiteral(d)})`).join(action === 'ADD' ? ' ' : ', ');
  return `ALTER TABLE ${t.name} ${action} IF ${action === 'ADD' ? 'NOT ' : ''}EXISTS ${parts}`;
}

export async function rebuildRollupsWithAthena(target: AthenaRollupTarget): Promise<RollupBuildReport[]> {
  const runId = target.runId ?? randomUUID();
  const { s3, bucket } = target;
  let statementNo = 0;

  const runner = new AthenaRunner(target.athena, target, { ...realClock, ...(target.sleep ? { sleep: target.sleep } : {}) });
  /** Run one statement to completion (the engine's runner, no deadline); its rows' first column. */
  const run = async (sql: string): Promise<string[]> => {
    const id = await runner.start({ sql, clientRequestToken: `${runId}-${statementNo++}`.slice(0, 128) }, Number.POSITIVE_INFINITY);
    const execution = (await runner.wait(id, Number.POSITIVE_INFINITY))!;
    const state = execution.Status?.State;
    if (state !== 'SUCCEEDED') throw new Error(`athena ${id} ${state}: ${execution.Status?.StateChangeReason ?? ''}`);
    const { rows } = await runner.rows(id, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    return rows.map((r) => r[0]?.VarCharValue ?? '');
  };

  const deleteDay = async (t: LakeTable, day: string, files: readonly FileMark[]) => {
    if (files.length === 0) return;
    await s3.send(new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: files.map(([name]) => ({ Key: `${t.name}/dt=${day}/${name}` })), Quiet: true },
    }));
  };

  const read = await readRecord(s3, bucket);
  let etag = read.etag;
  const tables: Record<string, Record<string, RollupDay>> = { ...read.manifest.tables };
  const reports: RollupBuildReport[] = [];
  for (const t of ROLLUP_TABLES) {
    const source = lakeTable(t.rollupOf!);
    const marks = await listPartitions(s3, bucket, source.name);
    const written = await listPartitions(s3, bucket, t.name);
    const recorded = { ...(tables[t.name] ?? {}) };
    const intact = (day: string, r: RollupDay) => JSON.stringify(written.get(day)?.files ?? []) === JSON.stringify(r.rollup);
    const { build, remove, upToDate } = staleDays(marks, recorded, intact);
    if (build.length === 0 && remove.length === 0) {
      reports.push({ table: t.name, built: [], inexact: [], removed: [], upToDate, rows: 0 });
      continue;
    }
    for (const day of [...build, ...remove]) delete recorded[day];
    tables[t.name] = recorded;
    etag = await writeRecord(s3, bucket, { version: 1, tables }, etag);

    const inexact = new Set(build.length ? await run(rollupSqlForDays('check', t, build)) : []);
    for (const day of build) {
      await deleteDay(t, day, written.get(day)?.files ?? []);
      await run(unloadStatement(t, bucket, day));
    }
    for (const day of remove) await deleteDay(t, day, written.get(day)?.files ?? []);
    if (build.length) await run(partitionStatement(t, 'ADD', build));
    if (remove.length) await run(partitionStatement(t, 'DROP', remove));

    const after = await listPartitions(s3, bucket, t.name);
    for (const day of build) recorded[day] = { source: marks.get(day)!, rollup: after.get(day)?.files ?? [], exact: !inexact.has(day) };
    etag = await writeRecord(s3, bucket, { version: 1, tables }, etag);
    reports.push({ table: t.name, built: build, inexact: [...inexact].sort(), removed: remove, upToDate, rows: 0 });
  }
  return reports;
}

/** The stage's bucket, workgroup and database from its stack outputs (as `npm run seed` finds them). */
export async function rebuildStageRollups({ stage, region }: { stage: string; region: string }): Promise<RollupBuildReport[]> {
  const { stackOutputs } = await import('../aws/stack.ts');
  const outputs = await stackOutputs(stage, region);
  const bucket = outputs.DataBucketName;
  const workGroup = outputs.AthenaWorkGroupName ?? `lakegate-${stage}`;
  const database = outputs.GlueDatabaseName ?? `lakegate_${stage}`;
  if (!bucket) throw new Error(`stack lakegate-${stage} has no DataBucketName output: deploy it first`);
  return rebuildRollupsWithAthena({ s3: new S3Client({ region }), athena: engineAthenaClient({ region }), bucket, workGroup, database });
}
