/**
 * The plan commands of `npm run acl` (dispatched from scripts/acl.ts):
 *   plans [--json]                   the plans of src/lambda/limits/plans.json
 *   sync --stage S [--region R]      API Gateway API keys and usage-plan keys ← the local access table
 * (`plan <client> <plan>` is an ordinary table edit, src/ops/acl-edit.ts.)
 */
import { parseArgs } from 'node:util';
import { AccessTableError, type AccessTable } from '../src/lambda/access/model.ts';
import { plans } from '../src/lambda/limits/plans.ts';
import { STAGE_NAME } from '../src/lambda/ids.ts';

export const PLAN_USAGE = '| plans [--json] | plan <client> <plan> | sync --stage <stage> [--region <region>]';

export function plansCommand(args: readonly string[]): void {
  if (args.length > 1 || (args[0] !== undefined && args[0] !== '--json')) throw new AccessTableError('plans takes only --json');
  const { defaultPlan, plans: all } = plans();
  const list = [...all.values()].map(({ name, ratePerSecond, burst, quotaPerDay }) => ({ name, ratePerSecond, burst, quotaPerDay }));
  if (args[0] === '--json') {
    console.log(JSON.stringify(list, null, 2));
    return;
  }
  console.log(`${'plan'.padEnd(10)} ${'req/s'.padStart(6)} ${'burst'.padStart(6)} ${'per UTC day'.padStart(12)}`);
  for (const p of list) {
    console.log(`${p.name.padEnd(10)} ${String(p.ratePerSecond).padStart(6)} ${String(p.burst).padStart(6)} ${String(p.quotaPerDay).padStart(12)}${p.name === defaultPlan ? '  (default)' : ''}`);
  }
}

export async function syncCommand(args: readonly string[], table: AccessTable): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: { stage: { type: 'string' }, region: { type: 'string' } }, strict: true }));
  } catch (e) {
    throw new AccessTableError((e as Error).message);
  }
  const stage = values.stage;
  if (!stage || !STAGE_NAME.test(stage)) throw new AccessTableError('sync needs --stage <stage> (lower-case letters and digits)');
  const [{ APIGatewayClient }, { SSMClient, GetParameterCommand }, { syncUsageKeys }, { UsageKeys }] = await Promise.all([
    import('@aws-sdk/client-api-gateway'), import('@aws-sdk/client-ssm'), import('../src/ops/limits-sync.ts'), import('../src/lambda/limits/usage-key.ts'),
  ]);
  const region = values.region ? { region: values.region } : {};
  const parameter = `/lakegate/${stage}/usage-key-secret`;
  const secret = (await new SSMClient(region).send(new GetParameterCommand({ Name: parameter, WithDecryption: true }))).Parameter?.Value;
  if (!secret) throw new AccessTableError(`SSM parameter ${parameter} is empty (docs/usage-and-limits.md)`);
  const changes = await syncUsageKeys(new APIGatewayClient(region), { service: 'lakegate', stage, table, keys: UsageKeys.fromBase64(secret) });
  for (const c of changes) console.log(`client ${c.clientId}: ${c.change}`);
  console.log(changes.length ? `${changes.length} change(s) on stage ${stage}` : `stage ${stage}: API keys already match the access table`);
}
