/**
 * npm run seed -- --stage prod [--region us-east-1] [--dry-run] [--no-crawl] [--lake .lake]
 *
 * Uploads the local lake and access-control table to the stage's data bucket (names from the
 * deployed stack's outputs), skipping unchanged objects, then runs the Glue crawlers and
 * reports the tables and partitions they registered, then rebuilds the rollups' stale days with
 * Athena (npm run rollup -- --stage). Needs AWS credentials for that stage.
 */
import { parseArgs } from 'node:util';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { lakeDir } from '../src/lambda/config.ts';
import { Progress } from '../src/ops/progress.ts';
import { describeCatalog, lakeFiles, planSeed, runCrawlers, uploadFiles } from '../src/ops/aws/seed.ts';
import { STAGE_NAME } from '../src/lambda/ids.ts';
import { stackName, stackOutputs } from '../src/ops/aws/stack.ts';

const USAGE = 'usage: npm run seed -- --stage <stage> [--region <region>] [--dry-run] [--no-crawl] [--no-rollup] [--lake <dir>]';
let values;
try {
  ({ values } = parseArgs({
    options: {
      stage: { type: 'string' }, region: { type: 'string' }, lake: { type: 'string' },
      'dry-run': { type: 'boolean' }, 'no-crawl': { type: 'boolean' }, 'no-rollup': { type: 'boolean' },
    },
    strict: true,
  }));
} catch (e) {
  console.error(`seed: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (!values.stage || !STAGE_NAME.test(values.stage)) {
  console.error(`seed: --stage is required (lower-case letters and digits)\n${USAGE}`);
  process.exit(2);
}
const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
const outputs = await stackOutputs(values.stage, region);
const bucket = outputs.DataBucketName;
if (!bucket) throw new Error(`stack ${stackName(values.stage)} has no DataBucketName output: deploy it first (npx serverless deploy --stage ${values.stage})`);

const lake = values.lake ?? lakeDir();
const s3 = new S3Client({ region });
const files = await lakeFiles(lake);
const plan = await planSeed(s3, bucket, files);
const bytes = plan.upload.reduce((n, f) => n + f.size, 0);
console.log(`${files.length} files in ${lake}: ${plan.upload.length} to upload (${(bytes / 2 ** 20).toFixed(1)} MiB), ${plan.unchanged.length} unchanged`);
if (values['dry-run']) {
  for (const f of plan.upload) console.log(`  would upload ${f.key} (${f.size} bytes)`);
  process.exit(0);
}

const progress = new Progress(bytes);
let sent = 0;
await uploadFiles(s3, bucket, plan.upload, (n) => progress.update((sent += n), 'uploading'));
progress.finish();
console.log(`uploaded ${plan.upload.length} files`);

if (!values['no-crawl']) {
  const glue = new GlueClient({ region });
  const crawlers = [outputs.LakeCrawlerName, outputs.AccessControlCrawlerName].filter((c): c is string => Boolean(c));
  console.log(`running crawlers ${crawlers.join(', ')} (a few minutes)…`);
  for (const r of await runCrawlers(glue, crawlers)) console.log(`  ${r.crawler}: ${r.status}`);
  const report = await describeCatalog(glue, outputs.GlueDatabaseName!);
  for (const t of report.tables) console.log(`  table ${t.name}${t.partitions ? `: ${t.partitions} partitions` : ''}`);
}

if (!values['no-rollup']) {
  // The rollups' stale days (by S3 ETags), rebuilt with Athena: the same as `npm run rollup -- --stage`.
  const { AthenaClient } = await import('@aws-sdk/client-athena');
  const { rebuildRollupsWithAthena } = await import('../src/ops/rollups/athena.ts');
  console.log('rebuilding stale rollup days with Athena…');
  const reports = await rebuildRollupsWithAthena({
    s3, athena: new AthenaClient({ region }), bucket, workGroup: outputs.AthenaWorkGroupName!, database: outputs.GlueDatabaseName!,
  });
  for (const r of reports) console.log(`  ${r.table}: ${r.built.length} days built, ${r.upToDate} up to date`);
}
