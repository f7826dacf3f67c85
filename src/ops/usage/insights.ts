/**
 * Access records of a deployed stage, from CloudWatch Logs Insights over the stage's Lambda log
 * groups (every function writes its access lines there: the authorizer for 401/403, the query
 * functions for the rest). The report is then computed by the same function as locally.
 */
import {
  CloudWatchLogsClient, GetQueryResultsCommand, paginateDescribeLogGroups, StartQueryCommand, type ResultField,
} from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as delay } from 'node:timers/promises';
import { ACCESS_MESSAGE } from '../../lambda/usage/access-log.ts';
import type { AccessRecord } from '../../lambda/usage/record.ts';

/** Logs Insights returns at most this many rows per query. */
export const INSIGHTS_MAX_ROWS = 10_000;

const FIELDS = ['requestId', 'time', 'clientId', 'claimedClientId', 'query', 'from', 'to', 'status', 'errorCode', 'rows', 'bytesScanned', 'engineMs', 'durationMs', 'resultReused', 'decidedBy'];

export const ACCESS_QUERY = [
  `fields ${FIELDS.join(', ')}`,
  `filter message = "${ACCESS_MESSAGE}"`,
  'sort @timestamp asc',
  `limit ${INSIGHTS_MAX_ROWS}`,
].join(' | ');

export interface InsightsOptions {
  readonly stage: string;
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly service?: string;
  /** Between polls of GetQueryResults. */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The stage's Lambda log groups: `/aws/lambda/<service>-<stage>-…`. */
export async function stageLogGroups(client: CloudWatchLogsClient, service: string, stage: string): Promise<string[]> {
  const prefix = `/aws/lambda/${service}-${stage}-`;
  const groups: string[] = [];
  for await (const page of paginateDescribeLogGroups({ client }, { logGroupNamePrefix: prefix })) {
    for (const g of page.logGroups ?? []) if (g.logGroupName) groups.push(g.logGroupName);
  }
  return groups;
}

const num = (v: string | undefined) => (v === undefined || v === '' || v === 'null' ? null : Number(v));
const str = (v: string | undefined) => (v === undefined || v === '' || v === 'null' ? null : v);

/** One Insights result row (every value a string; absent or null fields missing) → an access record. */
export function recordOfRow(row: readonly ResultField[]): AccessRecord {
  const f = new Map(row.map((c) => [c.field ?? '', c.value]));
  return {
    requestId: f.get('requestId') ?? '',
    time: f.get('time') ?? '',
    clientId: num(f.get('clientId')),
    claimedClientId: num(f.get('claimedClientId')),
    query: str(f.get('query')),
    from: str(f.get('from')),
    to: str(f.get('to')),
    status: Number(f.get('status')),
    errorCode: str(f.get('errorCode')),
    rows: num(f.get('rows')),
    bytesScanned: num(f.get('bytesScanned')),
    engineMs: num(f.get('engineMs')),
    durationMs: Number(f.get('durationMs') ?? 0),
    resultReused: f.get('resultReused') === undefined || f.get('resultReused') === 'null' ? null : f.get('resultReused') === 'true' || f.get('resultReused') === '1',
    decidedBy: f.get('decidedBy') === 'authorizer' ? 'authorizer' : 'handler',
  };
}

export async function insightsAccessRecords(client: CloudWatchLogsClient, o: InsightsOptions): Promise<{ records: AccessRecord[]; truncated: boolean }> {
  const groups = await stageLogGroups(client, o.service ?? 'lakegate', o.stage);
  if (groups.length === 0) throw new Error(`no log groups /aws/lambda/${o.service ?? 'lakegate'}-${o.stage}-*: is the stage deployed in this region?`);
  const sleep = o.sleep ?? ((ms: number) => delay(ms));
  const { queryId } = await client.send(new StartQueryCommand({
    logGroupNames: groups, startTime: Math.floor(o.sinceMs / 1000), endTime: Math.ceil(o.untilMs / 1000), queryString: ACCESS_QUERY, limit: INSIGHTS_MAX_ROWS,
  }));
  for (;;) {
    const out = await client.send(new GetQueryResultsCommand({ queryId }));
    if (out.status === 'Complete') {
      const records = (out.results ?? []).map(recordOfRow);
      return { records, truncated: records.length >= INSIGHTS_MAX_ROWS };
    }
    if (out.status !== 'Running' && out.status !== 'Scheduled') throw new Error(`Logs Insights query ended ${out.status}`);
    await sleep(o.pollMs ?? 1000);
  }
}
