/**
 * npm run rollup [-- --stage S [--region R]]
 *
 * Rebuilds the stale days of the daily rollups (docs/design.md §12). Locally (the default): the lake in
 * LAKEGATE_LAKE_DIR, set-based in DuckDB, with a progress bar. With --stage: the stage's data
 * bucket, with Athena in the stage's workgroup (one UNLOAD per stale day).
 */
import { parseArgs } from 'node:util';
import { requireLocalLake } from '../src/ops/local-lake.ts';
import { buildRollups } from '../src/ops/rollups/build.ts';
import { STAGE_NAME } from '../src/lambda/ids.ts';

const USAGE = 'usage: npm run rollup [-- --stage <stage> [--region <region>]]';
let values;
try {
  ({ values } = parseArgs({ options: { stage: { type: 'string' }, region: { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
} catch (e) {
  console.error(`rollup: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const started = performance.now();
if (values.stage === undefined) {
  const reports = await buildRollups({ lakeDir: requireLocalLake('rollup') });
  for (const r of reports) {
    console.log(
      `${r.table}: ${r.built.length} days built (${r.rows} rows), ${r.upToDate} up to date, ${r.removed.length} removed` +
        (r.inexact.length ? `; read raw, not exact: ${r.inexact.join(', ')}` : ''),
    );
  }
} else {
  if (!STAGE_NAME.test(values.stage)) {
    console.error(`rollup: --stage must be lower-case letters and digits\n${USAGE}`);
    process.exit(2);
  }
  const { rebuildStageRollups } = await import('../src/ops/rollups/athena.ts');
  const reports = await rebuildStageRollups({ stage: values.stage, region: values.region ?? process.env.AWS_REGION ?? 'us-east-1' });
  for (const r of reports) console.log(`${r.table}: ${r.built.length} days built, ${r.upToDate} up to date, ${r.removed.length} removed`);
}
console.log(`rollups done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
