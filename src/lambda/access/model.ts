/**
 * The access-control table: which client may call which named query, and which rows it sees.
 *
 * Stored as JSON Lines (one rule per line) at `access_control/access_control.json` in the lake,
 * so the authorizer reads it without a parquet reader and Glue/Athena still catalog it.
 * Parsing is strict and all-or-nothing: one malformed line rejects the whole table, and the
 * authorizer then denies (fail closed) rather than guess.
 */

import { PROVIDER_CLIENT_ID, QUERY_NAME } from '../ids.ts';
import { plans } from '../limits/plans.ts';
import { DEFAULT_PII_MODE, isPiiMode, PII_MODES, type PiiMode } from '../privacy/modes.ts';

export type RowScope = 'own' | 'all';

export interface AccessRule {
  readonly client_id: number;
  readonly enabled: boolean;
  /** Query names, or `['*']` for every query in the catalog. */
  readonly allowed_queries: readonly string[];
  readonly row_scope: RowScope;
  /** Longest `[from, to)` span the client may ask for, in days. */
  readonly max_range_days: number;
  /** Free text for operators (who the client is, why a restriction exists). */
  readonly note?: string;
  /** The client's plan (src/lambda/limits/plans.json); absent = the default plan (rules written before plans existed). */
  readonly plan?: string;
  /** Lifetime of the tokens /oauth/token issues to this client, in seconds (default LAKEGATE_TOKEN_TTL_SECONDS). */
  readonly token_ttl_seconds?: number;
  /** This client's id at the configured identity provider (e.g. a Cognito app client id), when it signs in there. */
  readonly idp_client_id?: string;
  /** How this client sees personal data (docs/privacy.md); absent = masked. */
  readonly pii?: PiiMode;
}

export type AccessTable = ReadonlyMap<number, AccessRule>;

export const MAX_RANGE_DAYS_LIMIT = 3660;
const KEYS = new Set(['client_id', 'enabled', 'allowed_queries', 'row_scope', 'max_range_days', 'note', 'plan', 'token_ttl_seconds', 'idp_client_id', 'pii']);

export class AccessTableError extends Error {
  override name = 'AccessTableError';
}

