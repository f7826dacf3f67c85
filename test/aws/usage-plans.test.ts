/**
 * `npm run acl -- sync --stage S` (the real command, in its own process) against the emulator's
 * API Gateway and SSM: the usage-key secret read from SSM, one API key per client with the value
 * the authorizer derives, each on its plan's usage plan; a second sync changes nothing; plan
 * changes, disabled and removed clients follow.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { APIGatewayClient, CreateUsagePlanCommand, GetApiKeysCommand, GetUsagePlanKeysCommand } from '@aws-sdk/client-api-gateway';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { serializeAccessTable, type AccessRule } from '../../src/lambda/access/model.ts';
import { accessControlKey } from '../../src/lambda/lake/layout.ts';
import { plans } from '../../src/lambda/limits/plans.ts';
import { UsageKeys } from '../../src/lambda/limits/usage-key.ts';
import { apiKeyName, usagePlanName } from '../../src/ops/limits-sync.ts';
import { scratchPath } from '../helpers/lake.ts';
import { describeWithMoto } from '../helpers/moto.ts';

const run = promisify(execFile);
const STAGE = 'emu';
const SECRET = Buffer.alloc(32, 7).toString('base64');
const keys = UsageKeys.fromBase64(SECRET);
const rule = (client_id: number, over: Partial<AccessRule> = {}): AccessRule =>
  ({ client_id, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366, ...over });

describeWithMoto('acl sync to API Gateway usage plans', () => {
  let api: APIGatewayClient;
  let lakeDir: string;
  let planIds: Map<string, string>;

  /** Run the command over an access table of `rules`; its output lines. */
  async function sync(rules: AccessRule[]): Promise<string[]> {
    writeFileSync(path.join(lakeDir, accessControlKey), serializeAccessTable(rules));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/acl.ts', 'sync', '--stage', STAGE], { env: { ...process.env, LAKEGATE_LAKE_DIR: lakeDir } });
    return stdout.trim().split('\n');
  }
  /** Each of our API keys: its value, whether enabled, and the plans it is on. */
  async function keysNow(): Promise<Record<string, { value: string; enabled: boolean; plans: string[] }>> {
    const { items = [] } = await api.send(new GetApiKeysCommand({ includeValues: true, limit: 500 }));
    const out: Record<string, { value: string; enabled: boolean; plans: string[] }> = {};
    for (const k of items) out[k.name!] = { value: k.value!, enabled: k.enabled!, plans: [] };
    for (const [plan, id] of planIds) {
      const { items: onPlan = [] } = await api.send(new GetUsagePlanKeysCommand({ usagePlanId: id }));
      for (const k of onPlan) out[k.name!]?.plans.push(plan);
    }
    return out;
  }

  beforeEach(async () => {
    api = new APIGatewayClient({});
    lakeDir = scratchPath('sync-lake');
    mkdirSync(path.join(lakeDir, 'access_control'), { recursive: true });
    await new SSMClient({}).send(new PutParameterCommand({ Name: `/lakegate/${STAGE}/usage-key-secret`, Type: 'SecureString', Value: SECRET }));
    // The usage plans the template creates, one per plan (serverless/usage-plans.cjs).
    planIds = new Map();
    for (const [name, p] of plans().plans) {
      const created = await api.send(new CreateUsagePlanCommand({
        name: usagePlanName('lakegate', name, STAGE), throttle: { rateLimit: p.ratePerSecond, burstLimit: p.burst }, quota: { limit: p.quotaPerDay, period: 'DAY' },
      }));
      planIds.set(name, created.id!);
    }
  });

  it("first sync: each client's API key, with the value the authorizer derives from the SSM secret, on its plan; disabled as its rule is", async () => {
    const out = await sync([rule(3, { plan: 'basic' }), rule(4), rule(13, { enabled: false })]);
    expect(out.at(-1)).to.equal(`6 change(s) on stage ${STAGE}`);
    expect(await keysNow()).to.deep.equal({
      [apiKeyName('lakegate', STAGE, 3)]: { value: keys.forClient(3), enabled: true, plans: ['basic'] },
      [apiKeyName('lakegate', STAGE, 4)]: { value: keys.forClient(4), enabled: true, plans: ['standard'] },
      [apiKeyName('lakegate', STAGE, 13)]: { value: keys.forClient(13), enabled: false, plans: ['standard'] },
    });
  });

  it('a second sync with nothing changed changes nothing', async () => {
    const rules = [rule(3, { plan: 'basic' }), rule(4)];
    await sync(rules);
    const before = await keysNow();
    expect(await sync(rules)).to.deep.equal([`stage ${STAGE}: API keys already match the access table`]);
    expect(await keysNow()).to.deep.equal(before);
  });

  it('a plan change moves the key, a re-enabled client is enabled, a removed client is disabled (never deleted)', async () => {
    await sync([rule(4), rule(7), rule(13, { enabled: false })]);
    const out = await sync([rule(4, { plan: 'trial' }), rule(13)]);
    expect(out).to.deep.equal([
      'client 4: left plan standard', 'client 4: joined plan trial', 'client 13: enabled its API key',
      'client 7: disabled its API key (not in the access table)', `4 change(s) on stage ${STAGE}`,
    ]);
    const now = await keysNow();
    expect(now[apiKeyName('lakegate', STAGE, 4)]!.plans).to.deep.equal(['trial']);
    expect(now[apiKeyName('lakegate', STAGE, 7)]).to.deep.include({ enabled: false });
    expect(now[apiKeyName('lakegate', STAGE, 13)]).to.deep.include({ enabled: true });
  });

  it('a stage without its usage plans is refused before anything is written', async () => {
    writeFileSync(path.join(lakeDir, accessControlKey), serializeAccessTable([rule(4)]));
    await new SSMClient({}).send(new PutParameterCommand({ Name: '/lakegate/nodeploy/usage-key-secret', Type: 'SecureString', Value: SECRET }));
    const error = await run(process.execPath, ['--import', 'tsx', 'scripts/acl.ts', 'sync', '--stage', 'nodeploy'], {
      env: { ...process.env, LAKEGATE_LAKE_DIR: lakeDir },
    }).then(() => undefined, (e: { stderr: string }) => e.stderr);
    expect(error).to.match(/usage plan lakegate-trial-nodeploy not found: deploy the stage first/);
    expect(await keysNow()).to.deep.equal({});
  });
});
