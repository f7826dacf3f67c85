/**
 * `npm run acl -- sync --stage S`: make API Gateway's API keys match the access table, so each
 * client's requests land on its plan's usage plan. Per client: an API key named
 * `<service>-<stage>-client-<id>` whose value is the client's usage key (usage-key.ts), enabled
 * as its rule is, attached to exactly its plan's usage plan (`<service>-<plan>-<stage>`, created
 * by the template). Idempotent: a second run finds nothing to change. Keys of clients no longer
 * in the table are disabled, never deleted (their usage history stays readable).
 */
import {
  CreateApiKeyCommand, CreateUsagePlanKeyCommand, DeleteApiKeyCommand, DeleteUsagePlanKeyCommand, paginateGetApiKeys,
  paginateGetUsagePlanKeys, paginateGetUsagePlans, UpdateApiKeyCommand, type APIGatewayClient, type ApiKey,
} from '@aws-sdk/client-api-gateway';
import { planOfRule, type AccessTable } from '../lambda/access/model.ts';
import { plans, type PlanSet } from '../lambda/limits/plans.ts';
import type { UsageKeys } from '../lambda/limits/usage-key.ts';

export interface SyncOptions {
  readonly service: string;
  readonly stage: string;
  readonly table: AccessTable;
  readonly keys: UsageKeys;
  readonly plans?: PlanSet;
}

export interface SyncChange {
  readonly clientId: number;
  readonly change: string;
}

/** The usage plan's name as serverless/usage-plans.cjs has the framework create it. */
export const usagePlanName = (service: string, plan: string, stage: string) => `${service}-${plan}-${stage}`;
export const apiKeyName = (service: string, stage: string, clientId: number) => `${service}-${stage}-client-${clientId}`;

/** Every item of a listing, page after page (the SDK's paginator follows `position`). */
async function allItems<T>(pages: AsyncIterable<{ items?: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(page.items ?? []));
  return out;
}

export async function syncUsageKeys(api: APIGatewayClient, o: SyncOptions): Promise<SyncChange[]> {
  const planSet = o.plans ?? plans();
  const usagePlans = await allItems(paginateGetUsagePlans({ client: api, pageSize: 500 }, {}));
  const planIds = new Map<string, string>();
  for (const name of planSet.plans.keys()) {
    const found = usagePlans.find((u) => u.name === usagePlanName(o.service, name, o.stage));
    if (!found?.id) throw new Error(`usage plan ${usagePlanName(o.service, name, o.stage)} not found: deploy the stage first`);
    planIds.set(name, found.id);
  }

  const prefix = `${o.service}-${o.stage}-client-`;
  const keys = new Map<string, ApiKey>();
  for (const k of await allItems(paginateGetApiKeys({ client: api, pageSize: 500 }, { nameQuery: prefix, includeValues: true }))) {
    if (k.name?.startsWith(prefix) && k.id) keys.set(k.name, k);
  }
  /** key id → names of the plans it is attached to. */
  const attached = new Map<string, Set<string>>();
  for (const [plan, id] of planIds) {
    for (const k of await allItems(paginateGetUsagePlanKeys({ client: api, pageSize: 500 }, { usagePlanId: id }))) {
      if (!k.id) continue;
      if (!attached.has(k.id)) attached.set(k.id, new Set());
      attached.get(k.id)!.add(plan);
    }
  }

  const changes: SyncChange[] = [];
  const setEnabled = async (key: ApiKey, enabled: boolean) =>
    api.send(new UpdateApiKeyCommand({ apiKey: key.id!, patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }] }));

  for (const rule of [...o.table.values()].sort((a, b) => a.client_id - b.client_id)) {
    const clientId = rule.client_id;
    const note = (change: string) => changes.push({ clientId, change });
    const name = apiKeyName(o.service, o.stage, clientId);
    const value = o.keys.forClient(clientId);
    const plan = planOfRule(rule);
    let key = keys.get(name);
    if (key && key.value !== value) {
      // API key values cannot be changed in place (the usage-key secret was rotated): replace the key.
      await api.send(new DeleteApiKeyCommand({ apiKey: key.id! }));
      note('replaced its API key (the usage-key secret changed)');
      key = undefined;
    }
    if (!key) {
      key = await api.send(new CreateApiKeyCommand({
        name, value, enabled: rule.enabled, description: `lakegate client ${clientId} (npm run acl -- sync)`,
      }));
      note(`created its API key${rule.enabled ? '' : ' (disabled)'}`);
    } else if (key.enabled !== rule.enabled) {
      await setEnabled(key, rule.enabled);
      note(rule.enabled ? 'enabled its API key' : 'disabled its API key');
    }
    const on = attached.get(key.id!) ?? new Set<string>();
    for (const other of on) {
      if (other === plan) continue;
      await api.send(new DeleteUsagePlanKeyCommand({ usagePlanId: planIds.get(other)!, keyId: key.id! }));
      note(`left plan ${other}`);
    }
    if (!on.has(plan)) {
      await api.send(new CreateUsagePlanKeyCommand({ usagePlanId: planIds.get(plan)!, keyId: key.id!, keyType: 'API_KEY' }));
      note(`joined plan ${plan}`);
    }
    keys.delete(name);
  }

  // Keys left over belong to clients no longer in the table.
  for (const key of keys.values()) {
    if (key.enabled === false) continue;
    await setEnabled(key, false);
    changes.push({ clientId: Number(key.name!.slice(prefix.length)), change: 'disabled its API key (not in the access table)' });
  }
  return changes;
}