/** Validate one rule (from JSON or from the CLI). Throws AccessTableError naming the problem. */
export function validateRule(value: unknown, where = 'rule'): AccessRule {
  const fail = (msg: string): never => {
    throw new AccessTableError(`${where}: ${msg}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
  const r = value as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!KEYS.has(k)) fail(`unknown field "${k}"`);
  const { client_id, enabled, allowed_queries, row_scope, max_range_days, note, plan, token_ttl_seconds, idp_client_id, pii } = r;
  if (!Number.isSafeInteger(client_id) || (client_id as number) < 0) fail('client_id must be a non-negative integer');
  if (typeof enabled !== 'boolean') fail('enabled must be true or false');
  if (!Array.isArray(allowed_queries) || !allowed_queries.every((q) => typeof q === 'string' && (q === '*' || QUERY_NAME.test(q)))) {
    fail('allowed_queries must be a list of query names or ["*"]');
  }
  if (row_scope !== 'own' && row_scope !== 'all') fail('row_scope must be "own" or "all"');
  if (!Number.isSafeInteger(max_range_days) || (max_range_days as number) < 1 || (max_range_days as number) > MAX_RANGE_DAYS_LIMIT) {
    fail(`max_range_days must be an integer from 1 to ${MAX_RANGE_DAYS_LIMIT}`);
  }
  if (note !== undefined && typeof note !== 'string') fail('note must be a string');
  if (token_ttl_seconds !== undefined && (!Number.isSafeInteger(token_ttl_seconds) || (token_ttl_seconds as number) < 60 || (token_ttl_seconds as number) > 86400)) {
    fail('token_ttl_seconds must be an integer from 60 to 86400');
  }
  if (idp_client_id !== undefined && (typeof idp_client_id !== 'string' || !PROVIDER_CLIENT_ID.test(idp_client_id))) fail('idp_client_id must be an identifier');
  if (plan !== undefined && (typeof plan !== 'string' || !plans().plans.has(plan))) fail(`plan must be one of ${[...plans().plans.keys()].join(', ')}`);
  if (pii !== undefined && !isPiiMode(pii)) fail(`pii must be one of ${PII_MODES.join(', ')}`);
  return {
    client_id: client_id as number,
    enabled: enabled as boolean,
    allowed_queries: [...new Set(allowed_queries as string[])].sort(),
    row_scope: row_scope as RowScope,
    max_range_days: max_range_days as number,
    ...(note !== undefined ? { note: note as string } : {}),
    ...(plan !== undefined ? { plan: plan as string } : {}),
    ...(token_ttl_seconds !== undefined ? { token_ttl_seconds: token_ttl_seconds as number } : {}),
    ...(idp_client_id !== undefined ? { idp_client_id: idp_client_id as string } : {}),
    ...(pii !== undefined ? { pii: pii as PiiMode } : {}),
  };
}

/** How a rule's client sees personal data: its own mode, or masked. */
export function piiOfRule(rule: AccessRule): PiiMode {
  return rule.pii ?? DEFAULT_PII_MODE;
}

/** The plan a rule puts its client on: its own, or the default plan. */
export function planOfRule(rule: AccessRule): string {
  return rule.plan ?? plans().defaultPlan;
}

/**
 * The client a provider's token names: the rule whose `idp_client_id` is that provider-side id;
 * undefined when no rule maps it (→ 403). Never the provider's id read as one of ours: a
 * provider principal called `9000` is not our analysts' client.
 */
export function clientOfProviderSubject(table: AccessTable, subject: string): number | undefined {
  for (const rule of table.values()) if (rule.idp_client_id === subject) return rule.client_id;
  return undefined;
}

/** Parse the JSON Lines text of the table. Empty lines are ignored; duplicates are an error. */
export function parseAccessTable(text: string): AccessTable {
  const table = new Map<number, AccessRule>();
  const lines = text.split('\n');
  // A file cut short mid-write loses its final newline: treat that as corrupt, not as fewer rules.
  if (text.length > 0 && !text.endsWith('\n')) throw new AccessTableError('access table does not end with a newline (truncated?)');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new AccessTableError(`line ${i + 1}: not valid JSON`);
    }
    const rule = validateRule(value, `line ${i + 1}`);
    if (table.has(rule.client_id)) throw new AccessTableError(`line ${i + 1}: client ${rule.client_id} appears twice`);
    if (rule.idp_client_id !== undefined && [...table.values()].some((r) => r.idp_client_id === rule.idp_client_id)) {
      throw new AccessTableError(`line ${i + 1}: idp_client_id ${rule.idp_client_id} is mapped to two clients`);
    }
    table.set(rule.client_id, rule);
  });
  return table;
}

/** Serialize rules as JSON Lines, sorted by client, one trailing newline. */
export function serializeAccessTable(rules: Iterable<AccessRule>): string {
  return [...rules]
    .sort((a, b) => a.client_id - b.client_id)
    .map((r) => `${JSON.stringify(r)}\n`)
    .join('');
}

/** The queries a rule grants, resolved against the catalog's query names (sorted). */
export function grantedQueries(rule: AccessRule, catalogNames: readonly string[]): string[] {
  if (rule.allowed_queries.includes('*')) return [...catalogNames].sort();
  return catalogNames.filter((q) => rule.allowed_queries.includes(q)).sort();
}

/** Client id of the internal analysts' access (row scope `all`); not a shipping client. */
export const ANALYST_CLIENT_ID = 9000;

/**
 * The default table for a generated lake: every shipping client may call every query on its own
 * rows, with a few exceptions that exercise each rule of the model.
 */
export function defaultAccessTable(clientIds: readonly number[], queryNames: readonly string[]): AccessRule[] {
  const own = (client_id: number): AccessRule => ({
    client_id, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366,
  });
  const counts = queryNames.filter((q) => q.startsWith('count_')).sort();
  const exceptions: Record<number, Partial<AccessRule>> = {
    3: { allowed_queries: counts, max_range_days: 31, plan: 'basic', note: 'basic plan: counts only, one month at a time' },
    7: { allowed_queries: ['all_orders_by_range', 'count_orders_by_range'], note: 'order export integration only' },
    11: { allowed_queries: ['most_required_service_by_range'], max_range_days: 92, plan: 'trial', note: 'trial' },
    13: { enabled: false, note: 'contract ended' },
  };
  const rules = clientIds.map((id) => ({ ...own(id), ...exceptions[id] }));
  rules.push({
    client_id: ANALYST_CLIENT_ID, enabled: true, allowed_queries: ['*'], row_scope: 'all', max_range_days: 3660, plan: 'internal', pii: 'pseudonymized',
    note: 'internal analysts: every client\'s rows, recipients pseudonymized',
  });
  return rules.map((r) => validateRule(r));
}
