/**
 * npm run usage -- [--since 24h] [--client N] [--json] [--stage S [--region R]]
 *
 * Per client and query: requests by status class, rows, bytes scanned, estimated Athena cost and
 * p50/p99 duration. Locally it reads the access log `npm start` appends to (.usage/access.log,
 * and the rotated .usage/access.log.1, .2…);
 * with --stage it runs a CloudWatch Logs Insights query over that stage's Lambda log groups.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { usageConfig } from '../src/lambda/config.ts';
import { CLIENT_ID, STAGE_NAME } from '../src/lambda/ids.ts';
import type { AccessRecord } from '../src/lambda/usage/record.ts';
import { rotatedFiles } from '../src/lambda/usage/rotating-file.ts';
import { formatTable, parseAccessLog, parseSince, usageReport } from '../src/ops/usage/report.ts';

const USAGE = 'usage: npm run usage -- [--since 24h] [--client N] [--json] [--stage S [--region R]]';

function fail(message: string): never {
  console.error(`usage: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      since: { type: 'string', default: '24h' }, client: { type: 'string' }, json: { type: 'boolean', default: false },
      stage: { type: 'string' }, region: { type: 'string' },
    },
    strict: true,
  }));
} catch (e) {
  fail((e as Error).message);
}
let sinceMs: number;
try {
  sinceMs = Date.now() - parseSince(values.since);
} catch (e) {
  fail((e as Error).message);
}
if (values.client !== undefined && !CLIENT_ID.test(values.client)) fail('--client takes a client id (a whole number)');
if (values.stage !== undefined && !STAGE_NAME.test(values.stage)) fail('--stage takes a stage name (lower-case letters and digits)');

let records: AccessRecord[];
if (values.stage) {
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  const { insightsAccessRecords, INSIGHTS_MAX_ROWS } = await import('../src/ops/usage/insights.ts');
  const client = new CloudWatchLogsClient(values.region ? { region: values.region } : {});
  const out = await insightsAccessRecords(client, { stage: values.stage, sinceMs, untilMs: Date.now() });
  if (out.truncated) console.error(`usage: Logs Insights returned its maximum of ${INSIGHTS_MAX_ROWS} records; use a shorter --since for exact figures`);
  records = out.records;
} else {
  const { accessLogToRead: file, accessLogRotation } = usageConfig();
  const files = rotatedFiles(file, accessLogRotation.keep);
  if (files.length === 0) fail(`no access log at ${file}: start the gateway with npm start and send some requests`);
  records = [];
  for (const f of files) {
    let text: string;
    try {
      // A file last written before --since holds no record of the window.
      if (statSync(f).mtimeMs < sinceMs) continue;
      text = readFileSync(f, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // rotated away meanwhile by a running gateway
      throw e;
    }
    const parsed = parseAccessLog(text);
    if (parsed.skipped) console.error(`usage: skipped ${parsed.skipped} unreadable line(s) in ${f}`);
    records.push(...parsed.records);
  }
}

const rows = usageReport(records, { sinceMs, ...(values.client !== undefined ? { clientId: Number(values.client) } : {}) });
if (values.json) console.log(JSON.stringify(rows, null, 2));
else console.log(rows.length ? formatTable(rows) : `no requests since ${new Date(sinceMs).toISOString()}`);
