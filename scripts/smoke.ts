/**
 * npm run smoke -- --stage <stage> [--region us-east-1] [--from 2024-03-01] [--to 2024-03-08] [--no-crawl]
 *
 * After a first `serverless deploy` and `npm run seed`: gets one token from the stage's
 * /oauth/token (client id and secret from LAKEGATE_SMOKE_CLIENT_ID / LAKEGATE_SMOKE_CLIENT_SECRET,
 * never on the command line) or takes LAKEGATE_SMOKE_TOKEN as it is, calls every named query and
 * /whoami once, runs the access-control crawler once, and prints one line per step and
 * `N passed, N failed`. Exits non-zero if any step failed. Needs AWS credentials for the stage.
 */
import { parseArgs } from 'node:util';
import { GlueClient } from '@aws-sdk/client-glue';
import { catalog } from '../src/lambda/catalog.ts';
import { smokeApi, smokeCrawler, smokeReport, smokeToken, type SmokeStep } from '../src/ops/aws/smoke.ts';
import { STAGE_NAME } from '../src/lambda/ids.ts';
import { stackName, stackOutputs } from '../src/ops/aws/stack.ts';
import { DAY_TEXT } from '../src/shared/time.ts';

const USAGE = 'usage: npm run smoke -- --stage <stage> [--region <region>] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--no-crawl]';
function fail(message: string): never {
  console.error(`smoke: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: { stage: { type: 'string' }, region: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, 'no-crawl': { type: 'boolean' } },
    strict: true,
  }));
} catch (e) {
  fail((e as Error).message);
}
if (!values.stage || !STAGE_NAME.test(values.stage)) fail('--stage is required (lower-case letters and digits)');
const from = values.from ?? '2024-03-01';
const to = values.to ?? '2024-03-08';
if (!DAY_TEXT.test(from) || !DAY_TEXT.test(to)) fail('--from and --to are YYYY-MM-DD');

const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1';
const outputs = await stackOutputs(values.stage, region);
const baseUrl = outputs.ServiceEndpoint ?? fail(`stack ${stackName(values.stage)} has no ServiceEndpoint output: deploy it first`);

const steps: SmokeStep[] = [];
let token = process.env.LAKEGATE_SMOKE_TOKEN;
if (!token) {
  const id = process.env.LAKEGATE_SMOKE_CLIENT_ID;
  const secret = process.env.LAKEGATE_SMOKE_CLIENT_SECRET;
  if (!id || !secret) fail('set LAKEGATE_SMOKE_CLIENT_ID and LAKEGATE_SMOKE_CLIENT_SECRET (npm run acl -- secret <client>), or LAKEGATE_SMOKE_TOKEN');
  const got = await smokeToken(baseUrl, id, secret);
  steps.push(got.step);
  token = got.token;
}
if (token) steps.push(...(await smokeApi({ baseUrl, token, queries: [...catalog().values()], from, to })));
if (!values['no-crawl'] && outputs.AccessControlCrawlerName) steps.push(await smokeCrawler(new GlueClient({ region }), outputs.AccessControlCrawlerName));

for (const line of smokeReport(steps)) console.log(line);
process.exit(steps.every((s) => s.ok) ? 0 : 1);
